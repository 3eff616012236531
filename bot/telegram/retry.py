"""Retry Bot API calls that failed on the server side (5xx) or the network, with backoff.

An acknowledgement of a button press that Telegram calls too old (the press waited behind a slow
handler, or was re-run from the update journal after a restart) is not an error: the press itself is
still handled, only the little "loading" clock on the user's button already went away.

Flood control (429) is handled by AIORateLimiter, which waits the time Telegram asks for. A
timed-out *send* is not retried: Telegram may have delivered it, and a duplicate answer is worse
than a late error message.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

_SAFE_TO_REPEAT = ("get", "set", "delete", "answer", "edit")


class RetryingRequest(BaseRequest):
    """Wraps any request class (HTTPXRequest in production, the fake API in tests)."""

    def __init__(self, inner: BaseRequest, *, retries: int = 3, backoff: float = 0.5, sleep=asyncio.sleep) -> None:
        self.inner = inner
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, **timeouts):
        api_method = url.rsplit("/", 1)[-1]
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                code, payload = await self.inner.do_request(url, method, request_data, **timeouts)
            except TimedOut:
                if last or not api_method.lower().startswith(_SAFE_TO_REPEAT):
                    raise
                log.warning("%s timed out; retry %d/%d", api_method, attempt + 1, self.retries)
            except NetworkError:
                if last:
                    raise
                log.warning("%s: network error; retry %d/%d", api_method, attempt + 1, self.retries)
            else:
                if code == 400 and api_method == "answerCallbackQuery" and _too_old(payload):
                    log.info("a button press was acknowledged too late for Telegram; handling it anyway")
                    return 200, b'{"ok": true, "result": true}'
                if code < 500 or last:
                    return code, payload
                log.warning("%s: Bot API answered %d; retry %d/%d", api_method, code, attempt + 1, self.retries)
            await self._sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")


def _too_old(payload: bytes) -> bool:
    text = payload.decode("utf-8", "replace").lower()
    return "query is too old" in text or "query id is invalid" in text
