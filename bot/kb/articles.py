"""Which article answers a question: a model trained on reps' questions labelled with the article a trainer
would answer from, over what retrieval found.

Retrieval ranks passages, and the passage ranked first is often from the wrong article: 「大客户流失怎么防？五道
防线是哪五道」 meets the five points of the key-account service standard (which close with "an effective defence
against churn") before the article on the five defences. On the labelled questions the article of the first
answer unit was the labelled one for 80% of them. Two things read the question as a whole:

- **a classifier** from the question to the bundled articles (``Head``, bot/kb/linear.py: character n-grams and
  the default model's query vector, one logistic regression per article, read as a softmax), trained on
  eval/answers/scope-train*.yaml and train-*.yaml (reps' questions with the article that answers them; never
  a dev or blind set) and the articles' own titles, tags, headings and English summaries;
- **a reranker** over the articles retrieval found (a logistic regression over the best passage's score and
  rank, how the article's sections suit the question (bot/kb/units.fit), heading, title and English-summary
  overlap, and the classifier's log-probability centred over the candidates), trained on the classifier's
  out-of-fold probabilities, so it trusts them as much as they deserve on questions they were not fit on.

An article the classifier does not know (an uploaded document, a renamed article) gets a neutral classifier
term and is chosen on retrieval's evidence alone; the training shows the reranker such cases. Without the
trained file, or with another embedding model than the one it was trained with, retrieval's order stands.
``salescoach answers articles`` writes ``bot/kb/data/articles.npz``; numpy only at run time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.kb.linear import Head
from bot.kb.units import article_sections, asked_count, fit, heading_overlap, question_kinds, words

log = logging.getLogger(__name__)

DATA_FILE = Path(__file__).parent / "data" / "articles.npz"
VERSION = 1
RETRAIN = "salescoach answers articles"
FEATURES = ("best", "inv_rank", "fit", "heading", "title_share", "title_hits", "english_overlap", "classifier")
NEUTRAL = 0.0  # the classifier term of an article it does not know: the candidates' mean
_LATIN = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Candidate:
    """One article retrieval found, as the reranker reads it."""

    doc_id: str
    features: np.ndarray  # FEATURES, in order


def _latin(text: str) -> set[str]:
    return set(_LATIN.findall(text.lower()))


def english_overlap(question: str, english: str) -> float:
    """Share of an English question's words (four letters or more) that an English text uses."""
    asked = _latin(question)
    return len(asked & _latin(english)) / len(asked) if asked else 0.0


def candidates(question: str, passages: Sequence, docs: dict, probabilities: dict[str, float] | None) -> list[Candidate]:
    """The articles among ``passages`` (best first, as retrieval ranked them) with their features;
    ``probabilities``: the classifier's, by article id (None: no classifier, the neutral term for all)."""
    if not passages:
        return []
    top = passages[0].score or 1.0
    kinds, count = question_kinds(question), asked_count(question)
    asked = words(question)
    seen: dict[str, dict] = {}
    for rank, p in enumerate(passages):
        if p.doc_id not in docs:
            continue
        c = seen.setdefault(p.doc_id, {"best": 0.0, "rank": rank, "fit": -1.0, "heading": 0.0})
        c["best"] = max(c["best"], p.score / top)
        sec = next((x for x in article_sections(docs[p.doc_id]) if x.heading == p.section), None)
        if sec is not None:
            c["fit"] = max(c["fit"], fit(question, sec, kinds, count))
            c["heading"] = max(c["heading"], heading_overlap(question, sec))
    probabilities = probabilities or {}
    logs = {d: float(np.log(probabilities[d] + 1e-4)) for d in seen if d in probabilities}
    mean = float(np.mean(list(logs.values()))) if logs else 0.0
    out = []
    for doc_id, c in seen.items():
        doc = docs[doc_id]
        titled = words(f"{doc.title} {' '.join(map(str, doc.meta.get('tags') or []))}")
        row = [c["best"], 1.0 / (1 + c["rank"]), c["fit"], c["heading"], len(titled & asked) / (len(titled) or 1),
               float(len(titled & asked)), english_overlap(question, str(doc.meta.get("summary_en") or "")),
               logs[doc_id] - mean if doc_id in logs else NEUTRAL]
        out.append(Candidate(doc_id, np.asarray(row, np.float32)))
    return out


CONFIDENCE = ("article_top", "article_margin", "article_entropy", "article_first", "article_found")


