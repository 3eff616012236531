"""Judge a rep's turn against a scenario's rubric: which moves the rep made, read by the sales-move recogniser.

Each criterion and mistake of a scenario names the moves that show it (``moves``: any of them; ``a+b``: both in
the same turn; ``partly_moves``: partial credit). The recogniser (``bot/coach/moves.py``) reads what each
sentence *does*, whatever the words, so paraphrases count and look-alikes do not: "对不起，司机车坏了" is an
apology and a blame-shift, not ownership. Literal facts (the five shipment facts, a clock time) stay
rule-based as ``cues``, which add up across turns (``min_cues``). Deterministic; no similarity thresholds.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from bot.coach.moves import _E5, MoveRecogniser, TurnMoves, default_recogniser, fold
from bot.coach.scenario import Criterion, Mistake, Scenario
from bot.kb.embed import yielding

MET, PARTLY = 0.75, 0.4
"""Strength at which a criterion counts as met or partly met."""
PARTLY_STRENGTH = 0.5
"""What a ``partly_moves`` move earns on its own (a bare "sorry" toward apology-and-ownership)."""
ASKS_ABOUT = 0.875
"""e5 cosine at which a rep's question asks about a fact (its example questions, or what it says when it has
none) or something the customer knows. Unrelated questions in one scenario sit at 0.84-0.87 (they share the
situation's words); a question and its answer at 0.89-0.91; two wordings of one question at 0.90-0.94. The
closest one wins."""
_NEGATIONS = ("不是", "并非", "不算", "没有", "不能说", "不会", "别说", "不")
_A_NOT_A = re.compile(r"(.)[不没]\1$")


@dataclass
class Hit:
    strength: float
    evidence: str  # the rep's sentence that shows it
    cues: frozenset[str] = frozenset()
    partial_only: bool = False


@dataclass
class TurnJudgement:
    criteria: dict[str, Hit] = field(default_factory=dict)
    mistakes: dict[str, str] = field(default_factory=dict)  # mistake id -> the rep's sentence
    moves: TurnMoves | None = None


match_form = fold
"""Simplified, lower-case, full-width folded, without spaces: "20 吨" and "２０吨" match "20吨"."""


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


@functools.lru_cache(maxsize=512)
def _embedded(texts: tuple[str, ...]) -> np.ndarray:
    """e5 vectors of a scenario's reference sentences, shared by every judge in the process: a reload, or each
    test's fresh services, builds a new judge, and embedding the same sentences again costs seconds of CPU."""
    vecs = _E5.vectors(list(texts))
    vecs.setflags(write=False)
    return vecs


class Judge:
    """Scores turns for any scenario from the moves the recogniser reads in them."""

    def __init__(self, embedder=None, *, recogniser: MoveRecogniser | None = None) -> None:
        # ``embedder`` is accepted for the callers that built judges from the knowledge base's embedder; the
        # recogniser always reads with the model its head was trained on.
        self._recogniser = recogniser
        self._stop_warming = threading.Event()
        self._topics: dict[str, tuple[Scenario, dict[str, np.ndarray]]] = {}
        self._knowledge: dict[str, tuple] = {}
        self._lock = threading.Lock()

    @property
    def recogniser(self) -> MoveRecogniser:
        if self._recogniser is None:
            self._recogniser = default_recogniser()
        return self._recogniser

    def moves(self, turn: str) -> TurnMoves:
        return self.recogniser.recognise(turn)

    def _topic_vectors(self, scenario: Scenario) -> dict[str, np.ndarray]:
        """Each criterion's example sentences as e5 vectors, embedded once per scenario (or when its file changes)."""
        with self._lock:
            cached = self._topics.get(scenario.id)
        if cached is None or cached[0] is not scenario:
            # What each criterion asks about: its model sentences and its visible evidence. Embedded outside the
            # lock, so a turn on another scenario does not wait for this one (the warm-up embeds them all).
            vecs = {c.id: _embedded((*c.examples, c.evidence)) for c in scenario.rubric}
            with self._lock:
                self._topics[scenario.id] = cached = (scenario, vecs)
        return cached[1]

    def _knowledge_vectors(self, scenario: Scenario) -> tuple[list[tuple[str, int]], np.ndarray]:
        """What the customer can be asked about: each hidden fact (its questions and its answer) and each
        thing it openly knows (its questions), as e5 vectors with their owner, embedded once per scenario."""
        with self._lock:
            cached = self._knowledge.get(scenario.id)
        if cached is None or cached[0] is not scenario:  # embedded outside the lock, as the topics are
            owners, texts = [], []
            for i, f in enumerate(scenario.hidden.facts):
                # A question is closest to other questions; a fact without example questions is matched
                # on what it says.
                for t in f.asks or [f.says]:
                    owners.append(("fact", i))
                    texts.append(t)
            for i, k in enumerate(scenario.customer.knows):
                for t in k.asks:
                    owners.append(("knows", i))
                    texts.append(t)
            cached = (scenario, owners, _embedded(tuple(texts)))
            with self._lock:
                self._knowledge[scenario.id] = cached
        return cached[1], cached[2]

    def closest_knowledge(self, scenario: Scenario, questions: list[np.ndarray]) -> tuple[str, int] | None:
        """The hidden fact or known thing a rep's question asks about, or None when it asks about neither."""
        owners, vecs = self._knowledge_vectors(scenario)
        if not questions or not owners:
            return None
        sims = np.stack(questions) @ vecs.T
        q, j = np.unravel_index(int(sims.argmax()), sims.shape)
        return owners[j] if sims[q, j] >= ASKS_ABOUT else None

    def warm(self, scenarios: dict[str, Scenario]) -> None:
        """Load the recogniser and embed every scenario's reference sentences, so no rep's first turn waits;
        stepping aside for any question asked meanwhile."""
        self.recogniser.recognise("您好。")
        with yielding():
            for scenario in scenarios.values():
                if self._stop_warming.is_set():
                    return
                self._topic_vectors(scenario)
                self._knowledge_vectors(scenario)

    def stop_warming(self) -> None:
        """Closing: a warm-up still running stops after the scenario it is on (it would otherwise go on embedding
        for a judge nobody uses, on the cores the next services need)."""
        self._stop_warming.set()

    def _owners(self, scenario: Scenario, tm: TurnMoves) -> dict[tuple[int, str], str]:
        """Sentence and shared move -> the one criterion it is about.

        Several criteria may rest on the same move (needs-discovery's five open questions differ only in what
        they ask about): a sentence making that move is credited to the criterion whose example sentences it
        is closest to, so "项目最后用在哪" counts for end use and not for the decision process.
        """
        users: dict[str, list[str]] = {}
        for c in scenario.rubric:
            for entry in c.moves:
                if "+" not in entry:
                    users.setdefault(entry, []).append(c.id)
        shared = {m: ids for m, ids in users.items() if len(ids) > 1}
        owners: dict[tuple[int, str], str] = {}
        if not shared:
            return owners
        topics = self._topic_vectors(scenario)
        for k, sent in enumerate(tm.sentences):
            for move, ids in shared.items():
                if move in sent.moves and sent.vector is not None:
                    owners[(k, move)] = max(ids, key=lambda cid: float((topics[cid] @ sent.vector).max()))
        return owners

    def judge(self, scenario: Scenario, turn: str, moves: TurnMoves | None = None, *,
              earlier: frozenset[str] = frozenset()) -> TurnJudgement:
        """``earlier``: moves the rep made in earlier turns of the session, so a criterion that needs two
        moves ("复述确认并约定下一步") is met when the second comes turns after the first."""
        tm = moves if moves is not None else self.moves(turn)
        result = TurnJudgement(moves=tm)
        if not tm.sentences:
            return result
        normed = [match_form(s.text) for s in tm.sentences]
        mistake_moves = {mv for m in scenario.mistakes for mv in m.moves}
        owners = self._owners(scenario, tm)

        # Criteria first on their own, so a mistake's ``unless`` can see them ("尽快" right next to "下午三点前").
        raw: dict[str, Hit] = {c.id: _credit(c, tm, normed, owners, earlier) for c in scenario.rubric}
        mistake_sentences: set[str] = set()
        for m in scenario.mistakes:
            hit = _mistake(m, tm, normed)
            if hit is None:
                continue
            if any(raw[u].strength >= MET for u in m.unless if u in raw):
                continue
            result.mistakes[m.id] = hit
            mistake_sentences.add(hit)

        for c in scenario.rubric:
            hit = raw[c.id]
            if hit.strength <= 0:
                continue
            if hit.partial_only and result.mistakes:
                continue  # a bare "sorry" next to a blame-shift is no apology
            if not hit.cues and hit.evidence in mistake_sentences:
                carried = next(s for s in tm.sentences if s.text == hit.evidence)
                if set(carried.moves) & mistake_moves:
                    # A move made in the very sentence that makes a mistake does not count: "真抱歉，司机半路
                    # 车坏了" is a blame-shift, not ownership. Literal facts in it (a plate number) still do.
                    continue
            result.criteria[c.id] = hit
        return result


def _carrier(move: str, c: Criterion, tm: TurnMoves, owners: dict[tuple[int, str], str]) -> tuple[float, str] | None:
    """The strongest sentence that makes ``move`` for this criterion (shared moves: only its own topic)."""
    best = None
    for k, sent in enumerate(tm.sentences):
        p = sent.moves.get(move)
        if p is None or owners.get((k, move), c.id) != c.id:
            continue
        if best is None or p > best[0]:
            best = (p, sent.text)
    return best


def _entry_met(entry: str, c: Criterion, tm: TurnMoves, owners, earlier: frozenset[str] = frozenset()) -> str | None:
    """The evidence sentence when every move of ``a+b`` is made, in this turn or (all but one) in earlier ones;
    the evidence is this turn's least certain carrier."""
    parts = entry.split("+")
    found = {p: _carrier(p, c, tm, owners) for p in parts}
    here = [f for f in found.values() if f]
    if not here or any(not found[p] and p not in earlier for p in parts):
        return None
    return min(here)[1]


def _credit(c: Criterion, tm: TurnMoves, normed: list[str], owners, earlier: frozenset[str] = frozenset()) -> Hit:
    best = Hit(0.0, "")
    for entry in c.moves:
        ev = _entry_met(entry, c, tm, owners, earlier if "+" in entry else frozenset())
        if ev:
            best = Hit(1.0, ev)
            break
    if best.strength < 1.0:
        for entry in c.partly_moves:
            ev = _entry_met(entry, c, tm, owners)
            if ev:
                best = Hit(PARTLY_STRENGTH, ev, partial_only=True)
                break
    if c.cues:
        per_sentence = [frozenset(cue for cue in c.cues if cue_matches(cue, n)) for n in normed]
        found = frozenset().union(*per_sentence)
        strength = min(1.0, len(found) / c.min_cues)
        if found and strength > best.strength:
            k = max(range(len(normed)), key=lambda i: len(per_sentence[i]))
            best = Hit(strength, tm.sentences[k].text, found)
        elif found:
            best = Hit(best.strength, best.evidence, found, best.partial_only)
    return best


def _mistake(m: Mistake, tm: TurnMoves, normed: list[str]) -> str | None:
    for move in m.moves:
        ev = tm.evidence(move)
        if ev:
            return ev
    for k, n in enumerate(normed):
        if any(cue_matches(cue, n) for cue in m.cues):
            return tm.sentences[k].text
    return None
