"""Plain text messages. In a private chat bot.chat.router decides what a text is (a role-play turn, the answer to
the question on screen, else a question); in a group the bot answers only when mentioned or replied to, and
during a key-account game it only records. An edit is never a new turn nor a new question."""

from __future__ import annotations

from telegram import Update

from bot.chat.i18n import t
from bot.chat.router import route
from bot.telegram import game, replies
from bot.telegram.context import CoachContext, typing
from bot.telegram.questions import answer_question


async def private_text(update: Update, context: CoachContext) -> None:
    """Any text in a private chat: bot.chat.router decides what it is (a role-play turn, the answer to the
    question on screen, else a question for the knowledge base)."""
    services, who = context.services, replies.caller(update, context)
    async with typing(context.bot, who.chat):
        outcome = await services.run(route, services, who, update.effective_message.text, user=who.user)
    await replies.show(update, context, outcome, ask=answer_question)


async def group_text(update: Update, context: CoachContext) -> None:
    """In groups, answer only when mentioned or replied to; during a key-account game, only record."""
    if await game.record(update, context):
        return
    message = update.effective_message
    username = f"@{context.bot.username}".lower()
    text = message.text or ""
    replied_to_bot = message.reply_to_message is not None and message.reply_to_message.from_user is not None \
        and message.reply_to_message.from_user.id == context.bot.id
    if username in text.lower():
        start_at = text.lower().index(username)
        text = (text[:start_at] + text[start_at + len(username):]).strip()
    elif not replied_to_bot:
        return
    if text:
        await answer_question(update, context, text)


async def edited_private(update: Update, context: CoachContext) -> None:
    """An edited private message is not a new turn nor a new question: during a role-play the rep hears
    that the customer only answers new messages; otherwise it is left alone (it was answered already)."""
    user = update.effective_user
    if user is not None and context.services.coach.active(user.id) is not None:
        await update.edited_message.reply_text(t("edit_not_a_turn", context.lang(update)))
