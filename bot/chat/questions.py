"""A question for the knowledge base, answered as a plain Reply in the reader's language and script: the
answer, then its numbered sources (a face without buttons: the terminal; Telegram adds its own buttons)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.i18n import in_script, t
from bot.chat.reply import Caller, Reply
from bot.kb.answer import MAX_QUESTION_CHARS, Answer, citation

if TYPE_CHECKING:
    from bot.services import Services


def answer(services: Services, who: Caller, question: str) -> Reply:
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        return Reply(t("too_long", who.lang, n=len(question), max=MAX_QUESTION_CHARS))
    return Reply(answer_text(services.answerer.answer(question), who.lang))


def answer_text(answer: Answer, lang: str) -> str:
    if answer.declined:
        return "\n".join([t("declined", lang), "", t("nearest", lang),
                          *[f"[{n}] {in_script('《' + title + '》', lang)}" for n, title in
                            enumerate(answer.suggestions, 1)]])
    if not answer.found:
        return t("not_found", lang)
    lines = [in_script(answer.body, lang), "", t("sources_head", lang)]
    lines += [f"[{n}] {in_script(citation(answer.passages[n - 1]), lang)}" for n in answer.cited]
    if answer.trimmed:
        lines.append(t("trimmed_plain", lang))
    return "\n".join(lines)
