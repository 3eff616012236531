"""The terminal chat: the conversation both faces share (bot.chat) over stdin/stdout, buttons as numbers."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.chat import questions
from bot.chat.i18n import DEFAULT_LANG, t
from bot.chat.reply import Caller, Outcome, Reply, RpStart
from bot.chat.router import COMMANDS, press, route
from bot.coach.service import CoachError
from bot.config import Settings
from bot.kb.answer import plain_markdown
from bot.services import Services

log = logging.getLogger(__name__)

TERMINAL_USER = 0
"""The terminal's one user: its role-plays, study and history live in the same store as the bot's."""


class TerminalChat:
    def __init__(self, settings: Settings, kb_dir: Path | None, stdout: TextIO, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.services = Services.open(settings, clock=clock, kb_dir=kb_dir)
        self.study, self.store, self.coach = self.services.study, self.services.store, self.services.coach
        self.out, self.choices = stdout, []  # the actions of the buttons last shown, numbered from 1

    @property
    def who(self) -> Caller:
        """The terminal's user in the language they chose (/lang), kept in the store like a bot user's."""
        lang = self.store.user_lang(TERMINAL_USER) or DEFAULT_LANG
        return Caller(TERMINAL_USER, TERMINAL_USER, lang, name=os.environ.get("USER", ""))

    def handle(self, text: str) -> bool:
        """One line of input; False means quit."""
        command, _, arg = text.partition(" ")
        if command in ("/quit", "/exit", "/q"):
            return False
        services, who = self.services, self.who
        try:
            if text.isdigit() and 1 <= int(text) <= len(self.choices):
                outcome = press(services, who, self.choices[int(text) - 1])
            elif command == "/go" and (start := [a for a in self.choices if isinstance(a, RpStart)]):
                outcome = press(services, who, start[0])  # the start button on screen
            elif command in ("/help", "/start"):
                outcome = Outcome([Reply(t("term_help", who.lang))])
            elif command in COMMANDS:
                outcome = COMMANDS[command](services, who, arg)
            elif command.startswith("/"):
                outcome = Outcome([Reply(t("term_unknown_command", who.lang, command=command) + "\n"
                                         + t("term_help", who.lang))])
            else:
                outcome = route(services, who, text)
        except CoachError as exc:
            outcome = Outcome([Reply(t("term_cannot", who.lang, reason=exc))])
        self.show(outcome)
        return True

    def show(self, outcome: Outcome) -> None:
        """Every reply as text, its buttons as numbered choices; an image saved beside the data."""
        self.choices = []
        for reply in outcome.replies:
            self.say(self._image(reply) if reply.image is not None else plain_markdown(reply.text))
            for row in reply.buttons:
                pressable, n = [b for b in row if b.action is not None], len(self.choices)
                self.choices += [b.action for b in pressable]
                if pressable:
                    self.say("  " + "   ".join(f"[{n + i}] {b.label}" for i, b in enumerate(pressable, 1)))
            if reply.part and outcome.delivered is not None:
                outcome.delivered(reply.part)
        if outcome.question is not None:
            self.say(plain_markdown(questions.answer(self.services, self.who, outcome.question).text))

    def _image(self, reply: Reply) -> str:
        charts = self.services.settings.data_dir / "charts"
        charts.mkdir(parents=True, exist_ok=True)
        path = charts / (reply.image_name or "chart.png")
        path.write_bytes(reply.image)
        return t("term_image_saved", self.who.lang, caption=reply.text, path=path)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    def prompt(self) -> str:
        return t("term_prompt_turn" if self.coach.active(TERMINAL_USER) else "term_prompt_question", self.who.lang)


def run_terminal_chat(settings: Settings, kb_dir: Path | None, *, stdin: TextIO, stdout: TextIO) -> None:
    stdout.write(t("term_loading", DEFAULT_LANG) + "\n")
    stdout.flush()
    chat = TerminalChat(settings, kb_dir, stdout)
    stdout.write(t("term_welcome", chat.who.lang) + "\n")
    interactive = stdin.isatty()
    try:
        while True:
            if interactive:
                stdout.write("\n" + chat.prompt())
            stdout.flush()
            line = stdin.readline()
            if not line:
                break
            try:
                if (text := line.strip()) and not chat.handle(text):
                    break
            except Exception:
                log.exception("handling input failed")
                stdout.write(t("term_error", chat.who.lang) + "\n")
    finally:
        bye = t("term_bye", chat.who.lang)
        chat.services.close()
    stdout.write(bye + "\n")
    stdout.flush()

