"""The SLA clock: a pause over a holiday moves the deadline by the working days it covered,
natural-time pauses by the time paused; the clock survives JSON; wrong moves are refused."""

import datetime as dt
import json

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.workflow.calendar import calendar, services
from shuzheng.foundation.workflow.calendar.calendar import Clock, ClockError
from shuzheng.foundation.workflow.calendar.models import DayKind

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))


def at(month, day, hour=10, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.fixture(autouse=True)
def _fresh_calendar(db):
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def test_a_clock_starts_running_with_its_deadline():
    clock = Clock.start(at(2, 10), 5, "working_days")
    assert clock.state == "running"
    # 11, 12, 13, the 调休 Saturday 14th, then Tuesday the 24th after 春节
    assert clock.due_at == at(2, 24, 18)


def test_a_pause_over_spring_festival_moves_the_deadline_by_the_working_days_paused():
    clock = Clock.start(at(2, 9, 9, 30), 5, "working_days")
    assert clock.due_at == at(2, 14, 18)  # the 调休 Saturday is the fifth day
    clock.pause(at(2, 12))
    assert clock.state == "paused"
    clock.resume(at(2, 25, 9))
    # paused over 13, 14, 24 and 25: four working days; the holiday itself costs nothing
    assert clock.paused == 4
    assert clock.due_at == at(2, 27, 18)
    assert clock.due_at.date() == calendar.add_working_days(dt.date(2026, 2, 9), 9)


def test_a_paused_clock_neither_runs_down_nor_falls_overdue():
    clock = Clock.start(at(9, 28), 3, "working_days")
    assert clock.due_at == at(10, 8, 18)
    clock.pause(at(9, 29))
    frozen = clock.remaining(at(9, 29))
    assert clock.remaining(at(10, 20)) == frozen
    assert not clock.is_overdue(at(10, 20))
    assert not clock.approaching(at(10, 20), 5)


def test_natural_day_and_hour_clocks_move_by_the_time_paused():
    natural = Clock.start(at(9, 30), 10, "natural_days")
    assert natural.due_at == at(10, 11, 0)  # 24:00 on October 10th
    natural.pause(at(10, 1, 8)).resume(at(10, 3, 11))
    assert natural.due_at == at(10, 11, 0) + dt.timedelta(days=2, hours=3)

    hours = Clock.start(at(10, 1, 8), 24, "hours")
    hours.pause(at(10, 1, 9)).resume(at(10, 1, 10, 30))
    assert hours.due_at == at(10, 2, 9, 30)


def test_a_working_hour_clock_pauses_in_office_time():
    clock = Clock.start(at(9, 30, 16), 4, "working_hours")
    assert clock.due_at == at(10, 8, 11)  # two hours on the 30th, two after National Day
    clock.pause(at(9, 30, 17)).resume(at(10, 8, 10))  # one hour on the 30th, one on the 8th
    assert clock.paused == 2 * 3600
    assert clock.due_at == at(10, 8, 13)


def test_the_clock_survives_json():
    clock = Clock.start(at(2, 9, 9, 30), 5, "working_days").pause(at(2, 12))
    stored = json.loads(json.dumps(clock.to_dict()))
    again = Clock.from_dict(stored)
    assert again == clock
    again.resume(at(2, 25, 9))
    assert again.due_at == at(2, 27, 18)


def test_stopping_fixes_the_outcome():
    early = Clock.start(at(9, 28), 3, "working_days").stop(at(9, 30))
    assert early.state == "stopped" and not early.is_overdue(at(12, 31))
    assert early.remaining(at(12, 31)) == at(10, 8, 18) - at(9, 30)
    late = Clock.start(at(9, 28), 1, "working_days").stop(at(10, 8))
    assert late.is_overdue(at(10, 8))
    paused = Clock.start(at(9, 28), 1, "working_days").pause(at(9, 29)).stop(at(10, 9))
    assert paused.state == "stopped" and not paused.is_overdue(at(10, 9))


def test_the_deadline_is_inclusive_to_the_microsecond():
    clock = Clock.start(at(9, 28), 1, "working_days")
    due = clock.due_at
    assert not clock.is_overdue(due)  # at exactly the deadline: still on time
    assert clock.remaining(due) == dt.timedelta(0)
    assert clock.is_overdue(due + dt.timedelta(microseconds=1))
    on_the_dot = Clock.start(at(9, 28), 1, "working_days").stop(due)
    assert not on_the_dot.is_overdue(at(12, 31))
    late = Clock.start(at(9, 28), 1, "working_days").stop(due + dt.timedelta(microseconds=1))
    assert late.is_overdue(at(12, 31))


def test_overdue_and_approaching():
    clock = Clock.start(at(9, 24, 15, 30), 13, "working_days")
    assert clock.due_at == at(10, 20, 18)
    assert not clock.approaching(at(10, 16), 1)
    assert clock.approaching(at(10, 19), 1)
    assert clock.approaching(at(10, 20, 16), dt.timedelta(hours=3))
    assert not clock.approaching(at(10, 20, 12), dt.timedelta(hours=3))
    assert not clock.is_overdue(at(10, 20, 18))
    assert clock.is_overdue(at(10, 20, 18, 1))
    assert not clock.approaching(at(10, 21), 1)  # overdue, no longer "approaching"
    assert clock.remaining_working_days(at(10, 16)) == 2


def test_a_closure_declared_later_moves_a_running_clock(tree, make_staff):
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    clock = Clock.start(at(9, 24, 15, 30), 13, "working_days")
    assert clock.due_at == at(10, 20, 18)
    services.declare_day(admin, date=dt.date(2026, 10, 12), kind=DayKind.CLOSURE, name="台风停工")
    assert clock.due_at == at(10, 21, 18)


def test_a_clock_refuses_impossible_moves():
    clock = Clock.start(at(9, 28), 3, "working_days")
    with pytest.raises(ClockError):
        clock.resume(at(9, 29))  # not paused
    with pytest.raises(ClockError):
        clock.pause(at(9, 27))  # before it started
    clock.pause(at(9, 29))
    with pytest.raises(ClockError):
        clock.pause(at(9, 30))
    with pytest.raises(ClockError):
        clock.resume(at(9, 28, 12))  # before the pause
    clock.stop(at(9, 30))
    with pytest.raises(ClockError):
        clock.pause(at(10, 8))
    with pytest.raises(ValueError):
        Clock.start(at(9, 28), 3, "fortnights")
    with pytest.raises(ValueError):
        Clock.start(dt.datetime(2026, 9, 28, 10), 3, "working_days")


def test_seeded_or_not_the_clock_gives_the_same_deadline():
    unseeded = Clock.start(at(9, 24, 15, 30), 13, "working_days").due_at
    services.seed_years(access.SYSTEM, [2026])
    assert Clock.start(at(9, 24, 15, 30), 13, "working_days").due_at == unseeded
