"""Open the knowledge base the settings describe: the one place that wires embedder, index and retriever."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path

from bot.config import Settings
from bot.kb.documents import Document
from bot.kb.embed import get_embedder
from bot.kb.index import EmbeddingCache, IngestReport, KnowledgeBase, ShippedVectors
from bot.kb.retrieve import Retriever

log = logging.getLogger(__name__)

BUNDLED = "bundled"
# Documents an admin added (sent to the bot, or `salescoach ingest FILE` into the default knowledge
# base) live in their own namespace: ids ``upload:<id>``. An upload named like a bundled article
# sits beside it instead of replacing it, and syncing ``knowledge/`` (at every start) never touches it.
UPLOADED = "upload"


def as_upload(doc: Document) -> Document:
    """The same document in the uploads' namespace, with its origin recorded."""
    doc_id = doc.doc_id if doc.doc_id.startswith(f"{UPLOADED}:") else f"{UPLOADED}:{doc.doc_id}"
    return dataclasses.replace(doc, doc_id=doc_id, meta={**doc.meta, "origin": UPLOADED})


def bundled_namesake(docs: dict[str, Document], upload: Document) -> Document | None:
    """The bundled article an upload shares its id with, if any (both are kept; the admin is told)."""
    namesake = docs.get(upload.doc_id.removeprefix(f"{UPLOADED}:"))
    return namesake if namesake is not None and namesake.meta.get("origin") == BUNDLED else None


def shipped_vectors(settings: Settings) -> ShippedVectors:
    """The passage vectors that ship with the bundled articles (`salescoach models vectors` writes them)."""
    return ShippedVectors(settings.knowledge_dir / ".vectors")


def write_shipped_vectors(settings: Settings, **callbacks) -> tuple[Path, int]:
    """Embed every bundled article afresh (nothing taken from a cache) and write the vectors that ship with
    them, for the configured model: (the file, how many vectors)."""
    embedder = get_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="salescoach-vectors-") as tmp:
        sync_bundled(settings, KnowledgeBase(Path(tmp), embedder), **callbacks)
        cache = EmbeddingCache(Path(tmp) / "embeddings.sqlite")
        try:
            vectors = cache.all(embedder.name)
        finally:
            cache.close()
    path = shipped_vectors(settings).path(embedder.name)
    ShippedVectors.write(path, vectors)
    return path, len(vectors)


def knowledge_base(settings: Settings, kb_dir: Path | None = None) -> KnowledgeBase:
    return KnowledgeBase(
        kb_dir or settings.kb_dir, get_embedder(settings), max_file_bytes=int(settings.max_file_mb * 1e6),
        server=settings.chroma_url if kb_dir is None else None,  # an explicit --kb folder stays local
        shipped=shipped_vectors(settings),
    )


def sync_bundled(settings: Settings, kb: KnowledgeBase, **callbacks) -> IngestReport:
    """Keep the default knowledge base in step with ``knowledge/``: new, edited and deleted articles.

    Bundled articles are tagged so that removing one from ``knowledge/`` removes it here too,
    while documents an admin ingested stay. A broken article is skipped with a warning.
    """
    report = kb.ingest([settings.knowledge_dir], origin=BUNDLED,
                       prune_sources=lambda d: d.meta.get("origin") == BUNDLED, **callbacks)
    for name, reason in report.failed:
        log.warning("bundled article %s skipped: %s", name, reason)
    return report


def open_retriever(settings: Settings, kb_dir: Path | None = None, **callbacks) -> Retriever:
    """A retriever over ``kb_dir``, or over the default knowledge base (built from ``knowledge/``)."""
    kb = knowledge_base(settings, kb_dir)
    if kb_dir is None:
        report = sync_bundled(settings, kb, **callbacks)
        if report.changed:
            log.info("bundled knowledge base updated: %d added, %d updated, %d removed",
                     len(report.added), len(report.updated), len(report.removed))
    return Retriever(kb)
