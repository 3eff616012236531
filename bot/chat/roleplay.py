"""Role-play, written once for both faces: pick a scenario and level, read the brief and rubric, talk, score.

Every function takes the services, the caller and the input, and returns what to show (`Outcome`, replies).
The session lives in the store, so a restart between two messages changes nothing for the rep.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.chat.i18n import chart_text, in_script, level_name, outcome_name, t, when
from bot.chat.reply import (
    Action,
    Button,
    Caller,
    Outcome,
    Reply,
    RpAskParked,
    RpBrief,
    RpContinue,
    RpEnd,
    RpList,
    RpScenario,
    RpSendParked,
    RpStart,
    buttons,
    say,
)
from bot.chat.roleplay_views import brief_text, level_text, scorecard_text
from bot.coach.roleplay import Scorecard
from bot.coach.scenario import LEVELS, Scenario
from bot.coach.service import (
    MAX_TURN_CHARS,
    NoActiveSession,
    SessionActive,
    TurnTooLong,
    UnknownScenario,
    idle_too_long,
)
from bot.kb.answer import cite

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

HISTORY_LIMIT = 15


def _line(scenario: Scenario | None, text: str, lang: str) -> Reply:
    """A customer's line, under the customer's name."""
    name = scenario.persona.name if scenario else t("rp_customer", lang)
    return say(f"🧑‍💼 {name}：{text}", lang)


# --------------------------------------------------------------------------- commands
def menu(services: Services, who: Caller, args: Sequence[str] = ()) -> Outcome:
    """/roleplay: the running session's status, else the scenario list; `/roleplay N|ID [LEVEL]` a brief."""
    coach, lang = services.coach, who.lang
    scenarios = coach.scenarios()
    running = coach.active(who.user)
    if running is not None and running.scenario in scenarios:
        text = t("rp_active", lang, title=scenarios[running.scenario].title,
                 level=level_name(running.difficulty, lang), turns=running.state["turn"])
        return Outcome([say(text, lang, buttons=buttons(
            [Button(t("rp_btn_continue", lang), RpContinue()), Button(t("rp_btn_end", lang), RpEnd())]))])
    if args:
        pick, level = args[0], args[1] if len(args) > 1 else "normal"
        scenario = next((s for n, s in enumerate(scenarios.values(), 1) if pick in (str(n), s.id)), None)
        if scenario is None or level not in LEVELS:
            return Outcome([Reply(t("rp_no_such", lang, pick=" ".join(args), levels=", ".join(LEVELS)))])
        return Outcome([_brief(scenario, level, lang)])
    return Outcome([_listing(scenarios, lang)])


def _listing(scenarios: dict[str, Scenario], lang: str, *, edit: bool = False) -> Reply:
    return Reply(t("rp_choose", lang), edit=edit, buttons=buttons(*(
        [Button(s.title_en if lang == "en" else in_script(s.title, lang), RpScenario(s.id))]
        for s in scenarios.values())))


def _brief(scenario: Scenario, level: str, lang: str) -> Reply:
    return say(brief_text(scenario, level, lang), lang, buttons=buttons(
        [Button(t("rp_btn_start", lang), RpStart(scenario.id, level))],
        [Button(t("rp_btn_back", lang), RpList())]))


def hint(services: Services, who: Caller) -> Outcome:
    """/hint: one coaching tip from the knowledge base, without ending the session."""
    lang = who.lang
    try:
        h = services.coach.hint(who.user)
    except NoActiveSession:
        return Outcome([Reply(t("rp_none", lang))])
    except UnknownScenario:
        return Outcome([Reply(t("rp_gone", lang))])
    text = t("rp_hint", lang, title=h.criterion.title, tip=h.criterion.tip)
    if h.passage:
        p = h.passage
        where = cite(p["title"], p["source"], p.get("doc_id", ""))
        text += f"\n\n**{t('rp_hint_source', lang)}**：{where}\n{p['text']}"
    return Outcome([say(text, lang)])


def end(services: Services, who: Caller) -> Outcome:
    """/end: end the session; the scorecard (text and chart) follows."""
    replayed = replayed_ending(services, who)
    if replayed is not None:
        return replayed
    try:
        card = services.coach.end(who.user, origin=who.origin)
    except NoActiveSession:
        return Outcome([Reply(t("rp_none", who.lang))])
    except UnknownScenario:
        return Outcome([Reply(t("rp_gone", who.lang))])
    return ending(services, who, card)


