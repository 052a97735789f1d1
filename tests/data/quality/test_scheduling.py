"""The daily sweep checks only the entries that are due: with an enabled rule, not
withdrawn, never checked or last checked at least their 更新周期 ago (frozen time)."""

import datetime as dt

import pytest
from django.utils import timezone

from shuzheng.data.catalog.models import EntryStatus
from shuzheng.data.quality import services, tasks
from shuzheng.data.quality.models import QualityRun

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 40, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def at(days_ago: float):
    return NOW - dt.timedelta(days=days_ago)


@pytest.fixture
def world(dm, make_entry, rule, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    entries = {
        "daily_yesterday": make_entry(
            dm.gongan, dm.ga_admin, name="每日昨查", update_cycle="daily"
        ),
        "daily_today": make_entry(dm.gongan, dm.ga_admin, name="每日今查", update_cycle="daily"),
        "weekly_3d": make_entry(dm.gongan, dm.ga_admin, name="每周三天前", update_cycle="weekly"),
        "weekly_7d": make_entry(dm.gongan, dm.ga_admin, name="每周七天前", update_cycle="weekly"),
        "never": make_entry(dm.gongan, dm.ga_admin, name="从未检查", update_cycle="monthly"),
        "irregular_10d": make_entry(
            dm.gongan, dm.ga_admin, name="不定期", update_cycle="irregular"
        ),
        "disabled": make_entry(dm.gongan, dm.ga_admin, name="规则停用"),
        "withdrawn": make_entry(dm.gongan, dm.ga_admin, name="已下线"),
        "no_rules": make_entry(dm.gongan, dm.ga_admin, name="无规则"),
    }
    for key, entry in entries.items():
        if key != "no_rules":
            rule("required", "name", entry=entry, enabled=key != "disabled")
    last = {
        "daily_yesterday": at(1) + dt.timedelta(minutes=5),  # a few minutes "later" than now
        "daily_today": at(0.05),
        "weekly_3d": at(3),
        "weekly_7d": at(7) + dt.timedelta(hours=2),
        "irregular_10d": at(10),
        "withdrawn": at(60),
    }
    for key, moment in last.items():
        services.run_check(dm.ga_admin, entries[key], now=moment)
    entries["withdrawn"].status = EntryStatus.WITHDRAWN
    entries["withdrawn"].save(update_fields=["status"])
    return entries


def test_only_due_entries_are_picked(world):
    due = {e.name for e in services.due_entries(NOW)}
    assert due == {"每日昨查", "每周七天前", "从未检查"}


def test_the_sweep_runs_them_as_the_system_once(world):
    before = QualityRun.objects.count()
    assert services.run_due(NOW) == 3
    made = QualityRun.objects.order_by("-pk")[:3]
    assert {r.triggered_by_id for r in made} == {None}
    assert all(r.started_at == NOW for r in made)
    assert QualityRun.objects.count() == before + 3
    assert services.run_due(NOW) == 0  # checked now: nothing due until the next cycle


def test_irregular_entries_wait_the_configured_days(world, settings):
    settings.DATA_QUALITY_IRREGULAR_DAYS = 10
    assert "不定期" in {e.name for e in services.due_entries(NOW)}


def test_the_periodic_job_is_the_sweep(world):
    assert tasks.sweep.call_local() == 3
