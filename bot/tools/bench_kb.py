"""Retrieval benchmarks: query latency, cold start and ingestion throughput (report, not assert)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bot.config import Settings
from bot.tools.eval_kb import DEFAULT_RAW_DIR, load_questions


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def server_retriever(settings: Settings, chroma_url: str):
    """A retriever on the Chroma server at `chroma_url`, the bundled knowledge base synced into it as a bot
    starting on it would; its cache in a folder of its own, apart from the data dir's embedded index."""
    from bot.kb.embed import get_embedder
    from bot.kb.index import KnowledgeBase
    from bot.kb.retrieve import Retriever
    from bot.kb.service import sync_bundled

    kb = KnowledgeBase(settings.data_dir / "bench-chroma-server", get_embedder(settings), server=chroma_url)
    sync_bundled(settings, kb)
    return Retriever(kb)


def bench_server_queries(settings: Settings, console: Console, chroma_url: str, rounds: int = 3) -> dict:
    """Search latency on a Chroma server next to the embedded index, over the eval questions. Each question
    is asked of both in turn (which one first alternates), so a machine busy with something else slows
    both alike; the difference per question is reported too."""
    from bot.kb.service import open_retriever

    pair = {"embedded": open_retriever(settings), "server": server_retriever(settings, chroma_url)}
    questions = [q.q for q in load_questions("kb")] + [q.q for q in load_questions("raw")]
    for q in questions[:20]:  # warm-up
        for retriever in pair.values():
            retriever.search(q)
    took: dict[str, list[float]] = {name: [] for name in pair}
    for r in range(rounds):
        for i, q in enumerate(questions):
            for name in sorted(pair, reverse=bool((i + r) % 2)):
                took[name].append(pair[name].search(q).took_ms)
    res: dict = {"queries": len(took["server"])}
    for name, where in (("embedded", "embedded index"), ("server", f"Chroma server {chroma_url}")):
        res[f"{name}_p50_ms"], res[f"{name}_p95_ms"] = statistics.median(took[name]), percentile(took[name], 95)
        console.print(f"query latency after load, {where}: n={res['queries']} p50={res[f'{name}_p50_ms']:.1f} ms "
                      f"p95={res[f'{name}_p95_ms']:.1f} ms max={max(took[name]):.1f} ms")
    more = [s - e for s, e in zip(took["server"], took["embedded"], strict=True)]
    res.update(extra_p50_ms=statistics.median(more), extra_p95_ms=percentile(more, 95))
    console.print(f"the server adds, question by question: p50={res['extra_p50_ms']:.1f} ms "
                  f"p95={res['extra_p95_ms']:.1f} ms")
    return res


def bench_queries(settings: Settings, console: Console, rounds: int = 3) -> dict:
    from bot.kb.service import open_retriever

    retriever = open_retriever(settings)
    questions = [q.q for q in load_questions("kb")] + [q.q for q in load_questions("raw")]
    for q in questions[:20]:  # warm-up
        retriever.search(q)
    took = [retriever.search(q).took_ms for _ in range(rounds) for q in questions]
    res = {"queries": len(took), "p50_ms": statistics.median(took), "p95_ms": percentile(took, 95),
           "max_ms": max(took)}
    console.print(f"query latency after load: n={res['queries']} p50={res['p50_ms']:.1f} ms "
                  f"p95={res['p95_ms']:.1f} ms max={res['max_ms']:.1f} ms")
    # What answering adds on top of the search it runs (relevance decision, answer unit, rendering).
    from bot.kb.answer import Answerer

    answerer = Answerer(retriever)
    extra = []
    for _ in range(rounds):
        for q in questions:
            search_ms = retriever.search(q, k=8).took_ms
            t0 = time.perf_counter()
            answerer.answer(q)
            extra.append((time.perf_counter() - t0) * 1000 - search_ms)
    res.update(answer_extra_p50_ms=statistics.median(extra), answer_extra_p95_ms=percentile(extra, 95))
    console.print(f"answering adds (answer time minus its search): p50={res['answer_extra_p50_ms']:.1f} ms "
                  f"p95={res['answer_extra_p95_ms']:.1f} ms")
    return res


def bench_cold_start(settings: Settings, console: Console, runs: int = 3) -> dict:
    """Wall time of `salescoach search --json` in a fresh process, index and model already built."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "search", "客户一直催货怎么办？", "--json"], check=True,
                       capture_output=True, env=_env(settings))
        times.append(time.perf_counter() - t0)
    res = {"cold_start_s": statistics.median(times)}
    console.print(f"`salescoach search` cold start (median of {runs}): {res['cold_start_s']:.2f} s")
    return res


def bench_ingest(settings: Settings, console: Console, raw_dir: Path | None = None) -> dict:
    """Embedding throughput on the raw corpus' passages: our configuration against plain fp32."""
    from bot.kb.chunk import chunk_document
    from bot.kb.documents import iter_paths, load_file
    from bot.kb.embed import SentenceTransformerEmbedder, ensure_default_model
    from bot.kb.index import KnowledgeBase, index_text

    raw = raw_dir or DEFAULT_RAW_DIR
    docs = [load_file(p) for p in iter_paths([raw])]
    texts = [index_text(c, d.meta) for d in docs for c in chunk_document(d)]
    path = str(ensure_default_model(settings))
    res: dict = {"chunks": len(texts)}
    for label, quantize in (("fp32 sentence-transformers baseline", False), ("int8 dynamic quantization", True)):
        emb = SentenceTransformerEmbedder(path, name="e5", quantize=quantize)
        emb.embed_passages(texts[:8])
        t0 = time.perf_counter()
        emb.embed_passages(texts)
        rate = len(texts) / (time.perf_counter() - t0)
        res[label] = rate
        console.print(f"{label}: {rate:.1f} chunks/s over {len(texts)} passages")
    with tempfile.TemporaryDirectory() as tmp:
        from bot.kb.embed import get_embedder

        kb = KnowledgeBase(Path(tmp), get_embedder(settings))
        t0 = time.perf_counter()
        report = kb.ingest([raw])
        total = time.perf_counter() - t0
        res["full_ingest_chunks_per_s"] = report.chunks / total
        console.print(f"full ingest (clean, chunk, embed, index) with the configured model: "
                      f"{report.chunks} passages in {total:.1f} s = {report.chunks / total:.1f} chunks/s")
    return res


def _env(settings: Settings) -> dict:
    import os

    env = dict(os.environ)
    env["SALESCOACH_DATA_DIR"] = str(settings.data_dir)
    env["SALESCOACH_EMBEDDING_MODEL"] = settings.embedding_model
    return env
