"""Write use-cases for the work calendar: the only place calendar days change. Each one owns
its transaction, its authorisation check (the system administrator's ``system.configure``:
the calendar is installation configuration) and its audit record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.trust import audit
from shuzheng.foundation.workflow.calendar import calendar, sources
from shuzheng.foundation.workflow.calendar.models import (
    ADMIN_SOURCE,
    CalendarDay,
    CalendarYear,
    DayKind,
)

MANAGE = "system.configure"

calendar_changed = Signal()
"""Sent after the commit that changed the calendar, with ``dates`` (the days declared or
removed, or the whole seeded years). Deadlines stored elsewhere (the workflow engine's
``due_at`` columns) recompute from their clocks on it."""


def _changed(dates: list[dt.date]) -> None:
    calendar.clear_cache()  # this process sees the change at once, even before commit

    def after_commit():
        calendar.clear_cache()
        calendar_changed.send(sender=CalendarDay, dates=sorted(dates))

    transaction.on_commit(after_commit)


def _snapshot(day: CalendarDay) -> dict:
    return {"kind": day.kind, "name": day.name, "source": day.source}


@transaction.atomic
def declare_day(
    actor, *, date: dt.date, kind: str, name: str, note: str = "", request=None
) -> CalendarDay:
    """录入日历日: a closure (台风停工), an extra working day, or next year's holidays and 调休
    once the State Council publishes them. A seeded day edited here becomes the
    administrator's: the seed never overwrites it."""
    access.require(actor, MANAGE)
    if kind not in DayKind.values:
        raise ValidationError({"kind": _("未知的日历类型：%(kind)s") % {"kind": kind}})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写名称")}, code="required")
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = _snapshot(day) if day else None
    if day is None:
        day = CalendarDay(date=date, created_by=actor if getattr(actor, "pk", None) else None)
    day.kind, day.name, day.note = kind, name, note
    day.source, day.provisional = ADMIN_SOURCE, False
    day.full_clean(validate_unique=False)
    day.save()
    audit.record(
        actor,
        "workcalendar.day.declare",
        day,
        details={"date": date, "kind": kind, "name": name, "before": before},
        request=request,
    )
    _changed([date])
    return day


@transaction.atomic
def remove_day(actor, day: CalendarDay, *, request=None) -> None:
    """撤销日历日: the date falls back to the seeded / Monday–Friday pattern."""
    access.require(actor, MANAGE)
    day = CalendarDay.objects.select_for_update().get(pk=day.pk)
    audit.record(
        actor,
        "workcalendar.day.remove",
        day,
        details={"date": day.date, **_snapshot(day)},
        request=request,
    )
    date = day.date
    day.delete()
    _changed([date])


@dataclass
class SeedReport:
    source: str
    seeded: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # already seeded; --refresh to update
    created: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0  # dates where an administrator's row stays as it is

    @property
    def changes(self) -> int:
        return self.created + self.updated + self.removed


@transaction.atomic
def seed_years(actor, years, *, refresh: bool = False, channel: str | None = None) -> SeedReport:
    """初始化日历: copy the package's holidays and 调休 for ``years`` into the table.

    Idempotent: a year already seeded is left alone unless ``refresh`` (after upgrading the
    ``holidays`` package, e.g. once next year's arrangement is in it), which brings the
    package's rows up to date. Rows an administrator entered or edited are never touched."""
    if actor is not access.SYSTEM:
        access.require(actor, MANAGE)
    label = sources.source_label()
    report = SeedReport(source=label)
    for year in sorted(set(years)):
        if not 1900 <= year <= 2100:
            raise ValidationError(_("年份超出范围：%(year)s") % {"year": year})
        marker = CalendarYear.objects.select_for_update().filter(year=year).first()
        if marker is not None and not refresh:
            report.skipped.append(year)
            continue
        package = {row.date: row for row in sources.package_days(year)}
        existing = {
            row.date: row
            for row in CalendarDay.objects.select_for_update().filter(
                date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
            )
        }
        new = []
        for date, row in package.items():
            have = existing.get(date)
            if have is None:
                new.append(
                    CalendarDay(
                        date=date,
                        kind=row.kind,
                        name=row.name,
                        source=label,
                        provisional=row.provisional,
                    )
                )
            elif have.source == ADMIN_SOURCE:
                report.kept += 1
            elif (have.kind, have.name, have.provisional, have.source) != (
                row.kind,
                row.name,
                row.provisional,
                label,
            ):
                have.kind, have.name, have.provisional = row.kind, row.name, row.provisional
                have.source = label
                have.save(update_fields=["kind", "name", "provisional", "source", "updated_at"])
                report.updated += 1
        stale = [
            row.pk for d, row in existing.items() if d not in package and row.source != ADMIN_SOURCE
        ]
        CalendarDay.objects.filter(pk__in=stale).delete()
        CalendarDay.objects.bulk_create(new)
        report.created += len(new)
        report.removed += len(stale)
        provisional = any(row.provisional for row in package.values())
        CalendarYear.objects.update_or_create(
            year=year, defaults={"source": label, "provisional": provisional}
        )
        report.seeded.append(year)
    if report.seeded:
        audit.record(
            actor,
            "workcalendar.seed",
            "workcalendar.calendaryear",
            details={
                "years": report.seeded,
                "source": label,
                "created": report.created,
                "updated": report.updated,
                "removed": report.removed,
                "kept": report.kept,
            },
            channel=channel,
        )
        _changed([dt.date(y, 1, 1) for y in report.seeded])
    return report


def _forget_on_save(**_kwargs) -> None:
    """Any other write (a shell, a fixture) still clears this process's cache."""
    calendar.clear_cache()


def connect_signals() -> None:
    for model in (CalendarDay, CalendarYear):
        post_save.connect(_forget_on_save, sender=model, dispatch_uid=f"workcalendar-{model}")
        post_delete.connect(_forget_on_save, sender=model, dispatch_uid=f"workcalendar-del-{model}")


__all__ = [
    "SeedReport",
    "calendar_changed",
    "declare_day",
    "remove_day",
    "seed_years",
]
