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
QUESTION_MOVES = frozenset({"open_question", "closed_leading_question", "recap_confirm"})
NEUTRAL_MOVES = frozenset({"small_talk", "logistics_chatter"})
OFFSCRIPT_LIMIT = 3
"""Consecutive turns that move nothing before the customer ends the meeting."""
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
    moves: list[str] = field(default_factory=list)  # what the recogniser read in the rep's turn


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
    # Why this attempt does not complete the rep's assignment: {"turns": n, "min": m} (a face words it); a str on
    # scorecards stored before it was structured.
    assignment_note: dict | str | None = None
    feedback: str | None = None  # written by an LLM when one is configured
    raw: float = 0.0  # credit minus penalties before the 0-100 clamp: ranks two attempts that both show 0

    @property
    def rank(self) -> tuple[int, float]:
        """What orders two attempts: the total a rep sees, then the unclamped score (mistakes below zero count)."""
        return (self.total, self.raw)

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
            "assignment_note": self.assignment_note,
        }

    @classmethod
    def from_json(cls, data: dict, scenario: Scenario | None) -> Scorecard:
        """A stored scorecard, to show it again; what `to_json` does not keep (tips, articles, the title) comes
        from the scenario when it still exists."""
        rubric = {c.id: c for c in scenario.rubric} if scenario else {}
        advice = {m.id: m.advice for m in scenario.mistakes} if scenario else {}
        criteria = [CriterionResult(c["id"], c["title"], c["weight"], c["status"], c["evidence"], c["turn"],
                                    rubric[c["id"]].tip if c["id"] in rubric else "",
                                    rubric[c["id"]].articles if c["id"] in rubric else [])
                    for c in data.get("criteria", [])]
        mistakes = [MistakeResult(m["id"], m["title"], m["evidence"], m["turn"], m["penalty"], advice.get(m["id"], ""))
                    for m in data.get("mistakes", [])]
        return cls(data["scenario"], scenario.title if scenario else data["scenario"], data["difficulty"],
                   data["total"], data["outcome"], criteria, mistakes, data.get("keep", []), data.get("start", []),
                   data.get("stop", []), data.get("transcript", []), study=data.get("study", []),
                   next_practice=data.get("next_practice"), assignment_note=data.get("assignment_note"),
                   feedback=data.get("feedback"))


