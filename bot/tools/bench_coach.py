"""How fast the customer answers and the scorecard arrives (`salescoach bench roleplay`)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bot.config import Settings
from bot.tools.bench_kb import percentile


def bench_roleplay(settings: Settings, console: Console) -> dict:
    """Every pair in eval/roleplay played through the Coach (judge, store write, study lookup, chart)."""
    from bot.coach.chart import scorecard_png
    from bot.coach.judge import Judge
    from bot.coach.service import Coach
    from bot.kb.service import open_retriever
    from bot.store import Store
    from bot.tools.eval_coach import load_pairs

    retriever = open_retriever(settings)
    with tempfile.TemporaryDirectory() as tmp:
        coach = Coach(Store(Path(tmp) / "bench.sqlite"), Judge(retriever.kb.embedder), retriever=retriever)
        turn_ms, first_ms, end_ms, chart_ms = [], [], [], []
        coach.judge.warm(coach.scenarios())  # what the bot does in the background at start
        coach.start(1, 1, "late-delivery-complaint")  # warm-up: torch threads for the study lookup
        coach.say(1, "对不起，是我们的责任。")
        coach.end(1)
        for pair_file in load_pairs():
            for pair in pair_file.pairs:
                for side in ("better", "worse"):
                    coach.start(1, 1, pair_file.scenario)
                    for k, turn in enumerate(pair.turns(side)):
                        t0 = time.perf_counter()
                        reply = coach.say(1, turn)
                        (first_ms if k == 0 else turn_ms).append((time.perf_counter() - t0) * 1000)
                        if reply.card:
                            break
                    if coach.active(1):
                        t0 = time.perf_counter()
                        card = coach.end(1)
                        end_ms.append((time.perf_counter() - t0) * 1000)
                        t0 = time.perf_counter()
                        scorecard_png(card)
                        chart_ms.append((time.perf_counter() - t0) * 1000)
        coach.store.close()
    every = first_ms + turn_ms
    res = {"turns": len(every), "turn_p50_ms": statistics.median(every), "turn_p95_ms": percentile(every, 95),
           "first_p50_ms": statistics.median(first_ms), "first_p95_ms": percentile(first_ms, 95),
           "later_p95_ms": percentile(turn_ms, 95),
           "end_p50_ms": statistics.median(end_ms), "chart_p50_ms": statistics.median(chart_ms)}
    console.print(f"role-play: customer reply p50={res['turn_p50_ms']:.1f} ms p95={res['turn_p95_ms']:.1f} ms "
                  f"over {res['turns']} turns (a session's first reply p50={res['first_p50_ms']:.1f} "
                  f"p95={res['first_p95_ms']:.1f} ms, later replies p95={res['later_p95_ms']:.1f} ms); "
                  f"scorecard with study passages p50={res['end_p50_ms']:.1f} ms; chart p50={res['chart_p50_ms']:.1f} ms")
    return res
