"""What an incoming text is, decided in one place for both faces: the end of a role-play run again after a
crash, the rep's turn while a role-play runs, the answer to the question on screen, else a question for the
knowledge base (told first, once, when a role-play has just ended)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.chat import roleplay, study
from bot.chat.i18n import LANGS, t
from bot.chat.reply import Action, Caller, Outcome, Reply, Stale, StudyAction

if TYPE_CHECKING:
    from bot.services import Services


def language(services: Services, who: Caller, code: str) -> Outcome:
    """/lang CODE: the interface language, kept in the store; without a known code, the choices."""
    if code not in LANGS:
        return Outcome([Reply(t("lang_usage", who.lang, codes=" | ".join(LANGS)))])
    services.store.set_user_lang(who.user, code)
    return Outcome([Reply(t("lang_set", code))])


COMMANDS: dict[str, Callable[[Services, Caller, str], Outcome]] = {
    "/roleplay": lambda s, who, arg: roleplay.menu(s, who, arg.split()),
    "/hint": lambda s, who, arg: roleplay.hint(s, who),
    "/end": lambda s, who, arg: roleplay.end(s, who),
    "/history": lambda s, who, arg: roleplay.history(s, who),
    "/learn": lambda s, who, arg: study.lesson(s, who),
    "/quiz": lambda s, who, arg: study.ask(s, who),
    "/review": lambda s, who, arg: study.ask(s, who, review=True),
    "/progress": lambda s, who, arg: study.progress(s, who),
    "/exam": lambda s, who, arg: study.exam_rules(s, who),
    "/lang": lambda s, who, arg: language(s, who, arg.strip()),
}
"""The private chat's commands as flows, by name: (services, caller, the text after the command) -> Outcome.
A face may handle some itself (Telegram: /lang with buttons, /roleplay in a group)."""


def route(services: Services, who: Caller, text: str) -> Outcome:
    """The replies to a private text; `Outcome.question` is set when the face should answer it as a question."""
    for step in (lambda: roleplay.replayed_ending(services, who), lambda: roleplay.turn(services, who, text),
                 lambda: study.typed_answer(services, who, text)):
        outcome = step()
        if outcome is not None:
            return outcome
    return Outcome(roleplay.after_end(services, who), question=text)


def press(services: Services, who: Caller, action: Action) -> Outcome:
    """A pressed button (a terminal's numbered choice), to the flow whose action it is; stale ones to the
    flow of the family their data named, which says so in its words."""
    if isinstance(action, StudyAction) or (isinstance(action, Stale) and action.family == "st"):
        return study.press(services, who, action)
    return roleplay.press(services, who, action)
