"""Scheduled data-quality checks (loaded by the events app at start-up).

* ``sweep`` — once a day (at ``DATA_QUALITY_SWEEP_HOUR`` UTC, default 18 = 02:00 in
  Zhuhai): every entry whose last check is older than its 更新周期 is checked again
  (``services.run_due``).
"""

from __future__ import annotations

from django.conf import settings

from shuzheng.foundation.events import jobs

SWEEP_HOUR = str(getattr(settings, "DATA_QUALITY_SWEEP_HOUR", 18))


@jobs.periodic(crontab=jobs.crontab(hour=SWEEP_HOUR, minute="40"), name="dataquality.sweep")
def sweep() -> int:
    from shuzheng.data.quality import services

    return services.run_due()
