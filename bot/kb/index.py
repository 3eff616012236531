"""The on-disk knowledge base: documents, passages, a BM25 index and a ChromaDB collection.

Layout of a knowledge-base directory::

    CURRENT              name of the live generation (replaced atomically)
    gen-<id>/            one complete, immutable index: docs.jsonl, chunks.jsonl, manifest.json,
                         bm25-<field>/ (bm25s, one per lexical field), chroma/ (ChromaDB),
                         query_center.npy (see Retriever._dense)
    embeddings.sqlite    cache of passage vectors by (model, content hash): re-ingesting is cheap
                         (a miss is looked up in the vectors shipped with the bundled articles, `ShippedVectors`,
                         before it is embedded)
    .lock                held while ingesting, so two ingests never interleave

An ingest builds a new generation beside the live one and only then points CURRENT at it, so a
crash or Ctrl-C at any moment leaves the previous generation complete and in use.

With a Chroma server (`server=URL`) the vectors, the passages and the pointer live on the server instead
(`bot.kb.server`); the directory's ``server-cache/<host>-<port>/`` then caches, per generation, what each bot derives from the
passages (docs, chunks, the BM25 indexes), so several bots on several machines share one knowledge base,
and the embedded generations beside it stay untouched for a switch back.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.kb import chunk as chunking
from bot.kb import server as srv
from bot.kb.chunk import Chunk, chunk_document
from bot.kb.documents import Document, iter_paths, load_file
from bot.kb.embed import Embedder
from bot.kb.errors import IndexMissing, KnowledgeBaseError, UnreadableDocument
from bot.kb.text import LEXICAL_FIELDS, lexical_fields, normalize, split_sentences

log = logging.getLogger(__name__)

COLLECTION = "passages"
UNITS = "sentences"
INDEX_FORMAT = 4
UNIT_SENTENCES = 2  # a sentence window: precise enough for a fact buried in a long passage
# Searched wider than Chroma's default (ef 100): retrieval asks for up to 160 sentence windows, and
# a graph searched barely wider than that misses near neighbours, differently in every build.
HNSW = {"hnsw": {"space": "cosine", "ef_construction": 200, "ef_search": 400}}


@dataclass
class IngestReport:
    """What an ingest did, for the CLI, the bot and the logs."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    shipped: int = 0  # vectors found among those shipped with the bundled articles (not embedded)
    embed_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def layout() -> dict:
    """Everything that shapes an index besides the documents: a change means a rebuild."""
    return {"format": INDEX_FORMAT, "target_chars": chunking.TARGET_CHARS, "max_chars": chunking.MAX_CHARS,
            "unit_sentences": UNIT_SENTENCES, "typical_questions": _digest(typical_questions()), "hnsw": HNSW,
            "script": "t2s+zhe"}


