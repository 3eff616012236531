"""Real servers for the tests that run in both modes: a PostgreSQL schema of their own per test.

PostgreSQL is expected on 127.0.0.1:5432 (trust authentication, database `test`), as on the project's machines
and CI; SALESCOACH_TEST_POSTGRES points elsewhere. Without one the PostgreSQL-mode tests skip, saying why,
except under CI=true, where a missing server is a failure (CI has one, so its absence is a broken set-up).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

POSTGRES = os.environ.get("SALESCOACH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, where PostgreSQL is part of the set-up: failing instead of skipping")
    pytest.skip(reason)


def admin_connection():
    import psycopg

    try:
        return psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    unavailable(f"no PostgreSQL answers at {POSTGRES} ({first})")  # outside the except: no chained traceback


def postgres_schema() -> Iterator[str]:
    """A URL whose tables land in a fresh schema, dropped afterwards with any session the test left open: tests in
    parallel never meet. The benchmark's own helper, so there is one copy of how a schema is made and dropped."""
    from bot.tools.bench_servers import postgres_schema as fresh_schema

    admin_connection().close()  # none answering: a skip saying why (a failure under CI=true)
    with fresh_schema(POSTGRES, prefix="test") as url:
        yield url


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (taken and released: a refused connection)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_server(path) -> Iterator[str]:
    """`chroma run` on a free 127.0.0.1 port, stopped (and waited for) afterwards; yields its URL."""
    from pathlib import Path

    from bot.tools.bench_servers import BenchError
    from bot.tools.bench_servers import chroma_server as start

    try:
        with start(Path(path), timeout=30) as url:
            yield url
    except BenchError as exc:
        pytest.fail(str(exc))
