"""工单编号: ``GD`` + registration date (YYYYMMDD, the work calendar's time zone) + a
6-digit sequence of that day, e.g. ``GD20261130000123``.

The next number is the day's highest plus one, read through the unique index on ``number``
(a prefix range: one index probe). Two registrations at once must not read the same
highest: on PostgreSQL the read takes a transaction-level advisory lock on the day, held
until the registering transaction commits; on SQLite every write transaction is IMMEDIATE
(settings), so writers are already serialised. Call it inside the registering transaction,
as late as possible (the lock is held until commit).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.utils import timezone

from shuzheng.foundation.workflow.calendar.calendar import time_zone

PREFIX = "GD"
_LOCK_CLASS = 0x4744  # "GD": the advisory-lock namespace of order numbers (PostgreSQL)
_NUMBER = re.compile(r"^GD\d{8}\d{6,}$")


def _day(at: dt.datetime | None) -> dt.date:
    return (at or timezone.now()).astimezone(time_zone()).date()


def _lock(day: dt.date) -> None:
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, int(f"{day:%Y%m%d}")]
            )


def _next_seq(day: dt.date) -> int:
    """The day's highest sequence stored, plus one (the day's lock taken first)."""
    from shuzheng.governance.hotline.models import WorkOrder

    prefix = f"{PREFIX}{day:%Y%m%d}"
    _lock(day)
    last = (
        WorkOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last[len(prefix) :]) + 1 if last else 1


def _format(day: dt.date, seq: int) -> str:
    return f"{PREFIX}{day:%Y%m%d}{seq:06d}"


def next_number(at: dt.datetime | None = None) -> str:
    """The next free 工单编号 of the day of ``at`` (default now)."""
    day = _day(at)
    return _format(day, _next_seq(day))


def allocate(moments) -> list[str]:
    """Numbers for many orders registered at ``moments`` (a bulk import of history, the
    benchmark's generator), in the order given: each day's sequence continues from the
    day's highest number stored. Call inside the importing transaction, before the insert."""
    following: dict[dt.date, int] = {}
    numbers = []
    for moment in moments:
        day = _day(moment)
        if day not in following:
            following[day] = _next_seq(day)
        numbers.append(_format(day, following[day]))
        following[day] += 1
    return numbers


def is_number(text: str) -> bool:
    """Whether ``text`` looks like a 工单编号 (for search boxes)."""
    return bool(_NUMBER.match(str(text or "").strip().upper()))
