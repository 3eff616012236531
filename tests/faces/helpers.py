"""What the face tests share: the bot on a fake Bot API and a clock the test moves, and small readers of what
it sent. Fixtures are in this layer's conftest.py."""

import asyncio
import json
import time

from bot.services import Services
from bot.telegram.app import build_application, rate_limiter
from bot.tools.fakeapi import FakeBotAPI, message


class FakeClock:
    """Wall time as the test sets it: handed to `Running(clock=)`, it is the bot's one clock (handlers, store,
    self-study), so a test moves time on with `clock.t += seconds` instead of sleeping or editing rows."""

    def __init__(self, start: float | None = None) -> None:
        self.t = time.time() if start is None else start

    def __call__(self) -> float:
        return self.t


class Running:
    """An initialised Application and its fake API; `restart()` simulates a bot restart (same clock)."""

    def __init__(self, settings, clock=time.time, *, group_pace: bool = False):
        """`group_pace`: Telegram's 20 messages a minute to a group, in real seconds (off unless a test is about
        it; everything else about sending is as in production)."""
        self.settings, self.clock = settings, clock
        self.api = FakeBotAPI()
        self.limiter = rate_limiter() if group_pace else rate_limiter(group_per_minute=0)

    async def start(self):
        self.services = Services.open(self.settings, clock=self.clock)
        self.app = build_application(self.services, request=self.api, get_updates_request=self.api,
                                     limiter=self.limiter)
        await self.app.initialize()
        await self.app.post_init(self.app)
        return self

    async def stop(self):
        await self.app.shutdown()
        await self.app.post_shutdown(self.app)

    async def restart(self):
        await self.stop()
        return await self.start()

    async def send(self, update):
        await self.app.process_update(update)

    @property
    def bot(self):
        return self.app.bot


def keyboard(params) -> list[tuple[str, str]]:
    markup = params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


GROUP = -100
TRAINER, A1, A2, B1, B2, OUTSIDER = 2, 11, 12, 13, 14, 50


class GameRunning(Running):
    """With the job queue running, as in production, so the game clock really ticks."""

    async def start(self):
        await super().start()
        await self.app.job_queue.start()
        return self

    async def stop(self):
        await self.app.job_queue.stop(wait=False)
        await super().stop()


def group(bot, text, uid):
    return message(bot, text, uid=uid, chat_id=GROUP, chat_type="group")


def to(api, chat_id):
    return [p["text"] for name, p in api.calls if name == "sendMessage" and int(p["chat_id"]) == chat_id]


async def wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")
