"""A grant is what the gateway enforces (``active_grant``): active from the start of its
first day to the end of its last; a revocation (provider or authority, with a reason) and
an expiry take effect at once — no cache; a stale revision is refused; consumers are told
once when a grant ends within 7 days."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from shuzheng.data.sharing import services
from shuzheng.data.sharing.models import Grant
from shuzheng.foundation import workflow
from shuzheng.foundation.trust.models import AuditRecord
from tests.data.sharing.conftest import TZ, at, events_of, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(dm, new_request, clock):
    clock.set(at(11, 30, 9))
    request = new_request(period_start=dt.date(2026, 12, 1), period_end=dt.date(2026, 12, 31))
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision)
    return Grant.objects.get(request=request)


def test_active_from_the_first_day_to_the_end_of_the_last(dm, grant, clock):
    lookup = lambda: services.active_grant(dm.weijian.pk, dm.population.pk)  # noqa: E731
    assert lookup() is None  # 11-30: not yet
    clock.set(dt.datetime(2026, 12, 1, 0, 0, tzinfo=TZ))
    assert lookup() == grant
    clock.set(dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ))
    assert lookup() == grant
    clock.set(dt.datetime(2027, 1, 1, 0, 0, tzinfo=TZ))
    assert lookup() is None  # expired, without any job having run
    assert services.active_grant(dm.weijian, dm.population, at=at(12, 15)) == grant


def test_only_the_consumer_and_the_entry_of_the_grant(dm, grant, make_entry):
    other = make_entry(dm.gongan, dm.ga_admin, name="户籍迁移信息")
    assert services.active_grant(dm.gongan.pk, dm.population.pk, at=at(12, 15)) is None
    assert services.active_grant(dm.weijian.pk, other.pk, at=at(12, 15)) is None


def test_a_revocation_takes_effect_at_once(dm, grant, clock):
    clock.set(at(12, 15))
    assert services.active_grant(dm.weijian.pk, dm.population.pk) == grant
    revoked = services.revoke(dm.ga_admin, grant, reason="数据使用超出约定用途", revision=0)
    assert services.active_grant(dm.weijian.pk, dm.population.pk) is None
    assert revoked.status == "revoked" and revoked.revoked_by == dm.ga_admin
    assert revoked.revoked_at == at(12, 15) and revoked.revision == 1
    (payload,) = events_of("data.sharing.grant_revoked")
    assert payload["grant"] == grant.number and payload["consumer"] == dm.weijian.pk
    assert AuditRecord.objects.filter(action="data.sharing.grant.revoke").count() == 1


def test_a_revocation_needs_a_reason_and_happens_once(dm, grant):
    with pytest.raises(ValidationError) as caught:
        services.revoke(dm.ga_admin, grant, reason=" ")
    assert caught.value.message_dict["reason"] == ["请填写撤销理由"]
    assert Grant.objects.get(pk=grant.pk).status == "active"
    services.revoke(dm.ga_admin, grant, reason="停止提供")
    with pytest.raises(ValidationError) as caught:
        services.revoke(dm.authority, grant, reason="再次")
    assert caught.value.code == "already_revoked"


def test_a_stale_revision_is_refused(dm, grant):
    with pytest.raises(workflow.Conflict):
        services.revoke(dm.ga_admin, grant, reason="停止提供", revision=3)
    assert Grant.objects.get(pk=grant.pk).status == "active"


def test_several_grants_the_newest_valid_one_answers(dm, grant, new_request, clock):
    clock.set(at(12, 20, 9))
    renewal = new_request(
        fields=["name", "sex"],
        period_start=dt.date(2026, 12, 20),
        period_end=dt.date(2027, 6, 30),
    )
    services.act(dm.authority, renewal, "to_provider", revision=fresh(renewal).revision)
    services.act(dm.ga_admin, renewal, "approve", revision=fresh(renewal).revision)
    newer = Grant.objects.get(request=renewal)
    assert services.active_grant(dm.weijian.pk, dm.population.pk, at=at(12, 25)) == newer
    assert services.active_grant(dm.weijian.pk, dm.population.pk, at=at(12, 15)) == grant
    services.revoke(dm.ga_admin, newer, reason="停止")
    assert services.active_grant(dm.weijian.pk, dm.population.pk, at=at(12, 25)) == grant


def test_expiring_grants_are_announced_once(dm, grant, clock, new_request):
    clock.set(at(12, 20, 9))  # 11 days before the end
    assert services.notify_expiring() == 0
    clock.set(at(12, 25, 9))  # within 7 days
    assert services.notify_expiring() == 1
    assert services.notify_expiring() == 0
    clock.set(at(12, 26, 9))
    assert services.notify_expiring() == 0
    (payload,) = events_of("data.sharing.grant_expiring")
    assert payload["grant"] == grant.number


def test_revoked_or_expired_grants_are_not_announced(dm, grant, clock):
    services.revoke(dm.ga_admin, grant, reason="停止")
    clock.set(at(12, 28, 9))
    assert services.notify_expiring() == 0
    assert events_of("data.sharing.grant_expiring") == []


def test_the_daily_job_runs_the_notice(dm, grant, clock):
    from shuzheng.data.sharing import tasks

    clock.set(at(12, 28, 9))
    assert tasks.expiring_grants.call_local() == 1
