"""A trainer's assignment: a role-play a rep is to do by a deadline. When it is reminded, when it is overdue and
what completes it are rules of the domain; both faces schedule, send and render. Time is an argument (`now`),
so the rules are tested with plain numbers."""

from __future__ import annotations

from typing import Literal

DAY = 86400.0
MIN_ASSIGNED_TURNS = 3
"""Turns an attempt needs to complete an assignment when the rep ends it before the customer decides."""

State = Literal["done", "overdue", "due"]


def reminder_at(due: float, now: float) -> float:
    """When the rep is reminded: a day before the deadline, or halfway to it when it is less than two days off
    (a short deadline still leaves time to act on the reminder); never before `now`."""
    return max(now, due - min(DAY, (due - now) / 2))


def needs_reminder(assignment: dict, now: float) -> bool:
    """An open assignment still to be reminded: not reminded yet and its deadline still ahead (after it, the
    trainer's report says overdue and a reminder would only nag)."""
    return not assignment["reminded"] and assignment["due"] > now


def state(assignment: dict, now: float) -> State:
    """What the trainer's report says of it: done, overdue, or due (at its deadline)."""
    if assignment["done_session"]:
        return "done"
    return "overdue" if assignment["due"] < now else "due"


def completes(outcome: str, turns: int) -> bool:
    """A real attempt completes an assignment: the customer ended it (any outcome but "ended"), or it lasted
    MIN_ASSIGNED_TURNS turns or more; a shorter try the rep ended does not."""
    return outcome != "ended" or turns >= MIN_ASSIGNED_TURNS
