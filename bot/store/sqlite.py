"""SQLite store. Every change is committed when it happens, so a crash or restart loses nothing."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (      -- every incoming update until it was handled: re-run after a crash
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,         -- the update as the Bot API sent it (JSON)
    received REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,  -- handlings started; one that keeps killing the bot is dropped
    done REAL                      -- when its handling finished (NULL: not yet)
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (done);
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
CREATE TABLE IF NOT EXISTS roleplays (
    session_id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    scenario TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    status TEXT NOT NULL,          -- active | ended
    state TEXT NOT NULL,           -- the engine's state after the last turn (JSON)
    total INTEGER,
    outcome TEXT,
    card TEXT,                     -- the scorecard (JSON) once ended
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS roleplays_by_user ON roleplays (user_id, status);
CREATE TABLE IF NOT EXISTS roleplay_turns (
    session_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    role TEXT NOT NULL,            -- rep | customer
    text TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (session_id, idx)
);
CREATE TABLE IF NOT EXISTS games (
    game_id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    status TEXT NOT NULL,          -- lobby | running | paused | voting | ended
    state TEXT NOT NULL,           -- the game's state (JSON): teams, clock, votes
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS games_by_chat ON games (chat_id, status);
CREATE TABLE IF NOT EXISTS game_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    game_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    team TEXT NOT NULL,
    text TEXT NOT NULL,
    created REAL NOT NULL,
    message_id INTEGER             -- the Telegram message, so an edit replaces its line
);
CREATE TABLE IF NOT EXISTS reachable (   -- users who opened a private chat: the bot may write to them
    user_id INTEGER PRIMARY KEY,
    since REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS members (   -- who the bot has seen in which group (trainer views)
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE TABLE IF NOT EXISTS assignments (
    assignment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,      -- the team group it was given in
    trainer_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    scenario TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    due REAL NOT NULL,
    reminded INTEGER NOT NULL DEFAULT 0,
    done_session INTEGER,          -- the role-play session that completed it
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS study (       -- one row per learner: lessons read, pending question, reminder
    user_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quiz_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    qid TEXT NOT NULL,
    module TEXT NOT NULL,
    correct INTEGER NOT NULL,
    context TEXT NOT NULL,         -- quiz | review | exam
    day TEXT NOT NULL,             -- local date, for streaks
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS quiz_answers_by_user ON quiz_answers (user_id);
CREATE TABLE IF NOT EXISTS review_cards (
    user_id INTEGER NOT NULL,
    qid TEXT NOT NULL,
    card TEXT NOT NULL,            -- FSRS card (JSON)
    due REAL NOT NULL,
    PRIMARY KEY (user_id, qid)
);
CREATE TABLE IF NOT EXISTS exams (
    attempt_id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    questions TEXT NOT NULL,       -- question ids (JSON)
    answers TEXT NOT NULL,         -- given answers (JSON)
    started REAL NOT NULL,
    deadline REAL NOT NULL,
    finished REAL,
    right INTEGER,
    passed INTEGER
);
CREATE TABLE IF NOT EXISTS certifications (
    user_id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (    -- an admin's upload, stage by stage, so a crash mid-way can be reported
    upload_id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    status_message_id INTEGER,             -- the message showing progress, finished after a crash
    name TEXT NOT NULL,
    stage TEXT NOT NULL,                   -- received, reading, indexing; then done, failed or interrupted
    detail TEXT NOT NULL DEFAULT '',       -- the reason it failed, or the document id while indexing
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS admin_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    detail TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS health (      -- written and removed at start-up: proves the store takes writes
    id INTEGER PRIMARY KEY,
    checked REAL NOT NULL
);
"""

# SQLite result codes that mean "this store cannot take writes now", not "this query is wrong":
# SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN (extended codes share the low byte).
_UNWRITABLE_CODES = {3, 8, 10, 13, 14}


