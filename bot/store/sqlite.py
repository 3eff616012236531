"""SQLite store. Every change is committed when it happens, so a crash or restart loses nothing."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY,
    lang TEXT,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    answer_id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ratings (
    answer_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    rating INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS admin_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    detail TEXT,
    created REAL NOT NULL
);
"""


@dataclass
class StoredAnswer:
    answer_id: int
    user_id: int
    chat_id: int
    question: str
    chunk_ids: list[str]


class Store:
    """A small typed facade over one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str, clock=time.time) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # users -----------------------------------------------------------------
    def touch_user(self, user_id: int) -> None:
        now = self.clock()
        with self._lock:
            self.db.execute(
                "INSERT INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET last_seen = excluded.last_seen",
                (user_id, now, now),
            )

    def user_lang(self, user_id: int) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT lang FROM users WHERE user_id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    def set_user_lang(self, user_id: int, lang: str) -> None:
        now = self.clock()
        with self._lock:
            self.db.execute(
                "INSERT INTO users (user_id, lang, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET lang = excluded.lang, last_seen = excluded.last_seen",
                (user_id, lang, now, now),
            )

    # answers and ratings ---------------------------------------------------
    def save_answer(self, user_id: int, chat_id: int, question: str, chunk_ids: list[str]) -> int:
        with self._lock:
            cur = self.db.execute(
                "INSERT INTO answers (user_id, chat_id, question, chunk_ids, created) VALUES (?, ?, ?, ?, ?)",
                (user_id, chat_id, question, json.dumps(chunk_ids, ensure_ascii=False), self.clock()),
            )
            return int(cur.lastrowid)

    def answer(self, answer_id: int) -> StoredAnswer | None:
        with self._lock:
            row = self.db.execute(
                "SELECT answer_id, user_id, chat_id, question, chunk_ids FROM answers WHERE answer_id = ?",
                (answer_id,),
            ).fetchone()
        if not row:
            return None
        return StoredAnswer(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def rate(self, answer_id: int, user_id: int, rating: int) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO ratings VALUES (?, ?, ?, ?) ON CONFLICT(answer_id, user_id) "
                "DO UPDATE SET rating = excluded.rating, created = excluded.created",
                (answer_id, user_id, rating, self.clock()),
            )

    def ratings(self) -> list[tuple[int, int, int]]:
        with self._lock:
            return self.db.execute("SELECT answer_id, user_id, rating FROM ratings ORDER BY answer_id").fetchall()

    # admin -----------------------------------------------------------------
    def log_admin_action(self, user_id: int, action: str, detail: str = "") -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO admin_actions (user_id, action, detail, created) VALUES (?, ?, ?, ?)",
                (user_id, action, detail, self.clock()),
            )

    def admin_actions(self) -> list[tuple[int, str, str]]:
        with self._lock:
            return self.db.execute("SELECT user_id, action, detail FROM admin_actions ORDER BY id").fetchall()
