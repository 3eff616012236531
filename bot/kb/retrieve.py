"""Hybrid retrieval: BM25 over jieba segments plus dense vectors in ChromaDB, fused by weighted scores."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from bot.kb.index import Generation, KnowledgeBase
from bot.kb.text import expand_query, lexical_fields, normalize

log = logging.getLogger(__name__)

# Tuned on eval/ (see `salescoach eval --tune`): dense and lexical evidence weighted, each
# normalised to [0, 1] per query, over the union of both retrievers' top candidates. Tuned on the
# knowledge-base and raw dev questions; the blind eval/raw/heldout*.yaml were kept out of it.
DENSE_WEIGHT = 0.45
CANDIDATES = 40
UNIT_WEIGHT = 0.9  # share of a passage's dense score that comes from its best sentence window
LEXICAL_WEIGHTS = {"words": 0.5, "bigrams": 0.3, "chars": 0.2}
# How much of the typical-question direction to remove from a query vector before the dense search.
# Every sales question shares that direction, so without this a few broad passages (a speech that
# touches every topic) score high for every question: hubness. Removing it lets the specific
# content of the question decide.
QUERY_CENTERING = 0.8


@dataclass
class Passage:
    """A retrieved passage with what a citation needs."""

    text: str
    title: str
    source: str
    section: str
    doc_id: str
    chunk_id: str
    score: float

    def to_json(self) -> dict:
        return {"text": self.text, "title": self.title, "source": self.source, "section": self.section,
                "doc_id": self.doc_id, "score": round(self.score, 4)}


@dataclass
class SearchResult:
    query: str
    passages: list[Passage]
    took_ms: float
    # Absolute evidence before per-query normalisation (what the relevance decision reads): the best
    # sentence-window and passage cosines, the raw BM25 peak per query word, and the query vector.
    signals: dict = field(default_factory=dict)


class Retriever:
    """Answers queries against the live generation of a knowledge base; reloads after an ingest."""

    def __init__(self, kb: KnowledgeBase, *, dense_weight: float = DENSE_WEIGHT, candidates: int = CANDIDATES,
                 fusion: str = "linear") -> None:
        self.kb = kb
        self.dense_weight = dense_weight
        self.candidates = candidates
        self.fusion = fusion
        self._lock = threading.Lock()
        self._gen: Generation | None = None
        self.refresh()

    @property
    def generation(self) -> Generation:
        assert self._gen is not None
        return self._gen

    def refresh(self) -> bool:
        """Load the live generation if it changed since the last load; True when it did."""
        path = self.kb.current_path()
        with self._lock:
            if self._gen is not None and path == self._gen.path:
                return False
            gen = self.kb.load()
            if gen.chunks and gen.embedder_name != self.kb.embedder.name:
                from bot.kb.errors import KnowledgeBaseError

                raise KnowledgeBaseError(
                    f"the index at {self.kb.dir} was built with {gen.embedder_name!r} but the configured "
                    f"embedding model is {self.kb.embedder.name!r}: run `salescoach ingest --rebuild --kb {self.kb.dir}`"
                )
            self._gen = gen
            return True

    def search(self, query: str, k: int = 5) -> SearchResult:
        started = time.perf_counter()
        query = query.strip()
        for attempt in range(3):
            try:
                self.refresh()  # another process (the CLI, an admin upload) may have ingested meanwhile
                gen = self.generation
                if not len(gen.chunks) or not query:
                    return SearchResult(query, [], (time.perf_counter() - started) * 1000)
                signals: dict = {}
                scores = self.score(query, gen, signals=signals)
                break
            except Exception as exc:
                # On a Chroma server, the generation this search began on can be dropped under it once two
                # more ingests finished meanwhile: the pointer names a newer one, and it is complete.
                if attempt == 2 or not self.kb.gone(exc):
                    raise
        top = np.argsort(-scores)[:k]
        passages = [self._passage(gen, int(i), float(scores[i])) for i in top if scores[i] > 0]
        return SearchResult(query, passages, (time.perf_counter() - started) * 1000, signals)

    def score(self, query: str, gen: Generation | None = None, *, signals: dict | None = None) -> np.ndarray:
        """Fused relevance of every passage to ``query`` (0 for passages neither retriever found)."""
        gen = gen or self.generation
        n = len(gen.chunks)
        depth = min(self.candidates, n)
        lex = self._lexical(query, gen, signals)
        dense_idx, dense_sim = self._dense(query, gen, depth, signals)
        lex_top = np.argpartition(-lex, depth - 1)[:depth] if lex.any() else np.array([], dtype=int)
        lex_top = lex_top[lex[lex_top] > 0]
        fused = np.zeros(n, dtype=np.float32)
        if self.fusion == "rrf":
            for rank, i in enumerate(lex_top[np.argsort(-lex[lex_top])]):
                fused[i] += (1 - self.dense_weight) / (60 + rank)
            for rank, i in enumerate(dense_idx):
                fused[i] += self.dense_weight / (60 + rank)
            return fused
        lmax = lex.max()
        lex_n = lex / lmax if lmax > 0 else lex
        dense_n = np.zeros(n, dtype=np.float32)
        if len(dense_sim):
            lo, hi = float(dense_sim.min()), float(dense_sim.max())
            dense_n[dense_idx] = (dense_sim - lo) / (hi - lo) if hi > lo else 1.0
        cand = np.union1d(lex_top, dense_idx).astype(int)
        fused[cand] = self.dense_weight * dense_n[cand] + (1 - self.dense_weight) * lex_n[cand]
        fused[cand] = np.maximum(fused[cand], 1e-6)
        return fused

    def _lexical(self, query: str, gen: Generation, signals: dict | None = None) -> np.ndarray:
        """BM25 per lexical field, each scaled to [0, 1], mixed by LEXICAL_WEIGHTS."""
        total = np.zeros(len(gen.chunks), dtype=np.float32)
        for name, terms in lexical_fields(expand_query(query)).items():
            terms = list(dict.fromkeys(terms))
            if not terms or name not in gen.bm25:
                continue
            scores = np.asarray(gen.bm25[name].get_scores(terms), dtype=np.float32)
            top = scores.max()
            if signals is not None:
                signals[f"bm25_{name}"] = float(top) / len(terms)
            if top > 0:
                total += LEXICAL_WEIGHTS[name] * scores / top
        return total

    def _dense(self, query: str, gen: Generation, depth: int,
               signals: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Candidate passages and their dense score: passage cosine mixed with best-window cosine."""
        if gen.collection is None or self.dense_weight <= 0:
            return np.array([], dtype=int), np.array([], dtype=np.float32)
        raw = self.kb.embedder.embed_queries([normalize(query, lower=False)])[0]
        vec = raw - QUERY_CENTERING * gen.query_center if gen.query_center is not None else raw
        idx, sim = _nearest(gen.collection, vec, depth)
        if signals is not None:
            signals["vector"] = raw
            signals["passage_cos"] = float(sim[0]) if len(sim) else 0.0
            signals["off_center"] = float(np.linalg.norm(vec))  # far from the typical sales question
        if gen.units is None or gen.unit_owner is None:
            return idx, sim
        uidx, usim = _nearest(gen.units, vec, min(len(gen.unit_owner), depth * 4))
        if signals is not None and len(usim):
            signals["window_cos"] = float(usim[0])
        n = len(gen.chunks)
        # Passages outside a retriever's top list get that list's lowest score as a floor.
        passage = np.full(n, sim.min() if len(sim) else 0.0, dtype=np.float32)
        passage[idx] = sim
        window = np.full(n, usim.min() if len(usim) else 0.0, dtype=np.float32)
        np.maximum.at(window, gen.unit_owner[uidx], usim)
        # A one-sentence passage has no windows: the passage itself is its best window.
        window[gen.single_sentence] = passage[gen.single_sentence]
        mixed = (1 - UNIT_WEIGHT) * passage + UNIT_WEIGHT * window
        cand = np.union1d(idx, gen.unit_owner[uidx]).astype(int)
        order = cand[np.argsort(-mixed[cand])][:depth]
        return order, mixed[order]

    def passage(self, chunk_id: str) -> Passage | None:
        """A passage by id (for "show the full passage" buttons); None if it left the index."""
        gen = self.generation
        i = gen.position(chunk_id)
        return None if i is None else self._passage(gen, i, 0.0)

    def section(self, chunk_id: str) -> Passage | None:
        """The whole section a passage belongs to (every passage under its heading, in order): what the
        "full passage" button shows, since an answer may have trimmed it for a phone."""
        gen = self.generation
        i = gen.position(chunk_id)
        if i is None:
            return None
        c = gen.chunks[i]
        parts = [x.text for x in gen.chunks if x.doc_id == c.doc_id and x.section == c.section]
        return Passage("\n\n".join(parts), c.title, c.source, c.section, c.doc_id, c.chunk_id, 0.0)

    @staticmethod
    def _passage(gen: Generation, i: int, score: float) -> Passage:
        c = gen.chunks[i]
        return Passage(c.text, c.title, c.source, c.section, c.doc_id, c.chunk_id, score)


def _nearest(collection, vec: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    res = collection.query(query_embeddings=[vec], n_results=max(1, n), include=["distances"])
    idx = np.array([int(i) for i in res["ids"][0]], dtype=int)
    return idx, 1.0 - np.asarray(res["distances"][0], dtype=np.float32)