class StoreUnwritable(Exception):
    """The store cannot take writes (read-only file or folder, full disk, I/O error); nothing was saved."""

    def __init__(self, path, reason: str) -> None:
        super().__init__(f"the store {path} cannot be written: {reason}")
        self.path, self.reason = path, reason


def _unwritable(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _UNWRITABLE_CODES


class _Connection:
    """The sqlite3 connection with its write failures raised as StoreUnwritable, so callers can tell
    "the disk is full" from a bug."""

    def __init__(self, db: sqlite3.Connection, path) -> None:
        self._db, self._path = db, path

    def _translate(self, exc: sqlite3.Error) -> BaseException:
        return StoreUnwritable(self._path, str(exc)) if _unwritable(exc) else exc

    def execute(self, *args):
        try:
            return self._db.execute(*args)
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def executemany(self, *args):
        try:
            return self._db.executemany(*args)
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def executescript(self, script: str):
        try:
            return self._db.executescript(script)
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        self._db.__enter__()
        return self

    def __exit__(self, *exc_info):
        try:
            return self._db.__exit__(*exc_info)
        except sqlite3.Error as exc:  # the COMMIT itself failed (full disk)
            raise self._translate(exc) from exc


def _where(**filters) -> tuple[str, list]:
    """' WHERE a = ? AND b = ?' and its arguments, for the filters that are not None."""
    used = {k: v for k, v in filters.items() if v is not None}
    return (" WHERE " + " AND ".join(f"{k} = ?" for k in used) if used else ""), list(used.values())


@dataclass
class StoredRolePlay:
    session_id: int
    user_id: int
    chat_id: int
    scenario: str
    difficulty: str
    status: str
    state: dict
    total: int | None
    outcome: str | None
    card: dict | None
    created: float
    updated: float


_RP_COLUMNS = ("session_id, user_id, chat_id, scenario, difficulty, status, state, total, outcome, card, "
               "created, updated")


def _roleplay(row) -> StoredRolePlay:
    return StoredRolePlay(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8],
                          json.loads(row[9]) if row[9] else None, row[10], row[11])


@dataclass
class StoredAnswer:
    answer_id: int
    user_id: int
    chat_id: int
    question: str
    chunk_ids: list[str]


@dataclass
class StoredUpload:
    upload_id: int
    user_id: int
    chat_id: int
    status_message_id: int | None
    name: str
    stage: str
    detail: str
    created: float


