"""The store: SQLite (a file, the default) or PostgreSQL (a database URL, when several bots share state).
Every change is committed when it happens, so a crash or restart loses nothing.

Two bot processes may share one PostgreSQL database: a write that depends on what it read (a role-play's
transcript, a game's lines, a game's or a learner's state) reads and writes in one transaction holding the
row it depends on, and plain inserts or upserts (`ON CONFLICT`) need no reading first. The update journal is
kept per bot (update ids are counted per token).

Game and study states are whole JSON objects: they change through `update_game` and `update_study_state`,
which hand the state as stored now to a function and write what it made of it before anyone else may read
the row. Reading with one call and saving with another would let two bots (or two handlers) both start from
the same state, and the later save would erase the earlier one's change.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.errors import StoreError
from bot.store import migrate
from bot.store.backends import connect

T = TypeVar("T")


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
    version: int = 0  # raised by every write; a write from an older version is refused (RolePlayMoved)


_RP_COLUMNS = ("session_id, user_id, chat_id, scenario, difficulty, status, state, total, outcome, card, "
               "created, updated, version")


def _roleplay(row) -> StoredRolePlay:
    return StoredRolePlay(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8],
                          json.loads(row[9]) if row[9] else None, row[10], row[11], row[12])


class RolePlayMoved(StoreError):
    """The session was written since it was read (another process took a turn in it): read it again."""

    def __init__(self, session_id: int) -> None:
        super().__init__(f"role-play {session_id} changed since it was read")
        self.session_id = session_id


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
    """A small typed facade over one SQLite file or PostgreSQL database; safe to share between threads.

    `location` is a file path or a ``postgresql://`` URL; `bot_id` (the token's bot id) keys the update
    journal, so bots sharing a database keep their own."""

    def __init__(self, location: Path | str, clock=time.time, *, bot_id: int = 0) -> None:
        self.clock = clock
        self.bot_id = bot_id
        self._lock = threading.Lock()
        self.db = connect(location)
        self.path = self.db.path  # a URL without its password: it is shown in errors and logs
        try:
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    def _migrate(self) -> None:
        """Bring the schema to the newest revision (a no-op, one query, when it is there already)."""
        current = migrate.revision(self.db)
        if current == migrate.head():
            return
        if current is not None and not migrate.known(current):
            raise migrate.StoreOutdated(
                f"the store {self.path} is at schema revision {current}, which this salescoach does not know "
                f"(a newer version upgraded it; this one reads up to {migrate.head()})")
        import sqlalchemy.exc

        try:
            migrate.upgrade(self.db)
        except sqlalchemy.exc.DBAPIError as exc:
            translated = self.db.translate(exc.orig)
            if translated is exc.orig:
                raise
            raise translated from exc

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def check_writable(self) -> None:
        """Commit one small write and remove it: StoreUnwritable when the store cannot take writes."""
        with self._lock, self.db.transaction():
            self.db.execute("INSERT INTO health (id, checked) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
                            "SET checked = excluded.checked", (self.bot_id, self.clock()))
            self.db.execute("DELETE FROM health WHERE id = ?", (self.bot_id,))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # inbox -----------------------------------------------------------------
    def receive_update(self, update_id: int, payload: str) -> bool:
        """Keep an incoming update before it is confirmed to Telegram; False if it was kept already
        (Telegram sent it again after a crash, and the journal has it)."""
        with self._lock:
            cur = self.db.execute("INSERT INTO inbox (bot_id, update_id, payload, received) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT DO NOTHING", (self.bot_id, update_id, payload, self.clock()))
            return cur.rowcount > 0

    def start_update(self, update_id: int) -> bool:
        """Count an attempt at handling a kept update; False if it is not kept (nothing was written)."""
        with self._lock:
            return self.db.execute("UPDATE inbox SET attempts = attempts + 1 WHERE bot_id = ? AND update_id = ?",
                                   (self.bot_id, update_id)).rowcount > 0

    def finish_update(self, update_id: int) -> bool:
        """Mark a kept update handled; False if it is not kept (nothing was written)."""
        with self._lock:
            return self.db.execute("UPDATE inbox SET done = ? WHERE bot_id = ? AND update_id = ?",
                                   (self.clock(), self.bot_id, update_id)).rowcount > 0

    def unfinished_updates(self) -> list[tuple[int, str, float, int]]:
        """(update_id, payload, received, attempts) of every update not handled to the end, oldest first."""
        with self._lock:
            return [tuple(r) for r in self.db.execute(
                "SELECT update_id, payload, received, attempts FROM inbox WHERE bot_id = ? AND done IS NULL "
                "ORDER BY update_id", (self.bot_id,))]

    def forget_updates(self, before: float) -> None:
        """Drop handled updates received before `before` (kept a while so a redelivery is recognised)."""
        with self._lock:
            self.db.execute("DELETE FROM inbox WHERE bot_id = ? AND done IS NOT NULL AND received < ?",
                            (self.bot_id, before))

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
                "INSERT INTO answers (user_id, chat_id, question, chunk_ids, created) VALUES (?, ?, ?, ?, ?) "
                "RETURNING answer_id",
                (user_id, chat_id, question, json.dumps(chunk_ids, ensure_ascii=False), self.clock()),
            )
            return int(cur.fetchone()[0])

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
        with self._lock, self.db.transaction():
            cur = self.db.execute(
                "INSERT INTO roleplays (user_id, chat_id, scenario, difficulty, status, state, created, updated) "
                "VALUES (?, ?, ?, ?, 'active', ?, ?, ?) RETURNING session_id",
                (user_id, chat_id, scenario, difficulty, json.dumps(state, ensure_ascii=False), now, now))
            session_id = int(cur.fetchone()[0])
            self._append_turns(session_id, state["transcript"], 0, now)
            return session_id

    def save_roleplay_turn(self, session_id: int, state: dict, first_new: int, *, version: int | None = None) -> None:
        """The state after a turn and the transcript lines from `first_new` on, in one transaction. With
        `version` (the one the state was read at), a session written since is left alone: RolePlayMoved."""
        now = self.clock()
        with self._lock, self.db.transaction():
            self._write_roleplay(session_id, version, "state = ?, updated = ?",
                                 (json.dumps(state, ensure_ascii=False), now))
            self._append_turns(session_id, state["transcript"][first_new:], first_new, now)

    def end_roleplay(self, session_id: int, state: dict, total: int, outcome: str, card: dict, *,
                     version: int | None = None) -> None:
        """The session ended with its scorecard; `version` as for `save_roleplay_turn`. Ending it again (a
        re-run after a crash, without a version) writes the same ending."""
        now = self.clock()
        with self._lock, self.db.transaction():
            # The UPDATE holds the session's row until COMMIT: a second process ending it waits, then
            # counts the turns this one wrote.
            self._write_roleplay(
                session_id, version, "status = 'ended', state = ?, total = ?, outcome = ?, card = ?, updated = ?",
                (json.dumps(state, ensure_ascii=False), total, outcome, json.dumps(card, ensure_ascii=False), now))
            known = self.db.execute("SELECT COUNT(*) FROM roleplay_turns WHERE session_id = ?",
                                    (session_id,)).fetchone()[0]
            self._append_turns(session_id, state["transcript"][known:], known, now)

    def _write_roleplay(self, session_id: int, version: int | None, assignments: str, args: tuple) -> None:
        """UPDATE the session's row (raising its version); inside the caller's transaction."""
        sql = f"UPDATE roleplays SET {assignments}, version = version + 1 WHERE session_id = ?"
        if version is None:
            self.db.execute(sql, (*args, session_id))
        elif self.db.execute(sql + " AND version = ?", (*args, session_id, version)).rowcount == 0:
            raise RolePlayMoved(session_id)

    def _append_turns(self, session_id: int, turns: list[dict], first: int, now: float) -> None:
        self.db.executemany(
            "INSERT INTO roleplay_turns (session_id, idx, role, text, created) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id, idx) DO UPDATE SET role = excluded.role, text = excluded.text, "
            "created = excluded.created",
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
            cur = self.db.execute("INSERT INTO games (bot_id, chat_id, status, state, created, updated) "
                                  "VALUES (?, ?, ?, ?, ?, ?) RETURNING game_id",
                                  (self.bot_id, chat_id, state["status"], json.dumps(state, ensure_ascii=False),
                                   now, now))
            return int(cur.fetchone()[0])

    def update_game(self, game_id: int, change: Callable[[dict], T]) -> tuple[dict, T] | None:
        """Apply `change` to the game's state as stored now, in place, and save it: (the new state, what
        `change` returned), or None when there is no such game. The game's row is held from the read to
        COMMIT, so two bots or handlers changing one game at once both count, in turn. An exception from
        `change` saves nothing and reaches the caller; a state it leaves as it was is not written.
        `change` must not call the store (its lock is held)."""
        with self._lock, self.db.transaction():
            row = self.db.execute("SELECT state FROM games WHERE game_id = ?" + self.db.for_update,
                                  (game_id,)).fetchone()
            if row is None:
                return None
            state = json.loads(row[0])
            result = change(state)
            if state != json.loads(row[0]):
                self.db.execute("UPDATE games SET status = ?, state = ?, updated = ? WHERE game_id = ?",
                                (state["status"], json.dumps(state, ensure_ascii=False), self.clock(), game_id))
            return state, result

    def game(self, game_id: int) -> tuple[int, dict] | None:
        with self._lock:
            row = self.db.execute("SELECT game_id, state FROM games WHERE game_id = ?", (game_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def open_game(self, chat_id: int) -> tuple[int, dict] | None:
        """The chat's game of this bot that has not ended, if any (a group may hold two bots, each its game)."""
        with self._lock:
            row = self.db.execute("SELECT game_id, state FROM games WHERE bot_id = ? AND chat_id = ? "
                                  "AND status != 'ended' ORDER BY game_id DESC LIMIT 1",
                                  (self.bot_id, chat_id)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def games(self, statuses: tuple[str, ...]) -> list[tuple[int, dict]]:
        """This bot's games in one of `statuses`: another bot sharing the database restores its own."""
        marks = ",".join("?" * len(statuses))
        with self._lock:
            rows = self.db.execute(f"SELECT game_id, state FROM games WHERE bot_id = ? AND status IN ({marks}) "
                                   "ORDER BY game_id", (self.bot_id, *statuses)).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def add_game_message(self, game_id: int, user_id: int, name: str, team: str, text: str,
                         message_id: int | None = None) -> None:
        with self._lock, self.db.transaction():
            # The game's row, held to COMMIT, makes "is this message in already?" and the insert one step
            # when two processes handle the same message (a re-run after a crash beside a live bot).
            self.db.execute("SELECT 1 FROM games WHERE game_id = ?" + self.db.for_update, (game_id,))
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
            self.db.execute("INSERT INTO reachable VALUES (?, ?) ON CONFLICT DO NOTHING", (user_id, self.clock()))

    def is_reachable(self, user_id: int) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM reachable WHERE user_id = ?", (user_id,)).fetchone() is not None

    def seen_member(self, chat_id: int, user_id: int, name: str) -> None:
        with self._lock:
            self.db.execute("INSERT INTO members VALUES (?, ?, ?, ?) ON CONFLICT(chat_id, user_id) DO UPDATE SET "
                            "name = excluded.name, last_seen = excluded.last_seen", (chat_id, user_id, name, self.clock()))

    def members(self, chat_id: int) -> list[tuple[int, str]]:
        with self._lock:
            return self.db.execute("SELECT user_id, name FROM members WHERE chat_id = ? ORDER BY name"
                                   + self.db.by_code_point, (chat_id,)).fetchall()

    def add_assignment(self, chat_id: int, trainer_id: int, user_id: int, scenario: str, difficulty: str,
                       due: float) -> int:
        with self._lock:
            cur = self.db.execute(
                "INSERT INTO assignments (chat_id, trainer_id, user_id, scenario, difficulty, due, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING assignment_id",
                (chat_id, trainer_id, user_id, scenario, difficulty, due, self.clock()))
            return int(cur.fetchone()[0])

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

    def update_study_state(self, user_id: int, change: Callable[[dict], T]) -> T:
        """Apply `change` to the learner's study state as stored now ({} at first), in place, and save it;
        returns what `change` returned. As `update_game`: the row is held from the read to COMMIT, an
        exception saves nothing, and `change` must not call the store."""
        with self._lock, self.db.transaction():
            select = "SELECT state FROM study WHERE user_id = ?" + self.db.for_update
            row = self.db.execute(select, (user_id,)).fetchone()
            if row is None:
                # A learner's first change: a row to hold. When two come at once, the second insert waits
                # for the first's COMMIT and does nothing, and its SELECT then reads the first one's state.
                self.db.execute("INSERT INTO study VALUES (?, '{}') ON CONFLICT DO NOTHING", (user_id,))
                row = self.db.execute(select, (user_id,)).fetchone()
            state = json.loads(row[0])
            result = change(state)
            if state != json.loads(row[0]):
                self.db.execute("UPDATE study SET state = ? WHERE user_id = ?",
                                (json.dumps(state, ensure_ascii=False), user_id))
            return result

    def study_states(self) -> list[tuple[int, dict]]:
        with self._lock:
            rows = self.db.execute("SELECT user_id, state FROM study").fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def add_quiz_answer(self, user_id: int, qid: str, module: str, correct: bool, context: str, day: str,
                        card: str | None, due: float | None) -> None:
        """The answer, and (outside exams) the question's new review card, in one transaction."""
        now = self.clock()
        with self._lock, self.db.transaction():
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
                                  "VALUES (?, ?, '[]', ?, ?) RETURNING attempt_id",
                                  (user_id, json.dumps(qids), started, deadline))
            return int(cur.fetchone()[0])

    def exam(self, attempt_id: int) -> dict | None:
        with self._lock:
            row = self.db.execute("SELECT attempt_id, user_id, questions, answers, started, deadline, finished, \"right\", "
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

    def add_exam_answer(self, attempt_id: int, index: int, answer) -> bool:
        """Record the answer to question `index` of an attempt; False (nothing written) when that question
        is answered already or not yet reached: the same button tapped twice, or on two devices at once."""
        with self._lock, self.db.transaction():
            row = self.db.execute("SELECT answers FROM exams WHERE attempt_id = ?" + self.db.for_update,
                                  (attempt_id,)).fetchone()
            answers = json.loads(row[0]) if row else None
            if answers is None or len(answers) != index:
                return False
            self.db.execute("UPDATE exams SET answers = ? WHERE attempt_id = ?",
                            (json.dumps([*answers, answer]), attempt_id))
            return True

    def finish_exam(self, attempt_id: int, finished: float, right: int, passed: bool) -> None:
        with self._lock:
            self.db.execute("UPDATE exams SET finished = ?, \"right\" = ?, passed = ? WHERE attempt_id = ?",
                            (finished, right, int(passed), attempt_id))

    def certify(self, user_id: int, attempt_id: int) -> None:
        with self._lock:
            self.db.execute("INSERT INTO certifications VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                            (user_id, attempt_id, self.clock()))

    def certified(self, user_id: int) -> float | None:
        with self._lock:
            row = self.db.execute("SELECT created FROM certifications WHERE user_id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    # uploads ---------------------------------------------------------------
    def start_upload(self, user_id: int, chat_id: int, name: str, status_message_id: int | None) -> int:
        now = self.clock()
        with self._lock:
            return int(self.db.execute(
                "INSERT INTO uploads (user_id, chat_id, status_message_id, name, stage, created, updated) "
                "VALUES (?, ?, ?, ?, 'received', ?, ?) RETURNING upload_id",
                (user_id, chat_id, status_message_id, name, now, now),
            ).fetchone()[0])

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
