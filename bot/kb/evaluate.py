"""Retrieval eval on our own labelled questions: the bundled knowledge base and raw web documents.

- ``eval/kb/*.yaml``: questions whose answer an article states (``article`` or ``articles``).
- ``eval/raw/questions.yaml``: questions over noisy scraped pages (default ``../shared/seeds``);
  a passage is correct when it comes from ``doc`` and contains one of the ``answer`` strings.
- ``eval/raw/heldout*.yaml``: more questions over the same pages, written blind (from the pages
  alone, without seeing the system's results) and never used for tuning: the honest figures.
  ``heldout`` paraphrases on purpose; ``heldout2`` asks the way trained reps do, half of it
  naming the concept.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from bot.config import PROJECT_ROOT, Settings
from bot.kb.retrieve import Passage, Retriever
from bot.kb.text import normalize

EVAL_DIR = PROJECT_ROOT / "eval"
DEFAULT_RAW_DIR = PROJECT_ROOT.parent / "shared" / "seeds"
K = 5
MRR_DEPTH = 10


@dataclass
class Question:
    q: str
    lang: str
    articles: list[str] = field(default_factory=list)
    doc: str | None = None
    answer: list[str] = field(default_factory=list)

    def is_hit(self, p: Passage) -> bool:
        if self.articles:
            return p.doc_id in self.articles
        if p.source != self.doc:
            return False
        text = re.sub(r"\s", "", normalize(p.text))
        return any(normalize(a) in text for a in self.answer)


def load_questions(kind: str) -> list[Question]:
    out: list[Question] = []
    if kind == "kb":
        files = sorted((EVAL_DIR / "kb").glob("*.yaml"))
    else:  # "raw" is raw/questions.yaml, "raw-heldout" raw/heldout.yaml, ...
        name = "questions" if kind == "raw" else kind.removeprefix("raw-")
        files = [EVAL_DIR / "raw" / f"{name}.yaml"]
    for f in files:
        for item in yaml.safe_load(f.read_text(encoding="utf-8")) or []:
            arts = item.get("articles") or ([item["article"]] if item.get("article") else [])
            out.append(Question(item["q"], item.get("lang", "zh-CN"), arts, item.get("doc"), item.get("answer") or []))
    return out


@dataclass
class Scores:
    n: int
    hit1: float
    hit3: float
    hit5: float
    mrr: float
    misses: list[str]


def score(retriever: Retriever, questions: list[Question]) -> Scores:
    ranks: list[int | None] = []
    misses = []
    for q in questions:
        passages = retriever.search(q.q, k=MRR_DEPTH).passages
        rank = next((i for i, p in enumerate(passages, 1) if q.is_hit(p)), None)
        ranks.append(rank)
        if rank is None or rank > K:
            misses.append(q.q)
    n = len(questions) or 1
    return Scores(
        n=len(questions),
        hit1=sum(1 for r in ranks if r and r <= 1) / n,
        hit3=sum(1 for r in ranks if r and r <= 3) / n,
        hit5=sum(1 for r in ranks if r and r <= K) / n,
        mrr=sum(1 / r for r in ranks if r) / n,
        misses=misses,
    )


def _retrievers(settings: Settings, raw_dir: Path | None) -> dict[str, tuple[Retriever, list[Question]]]:
    from bot.kb.service import knowledge_base, open_retriever

    sets: dict[str, tuple[Retriever, list[Question]]] = {}
    sets["kb"] = (open_retriever(settings), load_questions("kb"))
    raw = raw_dir or DEFAULT_RAW_DIR
    if raw.is_dir():
        kb = knowledge_base(settings, settings.data_dir / "eval-raw")
        kb.ingest([raw])
        retriever = Retriever(kb)
        sets["raw"] = (retriever, load_questions("raw"))
        for f in sorted((EVAL_DIR / "raw").glob("heldout*.yaml")):
            sets[f"raw-{f.stem}"] = (retriever, load_questions(f"raw-{f.stem}"))
    return sets


def run_eval(settings: Settings, *, only: str | None, tune: bool, raw_dir: Path | None, console: Console) -> dict:
    sets = _retrievers(settings, raw_dir)
    if only:
        sets = {k: v for k, v in sets.items() if k == only or k.startswith(f"{only}-")}
    results: dict = {}
    for name, (retriever, questions) in sets.items():
        table = Table(title=f"{name}: {len(questions)} questions (hit@k, MRR@{MRR_DEPTH})")
        for col in ("setting", "n", "hit@1", "hit@3", "hit@5", "MRR"):
            table.add_column(col)
        configs = [("hybrid (default)", retriever.fusion, retriever.dense_weight),
                   ("BM25 only", "linear", 0.0), ("dense only", "linear", 1.0), ("RRF 0.5", "rrf", 0.5)]
        if tune:
            configs += [(f"linear w={w / 10:.1f}", "linear", w / 10) for w in range(1, 10)]
        default = (retriever.fusion, retriever.dense_weight)
        for label, fusion, weight in configs:
            retriever.fusion, retriever.dense_weight = fusion, weight
            s = score(retriever, questions)
            table.add_row(label, str(s.n), f"{s.hit1:.3f}", f"{s.hit3:.3f}", f"{s.hit5:.3f}", f"{s.mrr:.3f}")
            if label == "hybrid (default)":
                results[name] = s
                by_lang = defaultdict(list)
                for q in questions:
                    by_lang[q.lang].append(q)
                lang_rows = [(lang, score(retriever, qs)) for lang, qs in sorted(by_lang.items())]
        retriever.fusion, retriever.dense_weight = default
        for lang, s in lang_rows:
            table.add_row(f"  hybrid, {lang}", str(s.n), f"{s.hit1:.3f}", f"{s.hit3:.3f}", f"{s.hit5:.3f}", f"{s.mrr:.3f}")
        console.print(table)
        if results[name].misses:
            console.print(f"[dim]{name} misses at @{K}: " + " | ".join(results[name].misses) + "[/dim]")
    return results
