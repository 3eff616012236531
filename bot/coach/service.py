"""Role-play sessions for users: start, talk, hint, end, history. Both faces (terminal, Telegram) use this.

Every turn is written to the store before the reply is returned, so a bot restart mid-session carries on
where the rep left off. A configured LLM may voice the customer and write feedback; the offline engine
still decides the customer's moves and the score, and is used whenever the LLM fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.coach.assignment import MIN_ASSIGNED_TURNS, completes
from bot.coach.judge import Judge
from bot.coach.roleplay import CustomerTurn, RolePlay, Scorecard, suggest_next
from bot.coach.scenario import LEVELS, SCENARIOS_DIR, Criterion, Scenario, load_scenarios
from bot.coach.text import LEVEL_NAMES
from bot.errors import SalescoachError
from bot.llm import LLMUnavailable
from bot.store import Store
from bot.store.store import RolePlayMoved, StoredRolePlay

log = logging.getLogger(__name__)
T = TypeVar("T")

AFTER_END_SECONDS = 30 * 60
"""A text this soon after a role-play ended may still be meant for the customer: say that it is not."""
IDLE_SECONDS = 6 * 3600
"""A text this long after the last turn is not assumed to be meant for the customer."""
MAX_TURN_CHARS = 600
"""A rep's line in a conversation; longer is a speech, not a turn, and is refused with a message."""
STUDY_CHARS = 160


MOVED_RETRIES = 3
"""How often a role-play request is taken again on a session another process wrote meanwhile (the same rep
talking to two bots on one database); each retry starts from the newer state, so neither turn is lost."""


def _retrying(attempt: Callable[[], T]) -> T:
    for _ in range(MOVED_RETRIES - 1):
        try:
            return attempt()
        except RolePlayMoved as exc:
            log.info("%s; taking the request again on the newer state", exc)
    return attempt()


def idle_too_long(session: StoredRolePlay, now: float) -> bool:
    """A text to this running session now is asked about before the customer hears it: the last turn was more
    than IDLE_SECONDS ago (hours later, a text may be a question instead), and no earlier text waits already."""
    return now - session.updated > IDLE_SECONDS and not session.state.get("parked")


class CoachError(SalescoachError):
    """A role-play request that cannot be served; the message is for the user."""


class NoActiveSession(CoachError):
    pass


class SessionActive(CoachError):
    def __init__(self, session: StoredRolePlay) -> None:
        super().__init__("a role-play is already running")
        self.session = session


class UnknownScenario(CoachError):
    pass


class TurnTooLong(CoachError):
    def __init__(self, length: int) -> None:
        super().__init__(f"{length} characters; the limit is {MAX_TURN_CHARS}")
        self.length = length


@dataclass
class Reply:
    turn: CustomerTurn
    card: Scorecard | None  # set when the customer ended the meeting


@dataclass
class Hint:
    criterion: Criterion
    passage: dict | None  # {"title", "source", "text"} from the knowledge base


