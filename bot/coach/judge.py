"""Judge a rep's turn against a scenario's rubric: cue phrases plus sentence embeddings, deterministic.

Each criterion gets a strength in [0, 1] per turn: cue phrases found in the turn (``min_cues`` distinct
cues give full credit) or, failing that, how close the rep's best sentence comes to the criterion's model
sentences. Mistakes are found the same way, with a stricter similarity bar, and a cue negated just before
("不是物流的问题") does not count. The thresholds are validated on the labelled pairs in
``eval/roleplay/`` (``salescoach eval --only roleplay``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from bot.coach.scenario import Criterion, Mistake, Scenario
from bot.kb.embed import Embedder, FakeEmbedder
from bot.kb.text import normalize, split_sentences

MET, PARTLY = 0.75, 0.4
"""Strength at which a criterion counts as met or partly met."""
SIM_FLOOR = 0.90
"""e5 cosines sit high and close together: below this a sentence is unrelated to every model sentence."""
MARGIN_LOW, MARGIN_HIGH = 0.02, 0.045
"""How far a sentence's similarity to a criterion's model sentences must stand above its median similarity
to all of the scenario's model sentences: it must be about *this* move, not just about the situation."""
SIM_CAP = 0.6
"""Similarity alone gives at most "partly": paraphrases earn credit, but full credit needs the words."""
MISTAKE_MARGIN = 0.10
"""A mistake found by similarity alone must be a near copy of one of its examples: at 0.06 on-topic good
sentences were flagged (scenario authors hit it three times); 0.06-0.10 score the labelled pairs the same."""
MISTAKE_CAP = 0.5
"""Credit a criterion can earn from a sentence that also makes a mistake."""
_NEGATIONS = ("不是", "并非", "不算", "没有", "不能说", "不会", "别说", "不")
_A_NOT_A = re.compile(r"(.)[不没]\1$")
_CLAUSES = re.compile(r"(?<=[，,；;。！？!?\n])")


@dataclass
class Hit:
    strength: float
    evidence: str  # the rep's sentence that shows it
    cues: frozenset[str] = frozenset()


@dataclass
class TurnJudgement:
    criteria: dict[str, Hit] = field(default_factory=dict)
    mistakes: dict[str, str] = field(default_factory=dict)  # mistake id -> the rep's sentence


def match_form(text: str) -> str:
    """Simplified, lower-case, full-width folded, without spaces: "20 吨" and "２０吨" match "20吨"."""
    return re.sub(r"\s+", "", normalize(text))


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 3):start]
    # A-not-A questions ask, they do not negate: 有没有哪些地方, 是不是, 满不满意.
    if _A_NOT_A.search(before) or (len(before) >= 2 and before[-1] in "不没" and text[start:start + 1] == before[-2]):
        return False
    return any(before.endswith(n) for n in _NEGATIONS)


def cue_matches(cue: str, text: str) -> bool:
    """Whether one cue (``A|B``, ``A&B``, ``re:...``) occurs in normalised text, not negated."""
    if cue.startswith("re:"):
        return any(not _negated(text, m.start()) for m in re.finditer(cue[3:], text))
    if "&" in cue:
        return all(cue_matches(part, text) for part in cue.split("&"))
    for alt in cue.split("|"):
        alt = match_form(alt)
        start = text.find(alt)
        while start >= 0:
            if not _negated(text, start):
                return True
            start = text.find(alt, start + 1)
    return False


def sentences(turn: str) -> list[str]:
    """Sentences of a turn, and clauses of very long ones, as quotable evidence."""
    out = []
    for s in split_sentences(turn.strip()) or [turn.strip()]:
        if len(s) > 60:
            out += [c.strip() for c in _CLAUSES.split(s) if c.strip()]
        else:
            out.append(s)
    return [s for s in out if s]


