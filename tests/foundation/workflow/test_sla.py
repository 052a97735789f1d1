"""SLA clocks on instances: start, pause over a holiday, resume, stop; the sweep emits
"approaching" and "overdue" exactly once (time is frozen by passing ``at`` / ``now``)."""

import datetime as dt

import pytest

from shuzheng.foundation import access, workflow
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.workflow import services
from shuzheng.foundation.workflow.calendar.calendar import Clock
from shuzheng.foundation.workflow.models import SlaState
from tests.foundation.workflow.test_engine import SPEC

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def accepted(tree, make_staff):
    services.save_definition(access.SYSTEM, SPEC)
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    tree.gongbei.note = "x"
    tree.gongbei.save()
    case = workflow.start(
        access.SYSTEM, tree.gongbei, "demo.review", at=dt.datetime(2026, 9, 25, 9, tzinfo=TZ)
    )
    # Friday 2026-09-25: 5 working days, across the 国庆 holiday and its 调休 days
    workflow.transition(
        admin, case, "accept", opinion="受理", at=dt.datetime(2026, 9, 25, 10, tzinfo=TZ)
    )
    case.refresh_from_db()
    return admin, case


def test_start_sets_a_deadline_in_working_days(accepted):
    _admin, case = accepted
    assert case.sla_state == SlaState.RUNNING
    assert case.due_at.astimezone(TZ).date() > dt.date(2026, 9, 30)  # the holiday is skipped


def test_pause_and_resume_move_the_deadline(accepted):
    admin, case = accepted
    due = case.due_at
    workflow.transition(admin, case, "suspend", at=dt.datetime(2026, 9, 28, 10, tzinfo=TZ))
    case.refresh_from_db()
    assert case.sla_state == SlaState.PAUSED
    workflow.transition(admin, case, "resume", at=dt.datetime(2026, 10, 12, 10, tzinfo=TZ))
    case.refresh_from_db()
    assert case.sla_state == SlaState.RUNNING and case.due_at > due


def test_stop_ends_the_clock(accepted):
    admin, case = accepted
    workflow.transition(admin, case, "finish", at=dt.datetime(2026, 9, 29, 10, tzinfo=TZ))
    case.refresh_from_db()
    assert case.sla_state == SlaState.STOPPED and case.state == "done"


def test_the_sweep_emits_approaching_then_overdue_once_each(accepted):
    _admin, case = accepted

    def kinds():
        return sorted(
            OutboxEvent.objects.filter(
                type__in=["workflow.demo.review.approaching", "workflow.demo.review.overdue"]
            ).values_list("type", flat=True)
        )

    before = case.due_at - dt.timedelta(hours=2)
    assert services.check_deadlines(now=before) == {"approaching": 1, "overdue": 0}
    assert services.check_deadlines(now=before) == {"approaching": 0, "overdue": 0}
    after = case.due_at + dt.timedelta(minutes=1)
    assert services.check_deadlines(now=after) == {"approaching": 0, "overdue": 1}
    assert services.check_deadlines(now=after) == {"approaching": 0, "overdue": 0}
    assert kinds() == ["workflow.demo.review.approaching", "workflow.demo.review.overdue"]


def test_at_exactly_the_deadline_the_sweep_and_the_clock_both_say_on_time(accepted):
    """A deadline is inclusive: the sweep and ``Clock.is_overdue`` agree at ``due_at`` (on
    time, still approaching) and one microsecond after it (overdue)."""
    _admin, case = accepted
    clock = Clock.from_dict(case.clock)
    assert clock.due_at == case.due_at
    exactly, just_after = case.due_at, case.due_at + dt.timedelta(microseconds=1)
    lead = dt.timedelta(hours=1)
    assert not clock.is_overdue(exactly)
    assert clock.approaching(exactly, lead)
    assert services.check_deadlines(now=exactly, lead=lead) == {"approaching": 1, "overdue": 0}
    case.refresh_from_db()
    assert case.overdue_sent_at is None
    assert clock.is_overdue(just_after)
    assert services.check_deadlines(now=just_after, lead=lead) == {"approaching": 0, "overdue": 1}
    case.refresh_from_db()
    assert case.overdue_sent_at == just_after


def test_a_stopped_clock_is_never_overdue(accepted):
    admin, case = accepted
    workflow.transition(admin, case, "finish")
    case.refresh_from_db()
    assert services.check_deadlines(now=case.started_at + dt.timedelta(days=365)) == {
        "approaching": 0,
        "overdue": 0,
    }


def test_a_closure_declared_later_moves_running_deadlines(
    accepted, django_capture_on_commit_callbacks
):
    from shuzheng.foundation.workflow.calendar import services as calendar_services
    from shuzheng.foundation.workflow.calendar.models import DayKind

    admin, case = accepted
    due = case.due_at
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.declare_day(
            admin, date=dt.date(2026, 9, 29), kind=DayKind.CLOSURE, name="台风停工"
        )
    case.refresh_from_db()
    assert case.due_at > due


def test_the_sweep_runs_as_a_periodic_job_every_five_minutes():
    from shuzheng.foundation.events import jobs

    start = dt.datetime(2026, 3, 2, 8, 0)
    runs = [
        m
        for m in range(30)
        if any(
            job.name == "workflow.check_deadlines"
            for job in jobs.huey.read_periodic(start + dt.timedelta(minutes=m))
        )
    ]
    assert runs == [0, 5, 10, 15, 20, 25]


def test_the_periodic_job_on_a_frozen_clock_honours_the_configured_lead(
    accepted, settings, monkeypatch
):
    """The job as the scheduler runs it (no arguments): "now" is the frozen wall clock, the
    lead time is WORKFLOW_APPROACHING_HOURS."""
    from django.utils import timezone

    from shuzheng.foundation.workflow import tasks

    _admin, case = accepted
    frozen = {"now": case.due_at - dt.timedelta(hours=30)}
    monkeypatch.setattr(timezone, "now", lambda: frozen["now"])

    def sent():
        return sorted(
            t.rsplit(".", 1)[-1]
            for t in OutboxEvent.objects.filter(type__startswith="workflow.demo.review.")
            .filter(type__regex=r"\.(approaching|overdue)$")
            .values_list("type", flat=True)
        )

    settings.WORKFLOW_APPROACHING_HOURS = 24
    assert tasks.check_deadlines.call_local() == {"approaching": 0, "overdue": 0}
    settings.WORKFLOW_APPROACHING_HOURS = 36  # a longer lead: 30 hours before is within it
    assert tasks.check_deadlines.call_local() == {"approaching": 1, "overdue": 0}
    case.refresh_from_db()
    assert case.approaching_sent_at == frozen["now"]
    frozen["now"] = case.due_at + dt.timedelta(minutes=1)
    assert tasks.check_deadlines.call_local() == {"approaching": 0, "overdue": 1}
    frozen["now"] = case.due_at + dt.timedelta(days=3)
    assert tasks.check_deadlines.call_local() == {"approaching": 0, "overdue": 0}
    assert sent() == ["approaching", "overdue"]
