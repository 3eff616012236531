"""The services both faces (Telegram and terminal) share, built once and passed down."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.coach.game import GameBook
from bot.coach.self_study import SelfStudy
from bot.coach.service import Coach
from bot.config import Settings
from bot.kb.answer import Answerer
from bot.kb.index import IngestReport
from bot.kb.retrieve import Retriever
from bot.store import Store


@dataclass
class Services:
    settings: Settings
    retriever: Retriever
    answerer: Answerer
    store: Store
    coach: Coach
    games: GameBook
    study: SelfStudy
    # Model inference runs on one thread: the model is used one call at a time anyway, and torch's
    # OpenMP workers stay warm for it (switching callers doubled the latency of a question).
    compute: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="compute"))

    @classmethod
    def create(cls, settings: Settings) -> Services:
        from bot.coach.judge import Judge
        from bot.kb.service import open_retriever
        from bot.llm import chat_model

        retriever = open_retriever(settings)
        llm = chat_model(settings)
        store = Store(settings.data_dir / "state.sqlite")
        coach = Coach(store, Judge(retriever.kb.embedder), retriever=retriever, chat_model=llm)
        # The recogniser and the scenarios' reference sentences load in the background (a few seconds), so
        # start-up does not wait and a rep's first turn is as quick as the rest once the bot is up.
        threading.Thread(target=coach.judge.warm, args=(coach.scenarios(),), name="warm-judge", daemon=True).start()
        games = GameBook(store, team_size=settings.game_team_size, minutes=settings.game_minutes,
                         reminders=tuple(settings.game_reminders))
        study = SelfStudy(store, settings.knowledge_dir, timezone=settings.timezone)
        return cls(settings, retriever, Answerer(retriever, llm), store, coach, games, study)

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

    async def run(self, fn, *args):
        """Run blocking domain work (search, answer, ingest) off the event loop, on the compute thread."""
        return await asyncio.get_running_loop().run_in_executor(self.compute, fn, *args)

    def close(self) -> None:
        self.compute.shutdown(wait=True)
        self.store.close()
