"""Durable state (SQLite by default, PostgreSQL when SALESCOACH_DATABASE_URL is set): users, answers shown,
ratings, role-plays, games, study progress, the update journal. No telegram."""

from __future__ import annotations

from pathlib import Path

from bot.store.backends import StoreUnwritable
from bot.store.migrate import StoreOutdated
from bot.store.store import RolePlayMoved, Store

__all__ = ["RolePlayMoved", "Store", "StoreOutdated", "StoreUnwritable", "open_store", "store_location"]


def store_location(settings) -> Path | str:
    """Where the configured store lives: the database URL if one is set, else the data dir's SQLite file."""
    return settings.database_url or settings.data_dir / "state.sqlite"


def open_store(settings, **kw) -> Store:
    """The configured store; its update journal keyed by the token's bot id (0 without a token)."""
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    bot_id = int(token.split(":", 1)[0]) if ":" in token else 0
    return Store(store_location(settings), bot_id=bot_id, **kw)
