"""Real servers for the tests that run in both modes: a PostgreSQL schema of their own per test.

PostgreSQL is expected on 127.0.0.1:5432 (trust authentication, database `test`), as on the project's machines
and CI; SALESCOACH_TEST_POSTGRES points elsewhere. Without one the PostgreSQL-mode tests skip, saying why,
except under CI=true, where a missing server is a failure (CI has one, so its absence is a broken set-up).
"""

from __future__ import annotations

import os
import socket
import uuid
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
    """A URL whose tables land in a fresh schema, dropped afterwards: tests in parallel never meet."""
    admin = admin_connection()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        # application_name marks the test's sessions, so the clean-up can end those it left open.
        yield f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}application_name={schema}&options=-csearch_path%3D{schema}"
    finally:
        # Sessions the test left open (a store it did not close) would hold locks the DROP waits on.
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                      "AND application_name = %s", (schema,))
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (taken and released: a refused connection)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_server(path) -> Iterator[str]:
    """`chroma run` on a free 127.0.0.1 port, stopped (and waited for) afterwards; yields its URL."""
    import shutil
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        pytest.fail("the `chroma` command (chromadb, a pinned dependency) is not installed")
    port = closed_port()
    log = open(Path(path) / "chroma.log", "wb")  # noqa: SIM115 - closed below, after the server
    proc = subprocess.Popen([exe, "run", "--path", str(Path(path) / "chroma-data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v2/heartbeat", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"`chroma run` did not start: {(Path(path) / 'chroma.log').read_text()[-500:]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
