"""A linear text classifier over character n-grams and the default model's sentence vector, numpy only at run time
(trained with scikit-learn offline): the sales-move recogniser's head and the article chooser's."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from bot.kb.text import normalize


def fold(text: str) -> str:
    """Simplified, lower case, no spaces: what the character n-grams are read from."""
    return "".join(normalize(text).split())


def char_ngrams(text: str, longest: int) -> dict[str, int]:
    t = fold(text)
    counts: dict[str, int] = {}
    for n in range(1, longest + 1):
        for i in range(len(t) - n + 1):
            g = t[i:i + n]
            counts[g] = counts.get(g, 0) + 1
    return counts


def design(texts: list[str], dense: np.ndarray, *, longest: int, dense_weight: float, min_df: int = 1):
    """Training features of a Head (scikit-learn, offline): TF-IDF character n-grams (sublinear, L2 rows) beside the
    weighted dense vectors. Returns the fitted vectorizer and the sparse matrix."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=lambda t: [g for g, c in char_ngrams(t, longest).items() for _ in range(c)],
                          min_df=min_df, sublinear_tf=True, dtype=np.float32)
    grams = vec.fit_transform(texts)
    return vec, sp.hstack([grams, sp.csr_matrix(dense_weight * dense)]).tocsr()


@dataclass
class Head:
    """One logistic regression per label over TF-IDF character n-grams (1..``longest``) and the e5 vector.

    The sales-move recogniser (bot/coach/moves.py: one label per move) and the article chooser
    (bot/kb/articles.py: one per article) are both this. The n-grams carry the words people use (对不起, 物流,
    降, 帮帮忙), the e5 vector what a sentence means when the words are new; for the moves both together beat
    either alone by 4-30 points of macro-F1 across authors.
    """

    labels: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray
    longest: int
    dense_weight: float
    coef: np.ndarray  # (len(vocabulary) + DENSE, len(labels))
    intercept: np.ndarray
    thresholds: np.ndarray
    meta: dict = field(default_factory=dict)

    @classmethod
    def fitted(cls, vec, labels: list[str], longest: int, dense_weight: float, coef: np.ndarray,
               intercept: np.ndarray, thresholds: np.ndarray | None = None) -> Head:
        """A head from the vectorizer ``design`` fitted and the trained weights."""
        return cls(labels, {str(g): int(i) for g, i in vec.vocabulary_.items()}, vec.idf_.astype(np.float32), longest,
                   dense_weight, coef, intercept,
                   np.full(len(labels), 0.5, np.float32) if thresholds is None else thresholds)

    def tfidf(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Sparse rows as (indices, values): sublinear tf times idf, L2-normalised (as scikit-learn's)."""
        rows = []
        for text in texts:
            idx, val = [], []
            for g, c in char_ngrams(text, self.longest).items():
                j = self.vocabulary.get(g)
                if j is not None:
                    idx.append(j)
                    val.append((1.0 + np.log(c)) * self.idf[j])
            v = np.asarray(val, np.float32)
            norm = float(np.linalg.norm(v))
            rows.append((np.asarray(idx, np.int64), v / norm if norm else v))
        return rows

    def logits(self, texts: list[str], dense: np.ndarray) -> np.ndarray:
        v = len(self.vocabulary)
        out = self.dense_weight * dense @ self.coef[v:] + self.intercept
        for i, (idx, val) in enumerate(self.tfidf(texts)):
            if len(idx):
                out[i] += val @ self.coef[idx]
        return out

    def probabilities(self, texts: list[str], dense: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(texts, dense)))

    def save(self, path: Path, version: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npz")
        words = sorted(self.vocabulary, key=self.vocabulary.get)
        np.savez_compressed(tmp, labels=np.array(self.labels), vocabulary=np.array(words), idf=self.idf.astype(np.float32),
                            longest=np.int32(self.longest), dense_weight=np.float32(self.dense_weight),
                            coef=self.coef.astype(np.float16), intercept=self.intercept.astype(np.float32),
                            thresholds=self.thresholds.astype(np.float32), version=np.int32(version),
                            meta=np.array(yaml.safe_dump(self.meta, allow_unicode=True)))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, version: int, retrain: str) -> Head:
        """The head saved at `path`; ValueError naming the command (`retrain`) when it is of another version."""
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != version:
                raise ValueError(f"{path.name} is from another model version: run `{retrain}`")
            words = [str(w) for w in z["vocabulary"]]
            return cls([str(x) for x in z["labels"]], {w: i for i, w in enumerate(words)}, z["idf"], int(z["longest"]),
                       float(z["dense_weight"]), z["coef"].astype(np.float32), z["intercept"], z["thresholds"],
                       yaml.safe_load(str(z["meta"])) or {})