class Store:
    """A small typed facade over one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str, clock=time.time) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._lock = threading.Lock()
        try:
            raw = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreUnwritable(path, str(exc)) from exc
        self.db = _Connection(raw, path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Columns added since a store was created (SQLite has no ADD COLUMN IF NOT EXISTS)."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(game_messages)").fetchall()}
        if "message_id" not in columns:
            self.db.execute("ALTER TABLE game_messages ADD COLUMN message_id INTEGER")

    def check_writable(self) -> None:
        """Commit one small write and remove it: StoreUnwritable when the store cannot take writes."""
        with self._lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT OR REPLACE INTO health (id, checked) VALUES (1, ?)", (self.clock(),))
            self.db.execute("DELETE FROM health")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # inbox -----------------------------------------------------------------
    def receive_update(self, update_id: int, payload: str) -> bool:
        """Keep an incoming update before it is confirmed to Telegram; False if it was kept already
        (Telegram sent it again after a crash, and the journal has it)."""
        with self._lock:
            cur = self.db.execute("INSERT OR IGNORE INTO inbox (update_id, payload, received) VALUES (?, ?, ?)",
                                  (update_id, payload, self.clock()))
            return cur.rowcount > 0

    def start_update(self, update_id: int) -> bool:
        """Count an attempt at handling a kept update; False if it is not kept (nothing was written)."""
        with self._lock:
            return self.db.execute("UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?",
                                   (update_id,)).rowcount > 0

    def finish_update(self, update_id: int) -> bool:
        """Mark a kept update handled; False if it is not kept (nothing was written)."""
        with self._lock:
            return self.db.execute("UPDATE inbox SET done = ? WHERE update_id = ?",
                                   (self.clock(), update_id)).rowcount > 0

    def unfinished_updates(self) -> list[tuple[int, str, float, int]]:
        """(update_id, payload, received, attempts) of every update not handled to the end, oldest first."""
        with self._lock:
            return [tuple(r) for r in self.db.execute(
                "SELECT update_id, payload, received, attempts FROM inbox WHERE done IS NULL ORDER BY update_id")]

    def forget_updates(self, before: float) -> None:
        """Drop handled updates received before `before` (kept a while so a redelivery is recognised)."""
        with self._lock:
            self.db.execute("DELETE FROM inbox WHERE done IS NOT NULL AND received < ?", (before,))

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

    # role-plays -------------------------------------------------------------
    def start_roleplay(self, user_id: int, chat_id: int, scenario: str, difficulty: str, state: dict) -> int:
        """A new active session with its opening turns; the caller has ended any previous one."""
        now = self.clock()
        with self._lock, self.db:
            self.db.execute("BEGIN")
            cur = self.db.execute(
                "INSERT INTO roleplays (user_id, chat_id, scenario, difficulty, status, state, created, updated) "
                "VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
                (user_id, chat_id, scenario, difficulty, json.dumps(state, ensure_ascii=False), now, now))
            session_id = int(cur.lastrowid)
            self._append_turns(session_id, state["transcript"], 0, now)
            return session_id

    def save_roleplay_turn(self, session_id: int, state: dict, first_new: int) -> None:
        """The state after a turn and the transcript lines from `first_new` on, in one transaction."""
        now = self.clock()
        with self._lock, self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE roleplays SET state = ?, updated = ? WHERE session_id = ?",
                            (json.dumps(state, ensure_ascii=False), now, session_id))
            self._append_turns(session_id, state["transcript"][first_new:], first_new, now)

    def end_roleplay(self, session_id: int, state: dict, total: int, outcome: str, card: dict) -> None:
        now = self.clock()
        with self._lock, self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE roleplays SET status = 'ended', state = ?, total = ?, outcome = ?, card = ?, updated = ? "
                "WHERE session_id = ?",
                (json.dumps(state, ensure_ascii=False), total, outcome, json.dumps(card, ensure_ascii=False), now,
                 session_id))
            known = self.db.execute("SELECT COUNT(*) FROM roleplay_turns WHERE session_id = ?",
                                    (session_id,)).fetchone()[0]
            self._append_turns(session_id, state["transcript"][known:], known, now)

    def _append_turns(self, session_id: int, turns: list[dict], first: int, now: float) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO roleplay_turns (session_id, idx, role, text, created) VALUES (?, ?, ?, ?, ?)",
            [(session_id, first + i, t["role"], t["text"], now) for i, t in enumerate(turns)])

    def active_roleplay(self, user_id: int) -> StoredRolePlay | None:
        with self._lock:
            row = self.db.execute(f"SELECT {_RP_COLUMNS} FROM roleplays WHERE user_id = ? AND status = 'active' "
                                  "ORDER BY session_id DESC LIMIT 1", (user_id,)).fetchone()
        return _roleplay(row) if row else None

    def roleplay(self, session_id: int) -> StoredRolePlay | None:
        with self._lock:
            row = self.db.execute(f"SELECT {_RP_COLUMNS} FROM roleplays WHERE session_id = ?",
                                  (session_id,)).fetchone()
        return _roleplay(row) if row else None

    def roleplays(self, user_id: int | None = None, *, status: str | None = "ended",
                  limit: int = 100) -> list[StoredRolePlay]:
        """Sessions, newest first; all users when `user_id` is None (trainer views)."""
        where, args = _where(user_id=user_id, status=status)
        sql = f"SELECT {_RP_COLUMNS} FROM roleplays{where}"
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY session_id DESC LIMIT ?", (*args, limit)).fetchall()
        return [_roleplay(r) for r in rows]

    def roleplay_transcript(self, session_id: int) -> list[tuple[str, str]]:
        with self._lock:
            return self.db.execute("SELECT role, text FROM roleplay_turns WHERE session_id = ? ORDER BY idx",
                                   (session_id,)).fetchall()

    # key-account games --------------------------------------------------------
    def create_game(self, chat_id: int, state: dict) -> int:
        now = self.clock()
        with self._lock:
            cur = self.db.execute("INSERT INTO games (chat_id, status, state, created, updated) VALUES (?, ?, ?, ?, ?)",
                                  (chat_id, state["status"], json.dumps(state, ensure_ascii=False), now, now))
            return int(cur.lastrowid)

    def save_game(self, game_id: int, state: dict) -> None:
        with self._lock:
            self.db.execute("UPDATE games SET status = ?, state = ?, updated = ? WHERE game_id = ?",
                            (state["status"], json.dumps(state, ensure_ascii=False), self.clock(), game_id))

    def game(self, game_id: int) -> tuple[int, dict] | None:
        with self._lock:
            row = self.db.execute("SELECT game_id, state FROM games WHERE game_id = ?", (game_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def open_game(self, chat_id: int) -> tuple[int, dict] | None:
        """The chat's game that has not ended, if any."""
        with self._lock:
            row = self.db.execute("SELECT game_id, state FROM games WHERE chat_id = ? AND status != 'ended' "
                                  "ORDER BY game_id DESC LIMIT 1", (chat_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def games(self, statuses: tuple[str, ...]) -> list[tuple[int, dict]]:
        marks = ",".join("?" * len(statuses))
        with self._lock:
            rows = self.db.execute(f"SELECT game_id, state FROM games WHERE status IN ({marks}) ORDER BY game_id",
                                   statuses).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def add_game_message(self, game_id: int, user_id: int, name: str, team: str, text: str,
                         message_id: int | None = None) -> None:
        with self._lock:
            if message_id is not None and self.db.execute(  # the same message again (re-run after a crash)
                    "SELECT 1 FROM game_messages WHERE game_id = ? AND user_id = ? AND message_id = ?",
                    (game_id, user_id, message_id)).fetchone():
                return
            self.db.execute("INSERT INTO game_messages (game_id, user_id, name, team, text, created, message_id) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", (game_id, user_id, name, team, text, self.clock(),
                                                             message_id))

    def edit_game_message(self, game_id: int, user_id: int, message_id: int, text: str) -> bool:
        """Replace the text of a recorded line (its author edited it); False when no such line."""
        with self._lock:
            cur = self.db.execute("UPDATE game_messages SET text = ? WHERE game_id = ? AND user_id = ? "
                                  "AND message_id = ?", (text, game_id, user_id, message_id))
            return cur.rowcount > 0

    def game_messages(self, game_id: int) -> list[dict]:
        with self._lock:
            rows = self.db.execute("SELECT user_id, name, team, text, created FROM game_messages WHERE game_id = ? "
                                   "ORDER BY id", (game_id,)).fetchall()
        return [{"user_id": r[0], "name": r[1], "team": r[2], "text": r[3], "created": r[4]} for r in rows]

    # group members and assignments -------------------------------------------
    def mark_reachable(self, user_id: int) -> None:
        with self._lock:
            self.db.execute("INSERT OR IGNORE INTO reachable VALUES (?, ?)", (user_id, self.clock()))

    def is_reachable(self, user_id: int) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM reachable WHERE user_id = ?", (user_id,)).fetchone() is not None

    def seen_member(self, chat_id: int, user_id: int, name: str) -> None:
        with self._lock:
            self.db.execute("INSERT INTO members VALUES (?, ?, ?, ?) ON CONFLICT(chat_id, user_id) DO UPDATE SET "
                            "name = excluded.name, last_seen = excluded.last_seen", (chat_id, user_id, name, self.clock()))

    def members(self, chat_id: int) -> list[tuple[int, str]]:
        with self._lock:
            return self.db.execute("SELECT user_id, name FROM members WHERE chat_id = ? ORDER BY name",
                                   (chat_id,)).fetchall()

    def add_assignment(self, chat_id: int, trainer_id: int, user_id: int, scenario: str, difficulty: str,
                       due: float) -> int:
        with self._lock:
            cur = self.db.execute(
                "INSERT INTO assignments (chat_id, trainer_id, user_id, scenario, difficulty, due, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (chat_id, trainer_id, user_id, scenario, difficulty, due, self.clock()))
            return int(cur.lastrowid)

    def assignments(self, *, user_id: int | None = None, chat_id: int | None = None,
                    open_only: bool = False) -> list[dict]:
        where, args = _where(user_id=user_id, chat_id=chat_id)
        if open_only:
            where += (" AND" if where else " WHERE") + " done_session IS NULL"
        sql = ("SELECT assignment_id, chat_id, trainer_id, user_id, scenario, difficulty, due, reminded, done_session "
               f"FROM assignments{where} ORDER BY assignment_id")
        with self._lock:
            rows = self.db.execute(sql, args).fetchall()
        keys = ("assignment_id", "chat_id", "trainer_id", "user_id", "scenario", "difficulty", "due", "reminded",
                "done_session")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def mark_assignment(self, assignment_id: int, *, reminded: bool | None = None,
                        done_session: int | None = None) -> None:
        with self._lock:
            if reminded is not None:
                self.db.execute("UPDATE assignments SET reminded = ? WHERE assignment_id = ?",
                                (int(reminded), assignment_id))
            if done_session is not None:
                self.db.execute("UPDATE assignments SET done_session = ? WHERE assignment_id = ?",
                                (done_session, assignment_id))

    # self-study ---------------------------------------------------------------
    def study_state(self, user_id: int) -> dict:
        with self._lock:
            row = self.db.execute("SELECT state FROM study WHERE user_id = ?", (user_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def save_study_state(self, user_id: int, state: dict) -> None:
        with self._lock:
            self.db.execute("INSERT INTO study VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET state = excluded.state",
                            (user_id, json.dumps(state, ensure_ascii=False)))

    def study_states(self) -> list[tuple[int, dict]]:
        with self._lock:
            rows = self.db.execute("SELECT user_id, state FROM study").fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def add_quiz_answer(self, user_id: int, qid: str, module: str, correct: bool, context: str, day: str,
                        card: str | None, due: float | None) -> None:
        """The answer, and (outside exams) the question's new review card, in one transaction."""
        now = self.clock()
        with self._lock, self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO quiz_answers (user_id, qid, module, correct, context, day, created) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", (user_id, qid, module, int(correct), context, day, now))
            if card is not None:
                self.db.execute("INSERT INTO review_cards VALUES (?, ?, ?, ?) ON CONFLICT(user_id, qid) DO UPDATE "
                                "SET card = excluded.card, due = excluded.due", (user_id, qid, card, due))

    def quiz_answers(self, user_id: int) -> list[tuple[str, str, bool, str, str]]:
        """(qid, module, correct, context, day), oldest first."""
        with self._lock:
            rows = self.db.execute("SELECT qid, module, correct, context, day FROM quiz_answers WHERE user_id = ? "
                                   "ORDER BY id", (user_id,)).fetchall()
        return [(r[0], r[1], bool(r[2]), r[3], r[4]) for r in rows]

    def review_card(self, user_id: int, qid: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT card FROM review_cards WHERE user_id = ? AND qid = ?",
                                  (user_id, qid)).fetchone()
        return row[0] if row else None

    def set_review_card(self, user_id: int, qid: str, card: str, due: float) -> None:
        with self._lock:
            self.db.execute("INSERT INTO review_cards VALUES (?, ?, ?, ?) ON CONFLICT(user_id, qid) DO UPDATE "
                            "SET card = excluded.card, due = excluded.due", (user_id, qid, card, due))

    def due_cards(self, user_id: int, now: float) -> list[str]:
        with self._lock:
            rows = self.db.execute("SELECT qid FROM review_cards WHERE user_id = ? AND due <= ? ORDER BY due",
                                   (user_id, now)).fetchall()
        return [r[0] for r in rows]

    def start_exam(self, user_id: int, qids: list[str], started: float, deadline: float) -> int:
        with self._lock:
            cur = self.db.execute("INSERT INTO exams (user_id, questions, answers, started, deadline) "
                                  "VALUES (?, ?, '[]', ?, ?)", (user_id, json.dumps(qids), started, deadline))
            return int(cur.lastrowid)

    def exam(self, attempt_id: int) -> dict | None:
        with self._lock:
            row = self.db.execute("SELECT attempt_id, user_id, questions, answers, started, deadline, finished, right, "
                                  "passed FROM exams WHERE attempt_id = ?", (attempt_id,)).fetchone()
        if not row:
            return None
        return {"attempt_id": row[0], "user_id": row[1], "questions": json.loads(row[2]), "answers": json.loads(row[3]),
                "started": row[4], "deadline": row[5], "finished": row[6], "right": row[7],
                "passed": None if row[8] is None else bool(row[8])}

    def exams(self, user_id: int) -> list[dict]:
        with self._lock:
            ids = [r[0] for r in self.db.execute("SELECT attempt_id FROM exams WHERE user_id = ? ORDER BY attempt_id",
                                                 (user_id,)).fetchall()]
        return [self.exam(i) for i in ids]

    def save_exam_answers(self, attempt_id: int, answers: list) -> None:
        with self._lock:
            self.db.execute("UPDATE exams SET answers = ? WHERE attempt_id = ?", (json.dumps(answers), attempt_id))

    def finish_exam(self, attempt_id: int, finished: float, right: int, passed: bool) -> None:
        with self._lock:
            self.db.execute("UPDATE exams SET finished = ?, right = ?, passed = ? WHERE attempt_id = ?",
                            (finished, right, int(passed), attempt_id))

    def certify(self, user_id: int, attempt_id: int) -> None:
        with self._lock:
            self.db.execute("INSERT OR IGNORE INTO certifications VALUES (?, ?, ?)", (user_id, attempt_id, self.clock()))

    def certified(self, user_id: int) -> float | None:
        with self._lock:
            row = self.db.execute("SELECT created FROM certifications WHERE user_id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    # uploads ---------------------------------------------------------------
    def start_upload(self, user_id: int, chat_id: int, name: str, status_message_id: int | None) -> int:
        now = self.clock()
        with self._lock:
            return self.db.execute(
                "INSERT INTO uploads (user_id, chat_id, status_message_id, name, stage, created, updated) "
                "VALUES (?, ?, ?, ?, 'received', ?, ?)", (user_id, chat_id, status_message_id, name, now, now),
            ).lastrowid

    def set_upload_stage(self, upload_id: int, stage: str, detail: str = "") -> None:
        with self._lock:
            self.db.execute("UPDATE uploads SET stage = ?, detail = ?, updated = ? WHERE upload_id = ?",
                            (stage, detail, self.clock(), upload_id))

    def unfinished_uploads(self) -> list[StoredUpload]:
        """Uploads a crash or kill interrupted: not done, failed or already reported as interrupted."""
        with self._lock:
            rows = self.db.execute(
                "SELECT upload_id, user_id, chat_id, status_message_id, name, stage, detail, created FROM uploads "
                "WHERE stage NOT IN ('done', 'failed', 'interrupted') ORDER BY upload_id").fetchall()
        return [StoredUpload(*row) for row in rows]

    def uploads(self) -> list[StoredUpload]:
        with self._lock:
            rows = self.db.execute(
                "SELECT upload_id, user_id, chat_id, status_message_id, name, stage, detail, created FROM uploads "
                "ORDER BY upload_id").fetchall()
        return [StoredUpload(*row) for row in rows]

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