def typical_questions() -> list[str]:
    """Questions of the kind reps ask; their mean vector is the direction all questions share."""
    import yaml

    path = Path(__file__).with_name("data") / "typical_questions.yaml"
    return [str(q) for q in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


def _digest(items: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\0".join(items).encode()).hexdigest()[:16]


def section_gloss(doc_meta: dict, section: str) -> str:
    """The article's English gloss of one section (front matter ``sections_en``; the opening is ``""``)."""
    glosses = doc_meta.get("sections_en") or {}
    return str(glosses.get(section) or glosses.get(None if section == "" else section) or "").strip()


def sentence_units(chunk: Chunk, doc_meta: dict | None = None) -> list[str]:
    """Overlapping windows of UNIT_SENTENCES sentences (list items count as sentences), titled, and the
    section's English gloss as one more window.

    A passage's vector averages everything in it; a question about one fact in it matches that
    fact's window much better. Retrieval scores a passage by both (see Retriever._dense). An English
    question meets the Chinese windows only across languages; the gloss says the same in its language.
    """
    sentences = [s for line in chunk.text.splitlines() for s in split_sentences(line)]
    if len(sentences) <= 1:
        return []
    windows = ["".join(sentences[i : i + UNIT_SENTENCES]) for i in range(len(sentences) - UNIT_SENTENCES + 1)]
    gloss = section_gloss(doc_meta or {}, chunk.section)
    return [normalize(f"{chunk.title}：{w}", lower=False) for w in windows] + (
        [normalize(f"{chunk.title}: {gloss}", lower=False)] if gloss else [])


def index_text(chunk: Chunk, doc_meta: dict) -> str:
    """What the retrievers see for a passage: title, section, text, the section's English gloss and the
    article's English summary."""
    parts = [chunk.title, chunk.section, chunk.text, section_gloss(doc_meta, chunk.section)]
    if doc_meta.get("tags"):
        parts.append(" ".join(map(str, doc_meta["tags"])))
    if doc_meta.get("summary_en"):
        parts.append(str(doc_meta["summary_en"]))
    return normalize("\n".join(p for p in parts if p), lower=False)


class EmbeddingCache:
    """Passage vectors keyed by model and content hash, so unchanged passages are never re-embedded."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, PRIMARY KEY (model, hash))"
        )

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            q = f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({','.join('?' * len(part))})"
            for h, blob in self.db.execute(q, [model, *part]):
                found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def all(self, model: str) -> dict[str, np.ndarray]:
        return {h: np.frombuffer(blob, dtype=np.float32)
                for h, blob in self.db.execute("SELECT hash, vec FROM vectors WHERE model = ?", [model])}

    def put(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

    def close(self) -> None:
        self.db.close()


class ShippedVectors:
    """Passage vectors that ship with the bundled articles (`knowledge/.vectors/<model>.npz`: `hashes`, the
    sha256 of each text as embedded, and `vectors`), so a fresh install does not spend a minute or two of CPU
    embedding what every install embeds the same way. `salescoach models vectors` writes the file; a text
    it does not hold (an edited article, an upload, another model) is embedded as before."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def path(self, model: str) -> Path | None:
        return self.folder / f"{model.replace('/', '_')}.npz" if self.folder else None

    def get(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        path = self.path(model)
        if path is None or not path.is_file():
            return {}
        try:
            with np.load(path, allow_pickle=False) as data:
                index = {h.decode(): i for i, h in enumerate(data["hashes"])}
                wanted = [(h, index[h]) for h in hashes if h in index]
                vectors = data["vectors"]
                return {h: np.asarray(vectors[i], dtype=np.float32) for h, i in wanted}
        except (OSError, ValueError, KeyError) as exc:  # a cache, not data: embed instead
            log.warning("ignoring the unreadable shipped vectors %s (%s)", path, exc)
            return {}

    @staticmethod
    def write(path: Path, vectors: dict[str, np.ndarray]) -> None:
        """Written beside and moved into place; hashes sorted, so the same vectors make the same file."""
        hashes = sorted(vectors)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, hashes=np.array([h.encode() for h in hashes], dtype="S64"),
                            vectors=np.stack([vectors[h] for h in hashes]).astype(np.float32))
        os.replace(tmp, path)


def _chroma_client(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


@dataclass
class Generation:
    """One loaded, immutable index generation."""

    path: Path
    manifest: dict
    docs: dict[str, Document]
    chunks: list[Chunk]
    bm25: dict[str, object]  # lexical field -> bm25s index
    collection: object
    units: object = None  # ChromaDB collection of sentence windows
    unit_owner: np.ndarray | None = None  # unit id -> passage index
    query_center: np.ndarray | None = None  # mean vector of typical questions
    single_sentence: np.ndarray | None = None  # passages with no sentence windows (one sentence)
    _positions: dict[str, int] | None = field(default=None, repr=False)

    @property
    def embedder_name(self) -> str:
        return self.manifest["embedder"]

    def position(self, chunk_id: str) -> int | None:
        """Index of a passage by its id (built on first use; a generation never changes)."""
        if self._positions is None:
            self._positions = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        return self._positions.get(chunk_id)


STALE_SERVER_CACHE_DAYS = 30  # a cache of a server not in use this long is removed when a bot opens another


class KnowledgeBase:
    """Create, update and open a knowledge-base directory."""

    def __init__(self, directory: Path, embedder: Embedder, *, max_file_bytes: int | None = None,
                 server: str | None = None, shipped: ShippedVectors | None = None) -> None:
        # With a server, the generations fetched from it are cached in a folder of their own: the embedded
        # index in `directory` (and its uploads) survives a switch to server mode and back.
        self.root = Path(directory)
        self.dir = self.root / srv.cache_folder(server) if server else self.root
        self.embedder = embedder
        self.max_file_bytes = max_file_bytes
        self.server = server
        self.shipped = shipped or ShippedVectors(None)
        self._chroma = None
        if server:
            self._forget_old_servers()

    def _forget_old_servers(self, max_age_days: float = STALE_SERVER_CACHE_DAYS) -> None:
        """Caches of other servers untouched this long are removed: what a bot derived from a server it no
        longer uses (moved, renamed). A newer one stays, so switching back and forth costs nothing."""
        folders = self.root / "server-cache"
        if not folders.is_dir():
            return
        cutoff = time.time() - max_age_days * 86400
        for p in folders.iterdir():
            try:
                stale = p != self.dir and p.is_dir() and p.stat().st_mtime < cutoff
            except OSError:
                continue
            if stale:
                log.info("removing the cache of a server not used for %d days: %s", max_age_days, p.name)
                shutil.rmtree(p, ignore_errors=True)

    def _server(self):
        if self._chroma is None:
            self._chroma = srv.client(self.server)
        return self._chroma

    # ------------------------------------------------------------------ reading
    def current_path(self) -> Path | None:
        if self.server:
            for _ in range(3):
                name = srv.live_generation(self._server())
                if name is None:
                    return None
                try:
                    return self._materialise(name)
                except Exception as exc:
                    # Dropped while being fetched: two ingests finished meanwhile, the pointer names a newer one.
                    if not srv.gone(exc):
                        raise
            return self._materialise(srv.live_generation(self._server()))
        try:
            name = (self.dir / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        path = self.dir / name
        return path if (path / "manifest.json").is_file() else None

    def gone(self, exc: BaseException) -> bool:
        """Whether `exc` says a server generation was dropped under a reader (see Retriever.search)."""
        return bool(self.server) and srv.gone(exc)

    def exists(self) -> bool:
        return self.current_path() is not None

    def load(self) -> Generation:
        """Load the live generation (raises IndexMissing when there is none)."""
        import bm25s

        path = self.current_path()
        if path is None:
            raise IndexMissing(f"no knowledge base at {self.dir}: run `salescoach ingest PATH --kb {self.dir}`")
        manifest = json.loads((path / "manifest.json").read_text())
        docs = {d.doc_id: d for d in map(Document.from_json, _read_jsonl(path / "docs.jsonl"))}
        chunks = [Chunk(**c) for c in _read_jsonl(path / "chunks.jsonl")]
        if chunks and manifest.get("format") != INDEX_FORMAT:
            raise KnowledgeBaseError(
                f"the index at {self.dir} was built by an older version of salescoach: "
                f"run `salescoach ingest --rebuild --kb {self.dir}`"
            )
        bm25 = {f: bm25s.BM25.load(str(path / f"bm25-{f}"), mmap=False) for f in LEXICAL_FIELDS} if chunks else {}
        units = owner = collection = None
        if chunks and self.server:
            collection, units = srv.collections(self._server(), path.name)
            owner = np.load(path / "units.npy")
            units = units if len(owner) else None
        elif chunks:
            client = _chroma_client(path / "chroma")
            collection = client.get_collection(COLLECTION)
            if (path / "units.npy").is_file():
                owner = np.load(path / "units.npy")
                units = client.get_collection(UNITS) if len(owner) else None
        center = np.load(path / "query_center.npy") if (path / "query_center.npy").is_file() else None
        single = np.bincount(owner, minlength=len(chunks)) == 0 if owner is not None else None
        return Generation(path, manifest, docs, chunks, bm25, collection, units, owner, center, single)

    def _materialise(self, name: str) -> Path:
        """The local cache of a server generation: docs, passages and the BM25 indexes derived from them,
        fetched and built once per generation (in a scratch folder renamed into place when complete)."""
        path = self.dir / name
        if (path / "manifest.json").is_file():
            return path
        chroma = self._server()
        files = srv.get_meta(chroma, name)
        manifest = json.loads(files["manifest.json"])
        chunks = [Chunk(**c) for c in srv.get_passages(chroma, name)] if manifest.get("chunks") else []
        docs = [Document.from_json(json.loads(line)) for line in files["docs.jsonl"].splitlines() if line.strip()]
        scratch = self.dir / f".fetch-{uuid.uuid4().hex[:6]}"
        scratch.mkdir(parents=True)
        try:
            _write_jsonl(scratch / "docs.jsonl", (d.to_json() for d in docs))
            _write_jsonl(scratch / "chunks.jsonl", (c.to_json() for c in chunks))
            if chunks:
                meta = {d.doc_id: d.meta for d in docs}
                _build_lexical(scratch, [index_text(c, meta.get(c.doc_id, {})) for c in chunks])
                np.save(scratch / "units.npy", srv.get_owners(chroma, name))
            if "query_center.json" in files:
                np.save(scratch / "query_center.npy", np.asarray(json.loads(files["query_center.json"]), np.float32))
            (scratch / "manifest.json").write_text(files["manifest.json"])
            _fsync_dir(scratch)
            try:
                os.rename(scratch, path)
            except OSError:  # another thread or bot sharing this directory got there first
                if not (path / "manifest.json").is_file():
                    raise
                shutil.rmtree(scratch, ignore_errors=True)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        log.info("knowledge base %s fetched from %s: %d passages", name, self.server, len(chunks))
        # Two generations stay cached: the live one, and the one before it a search may still be finishing.
        cached = sorted(p.name for p in self.dir.glob("gen-*") if (p / "manifest.json").is_file())
        keep = {name, *(cached[-2:] if name in cached[-2:] else cached[-1:])}
        self._collect_garbage(keep=keep)
        return path

    def documents(self) -> dict[str, Document]:
        path = self.current_path()
        if path is None:
            return {}
        return {d.doc_id: d for d in map(Document.from_json, _read_jsonl(path / "docs.jsonl"))}

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One ingest at a time into this directory and, with a server, among every bot sharing it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("waiting for another ingest into %s to finish", self.dir)
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                with srv.IngestLock(self._server()) if self.server else contextlib.nullcontext():
                    yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ingest(
        self,
        paths: Iterable[Path] = (),
        *,
        documents: Iterable[Document] = (),
        prune_sources: Callable[[Document], bool] | None = None,
        origin: str | None = None,
        namespace: str | None = None,
        read: Callable[..., Document] = load_file,
        rebuild: bool = False,
        on_file: Callable[[str, str | None], None] | None = None,
        on_embed: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        """Add or update documents from files and folders; re-running with the same input is a no-op.

        ``prune_sources`` selects existing documents that are removed unless this ingest provided
        them again (used to keep the bundled knowledge base in step with ``knowledge/``);
        ``origin`` is recorded in the metadata of the documents loaded from ``paths``; with
        ``namespace`` their ids also become ``namespace:<id>`` (and their origin ``namespace``), so
        they can never replace a document of another origin with the same file name.
        ``read(path, max_bytes=...)`` turns a file into a Document (`bot.kb.extract.read_path` reads
        untrusted files in a child process with time and memory limits).
        ``on_file(name, error)`` is called per file, ``on_embed(done, total)`` while embedding.
        """
        started = time.perf_counter()
        report = IngestReport()
        loaded: list[Document] = list(documents)
        for path in iter_paths(paths):
            try:
                doc = read(path, max_bytes=self.max_file_bytes)
                if namespace:
                    if not doc.doc_id.startswith(f"{namespace}:"):
                        doc.doc_id = f"{namespace}:{doc.doc_id}"
                    doc.meta["origin"] = namespace
                elif origin:
                    doc.meta["origin"] = origin
                loaded.append(doc)
                if on_file:
                    on_file(path.name, None)
            except UnreadableDocument as exc:
                report.failed.append((str(path), str(exc)))
                if on_file:
                    on_file(path.name, str(exc))
        with self._locked():
            live = self.current_path()
            current = self.documents()
            manifest = json.loads((live / "manifest.json").read_text()) if live else {}
            # A different embedding model or index layout means the index must be rebuilt.
            stale_model = bool(live) and (
                manifest.get("embedder") != self.embedder.name or manifest.get("layout") != layout()
            )
            merged = dict(current)
            seen: set[str] = set()
            for doc in loaded:
                seen.add(doc.doc_id)
                old = current.get(doc.doc_id)
                if old is None:
                    report.added.append(doc.doc_id)
                elif old.content_hash != doc.content_hash:
                    report.updated.append(doc.doc_id)
                else:
                    report.unchanged.append(doc.doc_id)
                    continue
                merged[doc.doc_id] = doc
            if prune_sources is not None:
                for doc_id, doc in current.items():
                    if doc_id not in seen and prune_sources(doc):
                        report.removed.append(doc_id)
                        del merged[doc_id]
            if live and not report.changed and not rebuild and not stale_model:
                report.chunks = manifest.get("chunks", 0)
                report.seconds = time.perf_counter() - started
                return report
            if not merged and not live:
                report.seconds = time.perf_counter() - started
                return report
            self._build_generation(list(merged.values()), report, on_embed)
        report.seconds = time.perf_counter() - started
        return report

    def _build_generation(
        self, docs: list[Document], report: IngestReport, on_embed: Callable[[int, int], None] | None
    ) -> None:
        previous = self.current_path()
        # Names sort by time, to the microsecond: a Chroma server drops the generations older than those kept.
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + f"{int(now * 1e6) % 1_000_000:06d}"
        gen = self.dir / f"gen-{stamp}-{uuid.uuid4().hex[:6]}"
        gen.mkdir(parents=True)
        try:
            docs.sort(key=lambda d: d.doc_id)
            chunks: list[Chunk] = []
            texts: list[str] = []
            units: list[str] = []
            owner: list[int] = []
            for doc in docs:
                for chunk in chunk_document(doc):
                    for unit in sentence_units(chunk, doc.meta):
                        units.append(unit)
                        owner.append(len(chunks))
                    chunks.append(chunk)
                    texts.append(index_text(chunk, doc.meta))
            report.chunks = len(chunks)
            all_vectors = self._embed(texts + units, report, on_embed)
            vectors, unit_vectors = all_vectors[: len(texts)], all_vectors[len(texts) :]
            _write_jsonl(gen / "docs.jsonl", (d.to_json() for d in docs))
            _write_jsonl(gen / "chunks.jsonl", (c.to_json() for c in chunks))
            center = None
            if chunks:
                _build_lexical(gen, texts)
                questions = [normalize(q, lower=False) for q in typical_questions()]
                if questions:
                    center = np.asarray(self.embedder.embed_queries(questions), dtype=np.float32).mean(axis=0)
                    np.save(gen / "query_center.npy", center)
                if self.server:
                    chroma = self._server()
                    srv.put_passages(chroma, gen.name, [c.to_json() for c in chunks], vectors, HNSW)
                    if units:
                        srv.put_sentences(chroma, gen.name, owner, unit_vectors, HNSW)
                else:
                    client = _chroma_client(gen / "chroma")
                    col = client.create_collection(COLLECTION, configuration=HNSW, embedding_function=None)
                    _add_all(client, col, vectors)
                    if units:
                        ucol = client.create_collection(UNITS, configuration=HNSW, embedding_function=None)
                        _add_all(client, ucol, unit_vectors)
                    del col, client
                np.save(gen / "units.npy", np.asarray(owner, dtype=np.int32))
            manifest = {
                "format": INDEX_FORMAT,
                "layout": layout(),
                "embedder": self.embedder.name,
                "dim": self.embedder.dim,
                "documents": len(docs),
                "chunks": len(chunks),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
            _fsync_dir(gen)
            if self.server:
                files = {"docs.jsonl": (gen / "docs.jsonl").read_text(encoding="utf-8"),
                         "manifest.json": (gen / "manifest.json").read_text()}
                if center is not None:
                    files["query_center.json"] = json.dumps(center.tolist())
                srv.put_meta(self._server(), gen.name, files)
                srv.switch_to(self._server(), gen.name)  # the last step: every bot moves to it on its next search
            else:
                self._point_current_at(gen)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            if self.server:
                srv.drop_generation(self._server(), gen.name)
            raise
        # The previous generation stays one more round: a process still searching it (the bot,
        # while the CLI ingests) finishes its query and moves to the new one on the next.
        keep = {gen.name, previous.name} if previous else {gen.name}
        if self.server:
            srv.drop_generations(self._server(), keep)
        self._collect_garbage(keep=keep)

    def _point_current_at(self, gen: Path) -> None:
        tmp = self.dir / f".CURRENT.{uuid.uuid4().hex[:6]}"
        tmp.write_text(gen.name)
        with open(tmp) as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.dir / "CURRENT")
        _fsync_dir(self.dir)

    def _embed(self, texts: list[str], report: IngestReport, on_embed) -> np.ndarray:
        import hashlib

        hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        self.root.mkdir(parents=True, exist_ok=True)
        cache = EmbeddingCache(self.root / "embeddings.sqlite")  # keyed by model and text: both modes share it
        try:
            found = cache.get(self.embedder.name, sorted(set(hashes)))
            missing = sorted(set(hashes) - found.keys())
            shipped = self.shipped.get(self.embedder.name, missing) if missing else {}  # the file read only on a miss
            if shipped:
                report.shipped = len(shipped)
                cache.put(self.embedder.name, shipped)
                found.update(shipped)
            todo = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in found}.items())
            if todo:
                t0 = time.perf_counter()
                done = 0

                def progress(n: int) -> None:
                    nonlocal done
                    done += n
                    if on_embed:
                        on_embed(done, len(todo))

                new = self.embedder.embed_passages([t for _, t in todo], progress=progress)
                report.embed_seconds = time.perf_counter() - t0
                report.embedded = len(todo)
                fresh = {h: v for (h, _), v in zip(todo, new, strict=True)}
                cache.put(self.embedder.name, fresh)
                found.update(fresh)
        finally:
            cache.close()
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([found[h] for h in hashes]).astype(np.float32)

    def _collect_garbage(self, keep: set[str]) -> None:
        """Remove generations no longer in use (older ones, or leftovers of a crash)."""
        for p in self.dir.glob("gen-*"):
            if p.name not in keep:
                shutil.rmtree(p, ignore_errors=True)
        for p in self.dir.glob(".CURRENT.*"):
            p.unlink(missing_ok=True)


def _build_lexical(gen: Path, texts: list[str]) -> None:
    """The BM25 index of every lexical field, over the passages' index texts."""
    import bm25s

    terms = [lexical_fields(t) for t in texts]
    for f in LEXICAL_FIELDS:
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index([t[f] for t in terms], show_progress=False)
        bm25.save(str(gen / f"bm25-{f}"))


def _add_all(client, collection, vectors: np.ndarray) -> None:
    step = min(5000, client.get_max_batch_size())
    for i in range(0, len(vectors), step):
        collection.add(ids=[str(j) for j in range(i, min(i + step, len(vectors)))], embeddings=vectors[i : i + step])


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["Generation", "IngestReport", "KnowledgeBase", "KnowledgeBaseError", "index_text"]
