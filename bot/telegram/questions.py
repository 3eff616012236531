"""Questions for the knowledge base: a short answer with its sources, and buttons for the passages, more
results and a rating (made and read here). Every face's text that is neither a role-play turn nor a study answer
ends here; /ask and inline mode (@bot QUESTION in any chat) ask directly."""

from __future__ import annotations

import hashlib

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.chat.i18n import t
from bot.chat.reply import AnswerAction, AnswerMore, AnswerPassage, AnswerRating, Button, buttons, decode
from bot.kb.answer import MAX_QUESTION_CHARS, Answer
from bot.telegram import render
from bot.telegram.context import CoachContext, keyboard, send_html, typing


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
    markup = None if answer_id is None else _answer_keyboard(answer, answer_id, lang)
    await send_html(message, render.answer_html(answer, lang), markup)


async def ask_command(update: Update, context: CoachContext) -> None:
    """/ask QUESTION: the way to ask in a group without mentioning the bot."""
    question = " ".join(context.args or []).strip()
    if not question:
        await update.effective_message.reply_text(t("ask_usage", context.lang(update)))
        return
    await answer_question(update, context, question)


def _answer_keyboard(answer: Answer, answer_id: int, lang: str) -> InlineKeyboardMarkup | None:
    if answer.declined:  # the closest topics the knowledge base does cover, one button each
        return keyboard(buttons(*([Button(f"📄 {render.in_script(title, lang)}"[:60], AnswerPassage(answer_id, n))]
                                  for n, title in enumerate(answer.suggestions, 1))))
    return keyboard(buttons(
        [Button(t("btn_passage", lang, n=n), AnswerPassage(answer_id, n)) for n in answer.cited],
        [Button(t("btn_more", lang), AnswerMore(answer_id)), Button("👍", AnswerRating(answer_id, 1)),
         Button("👎", AnswerRating(answer_id, -1))]))


async def on_button(update: Update, context: CoachContext) -> None:
    """An answer's buttons: full passage, more results, ratings. Registered last, it is also where any button
    no other handler took ends: stale or forged data gets a polite no."""
    query = update.callback_query
    lang = context.lang(update)
    action = decode(query.data)
    services = context.services
    stored = services.store.answer(action.answer) if isinstance(action, AnswerAction) else None
    # query.message is None when Telegram no longer lets us see the message the button was on.
    if stored is None or (not isinstance(action, AnswerRating) and query.message is None):
        await query.answer(t("stale_button", lang), show_alert=True)
        return
    if isinstance(action, AnswerRating):
        if query.from_user.id != stored.user_id:
            await query.answer(t("not_yours", lang))
            return
        services.store.rate(stored.answer_id, query.from_user.id, action.rating)
        await query.answer(t("thanks_rating", lang))
        return
    passages = [p for p in (services.retriever.passage(cid) for cid in stored.chunk_ids) if p is not None]
    if isinstance(action, AnswerPassage):
        n = action.n
        chunk_id = stored.chunk_ids[n - 1] if 1 <= n <= len(stored.chunk_ids) else None
        passage = services.retriever.section(chunk_id) if chunk_id else None
        if passage is None:
            await query.answer(t("stale_button", lang), show_alert=True)
            return
        await query.answer()
        await send_html(query.message, render.passage_html(passage, n, lang), None, reply=False)
        return
    if not passages:
        await query.answer(t("stale_button", lang), show_alert=True)
        return
    await query.answer()
    await send_html(query.message, render.more_html(passages, lang), None, reply=False)


async def inline_query(update: Update, context: CoachContext) -> None:
    """@bot QUESTION in any chat: passages a rep can drop into the conversation."""
    query = update.inline_query
    text = (query.query or "").strip()[:MAX_QUESTION_CHARS]
    if not text:
        await query.answer([], cache_time=5)
        return
    lang = context.lang(update)
    result = await context.services.run(context.services.retriever.search, text, 5, user=query.from_user.id)
    articles = []
    for n, p in enumerate(result.passages, 1):
        snippet = render.in_script(p.text.replace("\n", " "), lang)[:100]
        articles.append(InlineQueryResultArticle(
            id=hashlib.sha1(f"{p.chunk_id}".encode()).hexdigest()[:32],
            title=render.cite(p, lang)[:64],
            description=snippet,
            input_message_content=InputTextMessageContent(
                render.split_message(render.passage_html(p, n, lang), 4000)[0], parse_mode=ParseMode.HTML),
        ))
    await query.answer(articles, cache_time=30)
