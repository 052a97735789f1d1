"""Working days, deadlines and SLA clocks on China's work calendar.

Which days are working days
---------------------------
Monday to Friday, except where a layer above says otherwise, the later layer winning:

1. the ``holidays`` package (CN): statutory holidays, the State Council's 调休 (weekday off,
   weekend day worked) for the years it has published, statutory days with weekend 补假
   for later years — so the calendar keeps working without anybody seeding it;
2. the :class:`~.models.CalendarDay` table: the seeded copy of layer 1 that administrators
   see and edit, their closures (临时停工, e.g. a typhoon's 停工停课), extra working days
   (临时加班), and next year's arrangement once it is published.

For a year that was seeded (:class:`~.models.CalendarYear`) the table alone decides, so an
administrator can also delete a seeded day; other years stack the table on layer 1.

Each process keeps one small structure per year (a working-day bitmap and its running
count), filled for five years at a time by two small queries (the rows, and which of the
years were seeded) and kept for
``WORK_CALENDAR_CACHE_SECONDS``; an edit through :mod:`.services` (or any save of a row)
clears it at once in the process that made it. Nothing here queries per day.

How time limits are counted (办结时限)
--------------------------------------
"N working days after acceptance" ends on the Nth working day after the day of acceptance:
the day the clock starts is day 0 and is not counted, whatever the hour (民法典 第二百零一条:
a period counted in days starts on the next day; 行政许可法 第八十二条: limits in working days
do not include statutory holidays). The deadline is the end of office hours (``WORK_DAY_END``,
default 18:00, Asia/Shanghai) on that day; a limit of 0 working days (即办件) ends at the end
of office hours of the start day, or of the next working day when the start day is not one.
Natural days end at 24:00 of the last day; hours are elapsed time; working hours count only
the time between ``WORK_DAY_START`` and ``WORK_DAY_END`` on working days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time as _time
from bisect import bisect_left
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

__all__ = [
    "UNITS",
    "Clock",
    "ClockError",
    "add_working_days",
    "clear_cache",
    "deadline",
    "is_working_day",
    "office_hours",
    "time_zone",
    "working_days_between",
    "working_seconds_between",
]

WORKING_DAYS = "working_days"
NATURAL_DAYS = "natural_days"
HOURS = "hours"
WORKING_HOURS = "working_hours"
UNITS = (WORKING_DAYS, NATURAL_DAYS, HOURS, WORKING_HOURS)

_ONE_DAY = dt.timedelta(days=1)
_LOAD_BEHIND, _LOAD_AHEAD = 1, 3  # a miss on year Y loads Y-1 … Y+3 in one query


# --------------------------------------------------------------------------- the year cache


class _Year:
    """One calendar year: ``working[i]`` for day i (0 = 1 January), ``cum[i]`` the number
    of working days among days 0 … i-1, so any count is two lookups."""

    __slots__ = ("cum", "first", "total", "working")

    def __init__(self, year: int, overrides: dict[dt.date, bool]):
        self.first = dt.date(year, 1, 1).toordinal()
        length = dt.date(year, 12, 31).toordinal() - self.first + 1
        weekday = dt.date(year, 1, 1).weekday()
        working = bytearray((weekday + i) % 7 < 5 for i in range(length))
        for day, is_working in overrides.items():
            working[day.toordinal() - self.first] = is_working
        cum = [0] * (length + 1)
        running = 0
        for i, flag in enumerate(working):
            running += flag
            cum[i + 1] = running
        self.working = working
        self.cum = cum
        self.total = running


_years: dict[int, _Year] = {}
_loaded_at = 0.0
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget the cached years (after the calendar table changed)."""
    global _loaded_at
    with _lock:
        _years.clear()
        _loaded_at = 0.0


def _expired() -> bool:
    ttl = getattr(settings, "WORK_CALENDAR_CACHE_SECONDS", 300)
    return bool(_years) and _time.monotonic() - _loaded_at > ttl


def _year(year: int) -> _Year:
    found = _years.get(year)
    if found is not None:
        return found
    return _load(year)