# Fallbacks when a scenario file has no pool of its own (a trainer's new scenario need not write them).
DEFAULT_LINES = {
    "press": {
        "hostile": ["你到底想说什么？我没时间跟你绕。", "说重点，别浪费我时间。", "我要的是办法，不是这些。"],
        "neutral": ["嗯……你具体想怎么做？", "这跟我们今天要谈的有关系吗？", "我想听点实际的。"],
        "warm": ["好，那我们说正事吧。", "你接着说，具体怎么安排？", "还有什么实际的想法？"],
    },
    "deflect": {
        "hostile": ["这个现在跟你说不着。", "你先把眼前的事办好再问这些。", "问这么多，先给我个说法。"],
        "neutral": ["这个嘛，回头再说吧。", "这个我暂时不方便讲。", "不好说，你先说说你们的想法。"],
        "warm": ["这个以后有机会再聊。", "这个我得回去确认一下。", "这个先放一放，我们先说眼前的。"],
    },
    "repeat": ["这个我刚才已经说过了。", "刚才不是跟你说了吗？", "同样的问题就别再问了。"],
}


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
        st.setdefault("said", [scn.opening])
        st.setdefault("offscript", 0)
        st.setdefault("raised_at", {})
        st["turn"] += 1
        n = st["turn"]
        st["transcript"].append({"role": "rep", "text": text})
        verdict = self.judge.judge(scn, text, earlier=frozenset(st.get("moves_seen", [])))
        moves = verdict.moves.moves if verdict.moves else set()
        st["moves_seen"] = sorted(set(st.get("moves_seen", [])) | moves)

        newly_met, touched, improved = [], [], False
        for cid, hit in verdict.criteria.items():
            was = self.strength(cid)
            cues = sorted(set(st["cues"].get(cid, [])) | set(hit.cues))
            st["cues"][cid] = cues
            # Facts given over several turns add up (3 of the 5 shipment facts, one by one).
            criterion = scn.criterion(cid)
            strength = max(hit.strength, min(1.0, len(cues) / criterion.min_cues) if cues else 0.0)
            if strength > was:
                st["best"][cid] = {"strength": round(strength, 4), "evidence": hit.evidence, "turn": n}
                improved = True
            if strength >= MET > was:
                newly_met.append(cid)
            if strength >= PARTLY:
                touched.append(cid)

        mistakes = list(verdict.mistakes)
        for mid, sentence in verdict.mistakes.items():
            st["mistakes"].setdefault(mid, {"evidence": sentence, "turn": n})
        mood = st["mood"] + len(newly_met) - sum(m.mood for m in scn.mistakes if m.id in mistakes)

        # An objection is answered by a move that meets one of its criteria in a turn after it was raised.
        answered_now = []
        for oid in self.open_objections:
            objection = next(o for o in scn.objections if o.id == oid)
            if st["raised_at"].get(oid, 0) < n and any(
                    verdict.criteria.get(c) and verdict.criteria[c].strength >= MET for c in objection.answered_by):
                st["answered"].append(oid)
                answered_now.append(oid)
        mood += len(answered_now)

        parts: list[str] = []
        # What the customer is asked: a sentence that asks or checks (not "下周见面您看方便吗？", a proposal).
        questions = [s for s in (verdict.moves.sentences if verdict.moves else [])
                     if set(s.moves) & QUESTION_MOVES or (not s.moves and s.text.rstrip().endswith(("？", "?")))]
        if mistakes:
            first = next(m for m in scn.mistakes if m.id == mistakes[0])
            self._add(parts, first.reaction, n) or self._add(parts, self._mood_pool("press", mood), n)
        else:
            for cid in newly_met[:2]:
                self._add(parts, scn.criterion(cid).reaction, n)
            if questions:
                # A hidden fact comes out only when a question asks for it (and the rep has earned it).
                answer = self._answer(questions, touched, mood)
                if answer:
                    parts.append(answer)
            if newly_met or answered_now or self._won_ready(mood):
                objection = self._objection_to_raise()
                if objection:
                    st["raised"].append(objection.id)
                    st["raised_at"][objection.id] = n
                    self._add(parts, [objection.says], n)

        moved = bool(mistakes or newly_met or answered_now or improved or (questions and parts))
        st["offscript"] = 0 if moved else st["offscript"] + 1
        if not parts:
            if st["offscript"] >= 2:
                mood -= 1  # the customer's patience wears thin when turns say nothing
            if st["offscript"] < OFFSCRIPT_LIMIT:  # at the limit the meeting ends below
                only_small_talk = bool(moves) and moves <= NEUTRAL_MOVES
                said = (only_small_talk and self._add(parts, scn.customer.small_talk, n)) or (
                    st["offscript"] <= 1 and self._add(parts, self._stage_pool(mood), n))
                if not said:
                    self._add(parts, self._mood_pool("press", mood) + self._stage_pool(mood), n)
        st["mood"] = max(MOOD_MIN, min(MOOD_MAX, mood))

        outcome = self._check_end()
        if outcome is None and (st["offscript"] >= OFFSCRIPT_LIMIT or not parts):
            # Three turns that say nothing, or nothing left to say that was not said: the customer leaves.
            outcome = "lost"
            self._add(parts, scn.customer.leave, n)
        if outcome:
            st["outcome"] = outcome
            self._add(parts, getattr(scn.endings, outcome), n, final=True)
        reply = " ".join(parts)
        st["transcript"].append({"role": "customer", "text": reply})
        return CustomerTurn(reply, st["mood"], newly_met, mistakes, outcome, sorted(moves))

    # ------------------------------------------------------------------ what the customer says
    def _add(self, parts: list[str], pool: list[str], n: int, *, final: bool = False) -> bool:
        """Append a line of the pool that was not said yet in this session (starting at a turn-dependent
        place, so sessions differ); False when every line was said. An ending may repeat nothing either."""
        said = self.state["said"]
        for k in range(len(pool)):
            line = pool[(n + k) % len(pool)]
            if line not in said and line not in parts:
                said.append(line)
                parts.append(line)
                return True
        if final and pool:
            parts.append(pool[n % len(pool)])  # an ending is said once per session anyway
            return True
        return False

    def _band(self, mood: int) -> str:
        return "hostile" if mood < 0 else "warm" if mood >= WARM else "neutral"

    def _stage_pool(self, mood: int) -> list[str]:
        return list(getattr(self.stage.lines, self._band(mood)))

    def _mood_pool(self, name: str, mood: int) -> list[str]:
        lines = getattr(self.scenario.customer, name)
        if lines is None:
            return list(DEFAULT_LINES[name][self._band(mood)])
        return list(getattr(lines, self._band(mood))) + list(DEFAULT_LINES[name][self._band(mood)])

    def _answer(self, questions, touched: list[str], mood: int) -> str | None:
        """A direct question gets an answer in character: a hidden fact if it asks for one and the rep has
        earned it, what the customer openly knows, a reminder when it was already said, else a deflection."""
        st, scn, n = self.state, self.scenario, self.state["turn"]
        match = self.judge.closest_knowledge(scn, [q.vector for q in questions if q.vector is not None])
        parts: list[str] = []
        if match is not None:
            kind, index = match
            if kind == "fact":
                fact = scn.hidden.facts[index]
                earned = any(self.strength(c) >= PARTLY or c in touched for c in fact.revealed_by)
                if fact.id in st["revealed"]:
                    self._add(parts, scn.customer.repeat + DEFAULT_LINES["repeat"], n)
                elif earned and len(st["revealed"]) < self.level.reveal and mood >= self.level.start_mood - 1:
                    st["revealed"].append(fact.id)
                    self._add(parts, [fact.says], n)
                else:
                    self._add(parts, self._mood_pool("deflect", mood), n)
            else:
                knows = scn.customer.knows[index]
                self._add(parts, knows.says, n) or self._add(parts, scn.customer.repeat + DEFAULT_LINES["repeat"], n)
        else:
            self._add(parts, self._mood_pool("deflect", mood), n)
        return parts[0] if parts else None

    def _quota(self) -> int:
        return min(self.level.objections, len(self.scenario.objections))

    def _objection_to_raise(self):
        if self.open_objections or len(self.state["raised"]) >= self._quota():
            return None
        for o in self.scenario.objections:
            if o.id not in self.state["raised"]:
                return o
        return None

    def _won_ready(self, mood: int) -> bool:
        ends = self.scenario.endings
        return all(self.met(c) for c in ends.won_requires) and mood >= ends.won_mood

    def _check_end(self) -> Outcome | None:
        if self.mood <= self.level.start_mood - self.level.patience:
            return "lost"
        # Won only once every objection the level promises was raised and answered.
        if (self._won_ready(self.mood) and not self.open_objections
                and len(self.state["raised"]) >= self._quota()):
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
        card.raw = round(raw, 1)
        return card


def suggest_next(card: Scorecard, scenarios: dict[str, Scenario]) -> dict:
    """One next practice aimed at the weakest criterion: the scenario that weighs that skill most."""
    level = LEVELS.index(card.difficulty)
    if not card.weakest:
        others = [s for s in scenarios if s != card.scenario] or [card.scenario]
        return {"scenario": others[0], "title": scenarios[others[0]].title if others[0] in scenarios else others[0],
                "difficulty": LEVELS[min(level + 1, 2)], "criterion": None, "why": "all_met"}
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
    # Why, as a key and its facts: the face words it in the reader's language (rpv_why_*).
    return {"scenario": target.id, "title": target.title, "difficulty": LEVELS[level], "criterion": weakest.id,
            "why": "weakest", "weakest": weakest.title}
