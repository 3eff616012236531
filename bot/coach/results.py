"""A rep's role-play results as the reports read them (team report, leaderboard, a rep's own progress)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.store.store import StoredRolePlay


def best_scores(sessions: Iterable[StoredRolePlay]) -> dict[str, int]:
    """The best total per scenario, in the order the scenarios first appear in `sessions` (newest first as the
    store lists them). A session without a total (its scenario had gone offline) counts as 0."""
    best: dict[str, int] = {}
    for s in sessions:
        best[s.scenario] = max(best.get(s.scenario, 0), s.total or 0)
    return best
