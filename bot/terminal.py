"""The terminal chat: the conversation both faces share (bot.chat) over stdin/stdout, buttons as numbers."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.chat.i18n import DEFAULT_LANG, t
from bot.chat.reply import Caller, Outcome, Reply, RpStart
from bot.chat.router import COMMANDS, press, route
from bot.coach.service import CoachError
from bot.config import Settings
from bot.kb.answer import MAX_QUESTION_CHARS, format_plain, plain_markdown
from bot.services import Services

log = logging.getLogger(__name__)

LANG = DEFAULT_LANG
TERMINAL_USER = 0
"""The terminal's one user: its role-plays, study and history live in the same store as the bot's."""


class TerminalChat:
    def __init__(self, settings: Settings, kb_dir: Path | None, stdout: TextIO, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.services = Services.create(settings, clock=clock, kb_dir=kb_dir)
        self.study, self.store, self.coach = self.services.study, self.services.store, self.services.coach
        self.out, self.choices = stdout, []  # the actions of the buttons last shown, numbered from 1
        self.who = Caller(TERMINAL_USER, TERMINAL_USER, LANG, name=os.environ.get("USER", ""))

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
                outcome = Outcome([Reply(t("term_help", LANG))])
            elif command in COMMANDS:
                outcome = COMMANDS[command](services, who, arg)
            elif command.startswith("/"):
                outcome = Outcome([Reply(t("term_unknown_command", LANG, command=command) + "\n" + t("term_help", LANG))])
            else:
                outcome = route(services, who, text)
        except CoachError as exc:
            outcome = Outcome([Reply(t("term_cannot", LANG, reason=exc))])
        self.show(outcome)
        return True

    def show(self, outcome: Outcome) -> None:
        """Every reply as text, its buttons as numbered choices; an image saved beside the data."""
        self.choices = []
        for reply in outcome.replies:
            self.say(self._image(reply) if reply.image is not None else plain_markdown(reply.text))
            for row in reply.buttons:
                labels = []
                for button in (b for b in row if b.action is not None):
                    self.choices.append(button.action)
                    labels.append(f"[{len(self.choices)}] {button.label}")
                if labels:
                    self.say("  " + "   ".join(labels))
            if reply.part and outcome.delivered is not None:
                outcome.delivered(reply.part)
        if outcome.question is not None:
            question = outcome.question.strip()
            if len(question) > MAX_QUESTION_CHARS:
                self.say(t("too_long", LANG, n=len(question), max=MAX_QUESTION_CHARS))
            else:
                self.say(format_plain(self.services.answerer.answer(question)))

    def _image(self, reply: Reply) -> str:
        charts = self.services.settings.data_dir / "charts"
        charts.mkdir(parents=True, exist_ok=True)
        path = charts / (reply.image_name or "chart.png")
        path.write_bytes(reply.image)
        return t("term_image_saved", LANG, caption=reply.text, path=path)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    def prompt(self) -> str:
        return t("term_prompt_turn" if self.coach.active(TERMINAL_USER) else "term_prompt_question", LANG)


def run_terminal_chat(settings: Settings, kb_dir: Path | None, *, stdin: TextIO, stdout: TextIO) -> None:
    stdout.write(t("term_loading", LANG) + "\n")
    stdout.flush()
    chat = TerminalChat(settings, kb_dir, stdout)
    stdout.write(t("term_welcome", LANG) + "\n")
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
                stdout.write(t("term_error", LANG) + "\n")
    finally:
        chat.services.close()
    stdout.write(t("term_bye", LANG) + "\n")
    stdout.flush()

