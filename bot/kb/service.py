"""Open the knowledge base the settings describe: the one place that wires embedder, index and retriever."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Settings
from bot.kb.embed import get_embedder
from bot.kb.index import IngestReport, KnowledgeBase
from bot.kb.retrieve import Retriever

log = logging.getLogger(__name__)

BUNDLED = "bundled"


def knowledge_base(settings: Settings, kb_dir: Path | None = None) -> KnowledgeBase:
    return KnowledgeBase(
        kb_dir or settings.kb_dir, get_embedder(settings), max_file_bytes=int(settings.max_file_mb * 1e6)
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
