"""Nothing confirmed before it is safe: every incoming update is written to the store before Telegram
hears it arrived, marked done once handled, and re-run at the next start if a crash came in between.

python-telegram-bot confirms the updates of one getUpdates call by asking for the next offset, which it
does as soon as they are in its queue, long before they are handled; a webhook answers 200 the same way.
Both put every update through `Application.update_queue`, so the journal is that queue: `put` stores
the update first. A kill -9 after that loses nothing; the next start re-runs what was not finished.

Re-running is safe because what the handlers store is keyed (a game line by its message id, an upload by
its content hash, an exam answer by its question), and a role-play turn whose reply was already stored is
answered from the transcript instead of being played twice (`replayed` below).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.store import Store, StoreUnwritable
from bot.telegram.i18n import guess_lang, t

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # an update whose handling was cut off this often (it kills the bot?) is dropped, and said so
REPLAY_HOURS = 6.0  # older unfinished updates are not re-run (the user moved on): they are told to send again
KEEP_DONE_HOURS = 48.0  # handled updates are kept this long, so a redelivery of one is recognised


class JournalingQueue(asyncio.Queue):
    """The application's update queue, writing each update to the store before it is queued."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    async def put(self, item) -> None:
        if isinstance(item, Update) and not self._journal(item):
            log.info("update %s was received before; already handled or being re-run", item.update_id)
            return
        await super().put(item)

    def _journal(self, update: Update) -> bool:
        try:
            return self.store.receive_update(update.update_id, json.dumps(update.to_dict(), ensure_ascii=False))
        except StoreUnwritable as exc:
            # Better to handle it now than to hold it: its handler tells the user nothing could be saved.
            log.warning("update %s not journaled: %s", update.update_id, exc)
            return True


class JournaledApplication(Application):
    """Marks each update done in the journal once its handlers have run (an error handled counts)."""

    async def process_update(self, update: object) -> None:
        store: Store | None = getattr(self.update_queue, "store", None)
        journaled = store is not None and isinstance(update, Update)
        if journaled:
            with contextlib.suppress(StoreUnwritable):
                store.start_update(update.update_id)
        await super().process_update(update)
        if journaled:
            with contextlib.suppress(StoreUnwritable):
                store.finish_update(update.update_id)


def replayed(context, update: Update) -> bool:
    """True for an update re-run from the journal after a restart (its first handling may have stored
    something already)."""
    return update.update_id in context.application.bot_data.get("replayed", set())


async def replay_unfinished(app: Application) -> list[Update]:
    """At start, before polling: queue every update a crash or stop left unhandled, in the order they
    came. Ones too old or that keep failing are dropped and their chat is told to send them again."""
    store: Store = app.bot_data["services"].store
    now = time.time()
    store.forget_updates(now - KEEP_DONE_HOURS * 3600)
    queued: list[Update] = []
    ids = app.bot_data.setdefault("replayed", set())
    for update_id, payload, received, attempts in store.unfinished_updates():
        try:
            update = Update.de_json(json.loads(payload), app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("journaled update %s cannot be read; dropped", update_id)
            store.finish_update(update_id)
            continue
        if attempts >= MAX_ATTEMPTS or now - received > REPLAY_HOURS * 3600:
            why = "failed" if attempts >= MAX_ATTEMPTS else "too old"
            log.warning("journaled update %s (%s) dropped: %s", update_id, _kind(update), why)
            store.finish_update(update_id)
            await _tell_not_done(app, update)
            continue
        log.info("re-running update %s (%s) left unfinished by the last run", update_id, _kind(update))
        ids.add(update_id)
        queued.append(update)
    for update in queued:  # handled once the application starts, before anything new is fetched
        app.update_queue.put_nowait(update)  # already journaled: past JournalingQueue.put
    return queued


def _kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "inline_query", "my_chat_member"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


async def _tell_not_done(app: Application, update: Update) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or update.inline_query is not None:
        return
    lang = (app.bot_data["services"].store.user_lang(user.id) if user else None) or \
        guess_lang(user.language_code if user else None)
    with contextlib.suppress(TelegramError):
        await app.bot.send_message(chat.id, t("not_done_after_restart", lang))
