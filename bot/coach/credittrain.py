"""Train the debrief's credit reader (``bot/coach/credits.py``) on the scripted games' dev sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from bot.coach.credits import (
    GAMES_DIR,
    GROUPS,
    KINDS,
    MODEL_FILE,
    MODEL_VERSION,
    TRAIN_SETS,
    CreditReader,
    moves_fingerprint,
)
from bot.coach.game import KeyAccountGame, debrief, load_guide, load_scenes
from bot.kb.linear import Head


def load_games(sets: tuple[str, ...] = TRAIN_SETS, directory: Path = GAMES_DIR) -> list[tuple[str, dict]]:
    """Each scripted game of ``sets`` (its YAML, parsed), with the set it belongs to."""
    return [(name, yaml.safe_load(p.read_text(encoding="utf-8")))
            for name in sets for p in sorted((directory / name).glob("*.yaml"))]


def play(data: dict, *, reader: CreditReader | None | str = "bundled"):
    """The debrief of one scripted game (``reader``: as ``debrief``'s ``credit_reader``), and its messages as the
    debrief reads them."""
    g = KeyAccountGame.new(-1, 2, data["scene"])
    players = {p["id"]: p for p in data["players"]}
    for p in data["players"]:
        g.join(p["id"], p["name"], p["team"])
    g.start(0)
    messages = [{"user_id": m["from"], "name": players[m["from"]]["name"], "team": players[m["from"]]["team"],
                 "text": str(m["text"]), "created": i} for i, m in enumerate(data["messages"])]
    return debrief(g, load_scenes()[data["scene"]], load_guide(), messages, credit_reader=reader), messages


def credited_messages(d, messages: list[dict]) -> dict[int, set[str]]:
    """Team A message index -> the credit groups the debrief gives it (by where its quotes come from)."""
    out: dict[int, set[str]] = {}
    for group, f in d.credits:
        for i, m in enumerate(messages):
            if m["team"] == "A" and f.quote and f.quote in m["text"]:
                out.setdefault(i, set()).add(group)
    return out


def train(*, cache_path: Path | None = None, out: Path | None = MODEL_FILE, sets: tuple[str, ...] = TRAIN_SETS,
          directory: Path = GAMES_DIR) -> tuple[Head, dict]:
    """Out-of-fold thresholds (one author's games at a time), then the reader on every game. Returns the reader's
    head and its out-of-fold figures: per kind, the debrief's credit recall and precision with and without it."""
    from bot.coach.movetrain import Example, TrainConfig, VectorCache, best_threshold, fit_head, predict_items

    games = load_games(sets, directory)
    examples, truth, before = [], [], []
    for name, game in games:
        d, messages = play(game, reader=None)
        have = credited_messages(d, messages)
        good: dict[int, set[str]] = {}
        for g in (game.get("expected") or {}).get("good") or []:
            good.setdefault(g["msg"], set()).add(g["kind"])
        for i, m in enumerate(messages):
            if m["team"] != "A":
                continue
            examples.append(Example(m["text"].strip(), frozenset(good.get(i, set())), name))
            truth.append([k in good.get(i, set()) for k in KINDS])
            before.append([GROUPS[k] in have.get(i, set()) for k in KINDS])
    truth_a, before_a = np.array(truth), np.array(before)
    cfg = TrainConfig(c=1.0)
    cache = VectorCache(cache_path)
    labels = list(KINDS)
    oof = np.zeros((len(examples), len(KINDS)), np.float32)
    for name in sets:
        held = np.array([e.author == name for e in examples])
        head = fit_head([e for e, h in zip(examples, held, strict=True) if not h], labels, cfg, cache)
        oof[held] = predict_items(head, [e for e, h in zip(examples, held, strict=True) if h], cache)
    grid = np.arange(0.30, 0.96, 0.025)
    thresholds = []
    figures: dict[str, dict] = {}
    for j, kind in enumerate(KINDS):
        # The threshold that serves the debrief's whole credit (the recogniser's or the reader's) best.
        t = best_threshold(np.where(before_a[:, j], 1.0, oof[:, j]), truth_a[:, j], 1.0, grid, 0.9)
        thresholds.append(t)
        union = before_a[:, j] | (oof[:, j] >= t)

        def pr(pred: np.ndarray, j: int = j) -> tuple[float, float]:
            tp = float((pred & truth_a[:, j]).sum())
            return (round(tp / max(float(pred.sum()), 1.0), 3), round(tp / max(float(truth_a[:, j].sum()), 1.0), 3))

        figures[kind] = {"threshold": round(float(t), 3), "labelled": int(truth_a[:, j].sum()),
                         "recogniser (precision, recall)": pr(before_a[:, j]), "with the reader": pr(union)}
    head = fit_head(examples, labels, cfg, cache)
    head.thresholds = np.array(thresholds, np.float32)
    head.meta = {"sets": list(sets), "messages": len(examples), "moves": moves_fingerprint(),
                 "out_of_fold": figures}
    if out:
        head.save(out, MODEL_VERSION)
    return head, figures
