"""China's work calendar: which days are working days, deadlines in working days, natural
days, hours or working hours, and the SLA clock (:mod:`.calendar`). The table of holidays,
调休 and closures is in :mod:`.models`; it changes only through :mod:`.services`."""

from shuzheng.foundation.workflow.calendar.calendar import (
    UNITS,
    Clock,
    ClockError,
    add_working_days,
    deadline,
    is_working_day,
    working_days_between,
)

__all__ = [
    "UNITS",
    "Clock",
    "ClockError",
    "add_working_days",
    "deadline",
    "is_working_day",
    "working_days_between",
]
