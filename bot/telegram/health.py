"""What the bot does while its store stops taking writes (a full disk, a file or folder made read-only) and
when it takes them again, without a restart.

An unwritable store is a condition, not a bug: every update that needs a write hears one plain line, things
that only read (questions, /help) are still answered, and the log and the admins hear of it once when it
starts and once when it is over, not once per update. Any write that fails says the store is down; any
write that succeeds (each handled update writes to the journal) says it is back.
"""

from __future__ import annotations

import logging
import time

from telegram import Bot
from telegram.error import TelegramError

from bot.chat.i18n import DEFAULT_LANG, t
from bot.store import StoreUnwritable

log = logging.getLogger(__name__)

ALERT_SECONDS = 600.0
"""Admins hear of a new outage at most this often: a disk that flaps between full and not is one alert."""


class StoreHealth:
    """Whether the store takes writes, as the last write found; `report` tells the log and admins of a change."""

    def __init__(self, admin_ids: list[int], clock=time.monotonic) -> None:
        self.admin_ids, self.clock = admin_ids, clock
        self.failure: StoreUnwritable | None = None  # set while the store does not take writes
        self._logged = False  # this outage is in the log
        self._alerted = False  # the admins were told of this outage (so they hear when it is over)
        self._last_alert = -ALERT_SECONDS
        self._back = False  # an outage ended and is not reported yet

    def failed(self, error: StoreUnwritable) -> None:
        """A write failed (synchronous: the journal notes it where no bot is at hand)."""
        if self.failure is None:
            self._logged = self._alerted = False
        self.failure = error
        self._back = False

    def wrote(self) -> None:
        """A write succeeded."""
        if self.failure is not None:
            self.failure = None
            self._back = self._logged

    async def report(self, bot: Bot) -> None:
        """Say what changed since the last report: an outage (log, and admins unless told of one lately), or
        its end (log, and the admins who were told of it)."""
        if self.failure is not None and not self._logged:
            self._logged = True
            log.error("%s; updates that need a write are refused with a message until it takes writes again",
                      self.failure)
            now = self.clock()
            if now - self._last_alert >= ALERT_SECONDS:
                self._last_alert, self._alerted = now, True
                # admins are few and set in the settings; they read the default language
                await self._tell_admins(bot, t("store_down_admin", DEFAULT_LANG, failure=self.failure))
        elif self._back:
            self._back = False
            log.warning("the store takes writes again")
            if self._alerted:
                self._alerted = False
                await self._tell_admins(bot, t("store_back_admin", DEFAULT_LANG))

    async def _tell_admins(self, bot: Bot, text: str) -> None:
        for admin in self.admin_ids:
            try:
                await bot.send_message(admin, text)
            except TelegramError as exc:
                log.warning("could not tell admin %s about the store: %s", admin, exc)
