"""Train the free-text point detector (``bot/coach/points.py``) on ``eval/study/points-train-*.yaml``.

Each corpus file is one author's answers to the bank's free questions, labelled with the points (``p1``..) and
mistakes (``m1``..) each makes. The bank's own wordings (each point's name and ``says``, the reference answer
with every point) are added to every fit. Thresholds come from out-of-fold predictions: each author's answers
predicted by a detector trained on the other authors (and the bank), read as at run time (whole and by clause).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.coach.freetext import detector_units as units_of
from bot.coach.movetrain import TrainConfig, VectorCache, fit_label
from bot.coach.points import MODEL_FILE, MODEL_VERSION, label
from bot.kb.linear import Head, design
from bot.prompts import PROJECT_ROOT

log = logging.getLogger(__name__)

CORPUS_DIR = PROJECT_ROOT / "eval" / "study"
BANK_AUTHOR = "bank"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    text: str
    points: list[str] = Field(default_factory=list)
    mistakes: list[str] = Field(default_factory=list)


class CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author: str
    items: list[Item] = Field(min_length=1)


@dataclass
class Example:
    question: str
    text: str
    labels: frozenset[str]
    author: str


@dataclass
class Report:
    answers: int
    authors: list[str]
    labels: int
    precision: float  # out of fold, points and mistakes together, at the chosen thresholds
    recall: float


def free_specs(bank_file: Path | None = None) -> dict[str, object]:
    """The bank's free questions by id: their FreeSpec."""
    from bot.coach.study import BANK_FILE, load_quiz_bank

    bank = load_quiz_bank(bank_file or BANK_FILE)
    return {q.id: q.spec() for q in bank.questions if q.kind == "free"}


def label_names(specs: dict) -> list[str]:
    return [label(qid, kind, i) for qid, spec in specs.items()
            for kind, xs in (("item", spec.items), ("avoid", spec.avoid)) for i in range(len(xs))]


def load_corpus(specs: dict, directory: Path = CORPUS_DIR) -> list[Example]:
    out = []
    for path in sorted(directory.glob("points-train-*.yaml")):
        data = CorpusFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for it in data.items:
            spec = specs.get(it.question)
            if spec is None:
                raise ValueError(f"{path.name}: no free question {it.question!r} in the bank")
            labels = set()
            for kind, ids, n in (("item", it.points, len(spec.items)), ("avoid", it.mistakes, len(spec.avoid))):
                for x in ids:
                    k = int(x[1:]) - 1 if x[1:].isdigit() else -1
                    if not 0 <= k < n or x[0] != ("p" if kind == "item" else "m"):
                        raise ValueError(f"{path.name}: {it.question} has no {x} (in {it.text!r})")
                    labels.add(label(it.question, kind, k))
            if it.text.strip():
                out.append(Example(it.question, it.text.strip(), frozenset(labels), data.author))
    return out


def bank_examples(specs: dict) -> list[Example]:
    """The bank's own wordings: each point's name and reference wordings, each mistake's, the reference answer."""
    out = []
    for qid, spec in specs.items():
        out.append(Example(qid, spec.reference, frozenset(label(qid, "item", i) for i in range(len(spec.items))),
                           BANK_AUTHOR))
        for kind, xs in (("item", spec.items), ("avoid", spec.avoid)):
            for i, x in enumerate(xs):
                for t in [x.name, *x.says]:
                    out.append(Example(qid, t, frozenset({label(qid, kind, i)}), BANK_AUTHOR))
    return out


def fit(examples: list[Example], labels: list[str], cfg: TrainConfig, cache: VectorCache) -> Head:
    """One logistic regression per label (``movetrain.fit_label``), fitted on its own question's answers only."""
    texts = [e.text for e in examples]
    vec, x = design(texts, cache.get(texts), longest=cfg.longest, dense_weight=cfg.dense_weight, min_df=cfg.min_df)
    coef = np.zeros((x.shape[1], len(labels)), np.float32)
    intercept = np.full(len(labels), -10.0, np.float32)
    questions = np.array([e.question for e in examples])
    for j, lab in enumerate(labels):
        rows = np.flatnonzero(questions == lab.rsplit("/", 1)[0])
        y = np.array([lab in examples[r].labels for r in rows], np.int32)
        if 0 < y.sum() < len(y):
            coef[:, j], intercept[j] = fit_label(x[rows], y, cfg.c)
    return Head.fitted(vec, labels, cfg.longest, cfg.dense_weight, coef, intercept)


