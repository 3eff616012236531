"""One running bot per data dir and per token, on one machine.

Two bots on one data dir share the store, so each game reminder and assignment reminder went out twice;
two bots on one token steal each other's updates (Telegram answers ``Conflict``). An advisory
``flock`` on a file is released by the kernel when its process dies, even by kill -9, so a crashed bot
never leaves a stale lock behind. The file holds the owner's pid and start time, for the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from pathlib import Path


class AlreadyRunning(Exception):
    """Another process holds the lock; the message says which and what to do."""


class LockUnavailable(Exception):
    """The lock file cannot be opened (another user's file in a shared temp dir, a symlink, a read-only
    folder); the message names it."""


class InstanceLock:
    """Held from `acquire()` until `release()` or the process ends."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = path, what
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_NOFOLLOW: in a shared temp dir, a symlink planted under our name must not make us write elsewhere.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise LockUnavailable(f"cannot open the lock file {self.path} that keeps salescoach to one instance "
                                  f"{self.what} ({exc.strerror or exc}): remove it or make it writable") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 200).decode("utf-8", "replace").strip() or "unknown pid"
            os.close(fd)
            raise AlreadyRunning(f"salescoach is already running {self.what} ({owner}): stop that one first, "
                                 "or give this one its own SALESCOACH_DATA_DIR and SALESCOACH_TELEGRAM_TOKEN") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
            self._fd = None


def instance_locks(data_dir: Path, token: str) -> list[InstanceLock]:
    """The data dir's lock, and the token's lock in the machine's temp dir (named by a hash, never the token)."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    return [InstanceLock(data_dir / "salescoach.lock", f"on the data dir {data_dir}"),
            InstanceLock(Path(tempfile.gettempdir()) / f"salescoach-bot-{digest}.lock", "with this bot token")]


def acquire_all(locks: list[InstanceLock]) -> list[InstanceLock]:
    """All or none: a refused lock releases the ones already taken."""
    taken: list[InstanceLock] = []
    try:
        for lock in locks:
            taken.append(lock.acquire())
    except BaseException:
        for lock in taken:
            lock.release()
        raise
    return taken
