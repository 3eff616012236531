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

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.chat.i18n import guess_lang, t
from bot.store import Store, StoreUnwritable
from bot.telegram.health import StoreHealth

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # an update whose handling was cut off this often (it kills the bot?) is dropped, and said so
REPLAY_HOURS = 6.0  # older unfinished updates are not re-run (the user moved on): they are told to send again
KEEP_DONE_HOURS = 48.0  # handled updates are kept this long, so a redelivery of one is recognised
# After the stop signal, updates still being handled get this long; then they are cut off and re-run at the next
# start (they stay unfinished in the journal). A send Telegram never answers would otherwise hold the stop for its
# read timeout and the error message after it (~40 s): past the 10 s a container manager waits before kill -9.
STOP_GRACE = 5.0


class JournalingQueue(asyncio.Queue):
    """The application's update queue, writing each update to the store before it is queued."""

    def __init__(self, store: Store, health: StoreHealth | None = None) -> None:
        super().__init__()
        self.store = store
        self.health = health or StoreHealth([])

    async def put(self, item) -> None:
        if isinstance(item, Update) and not self._journal(item):
            log.info("update %s was received before; already handled or being re-run", item.update_id)
            return
        await super().put(item)

    def _journal(self, update: Update) -> bool:
        try:
            fresh = self.store.receive_update(update.update_id, json.dumps(update.to_dict(), ensure_ascii=False))
        except StoreUnwritable as exc:
            # Better to handle it now than to hold it: what only reads is answered, what writes says it could
            # not be saved. The outage is logged once (StoreHealth), not once per update.
            log.debug("update %s not journaled: %s", update.update_id, exc)
            self.health.failed(exc)
            return True
        if fresh:  # an INSERT that was ignored wrote nothing
            self.health.wrote()
        return fresh


class JournaledApplication(Application):
    """Marks each update done in the journal once its handlers have run (an error handled counts).

    Updates re-run from the journal after a crash run one at a time, in the order they came: one of them
    may be what crashed the bot, and run alone it is the only one whose attempt is counted when it crashes
    it again; the others finish first or have not started (new updates are not held up by them).
    """

    stop_grace = STOP_GRACE

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._replay_turn = asyncio.Lock()
        self._handling: set[asyncio.Task] = set()

    async def process_update(self, update: object) -> None:
        task = asyncio.current_task()
        self._handling.add(task)
        try:
            if isinstance(update, Update) and update.update_id in self.bot_data.get("replayed", ()):
                async with self._replay_turn:
                    await self._process_journaled(update)
            else:
                await self._process_journaled(update)
        finally:
            self._handling.discard(task)

    async def stop(self) -> None:
        """Python-telegram-bot's stop waits for every update being handled, however long that takes; this one
        waits `stop_grace` seconds, then cuts the rest off. They are not marked done, so the next start re-runs
        them (what they stored is keyed, see the module's docstring)."""
        stopping = asyncio.ensure_future(super().stop())
        done, _ = await asyncio.wait({stopping}, timeout=self.stop_grace)
        if not done:
            cut = list(self._handling)
            log.warning("%d update(s) still being handled %.0f s after the stop signal; cut off, re-run at the "
                        "next start", len(cut), self.stop_grace)
            for task in cut:
                task.cancel()
        await stopping

    async def _process_journaled(self, update: object) -> None:
        store: Store | None = getattr(self.update_queue, "store", None)
        health: StoreHealth | None = getattr(self.update_queue, "health", None)
        journaled = store is not None and health is not None and isinstance(update, Update)
        if journaled:
            kept = self._journal_write(store.start_update, update.update_id)
            if not kept and health.failure is not None:
                # It came while the store was down, so it is not in the journal: keeping it now is a real
                # write, and the one that proves the store is back when nothing else would.
                payload = json.dumps(update.to_dict(), ensure_ascii=False)
                if self._journal_write(store.receive_update, update.update_id, payload):
                    self._journal_write(store.start_update, update.update_id)
        await super().process_update(update)
        if journaled:
            self._journal_write(store.finish_update, update.update_id)
            await health.report(self.bot)

    def _journal_write(self, write, *args) -> bool:
        """True if the write changed a row (which proves the store takes writes)."""
        health: StoreHealth = self.update_queue.health
        try:
            wrote = write(*args)
        except StoreUnwritable as exc:
            health.failed(exc)
            return False
        if wrote:  # an update not journaled (the store was down when it came) changes no row: proves nothing
            health.wrote()
        return bool(wrote)


def replayed(context, update: Update) -> bool:
    """True for an update re-run from the journal after a restart (its first handling may have stored
    something already)."""
    return update.update_id in context.application.bot_data.get("replayed", set())


async def replay_unfinished(app: Application) -> list[Update]:
    """At start, before polling: queue every update a crash or stop left unhandled, in the order they
    came. Ones too old or that keep failing are dropped and their chat is told to send them again."""
    services = app.bot_data["services"]
    store: Store = services.store
    now = services.clock()
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
            poison = attempts >= MAX_ATTEMPTS
            why = f"its handling was cut off {attempts} times (it may be what brings the bot down)" if poison \
                else f"it came {(now - received) / 3600:.0f} h ago"
            log.warning("journaled update %s (%s) dropped: %s", update_id, _kind(update), why)
            store.finish_update(update_id)  # before telling: the chat hears it once, even if we crash now
            await _tell_not_done(app, update, attempts if poison else 0)
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


async def _tell_not_done(app: Application, update: Update, attempts: int) -> None:
    """Tell the chat its update was dropped: it kept failing (`attempts`), or it is too old (0)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or update.inline_query is not None:
        return
    lang = (app.bot_data["services"].store.user_lang(user.id) if user else None) or \
        guess_lang(user.language_code if user else None)
    if attempts:
        text = t("not_done_failed", lang, what=_quoted(update, lang), n=attempts)
    else:
        text = t("not_done_after_restart", lang)
    with contextlib.suppress(TelegramError):
        await app.bot.send_message(chat.id, text)


QUOTE_CHARS = 30  # of the dropped message, so the user knows which one


def _quoted(update: Update, lang: str) -> str:
    message = update.effective_message
    what = ""
    if message is not None:
        what = message.text or message.caption or (message.document.file_name if message.document else "") or ""
    what = " ".join(what.split())
    if not what:
        return ""
    what = what if len(what) <= QUOTE_CHARS else what[:QUOTE_CHARS] + "…"
    return f" “{what}”" if lang == "en" else f"「{what}」"
