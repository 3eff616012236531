"""Games keyed by bot as well: several bots (several tokens) sharing one database each restore, at start,
the reminders and timers of the running games; without the bot's id every bot scheduled every game,
other bots' chats included.

Games already stored belong to bot 0, which is what a store opened without a token uses.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A column with a constant default: both databases add it in place, existing rows read as 0.
    op.add_column("games", sa.Column("bot_id", ID, nullable=False, server_default="0"))
    op.create_index("games_by_bot", "games", ["bot_id", "status"])
