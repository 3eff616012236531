"""The services both faces (Telegram and terminal) share, built once and passed down."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bot.coach.game import GameBook
from bot.coach.self_study import SelfStudy
from bot.coach.service import Coach
from bot.config import Settings
from bot.kb.answer import Answerer
from bot.kb.index import IngestReport
from bot.kb.retrieve import Retriever
from bot.store import Store, open_store

ANSWER_WORKERS = 8  # 20 users x 20 questions: p95 0.3 s with 8 (see `salescoach bench bot`); an LLM call
# blocks its thread for at most SALESCOACH_LLM_TIMEOUT, and a dead server only once per cool-down.


@dataclass
class Services:
    settings: Settings
    retriever: Retriever
    answerer: Answerer
    store: Store
    coach: Coach
    games: GameBook
    study: SelfStudy
    # The one clock (seconds since the epoch) the handlers read for "now": deadlines, reminders, idle time.
    # The store and self-study read the same one, so a test that moves it moves everything together.
    clock: Callable[[], float] = time.time
    # Two kinds of work, two executors, so a slow job of one kind never holds up the other:
    # - `answers`: a user's short work (a question, a role-play turn, a chart). Several threads, so one
    #   user's slow call (an LLM that takes its full timeout) leaves the others free; each user holds at
    #   most one of them at a time (`run(..., user=)`), so no single user can take them all.
    #   The embedding engines keep their own locks; what runs here in parallel is retrieval, rules and I/O.
    # - `ingest`: uploads and /reload, one at a time (they wait on the index's file lock, which the CLI
    #   may hold for minutes), never in front of a question.
    answers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(ANSWER_WORKERS, thread_name_prefix="answer"))
    ingests: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="ingest"))
    _user_locks: weakref.WeakValueDictionary = field(default_factory=weakref.WeakValueDictionary)

    @classmethod
    def open(cls, settings: Settings, *, clock: Callable[[], float] = time.time,
             kb_dir: Path | None = None) -> Services:
        """Every service over `kb_dir` (default: the bundled knowledge base), on one clock: the one way every
        entry point (the Telegram bot, the terminal chat, `bench bot`) gets them. Close them after, or use
        `with Services.open(settings) as services:`."""
        from bot.coach.judge import Judge
        from bot.kb.service import open_retriever
        from bot.llm import chat_model

        retriever = open_retriever(settings, kb_dir)
        llm = chat_model(settings)  # bounded: a timeout per call, then the offline answer
        store = open_store(settings, clock=clock)
        coach = Coach(store, Judge(retriever.kb.embedder), retriever=retriever, chat_model=llm)
        # The recogniser and the scenarios' reference sentences load in the background (a few seconds), so
        # start-up does not wait and a rep's first turn is as quick as the rest once the bot is up.
        threading.Thread(target=coach.judge.warm, args=(coach.scenarios(),), name="warm-judge", daemon=True).start()
        games = GameBook(store, team_size=settings.game_team_size, minutes=settings.game_minutes,
                         reminders=tuple(settings.game_reminders))
        study = SelfStudy(store, settings.knowledge_dir, clock=clock, timezone=settings.timezone)
        return cls(settings, retriever, Answerer(retriever, llm), store, coach, games, study, clock)

    def ingest(self, document) -> IngestReport:
        """Add or update one document (sent by an admin) and start answering from it at once."""
        report = self.retriever.kb.ingest(documents=[document])
        self.retriever.refresh()
        return report

    def reload(self) -> IngestReport:
        """Re-read ``knowledge/`` and reload the index (after editing articles on the server)."""
        from bot.kb.service import sync_bundled

        report = sync_bundled(self.settings, self.retriever.kb)
        self.retriever.refresh()
        return report

    async def run(self, fn, *args, user: int | None = None):
        """Run a user's blocking domain work (search, answer, a turn) off the event loop. With `user`, that
        user's calls run one after another (a second message waits for the first, in order), and never
        take more than one thread from the others."""
        lock = contextlib.nullcontext() if user is None else self._user_lock(user)
        async with lock:
            return await asyncio.get_running_loop().run_in_executor(self.answers, fn, *args)

    async def run_ingest(self, fn, *args):
        """Run an ingest or reload on its own thread: questions keep being answered meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.ingests, fn, *args)

    def _user_lock(self, user: int) -> asyncio.Lock:
        lock = self._user_locks.get(user)
        if lock is None:
            lock = self._user_locks[user] = asyncio.Lock()
        return lock

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        # Queued work is dropped: after a stop, the update journal re-runs what was not finished.
        self.coach.judge.stop_warming()
        self.answers.shutdown(wait=True, cancel_futures=True)
        self.ingests.shutdown(wait=True, cancel_futures=True)
        self.store.close()
