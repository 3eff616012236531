"""The services both faces (Telegram and terminal) share, built once and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.kb.answer import Answerer
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

    def close(self) -> None:
        self.store.close()