def predict(head: Head, examples: list[Example], cache: VectorCache) -> np.ndarray:
    """Per example, each label's highest probability over its units; labels of other questions are 0."""
    spans, texts = [], []
    for ex in examples:
        parts = units_of(ex.text)
        spans.append((len(texts), len(texts) + len(parts)))
        texts += parts
    probs = head.probabilities(texts, cache.get(texts)) if texts else np.zeros((0, len(head.labels)))
    out = np.zeros((len(examples), len(head.labels)), np.float32)
    for i, (ex, (a, b)) in enumerate(zip(examples, spans, strict=True)):
        mine = np.array([lab.startswith(ex.question + "/") for lab in head.labels])
        out[i] = np.where(mine, probs[a:b].max(axis=0), 0.0)
    return out


def truth(examples: list[Example], labels: list[str]) -> np.ndarray:
    return np.array([[lab in e.labels for lab in labels] for e in examples], bool)


GRID = np.arange(0.30, 0.951, 0.025)


def choose_thresholds(oof: np.ndarray, y: np.ndarray, labels: list[str], examples: list[Example]) -> np.ndarray:
    """One threshold for the points and one for the mistakes (each label has too few answers for its own): the
    best F1 over every label of that kind, counted on its own question's answers. A mistake is held to F0.5: a
    mistake wrongly called costs a right answer its grade."""
    questions = np.array([e.question for e in examples])
    own = np.stack([questions == lab.rsplit("/", 1)[0] for lab in labels], axis=1)
    out = np.full(len(labels), 0.5, np.float32)
    for kind, beta in (("p", 1.0), ("m", 0.5)):
        cols = [j for j, lab in enumerate(labels) if lab.rsplit("/", 1)[1].startswith(kind)]
        if not cols:
            continue
        best, best_t = -1.0, 0.5
        for t in GRID:
            pred = (oof[:, cols] >= t) & own[:, cols]
            tp = float((pred & y[:, cols]).sum())
            if not tp:
                continue
            p, r = tp / float(pred.sum()), tp / float((y[:, cols] & own[:, cols]).sum())
            f = (1 + beta**2) * p * r / (beta**2 * p + r)
            if f > best + 1e-9:
                best, best_t = f, float(t)
        out[cols] = best_t
    return out


def train(cfg: TrainConfig | None = None, *, cache_path: Path | None = None, out: Path | None = MODEL_FILE,
          directory: Path | None = None, bank_file: Path | None = None) -> tuple[Head, Report]:
    cfg = cfg or TrainConfig()
    directory = directory or CORPUS_DIR
    specs = free_specs(bank_file)
    labels = label_names(specs)
    corpus = load_corpus(specs, directory)
    if not corpus:
        raise ValueError(f"no labelled answers (points-train-*.yaml) in {directory}")
    bank = bank_examples(specs)
    cache = VectorCache(cache_path)
    cache.get([u for e in corpus + bank for u in (e.text, *units_of(e.text))])
    authors = sorted({e.author for e in corpus})
    oof = np.zeros((len(corpus), len(labels)), np.float32)
    if len(authors) > 1:
        for a in authors:
            held = [e for e in corpus if e.author == a]
            head = fit([e for e in corpus if e.author != a] + bank, labels, cfg, cache)
            oof[[i for i, e in enumerate(corpus) if e.author == a]] = predict(head, held, cache)
        y = truth(corpus, labels)
        thresholds = choose_thresholds(oof, y, labels, corpus)
        pred = oof >= thresholds
        tp = float((pred & y).sum())
        precision, recall = tp / max(float(pred.sum()), 1.0), tp / max(float(y.sum()), 1.0)
    else:
        thresholds, precision, recall = np.full(len(labels), 0.5, np.float32), 0.0, 0.0
    head = fit(corpus + bank, labels, cfg, cache)
    head.thresholds = thresholds
    head.meta = {"authors": authors, "answers": len(corpus), "config": dict(cfg.__dict__),
                 "oof_precision": round(precision, 4), "oof_recall": round(recall, 4)}
    if out:
        head.save(out, MODEL_VERSION)
    return head, Report(len(corpus), authors, len(labels), precision, recall)