def _load(year: int) -> _Year:
    """Load ``year`` and its missing neighbours: one query for their days (and one for
    which of them were seeded)."""
    global _loaded_at
    from shuzheng.foundation.workflow.calendar import sources
    from shuzheng.foundation.workflow.calendar.models import (
        WORKING_KINDS,
        CalendarDay,
        CalendarYear,
    )

    if not 1 <= year <= 9999:
        raise OverflowError(f"year {year} is outside the calendar")
    wanted = [
        y
        for y in range(max(1, year - _LOAD_BEHIND), min(9999, year + _LOAD_AHEAD) + 1)
        if y not in _years
    ]
    first, last = dt.date(wanted[0], 1, 1), dt.date(wanted[-1], 12, 31)
    seeded = set(
        CalendarYear.objects.filter(year__gte=wanted[0], year__lte=wanted[-1]).values_list(
            "year", flat=True
        )
    )
    rows = CalendarDay.objects.filter(date__gte=first, date__lte=last).values_list("date", "kind")
    overrides: dict[int, dict[dt.date, bool]] = {
        y: {} if y in seeded else dict(sources.working_overrides(y)) for y in wanted
    }
    for day, kind in rows:
        overrides[day.year][day] = kind in WORKING_KINDS
    built = {y: _Year(y, overrides[y]) for y in wanted}
    with _lock:
        if not _years:
            _loaded_at = _time.monotonic()
        for y, data in built.items():
            _years.setdefault(y, data)
        return _years[year]


def _fresh() -> None:
    if _expired():
        clear_cache()


# --------------------------------------------------------------------------- working days


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day (a date; a datetime is taken by its local date)."""
    day = _as_date(day)
    _fresh()
    data = _year(day.year)
    return bool(data.working[day.toordinal() - data.first])


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself is day 0 and never counts,
    so ``add_working_days(d, 0) == d`` even when ``d`` is a holiday)."""
    start = _as_date(start)
    if n < 0:
        raise ValueError("n must be zero or more")
    if n == 0:
        return start
    _fresh()
    data = _year(start.year)
    index = start.toordinal() - data.first
    target = data.cum[index + 1] + n  # working days from 1 January up to the answer
    year = start.year
    while target > data.total:
        target -= data.total
        year += 1
        data = _year(year)
    return dt.date.fromordinal(data.first + bisect_left(data.cum, target) - 1)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """The working days in (a, b] — after ``a``, up to and including ``b``; negative when
    ``b`` is before ``a``. ``working_days_between(d, add_working_days(d, n)) == n``."""
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a)
    _fresh()
    if a.year == b.year:
        return _through(b) - _through(a)
    return (
        _year(a.year).total
        - _through(a)
        + sum(_year(y).total for y in range(a.year + 1, b.year))
        + _through(b)
    )


def _through(day: dt.date) -> int:
    """Working days from 1 January of ``day``'s year up to and including ``day``."""
    data = _year(day.year)
    return data.cum[day.toordinal() - data.first + 1]


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return _local(value).date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"a date is needed, not {value!r}")


# --------------------------------------------------------------------------- time of day


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone() -> ZoneInfo:
    """The calendar's time zone (``WORK_CALENDAR_TIME_ZONE``, default Asia/Shanghai)."""
    return _zone(getattr(settings, "WORK_CALENDAR_TIME_ZONE", "Asia/Shanghai"))


@lru_cache(maxsize=8)
def _office(start: str, end: str) -> tuple[dt.time, dt.time]:
    begin, finish = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    if not begin < finish:
        raise ValueError("WORK_DAY_START must be before WORK_DAY_END")
    return begin, finish


def office_hours() -> tuple[dt.time, dt.time]:
    """(``WORK_DAY_START``, ``WORK_DAY_END``) as times, default 09:00 and 18:00."""
    return _office(
        getattr(settings, "WORK_DAY_START", "09:00"), getattr(settings, "WORK_DAY_END", "18:00")
    )


