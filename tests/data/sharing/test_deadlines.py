"""Statutory clocks in working days on the 2026 work calendar (frozen time): the compliance
check ≤ 2 (across a weekend and across 国庆), the provider's decision ≤ 5 when the data is on
the platform and ≤ 10 when not, coordination ≤ 10; the request row carries the deadline; the
SLA sweep's 临期 / 超期 reach whoever's turn it is."""

import datetime as dt

import pytest

from shuzheng.data.sharing import services
from shuzheng.foundation.events.notifications.models import Message
from shuzheng.foundation.workflow import services as engine
from tests.data.sharing.conftest import at, fresh, inbox, titles

pytestmark = pytest.mark.django_db


def test_the_check_is_due_two_working_days_after_submission_across_a_weekend(
    dm, new_request, clock
):
    clock.set(at(11, 27, 10))  # Friday
    request = new_request()
    assert request.state == "checking" and request.sla_state == "running"
    assert request.due_at == at(12, 1, 18)  # Monday 30th, Tuesday 1st December
    assert fresh(request).workflow.due_at == request.due_at


def test_the_check_clock_skips_the_national_day_holiday(dm, new_request, clock):
    clock.set(at(9, 30, 10))  # the last working day before 国庆 (10-01 … 10-07)
    request = new_request()
    assert request.due_at == at(10, 9, 18)  # 10-08 and 10-09


@pytest.mark.parametrize(("on_platform", "due"), [(True, at(10, 15, 18)), (False, at(10, 22, 18))])
def test_the_provider_answers_within_five_or_ten_working_days(
    dm, make_entry, new_request, clock, on_platform, due
):
    entry = make_entry(dm.gongan, dm.ga_admin, name="居住证信息", on_platform=on_platform)
    clock.set(at(10, 8, 9, 30))
    request = new_request(entry=entry)
    clock.set(at(10, 9, 10))  # Friday; Saturday 10-10 is a 调休 working day
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    request = fresh(request)
    assert request.state == "provider_review" and request.due_at == due


def test_coordination_takes_ten_working_days(dm, new_request, clock):
    clock.set(at(10, 8, 9))
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "reject", revision=fresh(request).revision, reason="不宜")
    services.act(dm.wj_admin, request, "dispute", revision=fresh(request).revision, reason="需要")
    assert fresh(request).due_at == at(10, 21, 18)


def test_the_clock_stops_with_the_decision(dm, new_request, clock):
    clock.set(at(10, 8, 9))
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    clock.set(at(10, 20, 9))  # late
    services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision)
    request = fresh(request)
    assert request.state == "granted" and request.sla_state == "stopped"


def test_an_overdue_check_warns_the_authority(
    dm, new_request, clock, django_capture_on_commit_callbacks
):
    clock.set(at(11, 27, 10))
    request = new_request()
    Message.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        engine.check_deadlines(now=request.due_at + dt.timedelta(minutes=1))
    (message,) = inbox(dm.authority)
    assert message.title == "共享申请已超期"
    assert request.number in message.body and "2026-12-01 18:00" in message.body
    assert message.link == f"/workbench/data/sharing/requests/{request.number}/"
    assert inbox(dm.ga_admin) == [] and inbox(dm.wj_admin) == []


def test_an_approaching_decision_warns_the_provider(
    dm, new_request, clock, django_capture_on_commit_callbacks
):
    clock.set(at(10, 8, 9))
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    request = fresh(request)
    Message.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        engine.check_deadlines(now=request.due_at - dt.timedelta(hours=2))
    assert titles(dm.ga_admin) == ["共享申请即将超期"]
    assert "提供方审核中" in inbox(dm.ga_admin)[0].body
    assert inbox(dm.authority) == [] and inbox(dm.wj_admin) == []
    with django_capture_on_commit_callbacks(execute=True):
        engine.check_deadlines(now=request.due_at + dt.timedelta(minutes=1))
    assert titles(dm.ga_admin) == ["共享申请即将超期", "共享申请已超期"]


def test_a_calendar_change_moves_the_copied_deadline(dm, new_request, clock):
    from shuzheng.data.sharing import tasks
    from shuzheng.foundation.workflow.calendar.calendar import clear_cache
    from shuzheng.foundation.workflow.calendar.models import CalendarDay

    clock.set(at(11, 27, 10))
    request = new_request()
    assert request.due_at == at(12, 1, 18)
    CalendarDay.objects.create(date=dt.date(2026, 11, 30), kind="closure", name="台风停工")
    clear_cache()
    from shuzheng.foundation.workflow.services import recompute_deadlines

    recompute_deadlines()
    assert tasks.sync_deadlines() == 1
    assert fresh(request).due_at == at(12, 2, 18)
