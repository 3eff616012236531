"""Alembic's entry point for the store's migrations; run in-process by `bot.store.migrate.upgrade`,
which hands over an open connection (there is no alembic.ini: the store's location is a setting)."""

from alembic import context
from sqlalchemy import text

MIGRATION_LOCK = 7_116_016  # any constant: the advisory lock two bots starting at once queue on (PostgreSQL)

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things; alembic's batch mode rebuilds the table instead.
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two bot processes starting on a fresh database: the second waits here, then finds it done.
        connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
    context.run_migrations()
