"""Read queries for the work calendar; each one starts from access.scope(). The calendar is
public information (``workcalendar.view``), so the scope is every row for everybody."""

import calendar as _stdlib_calendar
import datetime as dt
from dataclasses import dataclass

from shuzheng.foundation import access
from shuzheng.foundation.workflow.calendar import calendar
from shuzheng.foundation.workflow.calendar.models import CalendarDay

VIEW = "workcalendar.view"


def days(user, *, year: int | None = None, kind: str | None = None):
    """The table's rows (holidays, 调休, closures, extra working days), by date."""
    rows = access.scope(user, CalendarDay.objects.all(), VIEW)
    if year is not None:
        rows = rows.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31))
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("date")


@dataclass(frozen=True)
class DayStatus:
    date: dt.date
    working: bool
    kind: str  # "" for an ordinary weekday or weekend day
    name: str


def month(user, year: int, month: int) -> list[DayStatus]:
    """Every day of a month with its status, for a calendar page: one query for the rows."""
    last = _stdlib_calendar.monthrange(year, month)[1]
    first, end = dt.date(year, month, 1), dt.date(year, month, last)
    rows = {
        row.date: row
        for row in access.scope(user, CalendarDay.objects.all(), VIEW).filter(
            date__gte=first, date__lte=end
        )
    }
    out = []
    for i in range(last):
        day = first + dt.timedelta(days=i)
        row = rows.get(day)
        out.append(
            DayStatus(
                day, calendar.is_working_day(day), row.kind if row else "", row.name if row else ""
            )
        )
    return out


@dataclass(frozen=True)
class YearWarning:
    year: int
    code: str  # "unseeded" or "provisional"
    message: str


def year_warnings(years=None, *, today: dt.date | None = None) -> list[YearWarning]:
    """What an administrator must act on for ``years`` (default: this year and the next):

    * ``unseeded`` — the year is not in the table, so nobody can see or correct its days
      (deadlines fall back on the ``holidays`` package): run ``manage.py seedcalendar``;
    * ``provisional`` — the State Council's arrangement for the year is not in the package
      yet (``chinese-calendar`` and ``holidays`` stop at the last published notice), so its
      days are statutory days and weekend 补假 only, without 调休: once the notice is out
      (each November), upgrade ``holidays`` and run ``seedcalendar --refresh``, or enter the
      days here by hand.

    Shown on the calendar's admin pages and by ``manage.py seedcalendar --check``. Installation
    configuration, not a user's data: no ``access.scope`` (the callers are the system
    administrator's admin pages and the command line)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from shuzheng.foundation.workflow.calendar.models import CalendarYear

    if years is None:
        this = (today or timezone.localdate()).year
        years = [this, this + 1]
    years = sorted(set(years))
    seeded = dict(CalendarYear.objects.filter(year__in=years).values_list("year", "provisional"))
    out = []
    for year in years:
        if year not in seeded:
            out.append(
                YearWarning(
                    year,
                    "unseeded",
                    _(
                        "%(year)s 年的工作日历尚未初始化：请运行 manage.py seedcalendar --years "
                        "%(year)s，再核对节假日与调休"
                    )
                    % {"year": year},
                )
            )
        elif seeded[year]:
            out.append(
                YearWarning(
                    year,
                    "provisional",
                    _(
                        "%(year)s 年的放假安排尚未公布，日历按法定节假日推算、不含调休：国务院"
                        "通知发布后请升级 holidays 软件包并运行 manage.py seedcalendar --years "
                        "%(year)s --refresh，或在此逐日录入"
                    )
                    % {"year": year},
                )
            )
    return out
