"""Durable state (SQLite by default): users, answers shown, ratings, admin actions. No telegram."""

from bot.store.sqlite import Store, StoreUnwritable

__all__ = ["Store", "StoreUnwritable"]
