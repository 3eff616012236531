"""The free-text point detector: a trained reading of the points an answer makes, whatever its words."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import yaml

from bot.coach import points
from bot.coach.freetext import DETECTED_POINT, FreeTextGrader
from bot.coach.points import Detected, load_detector
from bot.coach.study import question_bank
from bot.config import PROJECT_ROOT

KNOWLEDGE = PROJECT_ROOT / "knowledge"


def _free() -> dict:
    return {q.id.removeprefix("bank:"): q.free for q in question_bank(KNOWLEDGE) if q.free is not None}


def test_the_shipped_detector_knows_every_point_of_every_free_question():
    """A free question added or changed without `salescoach study points` would be graded without the detector."""
    detector = load_detector()
    for qid, spec in _free().items():
        assert spec.key == qid
        assert detector.knows(qid), qid
        mine = [lab for lab in detector.head.labels if lab.startswith(qid + "/p")]
        assert len(mine) == len(spec.items), qid


@pytest.mark.parametrize(("qid", "text", "point"), [
    # 「跟…一比，够了就满意」 is the comparison, though it names neither 比较 nor 程度
    ("free-satisfaction", "客户心里原来想要的，跟他真正用下来的感觉一比，够了就满意", "两者比较（满足的程度）"),
    ("free-leaky-bucket", "客户从后门一个个溜走，前门拼命拉新的也填不满", "老客户不断流失"),
])
def test_a_point_said_in_everyday_words_is_credited(qid, text, point):
    spec = _free()[qid]
    assert point not in FreeTextGrader(detector=False).grade(spec, text).found
    verdict = FreeTextGrader().grade(spec, text)
    assert point in verdict.found
    assert point in verdict.reason


class _Says:
    """A detector that reads one point of every question at a given probability."""

    def __init__(self, point: int, probability: float) -> None:
        self.point, self.probability = point, probability

    def knows(self, question: str) -> bool:
        return True

    def detect(self, question, n_items, n_avoid, units, dense) -> Detected:
        return Detected({self.point: self.probability}, {})


def test_only_a_clear_reading_earns_a_point():
    spec = _free()["free-five-facts"]
    text = "就这些吧"  # says nothing: only the detector can find a point in it
    unsure = FreeTextGrader(detector=_Says(2, DETECTED_POINT - 0.05)).grade(spec, text)
    assert unsure.grade == "wrong"
    sure = FreeTextGrader(detector=_Says(2, DETECTED_POINT + 0.05)).grade(spec, text)
    assert (sure.grade, sure.found) == ("partly", ["车号"])


class _Reads:
    """A detector that gives every point of every question its own probability (and credits none itself)."""

    def __init__(self, probabilities: dict[int, float]) -> None:
        self.probabilities = probabilities

    def knows(self, question: str) -> bool:
        return True

    def detect(self, question, n_items, n_avoid, units, dense) -> Detected:
        return Detected({}, {}, item_probabilities={i: self.probabilities.get(i, 0.9) for i in range(n_items)})


def test_a_point_the_detector_doubts_never_makes_an_answer_right():
    """Wordings alone found 车号 (the plate) in each answer; a detector that reads it as not said (a trainer's
    "gestured at") keeps the answer from right, while a point gestured at alone still earns partly."""
    spec = _free()["free-five-facts"]
    full = "规格数量、发货时间、车号、司机电话、预计到达时间"
    assert FreeTextGrader(detector=_Reads({})).grade(spec, full).grade == "right"
    doubted = FreeTextGrader(detector=_Reads({2: 0.01})).grade(spec, full)
    assert doubted.grade == "partly"
    assert "车号" in doubted.missing
    assert "车号" in doubted.reason.split("还差")[1]
    alone = FreeTextGrader(detector=_Reads({2: 0.01})).grade(spec, "把车牌报给他就行")
    assert (alone.grade, alone.found) == ("partly", [])
    assert alone.reason.startswith("方向对")
    assert FreeTextGrader(detector=_Reads({})).grade(spec, "把车牌报给他就行").found == ["车号"]


def test_a_missing_or_stale_detector_file_leaves_grading_to_wordings(tmp_path, monkeypatch, caplog):
    shipped = load_detector().head
    broken = tmp_path / "points.npz"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(points, "MODEL_FILE", broken)
    monkeypatch.setattr(points, "_default", None)
    monkeypatch.setattr(points, "_default_missing", False)
    with caplog.at_level(logging.WARNING):
        assert points.default_detector() is None
    assert "point detector not loaded" in caplog.text
    grader = FreeTextGrader()
    verdict = grader.grade(_free()["free-five-facts"], "规格和数量、发货时间、车牌号、司机的电话、预计到达时间")
    assert verdict.grade == "right"

    stale = tmp_path / "stale.npz"
    shipped.save(stale, points.MODEL_VERSION + 1)
    with pytest.raises(ValueError, match="salescoach study points"):
        load_detector(stale)


def test_a_corpus_label_the_question_lacks_is_refused_with_its_file(tmp_path):
    from bot.coach.pointtrain import free_specs, load_corpus

    (tmp_path / "points-train-x.yaml").write_text(yaml.safe_dump({"author": "x", "items": [
        {"question": "free-apology", "text": "对不起", "points": ["p9"], "mistakes": []}]}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"points-train-x.yaml: free-apology has no p9"):
        load_corpus(free_specs(), tmp_path)


class _Hashed:
    """Stands in for the e5 vector cache: a fixed pseudo-random vector per text, so the test trains without running
    the encoder (and without taking a core from the timing tests beside it)."""

    def __init__(self, path=None) -> None:
        pass

    def get(self, texts):
        import hashlib

        return np.stack([np.random.default_rng(int(hashlib.md5(t.encode()).hexdigest()[:8], 16))
                         .standard_normal(384).astype(np.float32) / 20 for t in texts])


def test_training_reads_two_authors_and_the_bank_and_saves_a_working_detector(tmp_path, monkeypatch):
    """A small corpus, end to end: out-of-fold thresholds from two authors, the bank's own wordings, a file that
    loads and reads a point of the question it was trained on (by its words: the vectors here carry no meaning)."""
    from bot.coach import pointtrain
    from bot.coach.pointtrain import train

    monkeypatch.setattr(pointtrain, "VectorCache", _Hashed)

    facts = [("规格数量", ["p1"]), ("几点发的车", ["p2"]), ("车牌号", ["p3"]), ("司机手机", ["p4"]),
             ("大概哪天到", ["p5"]), ("价格和付款方式", []), ("发票抬头", [])]
    for author, suffix in (("a", "。"), ("b", "！")):
        items = [{"question": "free-five-facts", "text": t + suffix + extra, "points": p, "mistakes": []}
                 for extra in ("", "呀", "吧") for t, p in facts]
        (tmp_path / f"points-train-{author}.yaml").write_text(
            yaml.safe_dump({"author": author, "items": items}, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "points.npz"
    head, report = train(directory=tmp_path, out=out)
    assert (report.answers, report.authors) == (42, ["a", "b"])
    detector = load_detector(out)
    assert detector.knows("free-five-facts")
    units = ["车牌号多少"]
    found = detector.detect("free-five-facts", 5, 0, units, _Hashed().get(units))
    assert 2 in found.items
    assert head.meta["answers"] == 42
