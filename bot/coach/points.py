"""Which points of a free question an answer makes, read by a model trained on labelled answers.

Wordings (cues) and reference similarity find a point only when it is said close to how the question's author
foresaw it. Trainees say 「跟他真正用下来的感觉一比」 for the comparison that is satisfaction, or 「客户从后门一个个溜走」 for the
leaky bucket's lost customers. The detector is the recogniser's linear head (``bot/kb/linear.py``: character n-grams and
the e5 vector) trained on answers labelled point by point (``eval/study/points-train-*.yaml``, written from the
questions and their articles by authors who never saw the grader) and on the bank's own reference wordings.
Each label is one point or one mistake of one question (``free-five-facts/p2``, ``free-apology/m1``); each is
fitted only on its own question's answers, so the other questions' answers never teach it what it is not.

An answer is read whole and clause by clause (a list answer makes five points in five clauses); a label is made
when any of them reaches its threshold, chosen on predictions for each author's answers by a model trained on the
others'. The grader (``bot/coach/freetext.py``) credits only a clear reading of a point and leaves mistakes to the
wordings and the recogniser. Retrain with ``salescoach study points`` after changing the free questions or the corpus.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.kb.linear import Head

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).resolve().parent / "data" / "points.npz"
MODEL_VERSION = 1
RETRAIN = "salescoach study points"


def label(question: str, kind: str, index: int) -> str:
    """The label of a question's point (``kind`` "item") or mistake ("avoid"), numbered from 1 as in the corpus."""
    return f"{question}/{'p' if kind == 'item' else 'm'}{index + 1}"


@dataclass
class Detected:
    items: dict[int, float]  # point index -> the highest probability over the answer's units, made points only
    mistakes: dict[int, float]
    item_probabilities: dict[int, float] = field(default_factory=dict)  # every point -> its highest probability
    vectors: dict[str, np.ndarray] | None = field(default=None, repr=False)  # each unit read -> its e5 vector


class PointDetector:
    """The trained detector; thread-safe (read only after loading)."""

    def __init__(self, head: Head) -> None:
        self.head = head
        self._index = {lab: j for j, lab in enumerate(head.labels)}

    def knows(self, question: str) -> bool:
        return f"{question}/p1" in self._index

    def detect(self, question: str, n_items: int, n_avoid: int, units: list[str], dense: np.ndarray) -> Detected:
        """Points and mistakes made in any of `units` (the answer and its clauses, with their e5 vectors)."""
        found = Detected({}, {})
        if not units or not self.knows(question):
            return found
        probs = self.head.probabilities(units, dense).max(axis=0)
        for i in range(n_items):
            j = self._index.get(label(question, "item", i))
            if j is not None:
                found.item_probabilities[i] = round(float(probs[j]), 4)
        for kind, n, out in (("item", n_items, found.items), ("avoid", n_avoid, found.mistakes)):
            for i in range(n):
                j = self._index.get(label(question, kind, i))
                if j is not None and probs[j] >= self.head.thresholds[j]:
                    out[i] = round(float(probs[j]), 4)
        return found


def load_detector(path: Path | None = None) -> PointDetector:
    return PointDetector(Head.load(path or MODEL_FILE, MODEL_VERSION, RETRAIN))


_default: PointDetector | None = None
_default_missing = False
_lock = threading.Lock()


def default_detector() -> PointDetector | None:
    """The bundled detector, or None (graded by wordings and meaning alone, with a warning) when its file is
    missing or unreadable."""
    global _default, _default_missing
    with _lock:
        if _default is None and not _default_missing:
            try:
                _default = load_detector()
            except (OSError, ValueError, KeyError) as exc:
                _default_missing = True
                log.warning("free-text point detector not loaded (%s); grading by wordings and meaning only", exc)
        return _default