def confidence(probabilities: dict[str, float], passages: Sequence) -> dict[str, float]:
    """How surely the classifier reads the question as one bundled article's, and whether retrieval found that
    article: the relevance decision (bot/kb/relevance.py) reads these. A question the knowledge base does not cover
    spreads its probability thinly, or puts it on articles retrieval did not find."""
    if not probabilities:
        return {}
    p = np.sort(np.fromiter(probabilities.values(), np.float64))[::-1]
    found = {x.doc_id for x in passages}
    first = probabilities.get(passages[0].doc_id, 0.0) if passages else 0.0
    return {"article_top": float(np.log(p[0] + 1e-6)),
            "article_margin": float(np.log(p[0] + 1e-6) - np.log(p[1] + 1e-6)) if len(p) > 1 else 0.0,
            "article_entropy": float(-np.sum(p * np.log(p + 1e-12))),
            "article_first": float(np.log(first + 1e-6)),
            "article_found": float(np.log(sum(probabilities.get(d, 0.0) for d in found) + 1e-6))}


@dataclass
class ArticleChooser:
    head: Head  # question -> article (labels: article ids)
    weights: np.ndarray  # the reranker's, over FEATURES
    bias: float
    embedder: str  # the query vectors the head was trained on

    def probabilities(self, question: str, vector: np.ndarray) -> dict[str, float]:
        logits = self.head.logits([question], np.asarray(vector, np.float32)[None, :])[0]
        e = np.exp(logits - logits.max())
        return dict(zip(self.head.labels, (e / e.sum()).tolist(), strict=True))

    def rank(self, question: str, vector: np.ndarray | None, passages: Sequence, docs: dict,
             probabilities: dict[str, float] | None = None) -> list[str]:
        """The candidate articles, likeliest first (``probabilities``: the classifier's, when already read)."""
        probs = probabilities or (self.probabilities(question, vector) if vector is not None else None)
        cands = candidates(question, passages, docs, probs)
        scores = [float(c.features @ self.weights + self.bias) for c in cands]
        return [c.doc_id for _, c in sorted(zip(scores, cands, strict=True), key=lambda x: -x[0])]

    def save(self, path: Path = DATA_FILE) -> None:
        self.head.meta = {**self.head.meta, "embedder": self.embedder, "features": list(FEATURES),
                          "weights": [float(w) for w in self.weights], "bias": float(self.bias)}
        self.head.save(path, VERSION)

    @classmethod
    def load(cls, path: Path = DATA_FILE) -> ArticleChooser | None:
        if not path.exists():
            return None
        head = Head.load(path, VERSION, RETRAIN)
        meta = head.meta
        if tuple(meta.get("features", ())) != FEATURES:
            raise ValueError(f"{path.name} was trained on other features: run `{RETRAIN}`")
        return cls(head, np.asarray(meta["weights"], np.float32), float(meta["bias"]), str(meta["embedder"]))


_cache: dict[str, ArticleChooser | None] = {}


def default_chooser(embedder_name: str) -> ArticleChooser | None:
    """The trained chooser for this embedding model, or None (retrieval's order stands)."""
    if "model" not in _cache:
        try:
            _cache["model"] = ArticleChooser.load(DATA_FILE)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("article chooser not loaded (%s); answering in retrieval's order", exc)
            _cache["model"] = None
    model = _cache["model"]
    return model if model is not None and model.embedder == embedder_name else None


# ----------------------------------------------------------------------------- training (sklearn, offline)
TRAIN_SETS = ("scope-train*.yaml", "train-*.yaml")  # never a dev*.yaml (measured on) nor a blind*.yaml
DENSE_WEIGHT = 2.0
LONGEST = 3
C_HEAD, C_RERANK = 10.0, 1.0
UNKNOWN_SHARE = 0.3  # training questions shown once more with one candidate unknown to the classifier


@dataclass
class Labelled:
    question: str
    article: str
    passages: list
    vector: np.ndarray


@dataclass
class TrainReport:
    questions: int
    articles: int
    retrieval_first: float  # the article of retrieval's first passage is the labelled one
    classifier_first: float  # the classifier's likeliest candidate, out of fold
    chosen: float  # the reranker's choice, on out-of-fold classifier probabilities
    in_candidates: float  # the labelled article is among the candidates at all


def labelled_questions(retriever, directory: Path) -> list[Labelled]:
    import yaml

    docs = retriever.generation.docs
    out = []
    for path in sorted(p for pattern in TRAIN_SETS for p in directory.glob(pattern)):
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            if q.get("scope") != "in" or not q.get("articles"):
                continue
            if q["articles"][0] not in docs:
                log.warning("%s: no article %s in the knowledge base", path.name, q["articles"][0])
                continue
            result = retriever.search(q["q"], k=12)
            if result.signals.get("vector") is None:
                raise ValueError("the article chooser needs the dense retriever (the default embedding model)")
            out.append(Labelled(q["q"], q["articles"][0], result.passages, np.asarray(result.signals["vector"])))
    return out


