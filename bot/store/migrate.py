"""The store's schema, created and upgraded by alembic's versioned migrations (``migrations/versions``) on
SQLite and PostgreSQL alike. A store opens at the newest revision: an older one is upgraded first (two bots
starting together take turns), a newer one (written by a later salescoach) is refused rather than guessed at.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from bot.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_IN_PROCESS = threading.Lock()  # alembic's `context` is one per process: stores opened in threads take turns
MIGRATION_LOCK = 7_116_016  # any constant: the advisory lock two bots starting at once queue on (PostgreSQL)


class StoreOutdated(StoreError):
    """The database's schema is at a revision this salescoach does not know (a newer one wrote it)."""


@lru_cache(maxsize=1)
def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    return _scripts().get_current_head()


def known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises its own error for an unknown id
        return False


def revision(db) -> str | None:
    """The revision a store's database is at (None: no migration has run on it yet)."""
    try:  # reads only: a store that takes no writes still says where it is
        if not db.execute(_TABLES[db.dialect]).fetchall():
            return None
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except Exception as exc:
        from bot.store.backends import StoreUnwritable

        if isinstance(exc, StoreUnwritable):
            raise
        return None
    return row[0] if row else None


_TABLES = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
    "postgresql": "SELECT 1 FROM pg_tables WHERE tablename = 'alembic_version' AND schemaname = current_schema()",
}


def upgrade(db) -> None:
    """Run the migrations the database lacks, in one transaction, on a connection of their own."""
    from alembic import command
    from sqlalchemy import create_engine, event, text
    from sqlalchemy.pool import NullPool

    url = "postgresql+psycopg://" if db.dialect == "postgresql" else "sqlite://"
    # Not autocommit: the migrations, and the lock below, belong to one transaction.
    engine = create_engine(url, creator=lambda: db.open(autocommit=False), poolclass=NullPool)
    if db.dialect == "sqlite":
        # pysqlite would only BEGIN before DML; the migrations' DDL belongs in the transaction too, and
        # IMMEDIATE makes a second process starting at the same moment wait instead of migrating twice.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    from alembic.config import Config

    config = Config()  # one per upgrade: it carries the connection, and stores open from several threads
    config.set_main_option("script_location", str(MIGRATIONS))
    with _IN_PROCESS:
        try:
            with engine.begin() as connection:
                if db.dialect == "postgresql":
                    # Two bots starting on a fresh database: the second waits here, then alembic finds it done.
                    connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            engine.dispose()
