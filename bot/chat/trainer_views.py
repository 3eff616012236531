"""What the trainer tools say, as `Reply`s any face can render: an assignment's invitation and reminder, the
team report, the leaderboard. `when` turns a timestamp into the team's local time (``bot.chat.i18n.when``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from bot.chat.i18n import level_name, outcome_name, t
from bot.chat.reply import Button, Reply, RpBrief, buttons
from bot.coach import assignment
from bot.coach.results import best_scores

if TYPE_CHECKING:
    from bot.coach.scenario import Scenario

MEDALS = ("🥇", "🥈", "🥉")


def invite(scenario: Scenario, level: str, due: str, lang: str) -> Reply:
    """A rep's assignment, with the button that opens its brief."""
    text = t("tr_invite", lang, title=scenario.title, level=level_name(level, lang), due=due, summary=scenario.summary)
    return Reply(text, buttons([Button(t("tr_btn_brief", lang), RpBrief(scenario.id, level))]))


def reminder(title: str, scenario_id: str, level: str, due: str, lang: str) -> Reply:
    """An assignment nearly due and not yet done, with the button to practise it now."""
    return Reply(t("tr_reminder", lang, title=title, due=due),
                 buttons([Button(t("tr_btn_practise_now", lang), RpBrief(scenario_id, level))]))


def _title(scenarios: Mapping[str, Scenario], scenario_id: str) -> str:
    return scenarios[scenario_id].title if scenario_id in scenarios else scenario_id


def team_report(members: list[tuple[int, str]], results: Mapping[int, list], scenarios: Mapping[str, Scenario],
                assignments: list[dict], certified: Callable[[int], bool], now: float,
                when: Callable[[float], str], lang: str) -> Reply:
    """Each member's role-plays (count, best score per scenario, the last one), the team's weakest criteria, who
    has not practised, and the group's assignments with their state."""
    lines = [t("tr_team_title", lang, n=len(members)), ""]
    weak: Counter = Counter()
    for uid, name in members:
        sessions = results[uid]
        if not sessions:
            continue
        for s in sessions:
            weak.update(c["title"] for c in (s.card or {}).get("criteria", []) if c["status"] != "met")
        scores = t("sep", lang).join(f"{_title(scenarios, k)} {v}" for k, v in best_scores(sessions).items())
        last = sessions[0]
        lines.append(t("tr_member_line", lang, name=name, cert=t("tr_certified_mark", lang) if certified(uid) else "",
                       count=len(sessions), scores=scores, when=when(last.updated), total=last.total,
                       outcome=outcome_name(last.outcome, lang)))
    idle = [name for uid, name in members if not results[uid]]
    if weak:
        lines += ["", t("tr_weakest", lang)] + [t("tr_weak_line", lang, title=title, n=n) for title, n in weak.most_common(5)]
    lines += ["", t("tr_idle", lang, names=t("list_sep", lang).join(idle) if idle else t("tr_idle_none", lang))]
    if assignments:
        names = dict(members)
        lines += ["", t("tr_assignments", lang)]
        for a in assignments:
            kind = assignment.state(a, now)  # tr_done, tr_overdue, tr_due
            state = t("tr_due", lang, when=when(a["due"])) if kind == "due" else t(f"tr_{kind}", lang)
            lines.append(t("tr_assignment_line", lang, name=names.get(a["user_id"], a["user_id"]),
                           title=_title(scenarios, a["scenario"]),
                           level=level_name(a["difficulty"], lang) if a["difficulty"] else "", state=state))
    return Reply("\n".join(lines))


def leaderboard(members: list[tuple[int, str]], results: Mapping[int, list], me: int, lang: str) -> Reply:
    """The top ten by the mean of their best score per scenario (more scenarios first on a tie); `me` is marked."""
    rows = []
    for uid, name in members:
        if best := best_scores(results[uid]):
            rows.append((sum(best.values()) / len(best), len(best), name, uid))
    if not rows:
        return Reply(t("tr_leaderboard_empty", lang))
    rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
    lines = [t("tr_leaderboard_title", lang)]
    for i, (score, n, name, uid) in enumerate(rows[:10]):
        lines.append(t("tr_leaderboard_line", lang, rank=MEDALS[i] if i < len(MEDALS) else f"{i + 1}.", name=name,
                       score=score, n=n, mark=t("tr_you", lang) if uid == me else ""))
    return Reply("\n".join(lines))
