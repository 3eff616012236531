"""The knowledge base on a Chroma server (`chroma run`), shared by every bot that points at it.

What the server holds, per generation ``gen-<id>``:

    salescoach-gen-<id>-passages   one record per passage: its vector, its text, the passage itself (JSON)
    salescoach-gen-<id>-sentences  one record per sentence window: its vector and its passage's index
    salescoach-gen-<id>-meta       the documents, the manifest, the typical-question centre

and one small pointer, ``salescoach-current``: a single record naming the live generation. An ingest
writes a whole new generation, then switches the pointer (one upsert), then drops generations older than
the previous one; a bot searching meanwhile keeps searching the generation it loaded, which is complete.

Ingests from several bots take turns (`IngestLock`): each builds on the generation the one before it
made live, so two uploads at once both end up in the knowledge base; without turns both would build on
the same generation and the second switch would drop the first upload.

The lexical (BM25) side is not on the server: each bot derives it from the passages of the live
generation the first time it sees it, and caches it in its own data dir (`KnowledgeBase.load`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import numpy as np

log = logging.getLogger(__name__)

PREFIX = "salescoach-"
POINTER = f"{PREFIX}current"
LOCK = f"{PREFIX}ingest-lock"
LEASE_SECONDS = 120.0
"""A lock whose holder has not renewed it for this long, by the waiting bot's own clock (machines' clocks
differ), belonged to a bot that died mid-ingest (kill -9, a lost machine): the waiting bot takes it over."""
RENEW_SECONDS = 15.0
"""How often a holder renews its lock, from a thread of its own, however long embedding takes."""
POLL_SECONDS = 0.2
"""How often a waiting ingest asks again (an ingest of a few documents takes seconds)."""
PAGE = 1000  # records per request when reading a generation back
_DUMMY = [0.0]  # the meta and pointer records carry no meaning as vectors, but Chroma wants one


def client(url: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url)
    return chromadb.HttpClient(host=parts.hostname, port=parts.port, ssl=parts.scheme == "https",
                               settings=ChromaSettings(anonymized_telemetry=False))


def cache_folder(url: str) -> str:
    """The folder, inside a knowledge-base directory, caching what a bot fetched from the server at `url`.

    Not the directory itself: it also holds the embedded index (the generations of the same data dir
    before SALESCOACH_CHROMA_URL was set), which fetching a server generation would otherwise collect
    as garbage. One folder per server (host-port), so switching between servers, or back to embedded,
    loses nothing.
    """
    parts = urlsplit(url)
    host = re.sub(r"[^A-Za-z0-9._-]", "_", parts.hostname or "server")
    return f"server-cache/{host}-{parts.port or (443 if parts.scheme == 'https' else 80)}"


def collection_name(generation: str, kind: str) -> str:
    return f"{PREFIX}{generation}-{kind}"


def live_generation(chroma) -> str | None:
    """The generation the pointer names (None before the first ingest)."""
    try:
        pointer = chroma.get_collection(POINTER)
    except Exception as exc:  # chromadb raises NotFoundError, or ValueError on older servers
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            return None
        raise
    got = pointer.get(ids=["current"], include=["documents"])
    return got["documents"][0] if got["ids"] else None


def switch_to(chroma, generation: str) -> None:
    """Point every bot at `generation`: one record replaced, the last step of an ingest."""
    pointer = chroma.get_or_create_collection(POINTER, embedding_function=None)
    pointer.upsert(ids=["current"], embeddings=[_DUMMY], documents=[generation])


def put_meta(chroma, generation: str, files: dict[str, str]) -> None:
    meta = chroma.create_collection(collection_name(generation, "meta"), embedding_function=None)
    names = sorted(files)
    meta.add(ids=names, embeddings=[_DUMMY] * len(names), documents=[files[n] for n in names])


def get_meta(chroma, generation: str) -> dict[str, str]:
    got = chroma.get_collection(collection_name(generation, "meta")).get(include=["documents"])
    return dict(zip(got["ids"], got["documents"], strict=True))


def put_passages(chroma, generation: str, chunks: list[dict], vectors: np.ndarray, configuration: dict):
    col = chroma.create_collection(collection_name(generation, "passages"), configuration=configuration,
                                   embedding_function=None)
    step = min(PAGE, chroma.get_max_batch_size())
    for i in range(0, len(chunks), step):
        part = chunks[i : i + step]
        col.add(ids=[str(j) for j in range(i, i + len(part))], embeddings=vectors[i : i + len(part)],
                documents=[c["text"] for c in part],
                metadatas=[{"chunk": json.dumps(c, ensure_ascii=False)} for c in part])
    return col


def put_sentences(chroma, generation: str, owner: list[int], vectors: np.ndarray, configuration: dict):
    col = chroma.create_collection(collection_name(generation, "sentences"), configuration=configuration,
                                   embedding_function=None)
    step = min(PAGE, chroma.get_max_batch_size())
    for i in range(0, len(owner), step):
        n = len(owner[i : i + step])
        col.add(ids=[str(j) for j in range(i, i + n)], embeddings=vectors[i : i + n],
                metadatas=[{"owner": int(o)} for o in owner[i : i + n]])
    return col


def get_passages(chroma, generation: str) -> list[dict]:
    """Every passage of a generation, in index order (the ids are their positions)."""
    col = chroma.get_collection(collection_name(generation, "passages"))
    rows: dict[int, dict] = {}
    total = col.count()
    for offset in range(0, total, PAGE):
        got = col.get(include=["metadatas"], limit=PAGE, offset=offset)
        for id_, meta in zip(got["ids"], got["metadatas"], strict=True):
            rows[int(id_)] = json.loads(meta["chunk"])
    return [rows[i] for i in range(total)]


def get_owners(chroma, generation: str) -> np.ndarray:
    try:
        col = chroma.get_collection(collection_name(generation, "sentences"))
    except Exception:
        return np.zeros(0, dtype=np.int32)
    total = col.count()
    owner = np.zeros(total, dtype=np.int32)
    for offset in range(0, total, PAGE):
        got = col.get(include=["metadatas"], limit=PAGE, offset=offset)
        for id_, meta in zip(got["ids"], got["metadatas"], strict=True):
            owner[int(id_)] = meta["owner"]
    return owner


def collections(chroma, generation: str):
    """The passages collection and the sentences one (None when the generation has no sentence windows)."""
    passages = chroma.get_collection(collection_name(generation, "passages"))
    try:
        sentences = chroma.get_collection(collection_name(generation, "sentences"))
    except Exception:
        sentences = None
    return passages, sentences


def drop_generations(chroma, keep: set[str]) -> None:
    """Delete the collections of generations older than every one in `keep` (a generation's name starts
    with its time, so a newer one another process is still writing is never touched)."""
    oldest_kept = min(keep)
    for col in chroma.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith(f"{LOCK}-gone-"):  # a released lock whose removal did not finish
            with contextlib.suppress(Exception):
                chroma.delete_collection(name)
        if name == POINTER or not name.startswith(f"{PREFIX}gen-"):
            continue
        generation = name.removeprefix(PREFIX).rsplit("-", 1)[0]
        if generation < oldest_kept:
            chroma.delete_collection(name)


def drop_generation(chroma, generation: str) -> None:
    """Remove what a failed ingest wrote (best effort: the pointer never named it)."""
    for kind in ("passages", "sentences", "meta"):
        # Not created yet, or the server went away: the next ingest's drop_generations tidies up.
        with contextlib.suppress(Exception):
            chroma.delete_collection(collection_name(generation, kind))


def gone(exc: BaseException) -> bool:
    """The error of a collection that is not (or no longer) on the server: a generation dropped by
    another bot's ingest, two ingests after the one a search began on."""
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


