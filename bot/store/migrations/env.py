"""Alembic's entry point for the store's migrations; run in-process by `bot.store.migrate.upgrade`,
which hands over an open connection (there is no alembic.ini: the store's location is a setting)."""

from alembic import context

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things; alembic's batch mode rebuilds the table instead.
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():  # the caller's transaction, which already holds the migration lock
    context.run_migrations()
