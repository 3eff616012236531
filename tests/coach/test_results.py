"""A rep's results as the reports read them."""

from bot.coach.results import best_scores
from bot.store.store import StoredRolePlay


def _played(scenario, total):
    return StoredRolePlay(1, 42, 42, scenario, "normal", "ended", {}, total, "ended", None, 0.0, 0.0)


def test_best_score_per_scenario_in_the_order_the_scenarios_first_appear():
    sessions = [_played("b", 40), _played("a", None), _played("b", 70)]  # newest first, as the store lists them
    assert list(best_scores(sessions).items()) == [("b", 70), ("a", 0)]
    assert best_scores([]) == {}
