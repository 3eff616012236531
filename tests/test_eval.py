"""Eval tier: retrieval figures on our labelled sets with the real model (printed every CI run).

The floors are far below the measured figures and the run is deterministic, so they only catch
a real regression (a broken tokenizer, a lost index), never flake.
"""

import pytest
from rich.console import Console

from bot.kb.evaluate import run_eval

pytestmark = [pytest.mark.eval, pytest.mark.model]


def test_retrieval_eval_figures(real_settings, capsys):
    console = Console(width=110)
    results = run_eval(real_settings, only=None, tune=False, raw_dir=None, console=console)
    with capsys.disabled():
        for name, s in results.items():
            print(f"\n[eval] {name}: n={s.n} hit@1={s.hit1:.3f} hit@3={s.hit3:.3f} hit@5={s.hit5:.3f} MRR={s.mrr:.3f}")
    assert results["kb"].hit5 >= 0.85
    if "raw" in results:
        assert results["raw"].hit5 >= 0.6


def test_roleplay_scorer_pairwise_accuracy(real_settings, capsys):
    from bot.coach.evaluate import run_roleplay_eval

    results = run_roleplay_eval(real_settings, Console(width=110))
    with capsys.disabled():
        for r in results:
            print(f"\n[eval] roleplay {r.scenario} ({r.split}): {r.correct}/{r.total} = {r.accuracy:.3f}, "
                  f"min margin {min(r.margins)}")
    by_scenario = {r.scenario for r in results if r.split == "dev" and r.total >= 10}
    assert by_scenario >= {"late-delivery-complaint", "price-objection", "key-account-retention", "needs-discovery"}
    n = sum(r.total for r in results)
    assert sum(r.correct for r in results) / n >= 0.95
