"""The errors salescoach raises on purpose: one tree, in the manner of httpx's ``_exceptions.py``.

    SalescoachError              a condition a user or an operator can act on, not a bug; the message is one line
    ├── StartupError             the bot cannot start (bot.config); never holds a secret
    │   └── ConfigError          settings that cannot be used, one line per bad setting
    ├── KnowledgeBaseError       a document or index a user can fix (bot.kb.errors)
    │   ├── UnreadableDocument
    │   └── IndexMissing
    ├── StoreError               the durable state cannot be used (bot.store)
    │   ├── StoreUnwritable      no writes: read-only, disk full, database server down
    │   └── StoreOutdated        the schema is newer than this salescoach
    ├── CoachError               a role-play request that cannot be served (bot.coach.service)
    ├── StudyError               a study request that cannot be served (bot.coach.self_study)
    └── GameError                a key-account game request that cannot be served (bot.coach.game)

Each error is defined beside the code that raises it; only the roots live here, so the domain imports nothing
above it to raise one. The words a user reads are chosen at the edges: the command line turns any of them into
one line and an exit code in one place (bot.cli), the Telegram application's error handler and the faces' flows
choose replies in the user's language. Anything that is not a SalescoachError is a bug: it reaches the one error
handler of each face, which logs the traceback first.
"""

from __future__ import annotations


class SalescoachError(Exception):
    """Base class of every error salescoach raises on purpose."""


class StoreError(SalescoachError):
    """The store cannot be used as configured (bot.store's StoreUnwritable and StoreOutdated)."""


__all__ = ["SalescoachError", "StoreError"]
