"""Background upkeep of the exchange gateway (loaded by the events app at start-up).

* ``seal_exchange_log`` — every ``DATA_EXCHANGE_SEAL_SECONDS`` (default 60; the scheduler
  ticks in whole minutes): seal the log rows older than ``DATA_EXCHANGE_SEAL_LAG_SECONDS``
  into SM2-signed seals (``sealing.seal``). Idempotent: several processes running it make one
  seal per range.
* ``prune_quota_counters`` — hourly: quota counters of windows long past (minutes older than
  an hour, days older than two) are only clutter; the log keeps every call.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shuzheng.foundation.events import jobs

SEAL_MINUTES = max(1, round(int(getattr(settings, "DATA_EXCHANGE_SEAL_SECONDS", 60)) / 60))


@jobs.periodic(minutes=SEAL_MINUTES, name="data.exchange.seal")
def seal_exchange_log() -> int:
    from shuzheng.data.exchange import sealing

    return len(sealing.seal_all())


@jobs.periodic(minutes=60, name="data.exchange.prune_quota")
def prune_quota_counters() -> int:
    from shuzheng.data.exchange.models import QuotaCounter, QuotaWindow

    now = timezone.now()
    old = Q(window=QuotaWindow.MINUTE, window_start__lt=now - dt.timedelta(hours=1)) | Q(
        window=QuotaWindow.DAY, window_start__lt=now - dt.timedelta(days=2)
    )
    deleted, _by_model = QuotaCounter.objects.filter(old).delete()
    return deleted
