"""What a trainer credits team A for in a key-account game, read by a model trained on scripted games.

The debrief credits an apology, a discovery question or a value argument where the sales-move recogniser reads
the move in a sentence (``CREDITED`` in ``bot/coach/game.py``). Trainers credit more than the catalogue's
definitions name: 「冒昧问一句 董事长给您的目标是单价还是综合成本」 is a discovery question though it offers two
answers; 「调色打样3天 生产10天 运输2天 15天到货 我不想报一个做不到的数」 is a value argument (a lead time the
account can plan on) though no move of the catalogue says so; 「剩下的板颜色最容易对上 换一家要重新调色」 argues the
cost of switching. This reader is the recogniser's linear head (``bot/kb/linear.py``: character n-grams and the e5
vector) trained on team A's messages in the scripted games' dev sets (``eval/debrief/<set>``, ``TRAIN_SETS``),
each labelled by its author with what a trainer credits; the blind sets are never among them.

A message is read whole in training and sentence by sentence (and by clauses of a long one) in use, as the
recogniser reads a turn; each kind has a threshold chosen on out-of-fold predictions (each author's games read by
a model trained on the other authors'), for the debrief's credit as a whole: the recogniser's credits together with
this reader's. ``salescoach debrief train`` (``bot/coach/credittrain.py``) retrains it after a scripted set is added or
the recogniser retrained.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.coach.moves import MODEL_FILE as MOVES_FILE
from bot.coach.moves import SentenceMoves
from bot.config import PROJECT_ROOT
from bot.kb.linear import Head

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).resolve().parent / "data" / "credits.npz"
MODEL_VERSION = 1
GAMES_DIR = PROJECT_ROOT / "eval" / "debrief"
KINDS = ("apology", "discovery_question", "value_argument")
GROUPS = {"apology": "道歉、认错", "discovery_question": "发现需要的提问", "value_argument": "价值论据"}
"""Each kind's group in the debrief (the recogniser's credits are grouped the same way)."""
TITLES = {"apology": "认错、道歉", "discovery_question": "问清对方的处境和需要", "value_argument": "讲清对方能得到的价值"}
TRAIN_SETS = ("dev", "blind2", "dev4", "dev5", "blind4", "blind5", "blind6", "blind7", "blind8", "blind9",
              "blind10", "blind11", "blind12")
"""The scripted games' dev sets. A blind set joins only after it has been measured and studied."""


def moves_fingerprint(path: Path = MOVES_FILE) -> str:
    """The recogniser this reader was trained beside: its thresholds decide which credits are left to the reader."""
    return hashlib.blake2b(path.read_bytes(), digest_size=8).hexdigest() if path.exists() else ""


@dataclass
class CreditReader:
    head: Head

    @property
    def thresholds(self) -> dict[str, float]:
        return {k: float(t) for k, t in zip(self.head.labels, self.head.thresholds, strict=True)}

    def probabilities(self, units: list[SentenceMoves]) -> np.ndarray:
        """Per unit read by the recogniser (with its e5 vector), the probability of each kind (``KINDS`` order)."""
        if not units:
            return np.zeros((0, len(KINDS)), np.float32)
        return self.head.probabilities([u.text for u in units], np.stack([u.vector for u in units]))


def load_reader(path: Path = MODEL_FILE) -> CreditReader:
    return CreditReader(Head.load(path, MODEL_VERSION, "salescoach debrief train"))


_default: CreditReader | None = None
_lock = threading.Lock()


def default_reader() -> CreditReader | None:
    """The bundled reader, loaded once; None (the recogniser's credits alone) when the file is missing."""
    global _default
    with _lock:
        if _default is None and MODEL_FILE.exists():
            _default = load_reader()
        return _default