def _local(moment: dt.datetime) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"a datetime is needed, not {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is needed (settings.USE_TZ): got a naive one")
    return moment.astimezone(time_zone())


def _at(day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=time_zone())


def _end_of_working_day(day: dt.date) -> dt.datetime:
    return _at(day, office_hours()[1])


def _working_deadline(start_day: dt.date, amount: int) -> dt.datetime:
    if amount == 0 and not is_working_day(start_day):
        return _end_of_working_day(add_working_days(start_day, 1))
    return _end_of_working_day(add_working_days(start_day, amount))


def _natural_deadline(start: dt.datetime, amount: int) -> dt.datetime:
    """24:00 of the ``amount``-th day after the start day (0: the start day itself)."""
    return _at(start.date() + dt.timedelta(days=amount + 1), dt.time(0))


def _add_working_seconds(start: dt.datetime, seconds: float) -> dt.datetime:
    """The moment at which ``seconds`` of office time have passed since ``start``. Landing
    exactly on the end of office hours stays on that day."""
    begin, end = office_hours()
    current = start
    while True:
        day = current.date()
        if is_working_day(day):
            opens, closes = _at(day, begin), _at(day, end)
            current = max(current, opens)
            if current <= closes:
                available = (closes - current).total_seconds()
                if seconds <= available:
                    return current + dt.timedelta(seconds=seconds)
                seconds -= available
        current = _at(day + _ONE_DAY, dt.time(0))


def working_seconds_between(a: dt.datetime, b: dt.datetime) -> float:
    """Office time (seconds) between two moments; negative when ``b`` is before ``a``."""
    a, b = _local(a), _local(b)
    if b < a:
        return -working_seconds_between(b, a)
    begin, end = office_hours()
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_working_day(day):
            lo, hi = max(a, _at(day, begin)), min(b, _at(day, end))
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += _ONE_DAY
    return total


