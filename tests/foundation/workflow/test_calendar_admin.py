"""The work calendar in the Django admin: the system administrator declares a typhoon
closure there (one audit record, deadlines move); nobody else reaches the pages."""

import datetime as dt

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.foundation.workflow.calendar import calendar, services
from shuzheng.foundation.workflow.calendar.models import CalendarDay

pytestmark = pytest.mark.django_db
BASE = "/admin/workcalendar/calendarday/"


@pytest.fixture(autouse=True)
def _fresh_calendar(db):
    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture
def sysadmin(tree, make_staff):
    user = make_staff(tree.zwfw, "system-admin", on=tree.city)
    user.is_staff = True
    user.save()
    return user


def test_the_administrator_declares_a_typhoon_closure_in_the_admin(client, sysadmin):
    services.seed_years(access.SYSTEM, [2026])
    client.force_login(sysadmin)
    assert client.get(BASE + "?kind__exact=holiday&year=2026").status_code == 200
    assert client.get(BASE + "add/").status_code == 200
    response = client.post(
        BASE + "add/",
        {"date": "2026-09-29", "kind": "closure", "name": "台风停工", "note": "全市停工停课"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    day = CalendarDay.objects.get(date=dt.date(2026, 9, 29))
    assert (day.kind, day.source, day.created_by) == ("closure", "admin", sysadmin)
    record = AuditRecord.objects.get(action="workcalendar.day.declare")
    assert record.actor_id == sysadmin.pk and record.channel == "web"
    assert not calendar.is_working_day(dt.date(2026, 9, 29))


def test_editing_a_seeded_day_in_the_admin_makes_it_the_administrators(client, sysadmin):
    services.seed_years(access.SYSTEM, [2026])
    day = CalendarDay.objects.get(date=dt.date(2026, 2, 23))
    client.force_login(sysadmin)
    response = client.post(
        f"{BASE}{day.pk}/change/", {"kind": "holiday", "name": "春节", "note": "延长一天"}
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.source, day.note) == ("admin", "延长一天")
    before = AuditRecord.objects.get(action="workcalendar.day.declare").details["before"]
    assert before["source"].startswith("holidays ")


def test_deleting_in_the_admin_goes_through_the_service(client, sysadmin):
    day = services.declare_day(sysadmin, date=dt.date(2026, 9, 29), kind="closure", name="台风停工")
    client.force_login(sysadmin)
    response = client.post(
        BASE, {"action": "delete_selected", "_selected_action": [day.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert AuditRecord.objects.filter(action="workcalendar.day.remove").count() == 1


def test_other_staff_do_not_reach_the_calendar_admin(client, tree, make_staff):
    clerk = make_staff(tree.gongbei, "window-clerk")
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert client.get(BASE).status_code in (302, 403)
    client.post(BASE + "add/", {"date": "2026-09-29", "kind": "closure", "name": "台风停工"})
    assert not CalendarDay.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="workcalendar.").exists()


def test_the_calendar_page_warns_of_an_unpublished_or_unseeded_year(client, sysadmin):
    from django.utils import timezone

    this = timezone.localdate().year
    client.force_login(sysadmin)
    shown = [str(m) for m in client.get(BASE).context["messages"]]
    assert any(f"{this} 年的工作日历尚未初始化" in m for m in shown)
    assert any(f"{this + 1} 年的工作日历尚未初始化" in m for m in shown)
    services.seed_years(access.SYSTEM, [this, this + 1])
    shown = [str(m) for m in client.get(BASE).context["messages"]]
    assert not any("尚未初始化" in m for m in shown)
