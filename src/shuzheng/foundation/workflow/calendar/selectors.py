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
