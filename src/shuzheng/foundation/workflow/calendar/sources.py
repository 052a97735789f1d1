"""China's holidays and 调休 from the ``holidays`` package (country CN), as calendar days.

Why ``holidays`` and not ``chinese-calendar``: it carries the State Council's arrangement
(statutory days, days off moved by 调休 and the weekend days worked instead,
``weekend_workdays``) up to the latest published year and, for later years, still computes
the statutory days of 《全国年节及纪念日放假办法》 with a weekday off for one falling on a
weekend — a usable estimate until the next notice. ``chinese-calendar`` stops at 2026 and
raises for any later date; the tests use it to cross-check the years both cover.

The package lists only the weekdays off; the weekend days inside a holiday block (2025-02-01
and 02-02 in 春节) are added here, named after the block, so the table shows whole blocks
as the State Council's notice does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import holidays

from shuzheng.foundation.workflow.calendar.models import DayKind

PACKAGE = "holidays"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOVED = "调休"  # in the package's label of a weekday off moved by 调休
_ALIASES = {"农历除夕": "春节"}  # the notice lists 除夕 as part of 春节


@dataclass(frozen=True)
class SeedDay:
    date: dt.date
    kind: str
    name: str
    provisional: bool


def source_label() -> str:
    """``source`` of seeded rows: the package and its version, e.g. "holidays 0.109"."""
    return f"{PACKAGE} {holidays.__version__}"


@lru_cache(maxsize=1)
def official_through() -> int:
    """The last year for which the package has the State Council's 调休 arrangement (the
    package lists a year's weekend working days only once the notice is out)."""
    for year in range(dt.date.today().year + 3, 1999, -1):
        try:
            if any(d.year == year for d in _cn(year).weekend_workdays):
                return year
        except AttributeError:  # a package version without ``weekend_workdays``
            return 0
    return 0


def _cn(year: int):
    return holidays.country_holidays("CN", years=year, language="zh_CN")


def _base_name(label: str) -> str | None:
    """Festival name of a package label; None for a weekday off moved by 调休."""
    if _MOVED in label:
        return None
    name = label.split("（")[0].split("(")[0].strip()
    return _ALIASES.get(name, name)


@lru_cache(maxsize=64)
def package_days(year: int) -> tuple[SeedDay, ...]:
    """The year's holidays and 调休 working days according to the package, sorted by date.

    Years after :func:`official_through` are marked provisional: statutory days and
    weekend 补假 only, with no 调休 (the State Council decides that each November)."""
    try:
        cn = _cn(year)
        off = {d: label for d, label in cn.items() if d.year == year}
        moved_work = sorted(d for d in getattr(cn, "weekend_workdays", ()) if d.year == year)
    except (NotImplementedError, ValueError, OverflowError):  # outside the lunar tables
        return ()
    provisional = year > official_through()
    names: dict[dt.date, str | None] = {d: _base_name(label) for d, label in off.items()}

    # Whole blocks: a run of consecutive days off (weekends and holidays) that holds a
    # holiday is the holiday; each unnamed day takes the name of the named day before it
    # in its run, else the one after.
    days: dict[dt.date, str] = {}
    for start in sorted(off):
        if start in days:
            continue
        lo = hi = start
        while _off(lo - dt.timedelta(days=1), off, moved_work):
            lo -= dt.timedelta(days=1)
        while _off(hi + dt.timedelta(days=1), off, moved_work):
            hi += dt.timedelta(days=1)
        run = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
        named = [names.get(d) for d in run]
        for i, d in enumerate(run):
            before = next((n for n in reversed(named[: i + 1]) if n), None)
            after = next((n for n in named[i:] if n), None)
            days[d] = before or after or ""
    days = {d: n for d, n in days.items() if d.year == year}

    rows = [SeedDay(d, DayKind.HOLIDAY, n, provisional) for d, n in days.items()]
    for workday in moved_work:
        rows.append(
            SeedDay(workday, DayKind.ADJUSTED_WORKDAY, _moved_name(workday, off, days), False)
        )
    return tuple(sorted(rows, key=lambda r: r.date))


def _off(day: dt.date, off: dict, moved_work: list) -> bool:
    return day in off or (day.weekday() >= 5 and day not in moved_work)


def _moved_name(workday: dt.date, off: dict, days: dict) -> str:
    """A 调休 working day is named after the holiday whose day off it pays for."""
    for day, label in off.items():
        if _MOVED in label and workday.isoformat() in _ISO_DATE.findall(label):
            return days.get(day, "")
    nearest = min(days, key=lambda d: abs((d - workday).days), default=None)
    return days[nearest] if nearest else ""


def working_overrides(year: int) -> dict[dt.date, bool]:
    """date → is a working day, for the package's days of ``year`` (the base layer)."""
    return {
        row.date: row.kind == DayKind.ADJUSTED_WORKDAY
        for row in package_days(year)
        # weekend days of a block are days off anyway: only departures from the pattern
        if (row.kind == DayKind.ADJUSTED_WORKDAY) == (row.date.weekday() >= 5)
    }