class Coach:
    def __init__(self, store: Store, judge: Judge, *, retriever=None, chat_model=None,
                 scenarios_dir: Path = SCENARIOS_DIR) -> None:
        self.store, self.judge, self.retriever, self.chat_model = store, judge, retriever, chat_model
        self.scenarios_dir = scenarios_dir

    # ------------------------------------------------------------------ catalogue
    def scenarios(self) -> dict[str, Scenario]:
        return load_scenarios(self.scenarios_dir)

    def scenario(self, scenario_id: str) -> Scenario:
        try:
            return self.scenarios()[scenario_id]
        except KeyError:
            raise UnknownScenario(scenario_id) from None

    # ------------------------------------------------------------------ sessions
    def active(self, user_id: int) -> StoredRolePlay | None:
        return self.store.active_roleplay(user_id)

    def start(self, user_id: int, chat_id: int, scenario_id: str, difficulty: str = "normal", *,
              replace: bool = False) -> tuple[int, Scenario]:
        """Open a session and store its opening line; an unfinished one is scored first when `replace`."""
        scenario = self.scenario(scenario_id)
        if difficulty not in LEVELS:
            raise UnknownScenario(f"{scenario_id}/{difficulty}")
        running = self.active(user_id)
        if running is not None:
            if not replace:
                raise SessionActive(running)
            self.end(user_id)
        session = RolePlay.begin(scenario, self.judge, difficulty)
        return self.store.start_roleplay(user_id, chat_id, scenario.id, difficulty, session.state), scenario

    def _load(self, user_id: int) -> tuple[StoredRolePlay, RolePlay]:
        stored = self.active(user_id)
        if stored is None:
            raise NoActiveSession("no role-play is running")
        scenario = self.scenarios().get(stored.scenario)
        if scenario is None:  # the file was removed or broke while the session ran
            self.store.end_roleplay(stored.session_id, stored.state, 0, "ended", {})
            raise UnknownScenario(stored.scenario)
        return stored, RolePlay(scenario, self.judge, stored.state)

    def say(self, user_id: int, text: str, *, origin: str | None = None) -> Reply:
        """The rep's turn and the customer's reply; `origin` names the request (see `ended_by`)."""
        text = text.strip()
        if len(text) > MAX_TURN_CHARS:
            raise TurnTooLong(len(text))
        return _retrying(lambda: self._say(user_id, text, origin))

    def _say(self, user_id: int, text: str, origin: str | None) -> Reply:
        stored, session = self._load(user_id)
        before = len(session.state["transcript"])
        turn = session.rep_says(text)
        if self.chat_model is not None:
            turn.text = self._voice(session, text, turn.text, turn.moves)
            session.state["transcript"][-1]["text"] = turn.text
        if turn.outcome:
            return Reply(turn, self._close(stored, session, origin))
        self._save(stored, session.state, before)
        return Reply(turn, None)

    def _save(self, stored: StoredRolePlay, state: dict, first_new: int | None = None) -> None:
        """Write a session's state as changed since `stored` was read; RolePlayMoved if another process wrote
        it in between. `stored` then stands for what was written (its next write checks against this one)."""
        first = len(state["transcript"]) if first_new is None else first_new
        self.store.save_roleplay_turn(stored.session_id, state, first, version=stored.version)
        stored.state, stored.version = state, stored.version + 1

    def park(self, user_id: int, text: str) -> None:
        """Hold a text that came long after the last turn, until the rep says where it belongs."""
        def attempt() -> None:
            stored, session = self._load(user_id)
            session.state["parked"] = text
            self._save(stored, session.state)

        _retrying(attempt)

    def unpark(self, user_id: int) -> str | None:
        def attempt() -> str | None:
            stored = self.active(user_id)
            if stored is None or not stored.state.get("parked"):
                return None
            text = stored.state.pop("parked")
            self._save(stored, stored.state)
            return text

        return _retrying(attempt)

    def hint(self, user_id: int) -> Hint:
        def attempt() -> Criterion:
            stored, session = self._load(user_id)
            criterion = session.hint()
            self._save(stored, session.state)
            return criterion

        criterion = _retrying(attempt)
        return Hint(criterion, self._passage_for(criterion.title + " " + criterion.tip, criterion.articles))

    def end(self, user_id: int, *, origin: str | None = None) -> Scorecard:
        def attempt() -> Scorecard:
            stored, session = self._load(user_id)
            return self._close(stored, session, origin)

        return _retrying(attempt)

    def ended_by(self, user_id: int, origin: str) -> StoredRolePlay | None:
        """The user's session that the request `origin` ended (a turn the customer left on, an /end), if it
        is their latest: a request run again after a crash finds that it already ended it."""
        last = self.store.roleplays(user_id, limit=1)
        return last[0] if last and last[0].state.get("ended_by") == origin else None

    def delivered(self, session: StoredRolePlay, part: str) -> None:
        """Remember that a part of a session's ending (the last line, the scorecard, the chart) reached the
        rep, so showing the ending again after a crash sends only what is missing."""
        def attempt() -> None:
            try:
                self._save(session, {**session.state, "delivered": [*session.state.get("delivered", []), part]})
            except RolePlayMoved:  # written by another process since: add this part to what it wrote
                fresh = self.store.roleplay(session.session_id)
                session.state, session.version = fresh.state, fresh.version
                raise

        _retrying(attempt)

    def scorecard(self, session: StoredRolePlay) -> Scorecard:
        """An ended session's scorecard, as it was stored."""
        return Scorecard.from_json(session.card or {}, self.scenarios().get(session.scenario))

    def just_ended(self, user_id: int, now: float) -> StoredRolePlay | None:
        """The role-play that ended minutes ago, once: the next text is not for the customer any more, and the
        rep is told so before it is answered as a question. Remembered in the session, so a restart keeps it.
        Asked only when no session runs (the faces route a running session's texts to it first)."""
        last = self.store.roleplays(user_id, limit=1)
        if not last:
            return None
        session = last[0]
        if now - session.updated > AFTER_END_SECONDS or session.state.get("told_ended"):
            return None
        try:
            self._save(session, {**session.state, "told_ended": True})
        except RolePlayMoved:  # another process wrote it just now (and may have told the rep): ask again
            return self.just_ended(user_id, now)
        return session

    def history(self, user_id: int, limit: int = 20) -> list[StoredRolePlay]:
        return self.store.roleplays(user_id, limit=limit)

    # ------------------------------------------------------------------ scoring
    def _close(self, stored: StoredRolePlay, session: RolePlay, origin: str | None = None) -> Scorecard:
        if origin is not None:
            session.state["ended_by"] = origin
        card = session.finish()
        card.next_practice = suggest_next(card, self.scenarios())
        seen = set()
        for c in card.weakest[:3]:
            passage = self._passage_for(c.title + " " + c.tip, c.articles, exclude=seen)
            if passage:
                seen.add(passage["doc_id"])
                card.study.append(passage)
        if self.chat_model is not None:
            card.feedback = self._feedback(card)
        # A shorter attempt than completes an assignment is told why on the scorecard rather than left to wonder.
        attempted = completes(card.outcome, session.turns)
        assigned = [a for a in self.store.assignments(user_id=stored.user_id, open_only=True)
                    if a["scenario"] == card.scenario]
        if assigned and not attempted:
            card.assignment_note = {"turns": session.turns, "min": MIN_ASSIGNED_TURNS}
        self.store.end_roleplay(stored.session_id, session.state, card.total, card.outcome, card.to_json(),
                                version=stored.version)
        for a in assigned if attempted else []:
            self.store.mark_assignment(a["assignment_id"], done_session=stored.session_id)
        return card

    def _passage_for(self, query: str, articles: list[str], exclude: set | None = None) -> dict | None:
        """The knowledge-base passage a criterion rests on: the best match inside its own articles."""
        if self.retriever is None:
            return None
        exclude = exclude or set()
        try:
            result = self.retriever.search(query, k=30)
        except Exception:  # study links are a bonus; never lose a scorecard over them
            log.exception("study passage lookup failed")
            return None
        ranked = [p for p in result.passages if p.doc_id in articles and p.doc_id not in exclude]
        if not ranked:
            return None
        p = ranked[0]
        text = p.text.replace("\n", " ")
        return {"doc_id": p.doc_id, "chunk_id": p.chunk_id, "title": p.title, "source": p.source,
                "text": text[:STUDY_CHARS] + ("…" if len(text) > STUDY_CHARS else "")}

    # ------------------------------------------------------------------ LLM (optional)
    def _voice(self, session: RolePlay, rep: str, intent: str, moves: list[str] = ()) -> str:
        from bot.prompts import load_prompt

        if session.outcome:  # the ending line tells the rep the meeting is over: keep it as scripted
            return intent
        scenario, st = session.scenario, session.state
        p = scenario.persona
        revealed = [f.says for f in scenario.hidden.facts if f.id in st["revealed"]]
        history = "\n".join(f"{'销售员' if t['role'] == 'rep' else '客户'}：{t['text']}"
                            for t in st["transcript"][-9:-2])
        prompt = load_prompt("roleplay_customer")
        mood = "敌对" if session.mood < 0 else "缓和" if session.mood >= 2 else "中性"
        values = {"persona": f"{p.name}，{p.company}{p.role}，{p.temperament}", "situation": scenario.situation,
                  "revealed": "；".join(revealed) or "（暂无）", "mood": mood, "history": history or "（开场）",
                  "rep": rep, "intent": intent, "moves": _move_titles(moves)}
        return self._ask_llm(prompt, values, "voice the customer", "using the scripted line") or intent

    def _feedback(self, card: Scorecard) -> str | None:
        from bot.prompts import load_prompt

        prompt = load_prompt("roleplay_feedback")
        criteria = "\n".join(f"- {c.title}（{c.weight}）：{c.status}" + (f"，证据「{c.evidence}」" if c.evidence else "")
                             for c in card.criteria)
        criteria += "".join(f"\n- 扣分：{m.title}「{m.evidence}」" for m in card.mistakes)
        history = "\n".join(f"{'销售员' if t['role'] == 'rep' else '客户'}：{t['text']}" for t in card.transcript)
        values = {"scenario": card.title, "total": card.total, "outcome": card.outcome, "criteria": criteria,
                  "history": history[-3000:]}
        return self._ask_llm(prompt, values, "write feedback", "the scorecard stands on its own")

    def _ask_llm(self, prompt: dict, values: dict, task: str, fallback: str) -> str | None:
        """The chat model's text for a prompt template filled with `values`, or None (logged with what happens
        instead, `fallback`) when it is unavailable, fails or says nothing."""
        try:
            reply = self.chat_model.invoke([("system", prompt["system"].format(**values)),
                                            ("human", prompt["user"].format(**values))])
        except LLMUnavailable as exc:
            log.info("%s; %s", exc, fallback)
            return None
        except Exception:
            log.exception("the LLM could not %s; %s", task, fallback)
            return None
        return str(reply.content).strip() or None


def _move_titles(moves) -> str:
    from bot.coach.moves import load_catalogue

    catalogue = load_catalogue()
    return "、".join(catalogue.get(m).title for m in moves if m in catalogue.ids) or "（没有明确的销售动作）"


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)
