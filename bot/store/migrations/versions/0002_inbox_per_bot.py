"""The update journal keyed by bot as well: update ids are counted per bot, so two bots (two tokens)
sharing one database would otherwise take each other's updates for redeliveries and drop them.

The table is rebuilt (the primary key changes; neither database alters one in place the same way);
updates already journaled belong to bot 0, which is what a store opened without a token uses.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbox_by_bot",
        sa.Column("bot_id", ID, primary_key=True, autoincrement=False),
        sa.Column("update_id", ID, primary_key=True, autoincrement=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received", sa.Double, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("done", sa.Double),
    )
    op.execute("INSERT INTO inbox_by_bot (bot_id, update_id, payload, received, attempts, done) "
               "SELECT 0, update_id, payload, received, attempts, done FROM inbox")
    op.drop_table("inbox")
    op.rename_table("inbox_by_bot", "inbox")
    if op.get_bind().dialect.name == "postgresql":  # the key keeps the table's name, for later migrations
        op.execute("ALTER INDEX inbox_by_bot_pkey RENAME TO inbox_pkey")
    op.create_index("inbox_pending", "inbox", ["bot_id", "done"])
