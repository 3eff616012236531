"""Replies from the shared flows (bot.chat) as Telegram messages: text as HTML (escaped, **bold** as <b>) or
plain, buttons as inline keyboards with the actions' callback strings, images as photos, alerts on buttons."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.chat.reply import Caller, Outcome, Reply, encode
from bot.kb.answer import BOLD
from bot.telegram import render
from bot.telegram.context import CoachContext

log = logging.getLogger(__name__)


def caller(update: Update, context: CoachContext) -> Caller:
    """The user, chat and language of an update; its id is what a role-play remembers as what ended it."""
    from bot.telegram.inbox import replayed

    user = update.effective_user
    chat = update.effective_chat.id if update.effective_chat is not None else user.id
    return Caller(user.id, chat, context.lang(update), name=user.full_name, origin=f"update:{update.update_id}",
                  replayed=replayed(context, update))


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, url=b.url) if b.url else
                                  InlineKeyboardButton(b.label, callback_data=encode(b.action)) for b in row]
                                 for row in reply.buttons])


async def show(update: Update, context: CoachContext, outcome: Outcome, *, quote: bool = False, ask=None) -> None:
    """Send an outcome's replies in order: for a pressed button, the first alert answers the button (every
    press is answered) and `edit` replies replace the message it was on; then the outcome's question, if any,
    answered by `ask` (the knowledge-base answer by default)."""
    query = update.callback_query
    replies = list(outcome.replies)
    if query is not None:
        alert = next((r for r in replies if r.alert), None)
        await query.answer(alert.text if alert else None, show_alert=alert is not None)
        replies = [r for r in replies if r is not alert]
    message = update.effective_message if isinstance(update.effective_message, Message) else None
    chat_id = update.effective_chat.id if update.effective_chat is not None else update.effective_user.id
    for reply in replies:
        if reply.edit and query is not None and message is not None:
            await query.edit_message_text(reply.text, reply_markup=keyboard(reply))
        elif reply.image is not None:
            await context.bot.send_photo(chat_id, reply.image, caption=reply.text)
        else:
            await _send_text(context, chat_id, reply, message if quote and query is None else None)
            quote = False
        if reply.part and outcome.delivered is not None:
            context.try_write(outcome.delivered, reply.part)
    if outcome.question is not None:
        if ask is None:
            from bot.telegram.questions import answer_question as ask
        await ask(update, context, outcome.question)


async def _send_text(context: CoachContext, chat_id: int, reply: Reply, quote: Message | None) -> None:
    """HTML when the text has markup (escaped first: nothing raw reaches the reader), else plain; split
    under Telegram's limit, the keyboard on the last part."""
    html = BOLD.search(reply.text) is not None
    parts = render.split_message(render.markdown_html(reply.text) if html else reply.text)
    for i, part in enumerate(parts):
        kw = {"parse_mode": ParseMode.HTML if html else None, "disable_web_page_preview": True,
              "reply_markup": keyboard(reply) if i == len(parts) - 1 else None}
        if quote is not None and i == 0:
            await quote.reply_text(part, **kw)
        else:
            await context.bot.send_message(chat_id, part, **kw)
