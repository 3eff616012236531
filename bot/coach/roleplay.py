"""The offline role-play engine: the customer stays in character and reacts to what the rep does.

Replies come from the scenario's lines, chosen by stage, mood and which criteria the rep has met: a
good move softens the customer (and may make them tell a hidden fact), a mistake hardens them. The whole
session is a plain dict (`RolePlay.state`), saved after every turn, so a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.coach.judge import MET, PARTLY, Judge
from bot.coach.scenario import LEVELS, Criterion, Scenario

Status = Literal["met", "partly", "missed"]
Outcome = Literal["won", "lost", "out_of_turns", "ended"]
CREDIT = {"met": 1.0, "partly": 0.5, "missed": 0.0}
MOOD_MIN, MOOD_MAX, WARM = -8, 6, 2


@dataclass
class CustomerTurn:
    text: str
    mood: int
    met: list[str] = field(default_factory=list)  # criteria first met in this turn
    mistakes: list[str] = field(default_factory=list)
    outcome: Outcome | None = None


@dataclass
class CriterionResult:
    id: str
    title: str
    weight: int
    status: Status
    evidence: str | None
    turn: int | None
    tip: str
    articles: list[str]


@dataclass
class MistakeResult:
    id: str
    title: str
    evidence: str
    turn: int
    penalty: int
    advice: str


@dataclass
class Scorecard:
    scenario: str
    title: str
    difficulty: str
    total: int
    outcome: Outcome
    criteria: list[CriterionResult]
    mistakes: list[MistakeResult]
    keep: list[str]
    start: list[str]
    stop: list[str]
    transcript: list[dict]
    study: list[dict] = field(default_factory=list)  # filled by the Coach from the knowledge base
    next_practice: dict | None = None
    feedback: str | None = None  # written by an LLM when one is configured

    @property
    def weakest(self) -> list[CriterionResult]:
        """Criteria not fully met, the most costly first."""
        lost = [c for c in self.criteria if c.status != "met"]
        return sorted(lost, key=lambda c: -(c.weight * (1 - CREDIT[c.status])))

    def to_json(self) -> dict:
        return {
            "scenario": self.scenario, "difficulty": self.difficulty, "total": self.total, "outcome": self.outcome,
            "criteria": [{"id": c.id, "title": c.title, "weight": c.weight, "status": c.status,
                          "evidence": c.evidence, "turn": c.turn} for c in self.criteria],
            "mistakes": [{"id": m.id, "title": m.title, "evidence": m.evidence, "turn": m.turn,
                          "penalty": m.penalty} for m in self.mistakes],
            "keep": self.keep, "start": self.start, "stop": self.stop, "study": self.study,
            "next_practice": self.next_practice, "feedback": self.feedback, "transcript": self.transcript,
        }


def _pick(lines: list[str], n: int) -> str:
    return lines[n % len(lines)]


class RolePlay:
    """One session of one rep with one scenario at one difficulty."""

    def __init__(self, scenario: Scenario, judge: Judge, state: dict) -> None:
        self.scenario, self.judge, self.state = scenario, judge, state
        self.level = scenario.difficulties[state["difficulty"]]

    @classmethod
    def begin(cls, scenario: Scenario, judge: Judge, difficulty: str = "normal") -> RolePlay:
        if difficulty not in LEVELS:
            raise ValueError(f"difficulty must be one of {', '.join(LEVELS)}")
        state = {
            "scenario": scenario.id, "difficulty": difficulty, "turn": 0,
            "mood": scenario.difficulties[difficulty].start_mood,
            "best": {}, "cues": {}, "mistakes": {}, "revealed": [], "raised": [], "answered": [],
            "outcome": None, "hints": 0,
            "transcript": [{"role": "customer", "text": scenario.opening}],
        }
        return cls(scenario, judge, state)

    # ------------------------------------------------------------------ state views
    @property
    def outcome(self) -> Outcome | None:
        return self.state["outcome"]

    @property
    def turns(self) -> int:
        return self.state["turn"]

    @property
    def mood(self) -> int:
        return self.state["mood"]

    def strength(self, criterion_id: str) -> float:
        return self.state["best"].get(criterion_id, {}).get("strength", 0.0)

    def met(self, criterion_id: str) -> bool:
        return self.strength(criterion_id) >= MET

    @property
    def stage(self):
        """The first stage whose goal is not yet reached (reps may jump ahead; the customer follows)."""
        for s in self.scenario.stages:
            if s.advance_when and not any(self.met(c) for c in s.advance_when):
                return s
        return self.scenario.stages[-1]

    @property
    def open_objections(self) -> list[str]:
        return [o for o in self.state["raised"] if o not in self.state["answered"]]

    # ------------------------------------------------------------------ a turn
    def rep_says(self, text: str) -> CustomerTurn:
        if self.outcome:
            raise RuntimeError("this role-play has ended")
        st, scn = self.state, self.scenario
        st["turn"] += 1
        n = st["turn"]
        st["transcript"].append({"role": "rep", "text": text})
        verdict = self.judge.judge(scn, text)

        newly_met, touched = [], []
        for cid, hit in verdict.criteria.items():
            was = self.strength(cid)
            cues = sorted(set(st["cues"].get(cid, [])) | set(hit.cues))
            st["cues"][cid] = cues
            # Facts given over several turns add up (3 of the 5 shipment facts, one by one).
            criterion = scn.criterion(cid)
            strength = max(hit.strength, min(1.0, len(cues) / criterion.min_cues) if cues else 0.0)
            if strength > was:
                st["best"][cid] = {"strength": round(strength, 4), "evidence": hit.evidence, "turn": n}
            if strength >= MET > was:
                newly_met.append(cid)
            if strength >= PARTLY and (hit.cues or strength >= MET):
                touched.append(cid)  # only moves the rep visibly made (cues), not mere resemblance

        mistakes = list(verdict.mistakes)
        for mid, sentence in verdict.mistakes.items():
            st["mistakes"].setdefault(mid, {"evidence": sentence, "turn": n})
        mood = st["mood"] + len(newly_met) - sum(m.mood for m in scn.mistakes if m.id in mistakes)
        st["mood"] = max(MOOD_MIN, min(MOOD_MAX, mood))

        for oid in self.open_objections:
            objection = next(o for o in scn.objections if o.id == oid)
            if any(self.met(c) for c in objection.answered_by):
                st["answered"].append(oid)

        parts: list[str] = []
        if mistakes:
            first = next(m for m in scn.mistakes if m.id == mistakes[0])
            parts.append(_pick(first.reaction, n))
        else:
            parts += [_pick(scn.criterion(cid).reaction, n) for cid in newly_met[:2]]
            fact = self._fact_to_reveal(touched)
            if fact:
                st["revealed"].append(fact.id)
                parts.append(fact.says)
            objection = self._objection_to_raise() if newly_met else None
            if objection:
                st["raised"].append(objection.id)
                parts.append(objection.says)
        if not parts:
            parts.append(self._stage_line(n))

        outcome = self._check_end()
        if outcome:
            st["outcome"] = outcome
            parts.append(_pick(getattr(scn.endings, outcome), n))
        reply = " ".join(parts)
        st["transcript"].append({"role": "customer", "text": reply})
        return CustomerTurn(reply, st["mood"], newly_met, mistakes, outcome)

    def _stage_line(self, n: int) -> str:
        lines = self.stage.lines
        band = lines.hostile if self.mood < 0 else lines.warm if self.mood >= WARM else lines.neutral
        return _pick(band, n)

    def _fact_to_reveal(self, touched: list[str]):
        if len(self.state["revealed"]) >= self.level.reveal or self.mood < self.level.start_mood:
            return None
        for fact in self.scenario.hidden.facts:
            if fact.id not in self.state["revealed"] and set(fact.revealed_by) & set(touched):
                return fact
        return None

    def _objection_to_raise(self):
        if self.open_objections or len(self.state["raised"]) >= self.level.objections:
            return None
        for o in self.scenario.objections:
            if o.id not in self.state["raised"] and not any(self.met(c) for c in o.answered_by):
                return o
        return None

    def _check_end(self) -> Outcome | None:
        if self.mood <= self.level.start_mood - self.level.patience:
            return "lost"
        ends = self.scenario.endings
        if all(self.met(c) for c in ends.won_requires) and self.mood >= ends.won_mood and not self.open_objections:
            return "won"
        if self.turns >= self.level.max_turns:
            return "out_of_turns"
        return None

    # ------------------------------------------------------------------ coaching
    def hint(self) -> Criterion:
        """The most useful criterion to work on now: unmet ones of the current stage first, then by weight."""
        self.state["hints"] += 1
        stage_ids = self.stage.advance_when
        todo = [c for c in self.scenario.rubric if not self.met(c.id)]
        if not todo:
            return max(self.scenario.rubric, key=lambda c: c.weight)
        return min(todo, key=lambda c: (c.id not in stage_ids, -c.weight, self.strength(c.id)))

    def finish(self) -> Scorecard:
        """Close the session (if still running) and score it."""
        st, scn = self.state, self.scenario
        if not st["outcome"]:
            st["outcome"] = "ended"
        results = []
        for c in scn.rubric:
            best = st["best"].get(c.id)
            s = best["strength"] if best else 0.0
            status: Status = "met" if s >= MET else "partly" if s >= PARTLY else "missed"
            results.append(CriterionResult(c.id, c.title, c.weight, status,
                                           best["evidence"] if best and status != "missed" else None,
                                           best["turn"] if best and status != "missed" else None,
                                           c.tip, list(c.articles)))
        mistakes = [MistakeResult(m.id, m.title, st["mistakes"][m.id]["evidence"], st["mistakes"][m.id]["turn"],
                                  m.penalty, m.advice) for m in scn.mistakes if m.id in st["mistakes"]]
        raw = sum(r.weight * CREDIT[r.status] for r in results) - sum(m.penalty for m in mistakes)
        total = max(0, min(100, round(raw)))
        keep = [f"{r.title}：你说「{r.evidence}」" for r in results if r.status == "met"]
        card = Scorecard(scn.id, scn.title, st["difficulty"], total, st["outcome"], results, mistakes,
                         keep, [], [f"{m.advice}（你说「{m.evidence}」）" for m in mistakes], list(st["transcript"]))
        card.start = [f"{r.title}：{r.tip}" for r in card.weakest[:3]]
        return card


def suggest_next(card: Scorecard, scenarios: dict[str, Scenario]) -> dict:
    """One next practice aimed at the weakest criterion: the scenario that weighs that skill most."""
    level = LEVELS.index(card.difficulty)
    if not card.weakest:
        others = [s for s in scenarios if s != card.scenario] or [card.scenario]
        return {"scenario": others[0], "title": scenarios[others[0]].title if others[0] in scenarios else others[0],
                "difficulty": LEVELS[min(level + 1, 2)], "criterion": None,
                "reason": "全部达标：换一个场景，或提高难度。"}
    weakest = card.weakest[0]
    skill = scenarios[card.scenario].criterion(weakest.id).skill if card.scenario in scenarios else None

    def weight(s: Scenario) -> int:
        return max((c.weight for c in s.rubric if c.skill == skill), default=0)

    # On a tie another scenario wins: the same skill in a new situation keeps practice varied.
    best = max(scenarios.values(), key=lambda s: (weight(s), s.id != card.scenario))
    target = best if weight(best) > 0 else scenarios.get(card.scenario, best)
    if card.total >= 80 and card.outcome == "won":
        level = min(level + 1, 2)
    elif card.total < 40:
        level = max(level - 1, 0)
    return {"scenario": target.id, "title": target.title, "difficulty": LEVELS[level], "criterion": weakest.id,
            "reason": f"你最弱的一项是「{weakest.title}」"}
