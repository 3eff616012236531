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
from bot.telegram.inbox import replayed
from bot.telegram.questions import answer_question

log = logging.getLogger(__name__)


def caller(update: Update, context: CoachContext) -> Caller:
    """The user, chat and language of an update; its id is what a role-play remembers as what ended it."""
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


async def run_flow(update: Update, context: CoachContext, fn, *args, quote: bool = False, **kwargs) -> None:
    """Run a flow step (bot.chat) off the event loop, one at a time per user, then show what it answered."""
    services, who = context.services, caller(update, context)
    outcome = await services.run(lambda: fn(services, who, *args, **kwargs), user=who.user)
    await show(update, context, outcome, quote=quote)


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
            text, mode = _markup(reply.text)
            await query.edit_message_text(text, parse_mode=mode, reply_markup=keyboard(reply))
        elif reply.image is not None:
            await context.bot.send_photo(chat_id, reply.image, caption=reply.text)
        else:
            await _send_text(context, chat_id, reply, message if quote and query is None else None)
            quote = False
        if reply.part and outcome.delivered is not None:
            context.try_write(outcome.delivered, reply.part)
    if outcome.question is not None:
        await (ask or answer_question)(update, context, outcome.question)


def _markup(text: str) -> tuple[str, str | None]:
    """HTML when the text has markup (escaped first: nothing raw reaches the reader), else plain text."""
    if BOLD.search(text) is None:
        return text, None
    return render.markdown_html(text), ParseMode.HTML


async def _send_text(context: CoachContext, chat_id: int, reply: Reply, quote: Message | None) -> None:
    """Split under Telegram's limit, the keyboard on the last part."""
    text, mode = _markup(reply.text)
    parts = render.split_message(text)
    for i, part in enumerate(parts):
        kw = {"parse_mode": mode, "disable_web_page_preview": True,
              "reply_markup": keyboard(reply) if i == len(parts) - 1 else None}
        if quote is not None and i == 0:
            await quote.reply_text(part, **kw)
        else:
            await context.bot.send_message(chat_id, part, **kw)
