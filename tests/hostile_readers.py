"""Readers that behave like the worst parsers, run by `bot.kb.extract`'s child process in tests
(`extract.READER = "tests.hostile_readers:..."`) to prove its limits stop them."""

from __future__ import annotations

import os
import time


def _note_pid() -> None:
    if path := os.environ.get("HOSTILE_PID_FILE"):
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))


def never_returns(name: str, data: bytes, *, max_bytes: int | None = None):
    """A parser stuck in a loop that never checks a limit (sleeping, so the test costs no CPU)."""
    _note_pid()
    while True:
        time.sleep(1)


def eats_memory(name: str, data: bytes, *, max_bytes: int | None = None):
    """A parser expanding a bomb: allocates (and touches) 50 MB after 50 MB until something stops it."""
    _note_pid()
    hoard = []
    while True:
        hoard.append(bytearray(50_000_000))
