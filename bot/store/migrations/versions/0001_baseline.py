"""The store as it was before migrations: every table, for SQLite and PostgreSQL.

A SQLite store created by an older salescoach (its own CREATE TABLE IF NOT EXISTS script) is adopted as it
is: every table is created only if missing, and the one column added since then is added if missing.

Types: ids are BIGINT on PostgreSQL (Telegram chat ids pass 2**31), INTEGER on SQLite (its row id);
times are DOUBLE PRECISION (PostgreSQL's REAL is 4 bytes: seconds since 1970 would lose minutes).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.Double()


def _table(name: str, *columns, **kw) -> None:
    op.create_table(name, *columns, if_not_exists=True, **kw)


def _serial(name: str) -> sa.Column:
    return sa.Column(name, ID, primary_key=True, autoincrement=True)


def upgrade() -> None:
    auto = {"sqlite_autoincrement": True}  # as before: ids are never reused after a delete
    _table("inbox",
           sa.Column("update_id", ID, primary_key=True, autoincrement=False),
           sa.Column("payload", sa.Text, nullable=False),
           sa.Column("received", TIME, nullable=False),
           sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
           sa.Column("done", TIME))
    op.create_index("inbox_pending", "inbox", ["done"], if_not_exists=True)
    _table("users",
           sa.Column("user_id", ID, primary_key=True, autoincrement=False),
           sa.Column("lang", sa.Text),
           sa.Column("first_seen", TIME, nullable=False),
           sa.Column("last_seen", TIME, nullable=False))
    _table("answers", _serial("answer_id"),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("chat_id", ID, nullable=False),
           sa.Column("question", sa.Text, nullable=False),
           sa.Column("chunk_ids", sa.Text, nullable=False),
           sa.Column("created", TIME, nullable=False), **auto)
    _table("ratings",
           sa.Column("answer_id", ID, primary_key=True, autoincrement=False),
           sa.Column("user_id", ID, primary_key=True, autoincrement=False),
           sa.Column("rating", sa.Integer, nullable=False),
           sa.Column("created", TIME, nullable=False))
    _table("roleplays", _serial("session_id"),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("chat_id", ID, nullable=False),
           sa.Column("scenario", sa.Text, nullable=False),
           sa.Column("difficulty", sa.Text, nullable=False),
           sa.Column("status", sa.Text, nullable=False),
           sa.Column("state", sa.Text, nullable=False),
           sa.Column("total", sa.Integer),
           sa.Column("outcome", sa.Text),
           sa.Column("card", sa.Text),
           sa.Column("created", TIME, nullable=False),
           sa.Column("updated", TIME, nullable=False), **auto)
    op.create_index("roleplays_by_user", "roleplays", ["user_id", "status"], if_not_exists=True)
    _table("roleplay_turns",
           sa.Column("session_id", ID, primary_key=True, autoincrement=False),
           sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
           sa.Column("role", sa.Text, nullable=False),
           sa.Column("text", sa.Text, nullable=False),
           sa.Column("created", TIME, nullable=False))
    _table("games", _serial("game_id"),
           sa.Column("chat_id", ID, nullable=False),
           sa.Column("status", sa.Text, nullable=False),
           sa.Column("state", sa.Text, nullable=False),
           sa.Column("created", TIME, nullable=False),
           sa.Column("updated", TIME, nullable=False), **auto)
    op.create_index("games_by_chat", "games", ["chat_id", "status"], if_not_exists=True)
    _table("game_messages", _serial("id"),
           sa.Column("game_id", ID, nullable=False),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("name", sa.Text, nullable=False),
           sa.Column("team", sa.Text, nullable=False),
           sa.Column("text", sa.Text, nullable=False),
           sa.Column("created", TIME, nullable=False),
           sa.Column("message_id", ID), **auto)
    if "message_id" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("game_messages")}:
        op.add_column("game_messages", sa.Column("message_id", ID))  # a store from before edits were tracked
    _table("reachable",
           sa.Column("user_id", ID, primary_key=True, autoincrement=False),
           sa.Column("since", TIME, nullable=False))
    _table("members",
           sa.Column("chat_id", ID, primary_key=True, autoincrement=False),
           sa.Column("user_id", ID, primary_key=True, autoincrement=False),
           sa.Column("name", sa.Text, nullable=False),
           sa.Column("last_seen", TIME, nullable=False))
    _table("assignments", _serial("assignment_id"),
           sa.Column("chat_id", ID, nullable=False),
           sa.Column("trainer_id", ID, nullable=False),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("scenario", sa.Text, nullable=False),
           sa.Column("difficulty", sa.Text, nullable=False),
           sa.Column("due", TIME, nullable=False),
           sa.Column("reminded", sa.Integer, nullable=False, server_default="0"),
           sa.Column("done_session", ID),
           sa.Column("created", TIME, nullable=False), **auto)
    _table("study",
           sa.Column("user_id", ID, primary_key=True, autoincrement=False),
           sa.Column("state", sa.Text, nullable=False))
    _table("quiz_answers", _serial("id"),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("qid", sa.Text, nullable=False),
           sa.Column("module", sa.Text, nullable=False),
           sa.Column("correct", sa.Integer, nullable=False),
           sa.Column("context", sa.Text, nullable=False),
           sa.Column("day", sa.Text, nullable=False),
           sa.Column("created", TIME, nullable=False), **auto)
    op.create_index("quiz_answers_by_user", "quiz_answers", ["user_id"], if_not_exists=True)
    _table("review_cards",
           sa.Column("user_id", ID, primary_key=True, autoincrement=False),
           sa.Column("qid", sa.Text, primary_key=True),
           sa.Column("card", sa.Text, nullable=False),
           sa.Column("due", TIME, nullable=False))
    _table("exams", _serial("attempt_id"),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("questions", sa.Text, nullable=False),
           sa.Column("answers", sa.Text, nullable=False),
           sa.Column("started", TIME, nullable=False),
           sa.Column("deadline", TIME, nullable=False),
           sa.Column("finished", TIME),
           sa.Column("right", sa.Integer),
           sa.Column("passed", sa.Integer), **auto)
    _table("certifications",
           sa.Column("user_id", ID, primary_key=True, autoincrement=False),
           sa.Column("attempt_id", ID, nullable=False),
           sa.Column("created", TIME, nullable=False))
    _table("uploads", _serial("upload_id"),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("chat_id", ID, nullable=False),
           sa.Column("status_message_id", ID),
           sa.Column("name", sa.Text, nullable=False),
           sa.Column("stage", sa.Text, nullable=False),
           sa.Column("detail", sa.Text, nullable=False, server_default=""),
           sa.Column("created", TIME, nullable=False),
           sa.Column("updated", TIME, nullable=False), **auto)
    _table("admin_actions", _serial("id"),
           sa.Column("user_id", ID, nullable=False),
           sa.Column("action", sa.Text, nullable=False),
           sa.Column("detail", sa.Text),
           sa.Column("created", TIME, nullable=False), **auto)
    _table("health",
           sa.Column("id", ID, primary_key=True, autoincrement=False),
           sa.Column("checked", TIME, nullable=False))