class Judge:
    """Scores turns for any scenario; model sentences are embedded once per scenario and cached."""

    def __init__(self, embedder: Embedder, *, similarity: bool | None = None) -> None:
        self.embedder = embedder
        # The thresholds are calibrated on multilingual-e5 cosines; the fake test embedder's hashed n-grams
        # carry no meaning, so with it the judge works on cues alone.
        self.similarity = not isinstance(embedder, FakeEmbedder) if similarity is None else similarity
        self._examples: dict[str, tuple[Scenario, dict[str, np.ndarray]]] = {}
        self._lock = threading.Lock()

    def _example_vectors(self, scenario: Scenario) -> dict[str, np.ndarray]:
        with self._lock:
            cached = self._examples.get(scenario.id)
            if cached is None or cached[0] is not scenario:  # new, or its file was edited
                items: list[Criterion | Mistake] = [*scenario.rubric, *scenario.mistakes]
                texts = [e for item in items for e in item.examples]
                vecs = self.embedder.embed_queries(texts)
                out, i = {}, 0
                for item in items:
                    out[item.id] = vecs[i:i + len(item.examples)]
                    i += len(item.examples)
                self._examples[scenario.id] = cached = (scenario, out)
            return cached[1]

    def judge(self, scenario: Scenario, turn: str) -> TurnJudgement:
        parts = sentences(turn)
        result = TurnJudgement()
        if not parts:
            return result
        normed = [match_form(p) for p in parts]
        items = [*scenario.rubric, *scenario.mistakes]
        if self.similarity:
            examples = self._example_vectors(scenario)
            sims = self.embedder.embed_queries(parts) @ np.concatenate([examples[i.id] for i in items]).T
        else:
            sims = np.zeros((len(parts), sum(len(i.examples) for i in items)), dtype=np.float32)
        offsets, i = {}, 0
        for item in [*scenario.rubric, *scenario.mistakes]:
            offsets[item.id] = (i, i + len(item.examples))
            i += len(item.examples)

        per_item = np.stack([sims[:, offsets[i.id][0]:offsets[i.id][1]].max(axis=1) for i in items], axis=1)
        median = np.median(per_item, axis=1)
        by_id = {c.id: c for c in scenario.rubric}
        mistake_sentences = set()
        for m in scenario.mistakes:
            lo, hi = offsets[m.id]
            margin = sims[:, lo:hi].max(axis=1) - median
            for k, n in enumerate(normed):
                if any(cue_matches(cue, n) for cue in m.cues) or margin[k] >= MISTAKE_MARGIN:
                    # "as soon as possible" right next to a real time, or "每吨让290" offered only
                    # for an annual framework agreement, is no mistake: judged on the cues alone,
                    # before the mistake could cap the very move that excuses it.
                    if not any(_cue_strength(by_id[u], normed) >= MET for u in m.unless if u in by_id):
                        result.mistakes[m.id] = parts[k]
                        mistake_sentences.add(k)
                    break

        for c in scenario.rubric:
            lo, hi = offsets[c.id]
            best_sim = sims[:, lo:hi].max(axis=1)
            # A sentence that makes a mistake earns no credit by resemblance ("不是我们的问题" ≈ an apology).
            margin = np.where((best_sim >= SIM_FLOOR) & ~np.isin(np.arange(len(parts)), list(mistake_sentences)),
                              best_sim - median, 0.0)
            per_sentence = [frozenset(cue for cue in c.cues if cue_matches(cue, n)) for n in normed]
            found = frozenset().union(*per_sentence)
            cue_strength = min(1.0, len(found) / c.min_cues)
            # A move made inside a mistake ("对不起，但这是物流的问题") counts only in part.
            clean = frozenset().union(*(f for k, f in enumerate(per_sentence) if k not in mistake_sentences))
            if clean != found:
                cue_strength = max(min(1.0, len(clean) / c.min_cues), min(cue_strength, MISTAKE_CAP))
            sim_strength = SIM_CAP * float(np.clip((margin.max() - MARGIN_LOW) / (MARGIN_HIGH - MARGIN_LOW), 0, 1))
            if found and cue_strength >= sim_strength:
                j = max(range(len(parts)), key=lambda k: (len(per_sentence[k]), best_sim[k]))
                hit = Hit(cue_strength, parts[j], found)
            else:
                hit = Hit(sim_strength, parts[int(margin.argmax())])
            if hit.strength > 0:
                result.criteria[c.id] = hit
        return result


def _cue_strength(criterion: Criterion, normed: list[str]) -> float:
    found = {cue for n in normed for cue in criterion.cues if cue_matches(cue, n)}
    return min(1.0, len(found) / criterion.min_cues)
