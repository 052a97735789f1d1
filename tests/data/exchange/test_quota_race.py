"""The quota under concurrent gateway calls: committed data, one connection per thread (as
several gateway processes would have). The counter never passes the limit and every call
is logged. Runs on SQLite (the write lock serialises) and on PostgreSQL (the UPSERT's row
lock decides)."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from shuzheng.data.exchange.models import ExchangeLog, QuotaCounter
from tests.data.exchange.conftest import BASE, gateway_call

pytestmark = pytest.mark.django_db(transaction=True)

THREADS, CALLS, LIMIT = 6, 4, 5


def test_concurrent_calls_never_pass_the_minute_quota(xw, monkeypatch):
    xw.grant.quota_per_minute = LIMIT
    xw.grant.save()
    frozen = timezone.now().replace(second=10)
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen)  # one minute for all
    statuses, errors = [], []
    start = threading.Barrier(THREADS)

    def worker():
        try:
            start.wait()
            for _ in range(CALLS):
                statuses.append(gateway_call(BASE + "/records", "limit=1", token=xw.token).status)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(set(statuses)) == [200, 429]
    assert statuses.count(200) == LIMIT
    counters = dict(QuotaCounter.objects.values_list("window", "used"))
    assert counters == {"minute": LIMIT, "day": LIMIT}
    assert ExchangeLog.objects.count() == THREADS * CALLS
    assert ExchangeLog.objects.filter(status_code=200).count() == LIMIT
