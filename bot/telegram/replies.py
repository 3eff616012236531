"""Replies from the shared flows (bot.chat) as Telegram messages: text as HTML (escaped, **bold** as <b>) or
plain, buttons as inline keyboards with the actions' callback strings, images as photos, alerts on buttons."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ParseMode

from bot.chat.reply import Caller, Outcome, Reply
from bot.kb.answer import BOLD
from bot.telegram import render
from bot.telegram.context import CoachContext, keyboard
from bot.telegram.inbox import replayed
from bot.telegram.questions import answer_question

log = logging.getLogger(__name__)


def caller(update: Update, context: CoachContext) -> Caller:
    """The user, chat and language of an update; its id is what a role-play remembers as what ended it."""
    user = update.effective_user
    chat = update.effective_chat.id if update.effective_chat is not None else user.id
    return Caller(user.id, chat, context.lang(update), name=user.full_name, origin=f"update:{update.update_id}",
                  replayed=replayed(context, update))


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
            await edit(query, reply)
        elif reply.image is not None:
            await context.bot.send_photo(chat_id, reply.image, caption=reply.text)
        else:
            await send(context.bot, chat_id, reply, message if quote and query is None else None)
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


async def send(bot, chat_id: int, reply: Reply, quote: Message | None = None) -> Message | None:
    """A text reply into a chat (quoting `quote`, if given), split under Telegram's limit, the keyboard on the last
    part; the last message sent."""
    text, mode = _markup(reply.text)
    parts, sent = render.split_message(text), None
    for i, part in enumerate(parts):
        kw = {"parse_mode": mode, "disable_web_page_preview": True,
              "reply_markup": keyboard(reply.buttons) if i == len(parts) - 1 else None}
        if quote is not None and i == 0:
            sent = await quote.reply_text(part, **kw)
        else:
            sent = await bot.send_message(chat_id, part, **kw)
    return sent


async def edit(query, reply: Reply) -> None:
    """Replace the message a pressed button was on with `reply` (text and keyboard)."""
    text, mode = _markup(reply.text)
    await query.edit_message_text(text, parse_mode=mode, reply_markup=keyboard(reply.buttons))