def deadline(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """When a time limit of ``amount`` ``unit`` that starts at ``start`` runs out.

    ``unit``: ``"working_days"`` (end of office hours of the Nth working day after the start
    day), ``"natural_days"`` (24:00 of the Nth day after the start day), ``"hours"`` (elapsed
    time) or ``"working_hours"`` (office time on working days). The result is in the
    calendar's time zone; ``start`` must be aware."""
    local = _local(start)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ValueError(f"a time limit must be a whole number zero or more, got {amount!r}")
    if unit == WORKING_DAYS:
        return _working_deadline(local.date(), amount)
    if unit == NATURAL_DAYS:
        return _natural_deadline(local, amount)
    if unit == HOURS:
        return local + dt.timedelta(hours=amount)
    if unit == WORKING_HOURS:
        return _add_working_seconds(local, amount * 3600)
    raise ValueError(f"unknown time-limit unit {unit!r}: one of {', '.join(UNITS)}")


# --------------------------------------------------------------------------- SLA clock


class ClockError(ValueError):
    """A clock was asked to do what its state does not allow (pause a stopped clock …)."""


RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"


def _iso(moment: dt.datetime) -> str:
    return _local(moment).isoformat()


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


@dataclasses.dataclass
class Clock:
    """The SLA clock of one case: a time limit that can be paused (挂起, 补正, 延期审批 …)
    and resumed, and stops when the case is done.

    Stored as plain JSON values (``to_dict()`` / ``from_dict()``, or
    ``dataclasses.asdict``): times as ISO 8601 strings. ``paused`` is what earlier pauses
    added to the limit — working days for a working-day limit (a pause over k working days
    moves the deadline by k working days), seconds of elapsed or office time otherwise.

    The deadline is computed from these fields on the current calendar, so a closure an
    administrator declares later (a typhoon day) moves the deadline of a running clock.
    """

    unit: str
    limit: int
    started_at: str
    state: str = RUNNING
    paused: int = 0
    paused_at: str | None = None
    stopped_at: str | None = None

    # ---- building

    @classmethod
    def start(cls, at: dt.datetime, limit_amount: int, limit_unit: str) -> Clock:
        """A running clock for a limit of ``limit_amount`` ``limit_unit`` from ``at``."""
        deadline(at, limit_amount, limit_unit)  # validates the three
        return cls(unit=limit_unit, limit=limit_amount, started_at=_iso(at))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Clock:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})

    # ---- transitions

    def pause(self, at: dt.datetime) -> Clock:
        """挂起: time stops counting from ``at``."""
        self._require(RUNNING, "pause")
        self._not_before(at, self._last_event())
        self.paused_at = _iso(at)
        self.state = PAUSED
        return self

    def resume(self, at: dt.datetime) -> Clock:
        """恢复: the time since the pause is added to the limit."""
        self._require(PAUSED, "resume")
        since = _parse(self.paused_at)
        self._not_before(at, since)
        self.paused += self._paused_amount(since, _local(at))
        self.paused_at = None
        self.state = RUNNING
        return self

    def stop(self, at: dt.datetime) -> Clock:
        """办结 (or any end): the clock stops; a paused clock is resumed at ``at`` first."""
        if self.state == PAUSED:
            self.resume(at)
        self._require(RUNNING, "stop")
        self._not_before(at, self.started)
        self.stopped_at = _iso(at)
        self.state = STOPPED
        return self

    # ---- reading

    @property
    def started(self) -> dt.datetime:
        return _parse(self.started_at)

    @property
    def due_at(self) -> dt.datetime:
        """The deadline, counting completed pauses (a paused clock: as if resumed now)."""
        start = _local(self.started)
        if self.unit == WORKING_DAYS:
            return _working_deadline(start.date(), self.limit + self.paused)
        if self.unit == WORKING_HOURS:
            return _add_working_seconds(start, self.limit * 3600 + self.paused)
        return deadline(start, self.limit, self.unit) + dt.timedelta(seconds=self.paused)

    def _frozen(self, at: dt.datetime) -> dt.datetime:
        """The moment the clock reads at ``at``: a paused or stopped clock stands still."""
        if self.state == PAUSED:
            return _parse(self.paused_at)
        if self.state == STOPPED:
            return _parse(self.stopped_at)
        return at

    def remaining(self, at: dt.datetime) -> dt.timedelta:
        """Time left until the deadline at ``at`` (negative once overdue); it does not run
        down while the clock is paused and is fixed once the clock has stopped."""
        return self.due_at - _local(self._frozen(at))

    def remaining_working_days(self, at: dt.datetime) -> int:
        """Working days left after the day of ``at`` up to the deadline's day (0 on the
        deadline's day, negative once past it)."""
        return working_days_between(_local(self._frozen(at)).date(), self.due_at.date())

    def is_overdue(self, at: dt.datetime) -> bool:
        """Past the deadline at ``at`` (for a stopped clock: whether it stopped late). The
        deadline is inclusive: at exactly ``due_at`` the clock is still on time."""
        return _local(self._frozen(at)) > self.due_at

    def approaching(self, at: dt.datetime, lead: dt.timedelta | int) -> bool:
        """A running clock within ``lead`` of its deadline and not yet overdue (催办).
        ``lead`` is a timedelta, or a number of working days (e.g. 1: the deadline is
        today or the next working day)."""
        if self.state != RUNNING or self.is_overdue(at):
            return False
        if isinstance(lead, dt.timedelta):
            return self.remaining(at) <= lead
        return self.remaining_working_days(at) <= lead

    # ---- helpers

    def _require(self, state: str, action: str) -> None:
        if self.state != state:
            raise ClockError(f"cannot {action} a {self.state} clock")

    def _last_event(self) -> dt.datetime:
        return self.started

    def _not_before(self, at: dt.datetime, earlier: dt.datetime) -> None:
        if _local(at) < earlier:
            raise ClockError("a clock cannot go back in time")

    def _paused_amount(self, since: dt.datetime, until: dt.datetime) -> int:
        if self.unit == WORKING_DAYS:
            return working_days_between(_local(since).date(), until.date())
        if self.unit == WORKING_HOURS:
            return int(working_seconds_between(since, until))
        return int((until - since).total_seconds())
