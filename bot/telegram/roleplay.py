"""Role-play in the private chat: the handlers of the shared flow (bot.chat.roleplay) for Telegram."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.chat import roleplay as flow
from bot.chat.i18n import t
from bot.chat.reply import decode
from bot.telegram.context import CoachContext, link
from bot.telegram.replies import run_flow


async def roleplay_command(update: Update, context: CoachContext) -> None:
    """/roleplay [N|ID [LEVEL]]: the scenario list (or a brief), or the running session's status."""
    if update.effective_chat.type != ChatType.PRIVATE:
        lang = context.lang(update)
        await update.effective_message.reply_text(t("rp_private_only", lang), reply_markup=link(
            t("rp_btn_private", lang), f"https://t.me/{context.bot.username}?start=roleplay"))
        return
    args = [] if context.args is None or context.args[:1] == ["roleplay"] else context.args  # /start roleplay
    await run_flow(update, context, flow.menu, args, quote=True)


async def hint_command(update: Update, context: CoachContext) -> None:
    """/hint: one coaching tip from the knowledge base, without ending the session."""
    await run_flow(update, context, flow.hint, quote=True)


async def end_command(update: Update, context: CoachContext) -> None:
    """/end: end the session and send the scorecard (text and chart)."""
    await run_flow(update, context, flow.end)


async def history_command(update: Update, context: CoachContext) -> None:
    """/history: past sessions with scores."""
    await run_flow(update, context, flow.history, quote=True)


async def on_button(update: Update, context: CoachContext) -> None:
    """A role-play button (bot.chat.reply names them); a stale one gets a polite no."""
    await run_flow(update, context, flow.press, decode(update.callback_query.data))
