"""What every handler module shares: the typed callback context and message sending helpers."""

from __future__ import annotations

import asyncio
import contextlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import CallbackContext, ExtBot

from bot.chat.i18n import guess_lang, when
from bot.chat.reply import (
    Button,
    encode,
    parse_id,  # noqa: F401  (the handlers' one way to read a number from callback data)
)
from bot.services import Services
from bot.store import StoreUnwritable
from bot.telegram import render
from bot.telegram.health import StoreHealth


class CoachContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Callback context with typed access to the shared services."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @property
    def store_health(self) -> StoreHealth:
        return self.application.update_queue.health

    def try_write(self, write, *args):
        """A write the reply does not rest on (last seen, the answer behind an answer's buttons): while the
        store takes no writes it is skipped and None returned, and the user is answered all the same."""
        try:
            return write(*args)
        except StoreUnwritable as exc:
            self.store_health.failed(exc)
            return None

    def when(self, ts: float, fmt: str = "%m-%d %H:%M") -> str:
        """A time as the team reads it: in SALESCOACH_TIMEZONE, not the server's clock."""
        return when(self.services, ts, fmt)

    def lang(self, update: Update) -> str:
        user = update.effective_user
        if user is None:
            return "zh-CN"
        return self.services.store.user_lang(user.id) or guess_lang(user.language_code)


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Buttons (bot.chat.reply) as an inline keyboard: actions as their callback strings, links as links. The one
    place the Telegram face builds a keyboard."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, url=b.url) if b.url else
                                  InlineKeyboardButton(b.label, callback_data=encode(b.action)) for b in row]
                                 for row in rows])


def link(label: str, url: str) -> InlineKeyboardMarkup:
    """One link button (a deep link into the private chat)."""
    return keyboard(((Button(label, url=url),),))


async def send_html(message: Message, text: str, markup: InlineKeyboardMarkup | None, *, reply: bool = True):
    """Send HTML text split under Telegram's limit; the keyboard goes on the last part. (Replies from the shared
    flows go through `bot.telegram.replies.send`; this is for HTML the Telegram face renders itself: answers.)"""
    parts = render.split_message(text)
    for i, part in enumerate(parts):
        last = markup if i == len(parts) - 1 else None
        if reply and i == 0:
            await message.reply_html(part, reply_markup=last, disable_web_page_preview=True)
        else:
            await message.get_bot().send_message(message.chat_id, part, parse_mode=ParseMode.HTML,
                                                 reply_markup=last, disable_web_page_preview=True)


TYPING_AFTER = 1.0  # seconds of work before "typing…" is shown


@contextlib.asynccontextmanager
async def typing(bot, chat_id: int, after: float | None = None):
    """Show "typing…" only if the work inside takes longer than TYPING_AFTER: most answers take a fraction
    of a second, and a chat action is one more call against Telegram's ~30 messages a second, which under
    load would double the wait of every reply."""
    async def later() -> None:
        await asyncio.sleep(TYPING_AFTER if after is None else after)
        await bot.send_chat_action(chat_id, ChatAction.TYPING)

    task = asyncio.create_task(later())
    try:
        yield
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
