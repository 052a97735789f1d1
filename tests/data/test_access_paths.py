"""Object rules that reach rows through another organisation per capability (``by_perm``):
a sharing request is seen by both departments, decided only by the provider; the exchange log
is seen by the consumer and by the provider of each call."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shuzheng.data.exchange.models import ExchangeLog, Outcome
from shuzheng.data.sharing.models import SharingRequest
from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def req(dm):
    today = timezone.localdate()
    return SharingRequest.objects.create(
        number="GX-TEST-1",
        entry=dm.population,
        entry_version=1,
        share_type="conditional",
        requester=dm.weijian,
        provider=dm.gongan,
        applicant=dm.wj_admin,
        fields=["name"],
        purpose="出生医学证明核验",
        legal_basis="《母婴保健法》",
        period_start=today,
        period_end=today + datetime.timedelta(days=30),
    )


@pytest.fixture
def third(dm, make_staff):
    edu = identity.create_organisation(
        access.SYSTEM, parent=dm.city, name="珠海市教育局", kind=OrgKind.DEPARTMENT
    )
    return make_staff(edu, "data-admin")


def test_both_sides_see_a_request_and_no_one_else(dm, req, third):
    for user in (dm.wj_admin, dm.ga_admin, dm.authority):
        assert access.scope(user, SharingRequest.objects.all(), "datasharing.view").count() == 1
    assert not access.scope(third, SharingRequest.objects.all(), "datasharing.view").exists()
    with pytest.raises(PermissionDenied):
        access.check(third, req, "datasharing.view")


def test_only_the_provider_decides(dm, req, third):
    access.check(dm.ga_admin, req, "datasharing.decide")
    for user in (dm.wj_admin, third):
        with pytest.raises(PermissionDenied):
            access.check(user, req, "datasharing.decide")


def test_only_the_requester_acts_as_requester(dm, req):
    access.check(dm.wj_admin, req, "datasharing.request")
    with pytest.raises(PermissionDenied):
        access.check(dm.ga_admin, req, "datasharing.request")


def test_exchange_log_reaches_consumer_and_provider(dm, third):
    ExchangeLog.objects.create(
        time=timezone.now(),
        message_id="m-1",
        consumer_id=dm.weijian.pk,
        provider_id=dm.gongan.pk,
        service_code="gaj-population/v1",
        outcome=Outcome.OK,
        status_code=200,
        request_hash="0" * 64,
        response_hash="0" * 64,
        latency_ms=1.0,
    )
    logs = ExchangeLog.objects.all()
    assert access.scope(dm.wj_admin, logs, "exchange.view_logs").count() == 1
    assert access.scope(dm.ga_admin, logs, "exchange.view_logs").count() == 1
    assert access.scope(third, logs, "exchange.view_logs").count() == 0
