"""The faces' fixtures: the bundled index built once per run and copied into each test's data dir, settings on
the face store (SQLite, or PostgreSQL under SALESCOACH_TEST_FACE_STORE=postgresql), a bot's settings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import make_settings


@pytest.fixture(scope="session")
def bundled_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled knowledge base indexed once per run with the fake embedder (~5 s each time)."""
    from bot.kb.service import open_retriever

    settings = make_settings(tmp_path_factory.mktemp("bundled") / "data")
    open_retriever(settings)
    return settings.kb_dir


FACE_STORE = os.environ.get("SALESCOACH_TEST_FACE_STORE", "sqlite")
"""`postgresql`: every face test keeps its state in a PostgreSQL schema of its own (`.ci/run` runs the Telegram
tests once more that way), so the faces are shown to behave the same on both stores."""


@pytest.fixture
def face_settings(tmp_path: Path, bundled_kb: Path):
    """Settings for a face test: a fresh data dir that already holds a copy of the bundled index. Starting over
    an index is what every restart of the bot does (``knowledge/`` is synced, nothing changed); what a face
    test is about starts after that."""
    schemas = []

    def make(**overrides) -> Settings:
        if FACE_STORE == "postgresql" and "database_url" not in overrides:
            from tests.servers import postgres_schema

            schema = postgres_schema()
            schemas.append(schema)
            overrides["database_url"] = next(schema)
        settings = make_settings(tmp_path / "data", **overrides)
        shutil.copytree(bundled_kb, settings.kb_dir)
        return settings

    yield make
    for schema in schemas:
        schema.close()  # drops it


@pytest.fixture
def bot_settings(face_settings):
    return face_settings(telegram_token="123:ABC", admin_ids=[1], trainer_ids=[2])
