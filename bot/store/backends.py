"""The two databases the store runs on, behind one small connection interface.

The store's SQL is written once, in the dialect both share (``?`` parameters, ``INSERT ... ON CONFLICT``,
``RETURNING``); what differs lives here: how to connect, how a transaction takes its write lock, and which
errors mean "this store cannot take writes now" (StoreUnwritable) rather than "this query is wrong".
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

from bot.config import redact_url
from bot.errors import StoreError

# SQLite result codes that mean "this store cannot take writes now", not "this query is wrong":
# SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN (extended codes share the low byte).
_UNWRITABLE_CODES = {3, 8, 10, 13, 14}

# PostgreSQL error classes with the same meaning: 08 connection lost or refused, 53 out of disk, memory or
# connections, 57 the server shutting down, 25006 a read-only transaction (a hot standby, or
# default_transaction_read_only), 42501 no privilege to write.
_PG_UNWRITABLE_CLASSES = ("08", "53", "57")
_PG_UNWRITABLE_STATES = {"25006", "42501"}

CONNECT_TIMEOUT = 5  # seconds: a server that does not answer is reported, not waited on for minutes


class StoreUnwritable(StoreError):
    """The store cannot take writes (read-only file or folder, full disk, I/O error, database server down or
    read-only); nothing was saved."""

    def __init__(self, path, reason: str) -> None:
        super().__init__(f"the store {path} cannot be written: {reason}")
        self.path, self.reason = path, reason


def is_postgres(location: Path | str) -> bool:
    return str(location).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def redact(location: Path | str) -> str:
    """The location as it can be shown and logged: a database URL without its password."""
    return redact_url(str(location)) if is_postgres(location) else str(location)


class Rows(list):
    """A statement's rows, read to the end, and how many rows it changed."""

    def __init__(self, rows, rowcount: int) -> None:
        super().__init__(rows)
        self.rowcount = rowcount

    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


class SqliteConnection:
    """One sqlite3 connection in autocommit mode, its write failures raised as StoreUnwritable, so callers
    can tell "the disk is full" from a bug."""

    dialect = "sqlite"
    for_update = ""  # BEGIN IMMEDIATE already holds the database's one write lock
    by_code_point = ""  # SQLite compares text byte by byte already

    def __init__(self, path: Path | str) -> None:
        self.path = path
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self.open()
        except sqlite3.Error as exc:
            raise StoreUnwritable(path, str(exc)) from exc
        # Switching to WAL takes a lock even when it is on already: asked only once per file, so a store opening
        # while another process migrates it waits on the busy timeout instead of failing at once.
        if self.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.execute("PRAGMA journal_mode=WAL")
        self.execute("PRAGMA synchronous=NORMAL")

    def open(self, autocommit: bool = True) -> sqlite3.Connection:
        """A new raw connection to the same file (the migrations run on their own, and BEGIN themselves)."""
        return sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)

    def translate(self, exc: sqlite3.Error) -> BaseException:
        code = getattr(exc, "sqlite_errorcode", None)
        unwritable = code is not None and code & 0xFF in _UNWRITABLE_CODES
        return StoreUnwritable(self.path, str(exc)) if unwritable else exc

    def execute(self, sql: str, args=()):
        try:
            cur = self._db.execute(sql, args)
            # Read to the end here: a write's own failure (a full disk under INSERT ... RETURNING) comes
            # when its statement finishes, which would otherwise be in the caller's fetchone().
            return Rows(cur.fetchall(), cur.rowcount)
        except sqlite3.Error as exc:
            raise self.translate(exc) from exc

    def executemany(self, sql: str, rows):
        try:
            return self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self.translate(exc) from exc

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT: the write lock is taken up front, so a read inside sees what the
        write will change (no other writer can come in between)."""
        self.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


class PostgresConnection:
    """One psycopg connection in autocommit mode (every statement commits, as the SQLite store does), with
    transactions where several statements must hold together. A lost connection is opened again on the
    next call; until it can be, calls raise StoreUnwritable."""

    dialect = "postgresql"
    for_update = " FOR UPDATE"
    by_code_point = ' COLLATE "C"'  # the database's locale would order names differently from SQLite

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.path = redact(url)
        self._db = None
        self._connect()

    def open(self, autocommit: bool = True):
        """A new raw connection (the migrations run on their own, in one transaction)."""
        return self._psycopg.connect(self.url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT)

    def _connect(self):
        if self._db is None or self._db.closed:
            try:
                self._db = self.open()
            except self._psycopg.Error as exc:
                self._db = None
                raise StoreUnwritable(self.path, _one_line(exc)) from exc
        return self._db

    def translate(self, exc: Exception) -> BaseException:
        state = getattr(exc, "sqlstate", None) or ""
        lost = isinstance(exc, self._psycopg.OperationalError | self._psycopg.InterfaceError)
        if lost and self._db is not None and (self._db.closed or self._db.broken):
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None  # opened again on the next call
        if lost or state.startswith(_PG_UNWRITABLE_CLASSES) or state in _PG_UNWRITABLE_STATES:
            return StoreUnwritable(self.path, _one_line(exc))
        return exc

    @staticmethod
    def _sql(sql: str) -> str:
        # The store's SQL has no "?" or "%" in a literal (a test would show it), so its qmark parameters can
        # become psycopg's %s by plain replacement.
        return sql.replace("?", "%s")

    def execute(self, sql: str, args=()):
        db = self._connect()
        try:
            return db.execute(self._sql(sql), args)
        except self._psycopg.Error as exc:
            raise self.translate(exc) from exc

    def executemany(self, sql: str, rows):
        db = self._connect()
        try:
            cur = db.cursor()
            cur.executemany(self._sql(sql), list(rows))
            return cur
        except self._psycopg.Error as exc:
            raise self.translate(exc) from exc

    @contextlib.contextmanager
    def transaction(self):
        """One transaction (READ COMMITTED); a read that decides a write takes its row with `for_update`."""
        db = self._connect()
        try:
            with db.transaction():
                yield self
        except self._psycopg.Error as exc:  # the COMMIT itself failed, or the connection went mid-way
            raise self.translate(exc) from exc

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _one_line(exc: Exception) -> str:
    """psycopg's messages run over several lines (the libpq detail); the first says what happened."""
    text = str(exc).strip()
    return re.sub(r"\s+", " ", text.splitlines()[0] if text else type(exc).__name__)


def connect(location: Path | str):
    return PostgresConnection(str(location)) if is_postgres(location) else SqliteConnection(Path(location))