def structure(retriever) -> list[Labelled]:
    """What the knowledge base already says about each article, as more labelled text for the classifier: its
    title, tags, section headings and English summaries (front matter ``summary_en``, ``sections_en``)."""
    from bot.kb.text import normalize

    texts = []
    for doc_id, doc in sorted(retriever.generation.docs.items()):
        glosses = doc.meta.get("sections_en") or {}
        parts = [doc.title, " ".join(map(str, doc.meta.get("tags") or [])), str(doc.meta.get("summary_en") or ""),
                 *(s.heading for s in article_sections(doc) if s.heading), *map(str, glosses.values())]
        texts += [(t, doc_id) for t in parts if t.strip()]
    vectors = retriever.kb.embedder.embed_queries([normalize(t, lower=False) for t, _ in texts])
    return [Labelled(t, d, [], v) for (t, d), v in zip(texts, vectors, strict=True)]


def fit_head(items: list[Labelled], labels: list[str]) -> Head:
    """Multinomial logistic regression from a question to its article (lbfgs: deterministic)."""
    from sklearn.linear_model import LogisticRegression

    from bot.kb.linear import design

    vec, x = design([i.question for i in items], np.vstack([i.vector for i in items]), longest=LONGEST,
                    dense_weight=DENSE_WEIGHT)
    clf = LogisticRegression(C=C_HEAD, max_iter=5000).fit(x, [labels.index(i.article) for i in items])
    coef = np.zeros((x.shape[1], len(labels)), np.float32)
    intercept = np.full(len(labels), -30.0, np.float32)  # an article with no question never wins
    coef[:, clf.classes_] = clf.coef_.T
    intercept[clf.classes_] = clf.intercept_
    return Head.fitted(vec, labels, LONGEST, DENSE_WEIGHT, coef, intercept, np.zeros(len(labels), np.float32))


def train(retriever, directory: Path, *, out: Path | None = DATA_FILE, folds: int = 5) -> tuple[ArticleChooser, TrainReport]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    items = labelled_questions(retriever, directory)
    docs = retriever.generation.docs
    labels = sorted(docs)
    embedder = retriever.kb.embedder.name
    known = structure(retriever)  # the articles' titles, headings and English summaries train it too
    oof: list[dict[str, float]] = [{} for _ in items]
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=0).split(items):
        head = fit_head([items[i] for i in train_idx] + known, labels)
        chooser = ArticleChooser(head, np.zeros(len(FEATURES)), 0.0, embedder)
        for i in test_idx:
            oof[i] = chooser.probabilities(items[i].question, items[i].vector)
    rows, ys = [], []
    rng = np.random.default_rng(0)
    for item, probs in zip(items, oof, strict=True):
        variants = [probs]
        if rng.random() < UNKNOWN_SHARE:  # an upload the classifier never saw: the labelled article or another
            cands = list(dict.fromkeys(p.doc_id for p in item.passages))
            drop = item.article if rng.random() < 0.5 else cands[int(rng.integers(len(cands)))]
            variants.append({d: v for d, v in probs.items() if d != drop})
        for variant in variants:
            for c in candidates(item.question, item.passages, docs, variant):
                rows.append(c.features)
                ys.append(int(c.doc_id == item.article))
    rerank = LogisticRegression(C=C_RERANK, max_iter=5000).fit(np.vstack(rows), ys)
    final = ArticleChooser(fit_head(items + known, labels), rerank.coef_[0].astype(np.float32), float(rerank.intercept_[0]),
                           embedder)
    chosen = classifier = first = present = 0
    for item, probs in zip(items, oof, strict=True):
        cands = candidates(item.question, item.passages, docs, probs)
        ids = [c.doc_id for c in cands]
        first += bool(ids) and ids[0] == item.article
        present += item.article in ids
        classifier += bool(ids) and max(ids, key=lambda d: probs.get(d, 0.0)) == item.article
        scores = [float(c.features @ final.weights + final.bias) for c in cands]
        chosen += bool(ids) and ids[int(np.argmax(scores))] == item.article
    n = len(items) or 1
    final.head.meta = {"questions": len(items), "sets": list(TRAIN_SETS)}
    report = TrainReport(len(items), len({i.article for i in items}), first / n, classifier / n, chosen / n, present / n)
    if out is not None:
        final.save(out)
        _cache.clear()
    return final, report

