"""Fixtures of the fault-injection suite: one loopback Bot API and one real bot process per test module,
shared by its cases (starting the bot costs seconds; the cases cost milliseconds)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.faults.harness import ROOT, BotAPI, BotProcess, token


def pytest_collection_modifyitems(items):
    for item in items:
        if "/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="module")
def api():
    server = BotAPI(token())
    yield server
    server.close()


@pytest.fixture(scope="module")
def bot(api, built_kb, tmp_path_factory):
    """The shared bot: fake embeddings, no LLM, admin 1, trainer 7."""
    process = BotProcess(api, tmp_path_factory.mktemp("bot") / "data").with_kb(built_kb).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def built_kb(tmp_path_factory):
    """The bundled knowledge base built once (fake embeddings), for bots that each need a data dir of their own."""
    data = tmp_path_factory.mktemp("kb-template") / "data"
    env = {**os.environ, "SALESCOACH_DATA_DIR": str(data), "SALESCOACH_EMBEDDING_MODEL": "fake"}
    subprocess.run([sys.executable, "-m", "bot", "search", "催货", "-k", "1"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    return data / "kb"


@pytest.fixture
def fresh(built_kb, tmp_path):
    """A bot of its own, not started (cases kill it), on a data dir that already holds the knowledge base:
    building it costs each start ~5 s more."""
    api = BotAPI(token())
    bot = BotProcess(api, tmp_path / "data").with_kb(built_kb)
    yield api, bot
    bot.kill9()
    api.close()
