"""Role-play sessions carry a version, raised by every write: a turn computed from a state another process
has moved on since (the same rep talking to two bots that share the database) is refused and computed again
from the newer state, instead of writing over the other process's turn.

Sessions already stored start at version 0.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("roleplays", sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
