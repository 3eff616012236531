"""The rules of time in coaching, with plain numbers: an assignment's reminder, overdue state and completion; when
a role-play has sat idle too long for a text to go to the customer unasked."""

import pytest

from bot.coach.assignment import DAY, MIN_ASSIGNED_TURNS, completes, needs_reminder, reminder_at, state
from bot.coach.service import IDLE_SECONDS, idle_too_long
from bot.store.store import StoredRolePlay


@pytest.mark.parametrize(("days", "reminded_after_days"), [(3, 2), (2, 1), (1, 0.5), (0.5, 0.25)])
def test_a_reminder_comes_a_day_before_the_deadline_or_halfway_to_a_close_one(days, reminded_after_days):
    assert reminder_at(1000 + days * DAY, 1000) == 1000 + reminded_after_days * DAY


def test_a_reminder_is_never_in_the_past():
    assert reminder_at(due=5000, now=6000) == 6000


def _assignment(due, *, reminded=0, done_session=None):
    return {"due": due, "reminded": reminded, "done_session": done_session}


def test_only_an_unreminded_assignment_before_its_deadline_is_reminded():
    assert needs_reminder(_assignment(100), now=50)
    assert not needs_reminder(_assignment(100, reminded=1), now=50)
    assert not needs_reminder(_assignment(100), now=100)


def test_an_assignment_is_due_then_overdue_unless_done():
    assert state(_assignment(100), now=100) == "due"
    assert state(_assignment(100), now=101) == "overdue"
    assert state(_assignment(100, done_session=7), now=101) == "done"


def test_a_real_attempt_completes_an_assignment():
    assert completes("won", 1)  # the customer decided
    assert completes("out_of_turns", 1)
    assert completes("ended", MIN_ASSIGNED_TURNS)
    assert not completes("ended", MIN_ASSIGNED_TURNS - 1)  # the rep gave up early


def _session(updated, **state):
    return StoredRolePlay(1, 42, 42, "late-delivery-complaint", "normal", "active", {"turn": 1, **state}, None, None,
                          None, 0.0, updated)


def test_a_text_after_hours_of_silence_is_asked_about_once():
    assert not idle_too_long(_session(1000), 1000 + IDLE_SECONDS)
    assert idle_too_long(_session(1000), 1001 + IDLE_SECONDS)
    assert not idle_too_long(_session(1000, parked="客户一直催货怎么办？"), 1001 + IDLE_SECONDS)  # one waits already