def history(services: Services, who: Caller) -> Outcome:
    """/history: past sessions with their time (in the team's timezone), level, score and outcome."""
    lang, coach = who.lang, services.coach
    sessions = coach.history(who.user, limit=HISTORY_LIMIT)
    if not sessions:
        return Outcome([Reply(t("rp_history_empty", lang))])
    scenarios = coach.scenarios()
    lines = [t("rp_history_title", lang, n=len(sessions))]
    for s in sessions:
        title = scenarios[s.scenario].title if s.scenario in scenarios else s.scenario
        lines.append(f"• {when(services, s.updated)} 《{title}》{level_name(s.difficulty, lang)} · "
                     f"{s.total if s.total is not None else '-'}/100 · {outcome_name(s.outcome, lang)}")
    return Outcome([say("\n".join(lines), lang)])


# --------------------------------------------------------------------------- the conversation
def turn(services: Services, who: Caller, text: str) -> Outcome | None:
    """A text while a session runs is the rep's turn; None when no session runs."""
    coach = services.coach
    running = coach.active(who.user)
    if running is None:
        return None
    scenario = coach.scenarios().get(running.scenario)
    if who.replayed and (line := _stored_reply(running.state, text)) is not None:
        # Re-run after a crash that came after this turn was stored: answer it, do not play it twice.
        return Outcome([_line(scenario, line, who.lang)])
    now = services.clock()
    if idle_too_long(running, now):
        # Hours later, a text may be a question rather than a line for the customer: ask, keep the text.
        coach.park(who.user, text)
        lang = who.lang
        return Outcome([say(t("rp_parked", lang, title=scenario.title if scenario else running.scenario,
                                 hours=int((now - running.updated) // 3600)), lang, buttons=buttons(
            [Button(t("rp_btn_send", lang), RpSendParked())], [Button(t("rp_btn_ask", lang), RpAskParked())],
            [Button(t("rp_btn_end", lang), RpEnd())]))])
    return _turn(services, who, text, scenario)


def _stored_reply(state: dict, text: str | None) -> str | None:
    """The customer's stored answer when the last stored rep turn is `text`, else None."""
    transcript = state.get("transcript") or []
    if len(transcript) >= 2 and transcript[-1].get("role") == "customer" and transcript[-2].get("role") == "rep" \
            and transcript[-2].get("text") == (text or "").strip():
        return transcript[-1]["text"]
    return None


def _turn(services: Services, who: Caller, text: str, scenario: Scenario | None) -> Outcome:
    lang = who.lang
    try:
        reply = services.coach.say(who.user, text, origin=who.origin)
    except TurnTooLong as exc:
        return Outcome([Reply(t("rp_too_long", lang, n=exc.length, max=MAX_TURN_CHARS))])
    except UnknownScenario:
        return Outcome([Reply(t("rp_gone", lang))])
    except NoActiveSession:  # ended by another request in between
        return Outcome([Reply(t("rp_none", lang))])
    if reply.card is None:
        return Outcome([_line(scenario, reply.turn.text, lang)])
    return ending(services, who, reply.card, last_line=reply.turn.text)


def after_end(services: Services, who: Caller) -> list[Reply]:
    """A text minutes after a role-play ended: the customer is gone (said once), then it is a question."""
    ended = services.coach.just_ended(who.user, services.clock())
    if ended is None:
        return []
    scenario = services.coach.scenarios().get(ended.scenario)
    title = in_script(scenario.title if scenario else ended.scenario, who.lang)
    return [Reply(t("rp_after_end", who.lang, title=title))]


# --------------------------------------------------------------------------- buttons
def press(services: Services, who: Caller, action: Action) -> Outcome:
    """A role-play button. A stale one (a scenario gone, a session already over) gets a short alert."""
    coach, lang = services.coach, who.lang
    scenarios = coach.scenarios()
    if isinstance(action, RpEnd | RpSendParked) and (replayed := replayed_ending(services, who)) is not None:
        return replayed
    match action:
        case RpList():
            return Outcome([_listing(scenarios, lang, edit=True)])
        case RpScenario(sid) if sid in scenarios:
            s = scenarios[sid]
            text = in_script(f"《{s.title}》\n{s.summary}\n\n" + "\n".join(level_text(s, lv, lang) for lv in LEVELS), lang)
            return Outcome([Reply(text + "\n\n" + t("rp_choose_level", lang), edit=True, buttons=buttons(
                [Button(level_name(lv, lang), RpBrief(s.id, lv)) for lv in LEVELS],
                [Button(t("rp_btn_back", lang), RpList())]))])
        case RpBrief(sid, level) if sid in scenarios:
            return Outcome([_brief(scenarios[sid], level, lang)])
        case RpStart(sid, level) if sid in scenarios:
            try:
                coach.start(who.user, who.chat, sid, level)
            except SessionActive:
                return Outcome([Reply(t("rp_busy", lang), alert=True)])
            s = scenarios[sid]
            return Outcome([Reply(t("rp_started", lang)), _line(s, s.opening, lang)])
        case RpContinue():
            running = coach.active(who.user)
            if running is None:
                return Outcome([Reply(t("rp_none", lang), alert=True)])
            return Outcome([_line(scenarios.get(running.scenario), running.state["transcript"][-1]["text"], lang)])
        case RpSendParked() | RpAskParked():
            text = coach.unpark(who.user)
            if text is None:
                return Outcome([Reply(t("stale_button", lang), alert=True)])
            if isinstance(action, RpAskParked):
                return Outcome(question=text)
            running = coach.active(who.user)
            return _turn(services, who, text, scenarios.get(running.scenario) if running else None)
        case RpEnd():
            if coach.active(who.user) is None:
                return Outcome([Reply(t("rp_none", lang), alert=True)])
            return end(services, who)
    return Outcome([Reply(t("stale_button", lang), alert=True)])


# --------------------------------------------------------------------------- the ending
def replayed_ending(services: Services, who: Caller) -> Outcome | None:
    """A request re-run after a crash that had already ended the rep's role-play (the turn the customer left
    on, /end, the end button): what the crash kept from the rep of that ending, and nothing else. It is not a
    question for the knowledge base, nor a turn, nor a reason to say "no role-play is running"; and what
    reached the rep before the crash is not sent twice. None when the request ended nothing."""
    if not who.replayed or who.origin is None:
        return None
    ended = services.coach.ended_by(who.user, who.origin)
    if ended is None:
        return None
    log.info("%s had ended role-play %s before the crash; sending what is missing of its ending",
             who.origin, ended.session_id)
    if not ended.card:
        return Outcome()  # its scenario was gone: "rp_gone" was the whole ending
    last_line = ended.state["transcript"][-1]["text"] if ended.outcome != "ended" else None
    return ending(services, who, services.coach.scorecard(ended), last_line=last_line)


def ending(services: Services, who: Caller, card: Scorecard, *, last_line: str | None = None) -> Outcome:
    """The end of a session as the rep sees it, part by part: the customer's last line and "this practice is
    over" (when the customer ended it), the scorecard, the chart. Each part (`Reply.part`) is remembered in
    the session once the face has shown it (`Outcome.delivered`), so showing the ending again after a crash
    shows only what is missing."""
    from bot.coach.chart import scorecard_png

    coach, lang = services.coach, who.lang
    ended = coach.ended_by(who.user, who.origin) if who.origin is not None else None
    done = set(ended.state.get("delivered", [])) if ended is not None else set()
    replies = []
    if last_line is not None and "line" not in done:
        replies += [_line(coach.scenarios().get(card.scenario), last_line, lang),
                    Reply(t("rp_over", lang, outcome=outcome_name(card.outcome, lang)), part="line")]
    if "card" not in done:
        nxt = card.next_practice
        replies.append(say(scorecard_text(card, lang), lang, part="card", buttons=buttons(
            [Button(t("rp_btn_next", lang), RpBrief(nxt["scenario"], nxt["difficulty"]))] if nxt else [])))
    if "chart" not in done:
        session = ended or next(iter(coach.history(who.user, limit=1)), None)
        try:  # the text scorecard goes out all the same; a missing chart must not look like a crash
            png = scorecard_png(card, chart_text(lang, level=card.difficulty, outcome=card.outcome))
        except Exception:
            log.exception("scorecard chart failed")
        else:
            replies.append(say(t("rp_chart_caption", lang, title=card.title, total=card.total), lang, image=png,
                                image_name=f"roleplay-{session.session_id if session else 'last'}.png",
                                part="chart"))
    outcome = Outcome(replies)
    if ended is not None:
        outcome.delivered = lambda part: coach.delivered(ended, part)
    return outcome
