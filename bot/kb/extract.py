"""Read an uploaded file in a child process that can be stopped, so no file can stall or sink the bot.

The parsers in `bot.kb.documents` check sizes, paragraphs and pages, but a limit checked inside a
parser cannot stop a parser that is stuck in C code or allocating faster than it counts. So an
upload is read by a separate Python process (``python -m bot.kb.extract``): it caps its own
address space (RLIMIT_AS) and CPU time before it reads a byte, and the bot kills it outright when
the wall-clock limit passes. A thread could do neither: a Python thread cannot be stopped, and its
memory is the bot's memory. The event loop only waits on a pipe meanwhile, so every other user is
answered as usual.

Protocol: the parent writes one JSON header line (file name, limits, reader) and then the file's
bytes to the child's stdin; the child writes one JSON line, ``{"doc": ...}`` or ``{"error": ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import resource
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.kb.documents import Document, read_file_bytes
from bot.kb.errors import UnreadableDocument

log = logging.getLogger(__name__)

# What the child calls: ``module:function(name, data, *, max_bytes) -> Document``. Tests point it at
# deliberately hostile readers (one that never returns, one that eats memory) to prove the limits.
READER = "bot.kb.documents:load_bytes"


@dataclass(frozen=True)
class ReadLimits:
    """Wall-clock seconds and memory one file may take to read.

    Measured: a Word file of 45 000 paragraphs (near the paragraph limit) reads in under 4 s and
    peaks at 142 MB; an 18 MB one of pictures at 100 MB. 60 s leaves headroom for a long PDF on a
    busy core; 1 GiB of address space (which runs well above resident memory) for any file under
    the size limits, while the bot with its embedding model stays under 1.5 GB beside it.
    """

    seconds: float = 60.0
    memory_bytes: int = 1 << 30


DEFAULT_LIMITS = ReadLimits()


async def read_document(name: str, data: bytes, *, max_bytes: int | None = None,
                        limits: ReadLimits | None = None) -> Document:
    """Parse ``data`` in a child process; UnreadableDocument with a one-line reason on any failure."""
    limits = limits or DEFAULT_LIMITS
    header = {"name": name, "max_bytes": max_bytes, "limits": asdict(limits), "reader": READER}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.kb.extract",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # a Ctrl-C meant for the bot does not reach it; it is killed on its own
    )
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(json.dumps(header).encode() + b"\n" + data), timeout=limits.seconds)
    except TimeoutError:
        raise UnreadableDocument(
            f"reading the file took longer than {limits.seconds:.0f} s and was stopped") from None
    finally:
        if proc.returncode is None:  # timed out, or the handler was cancelled: never leave it running
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await proc.wait()
    return _result(name, proc.returncode, out, err, limits)


def read_path(path: Path, *, max_bytes: int | None = None, limits: ReadLimits | None = None) -> Document:
    """The same for a file on disk, from synchronous code (`salescoach ingest FILE`)."""
    limits = limits or DEFAULT_LIMITS
    data = read_file_bytes(path, max_bytes)
    header = {"name": path.name, "max_bytes": max_bytes, "limits": asdict(limits), "reader": READER}
    try:
        done = subprocess.run([sys.executable, "-m", "bot.kb.extract"], input=json.dumps(header).encode() + b"\n" + data,
                              capture_output=True, timeout=limits.seconds, start_new_session=True, check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child already
        raise UnreadableDocument(
            f"reading the file took longer than {limits.seconds:.0f} s and was stopped") from None
    return _result(path.name, done.returncode, done.stdout, done.stderr, limits)


def _result(name: str, returncode: int | None, out: bytes, err: bytes, limits: ReadLimits) -> Document:
    try:
        answer = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = None
    if isinstance(answer, dict) and "doc" in answer:
        return Document.from_json(answer["doc"])
    if isinstance(answer, dict) and "error" in answer:
        raise UnreadableDocument(str(answer["error"]))
    if returncode == -signal.SIGXCPU or returncode == -signal.SIGKILL:
        raise UnreadableDocument(f"reading the file took longer than {limits.seconds:.0f} s and was stopped")
    log.error("reading %s failed in the child process (exit %s): %s", name, returncode,
              err.decode("utf-8", "replace")[-2000:])
    raise UnreadableDocument(f"the file could not be read: the reader stopped (exit code {returncode}; "
                             f"over {limits.memory_bytes >> 20} MB of memory?)")


# --------------------------------------------------------------------------- the child
def _limit_self(limits: ReadLimits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    cpu = int(limits.seconds) + 1  # a backstop: the parent's wall clock normally acts first
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child() -> int:
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    limits = ReadLimits(**header["limits"])
    _limit_self(limits)
    data = stdin.read()
    module, _, function = header["reader"].partition(":")
    try:
        reader = getattr(importlib.import_module(module), function)
        doc = reader(header["name"], data, max_bytes=header["max_bytes"])
        answer: dict = {"doc": doc.to_json()}
    except UnreadableDocument as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        del data
        answer = {"error": f"reading the file needed more than {limits.memory_bytes >> 20} MB of memory "
                           "and was stopped"}
    except RecursionError:
        answer = {"error": "the file is nested too deeply to read"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(_child())
