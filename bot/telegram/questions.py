"""Questions for the knowledge base: a short answer with its sources, and buttons for the passages, more
results and a rating. Every face's text that is neither a role-play turn nor a study answer ends here."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.chat.i18n import t
from bot.kb.answer import MAX_QUESTION_CHARS, Answer
from bot.telegram import render
from bot.telegram.context import CoachContext, send_html, typing


async def answer_question(update: Update, context: CoachContext, question: str) -> None:
    """Answer from the knowledge base with citations and buttons ."""
    message, user, lang = update.effective_message, update.effective_user, context.lang(update)
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        await message.reply_text(t("too_long", lang, n=len(question), max=MAX_QUESTION_CHARS))
        return
    services = context.services
    context.try_write(services.store.touch_user, user.id)
    async with typing(context.bot, message.chat_id):
        answer: Answer = await services.run(services.answerer.answer, question, user=user.id)
    if not answer.found and not answer.declined:
        await message.reply_text(t("not_found", lang))
        return
    # A question only reads: while the store takes no writes it is still answered, without the buttons
    # (they point at the stored answer).
    answer_id = context.try_write(services.store.save_answer, user.id, message.chat_id, question,
                                  [p.chunk_id for p in answer.passages])
    keyboard = None if answer_id is None else _answer_keyboard(answer, answer_id, lang)
    await send_html(message, render.answer_html(answer, lang), keyboard)


def _answer_keyboard(answer: Answer, answer_id: int, lang: str) -> InlineKeyboardMarkup:
    if answer.declined:  # the closest topics the knowledge base does cover, one button each
        return InlineKeyboardMarkup([[InlineKeyboardButton(
            f"📄 {render.in_script(title, lang)}"[:60], callback_data=f"p:{answer_id}:{n}")]
            for n, title in enumerate(answer.suggestions, 1)])
    row1 = [InlineKeyboardButton(t("btn_passage", lang, n=n), callback_data=f"p:{answer_id}:{n}")
            for n in answer.cited]
    row2 = [InlineKeyboardButton(t("btn_more", lang), callback_data=f"m:{answer_id}"),
            InlineKeyboardButton("👍", callback_data=f"r:{answer_id}:1"),
            InlineKeyboardButton("👎", callback_data=f"r:{answer_id}:-1")]
    return InlineKeyboardMarkup([row1, row2])