def _dead_here(meta: dict, host: str) -> bool:
    """The lock's holder ran on this machine and its process has ended."""
    if meta.get("host") != host or not isinstance(meta.get("pid"), int):
        return False
    try:
        os.kill(meta["pid"], 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


class IngestLock:
    """One ingest at a time among every bot sharing the server.

    Chroma has no locks, but it creates a collection of a given name for one caller only and refuses the
    others ("already exists"): the lock is the collection LOCK, held while it exists. Its metadata names the
    holder and counts its renewals. A lock is only ever renamed and removed by its id, so a bot releases or
    takes over exactly the lock it holds or saw expire, never a newer one of the same name. A lock held by a
    process of this machine that is gone (a bot killed mid-ingest, restarting) is taken over at once.
    """

    def __init__(self, chroma, *, owner: str | None = None, clock=time.monotonic, sleep=time.sleep,
                 lease: float = LEASE_SECONDS, renew: float = RENEW_SECONDS, poll: float = POLL_SECONDS) -> None:
        self.chroma = chroma
        self.owner = owner or f"{socket.gethostname()} pid {os.getpid()}"
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.clock, self.sleep = clock, sleep
        self.lease, self.renew, self.poll = lease, renew, poll
        self._held = None
        self._renewals = 0
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> IngestLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> IngestLock:
        seen = None  # ((id, renewals) of the other bot's lock, when this bot first saw it so)
        while True:
            try:
                self._held = self.chroma.create_collection(LOCK, metadata=self._meta(), embedding_function=None)
                break
            except Exception as exc:
                if "already exists" not in str(exc):
                    raise
            try:
                other = self.chroma.get_collection(LOCK)
            except Exception as exc:
                if gone(exc):  # released between the two calls
                    continue
                raise
            meta = other.metadata or {}
            mark, now = (other.id, meta.get("renewals")), self.clock()
            if seen is None or seen[0] != mark:
                if seen is None:
                    log.info("waiting for the ingest of %s on the Chroma server to finish", meta.get("owner"))
                seen = (mark, now)
            expired = now - seen[1] >= self.lease
            if expired or _dead_here(meta, self.host):
                log.warning("the ingest lock of %s on the Chroma server %s: taking it over", meta.get("owner"),
                            f"was not renewed for {now - seen[1]:.0f} s" if expired else
                            "belongs to a process of this machine that has ended")
                self._remove(other)
                seen = None
                continue
            self.sleep(self.poll)
        self._stop.clear()
        self._renewer = threading.Thread(target=self._keep, name="chroma-ingest-lock", daemon=True)
        self._renewer.start()
        return self

    def _keep(self) -> None:
        while not self._stop.wait(self.renew):
            try:
                self.beat()
            except Exception as exc:  # the server away for a moment: the next renewal may get through
                log.warning("the ingest lock on the Chroma server was not renewed: %s", exc)

    def beat(self) -> None:
        """Renew the lease: a bot waiting for this lock sees it changed and keeps waiting."""
        self._renewals += 1
        self._held.modify(metadata=self._meta())

    def _meta(self) -> dict:
        return {"owner": self.owner, "host": self.host, "pid": self.pid, "renewals": self._renewals}

    def release(self) -> None:
        if self._renewer is not None:
            self._stop.set()
            self._renewer.join()
            self._renewer = None
        if self._held is not None:
            self._remove(self._held)
            self._held = None

    def _remove(self, lock) -> None:
        """Rename the lock (by its id) out of the way, then delete it by that new, unique name."""
        name = f"{LOCK}-gone-{uuid.uuid4().hex[:12]}"
        try:
            lock.modify(name=name)
            self.chroma.delete_collection(name)
        except Exception as exc:  # removed already (another bot took over an expired one), or the server away
            if not gone(exc):
                log.warning("the ingest lock on the Chroma server was not removed (it expires in %.0f s): %s",
                            self.lease, exc)
