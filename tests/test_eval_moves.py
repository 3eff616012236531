"""Eval tier: the sales-move recogniser on its blind authors and the role-play judge, with the real model (the
figures are printed every CI run; see tests/test_eval.py for how the tier is spread over the workers)."""

import pytest

pytestmark = [pytest.mark.eval, pytest.mark.model, pytest.mark.usefixtures("embed_each_text_once")]


def test_move_recogniser_figures_on_the_blind_authors(figures):
    """The recogniser on its blind held-out corpus, each author on their own (~3,600 sentences to embed)."""
    from bot.coach.moves import load_head
    from bot.coach.movetrain import measure

    head = load_head()
    held = measure(head, "heldout")
    with figures:
        print(f"\n[eval] moves out-of-fold macro-F1 {head.meta['oof_macro_f1']} "
              f"(mistakes P {head.meta['oof_mistake_precision']} R {head.meta['oof_mistake_recall']})")
        for author, h in held.items():
            print(f"[eval] moves held-out author {author}: macro-F1 {h.macro_f1:.3f}, mistakes P "
                  f"{h.mistake_precision:.3f} R {h.mistake_recall:.3f}")
    for h in held.values():
        assert h.macro_f1 >= 0.6


def test_judge_figures_on_single_turns_and_simulated_sessions(figures):
    """The judge on labelled single turns, and simulated sessions (no customer line repeated)."""
    from bot.coach.judge import Judge
    from bot.coach.scenario import load_scenarios
    from bot.tools.eval_coach import judge_single_turns, judge_splits, simulate

    scenarios, judge = load_scenarios(), Judge()
    turns = {split: s for split in judge_splits() if (s := judge_single_turns(scenarios, judge, split))}
    sim = simulate(scenarios, judge, sessions=120)
    with figures:
        for split, s in turns.items():
            print(f"\n[eval] judge {split} ({s.turns} turns): mistake recall {s.mistake_recall:.3f}, precision "
                  f"{s.mistake_precision:.3f}, credited on neutral/mistaken turns {s.false_credit:.3f}")
        print(f"[eval] simulated sessions {sim.sessions}: repeated customer lines {len(sim.repeated)}, "
              f"won without the promised objections {sim.objections_short}, outcomes {sim.outcomes}")
    assert sim.repeated == []
    assert sim.objections_short == 0
    assert turns["dev"].mistake_recall >= 0.8
    assert turns["dev"].false_credit <= 0.05
