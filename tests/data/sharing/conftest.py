"""Shared bits of the sharing tests: a frozen clock (``django.utils.timezone.now``) around
the 2026 National Day holiday (中秋 09-25; 国庆 10-01…10-07; 调休 09-20 and 10-10 worked), a
request factory and readers of the inbox and the outbox."""

import datetime as dt

import pytest

from shuzheng.data.sharing import services
from shuzheng.data.sharing.models import SharingRequest
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.events.notifications.models import Message

TZ = dt.timezone(dt.timedelta(hours=8))
FIELDS = ["id_number", "name", "sex", "birth_date"]


def at(month, day, hour=10, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


class FrozenClock:
    """``timezone.now()`` for the engine, the services and these tests."""

    def __init__(self, monkeypatch):
        self.now = at(9, 28)
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.now)

    def set(self, moment):
        self.now = moment
        return moment

    def tick(self, **delta):
        self.now = self.now + dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


def fresh(request) -> SharingRequest:
    return SharingRequest.objects.select_related("workflow", "entry").get(pk=request.pk)


def actions(request) -> list[str]:
    return list(fresh(request).workflow.history.order_by("seq").values_list("action", flat=True))


def events_of(kind: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(type=kind).order_by("created_at")]


def inbox(user) -> list[Message]:
    return list(Message.objects.filter(recipient=user).order_by("pk"))


def titles(user) -> list[str]:
    return [m.title for m in inbox(user)]


def request_kwargs(**overrides) -> dict:
    """A valid request body for 人口 (dates from the frozen clock's today)."""
    from django.utils import timezone

    today = timezone.localdate()
    values = dict(
        fields=list(FIELDS),
        purpose="出生医学证明签发时核验父母身份",
        legal_basis="《中华人民共和国母婴保健法》第二十三条",
        period_start=today,
        period_end=today + dt.timedelta(days=364),
        scenario="出生医学证明核验",
        contact_phone="0756-2222222",
    )
    values.update(overrides)
    return values


@pytest.fixture
def new_request(dm):
    """new_request(actor=dm.wj_admin, entry=dm.population, **kwargs) → a submitted request."""

    def make(actor=None, entry=None, **overrides):
        return services.create_request(
            actor or dm.wj_admin, entry=entry or dm.population, **request_kwargs(**overrides)
        )

    return make
