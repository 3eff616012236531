"""The services both faces (Telegram and terminal) share, built once and passed down."""

from __future__ import annotations

from dataclasses import dataclass

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

    @classmethod
    def create(cls, settings: Settings) -> Services:
        from bot.kb.service import open_retriever
        from bot.llm import chat_model

        retriever = open_retriever(settings)
        return cls(settings, retriever, Answerer(retriever, chat_model(settings)),
                   Store(settings.data_dir / "state.sqlite"))

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

    def close(self) -> None:
        self.store.close()
