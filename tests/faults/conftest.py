"""Fixtures of the fault-injection suite: one loopback Bot API and one real bot process per test module,
shared by its cases (starting the bot costs seconds; the cases cost milliseconds)."""

from __future__ import annotations

import pytest

from tests.faults.harness import BotAPI, BotProcess, token


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
def bot(api, tmp_path_factory):
    """The shared bot: fake embeddings, no LLM, admin 1, trainer 7."""
    process = BotProcess(api, tmp_path_factory.mktemp("bot") / "data").start()
    yield process
    process.stop()
