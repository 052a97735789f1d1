"""The done-when path and the whole workflow: 卫健局 requests 人口 (有条件共享) items, the
data authority passes the compliance check, 公安局 approves → a grant with exactly those
items, period and rate; 无条件共享 is granted by the check itself; reject → dispute →
coordination; 不予共享 only through a coordination request; the compliance check's outcome
must match the share type; the optimistic lock."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from shuzheng.data.sharing import services
from shuzheng.data.sharing.models import Grant, SharingRequest
from shuzheng.foundation import workflow
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.trust.models import AuditRecord
from tests.data.sharing.conftest import FIELDS, TZ, actions, at, events_of, fresh, request_kwargs

pytestmark = pytest.mark.django_db


def _approve_path(dm, request):
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision, opinion="同意")
    return fresh(request)


def test_health_requests_population_authority_checks_police_approves(dm, new_request, clock):
    clock.set(at(11, 30, 9, 15))
    request = new_request(
        clear_fields=["name"],
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2027, 11, 30),
        quota_per_minute=30,
        quota_per_day=5000,
    )
    assert request.number == "GX20261130-0001"
    assert request.state == "checking" and request.requester == dm.weijian
    assert request.provider == dm.gongan and request.share_type == "conditional"
    assert request.entry_version == 1 and request.applicant == dm.wj_admin
    clock.set(at(11, 30, 14))
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    request = fresh(request)
    assert request.state == "provider_review"
    clock.set(at(12, 1, 10))
    services.act(dm.ga_admin, request, "approve", revision=request.revision, opinion="同意共享")
    request = fresh(request)
    assert request.state == "granted" and request.sla_state == "stopped"
    grant = Grant.objects.get(request=request)
    assert grant.number == "SQ20261201-0001"
    assert grant.fields == FIELDS and grant.clear_fields == ["name"]
    assert grant.consumer == dm.weijian and grant.provider == dm.gongan
    assert grant.entry == dm.population and grant.status == "active"
    assert grant.purpose == request.purpose and grant.granted_by == dm.ga_admin
    assert (grant.quota_per_minute, grant.quota_per_day) == (30, 5000)
    # from the start of the first day to the end of the last (valid_until is exclusive)
    assert grant.valid_from == dt.datetime(2026, 12, 1, tzinfo=TZ)
    assert grant.valid_until == dt.datetime(2027, 12, 1, tzinfo=TZ)
    assert actions(request) == ["start", "submit", "to_provider", "approve"]
    (payload,) = events_of("data.sharing.granted")
    assert payload["grant"] == grant.number and payload["request"] == request.number
    assert payload["consumer"] == dm.weijian.pk and payload["entry_id"] == dm.population.pk
    assert payload["fields"] == FIELDS and payload["action"] == "approve"
    audited = set(AuditRecord.objects.values_list("action", flat=True))
    assert {
        "data.sharing.request.create",
        "data.sharing.request.submit",
        "data.sharing.request.to_provider",
        "data.sharing.request.approve",
        "data.sharing.grant.create",
    } <= audited
    assert services.active_grant(dm.weijian.pk, dm.population.pk, at=at(12, 2)) == grant


def test_numbers_count_up_within_the_day(dm, new_request, make_entry, clock):
    clock.set(at(11, 30, 9))
    first = new_request(fields=["sex"])
    other = make_entry(dm.gongan, dm.ga_admin, name="户籍迁移信息")
    second = new_request(entry=other, fields=["sex"])
    assert (first.number, second.number) == ("GX20261130-0001", "GX20261130-0002")


def test_an_unconditional_entry_is_granted_by_the_compliance_check(dm, new_request, make_entry):
    entry = make_entry(dm.gongan, dm.ga_admin, name="机动车登记信息", share_type="unconditional")
    request = new_request(entry=entry, fields=["sex", "birth_date"])
    assert request.share_type == "unconditional"
    services.act(dm.authority, request, "grant_unconditional", revision=fresh(request).revision)
    request = fresh(request)
    assert request.state == "granted"
    grant = Grant.objects.get(request=request)
    assert grant.granted_by == dm.authority and grant.fields == ["sex", "birth_date"]
    assert events_of("data.sharing.granted")[0]["action"] == "grant_unconditional"


def test_the_check_must_match_the_share_type(dm, new_request, make_entry):
    conditional = new_request()
    with pytest.raises(ValidationError) as refused:
        services.act(
            dm.authority, conditional, "grant_unconditional", revision=fresh(conditional).revision
        )
    assert "有条件共享" in " ".join(refused.value.messages)
    assert "转提供方审核" in " ".join(refused.value.messages)
    entry = make_entry(dm.gongan, dm.ga_admin, name="机动车登记信息", share_type="unconditional")
    free = new_request(entry=entry, fields=["sex"])
    with pytest.raises(ValidationError) as refused:
        services.act(dm.authority, free, "to_provider", revision=fresh(free).revision)
    assert "无条件共享" in " ".join(refused.value.messages)
    assert fresh(conditional).state == fresh(free).state == "checking"
    assert not Grant.objects.exists()


def test_return_edit_and_resubmit(dm, new_request):
    request = new_request()
    with pytest.raises(ValidationError) as missing:
        services.act(dm.authority, request, "return", revision=fresh(request).revision)
    assert "reason" in missing.value.message_dict
    services.act(
        dm.authority, request, "return", revision=fresh(request).revision, reason="用途不具体"
    )
    request = fresh(request)
    assert request.state == "returned" and request.sla_state == "stopped"
    services.update_request(
        dm.wj_admin,
        request,
        revision=request.revision,
        purpose="出生医学证明签发时核验父母身份（香洲区妇幼保健院）",
        fields=["id_number", "name"],
    )
    request = fresh(request)
    assert request.fields == ["id_number", "name"] and "香洲区" in request.purpose
    services.act(dm.wj_admin, request, "resubmit", revision=request.revision)
    request = fresh(request)
    assert request.state == "checking" and request.sla_state == "running"
    assert actions(request) == ["start", "submit", "return", "resubmit"]


def test_an_update_follows_every_rule_and_only_while_editable(dm, new_request):
    request = new_request()
    with pytest.raises(ValidationError) as refused:
        services.update_request(dm.wj_admin, request, revision=fresh(request).revision, purpose="x")
    assert refused.value.code == "not_editable"
    services.act(dm.authority, request, "return", revision=fresh(request).revision, reason="补充")
    with pytest.raises(ValidationError) as refused:
        services.update_request(
            dm.wj_admin, request, revision=fresh(request).revision, fields=["religion"]
        )
    assert "fields" in refused.value.message_dict
    assert fresh(request).fields == FIELDS


def test_reject_dispute_and_coordination_grant(dm, new_request):
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    with pytest.raises(ValidationError) as missing:
        services.act(dm.ga_admin, request, "reject", revision=fresh(request).revision)
    assert missing.value.message_dict["reason"] == ["请填写不同意共享的理由"]
    services.act(
        dm.ga_admin, request, "reject", revision=fresh(request).revision, reason="涉及在侦案件"
    )
    request = fresh(request)
    assert request.state == "rejected" and request.decision_reason == "涉及在侦案件"
    with pytest.raises(ValidationError) as missing:
        services.act(dm.wj_admin, request, "dispute", revision=request.revision)
    assert "reason" in missing.value.message_dict
    services.act(
        dm.wj_admin, request, "dispute", revision=request.revision, reason="出生医学证明签发必需"
    )
    request = fresh(request)
    assert request.state == "coordinating" and request.dispute_reason == "出生医学证明签发必需"
    assert request.sla_state == "running"
    with pytest.raises(ValidationError) as missing:
        services.act(dm.authority, request, "coordinate_grant", revision=request.revision)
    assert "opinion" in missing.value.message_dict
    services.act(
        dm.authority,
        request,
        "coordinate_grant",
        revision=request.revision,
        opinion="按履职需要共享，限定用途",
    )
    request = fresh(request)
    assert request.state == "granted" and request.coordination_opinion == "按履职需要共享，限定用途"
    assert Grant.objects.get(request=request).granted_by == dm.authority
    assert events_of("data.sharing.rejected") and events_of("data.sharing.disputed")


def test_coordination_may_refuse_and_the_requester_may_accept_a_rejection(dm, new_request):
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "reject", revision=fresh(request).revision, reason="不宜")
    services.act(dm.wj_admin, request, "dispute", revision=fresh(request).revision, reason="需要")
    services.act(
        dm.authority, request, "coordinate_refuse", revision=fresh(request).revision, opinion="维持"
    )
    assert fresh(request).state == "refused"
    other = new_request(fields=["address"])
    services.act(dm.authority, other, "to_provider", revision=fresh(other).revision)
    services.act(dm.ga_admin, other, "reject", revision=fresh(other).revision, reason="不宜")
    services.act(dm.wj_admin, other, "accept_rejection", revision=fresh(other).revision)
    assert fresh(other).state == "closed"
    assert not Grant.objects.exists()


def test_not_shared_data_only_through_coordination(dm, make_entry):
    secret = make_entry(
        dm.gongan,
        dm.ga_admin,
        name="出入境记录",
        share_type="none",
        not_shared_basis="《出境入境管理法》",
    )
    with pytest.raises(ValidationError) as refused:
        services.create_request(dm.wj_admin, entry=secret, **request_kwargs())
    (message,) = refused.value.message_dict["entry"]
    assert "不予共享" in message and "申请协调" in message
    assert not SharingRequest.objects.exists()
    request = services.request_coordination(
        dm.wj_admin, entry=secret, reason="传染病流调需要核验出入境史", **request_kwargs()
    )
    assert request.kind == "coordination" and request.state == "coordinating"
    assert request.dispute_reason == "传染病流调需要核验出入境史"
    # a coordination request is not a share request: no compliance check, no provider
    with pytest.raises(ValidationError):
        services.act(dm.wj_admin, request, "submit", revision=fresh(request).revision)
    services.act(
        dm.authority, request, "coordinate_grant", revision=fresh(request).revision, opinion="同意"
    )
    assert Grant.objects.get(request=request).entry == secret


def test_a_withdrawn_request_grants_nothing(dm, new_request):
    request = new_request()
    services.act(dm.wj_admin, request, "withdraw", revision=fresh(request).revision)
    assert fresh(request).state == "withdrawn"
    assert not Grant.objects.exists()


def test_a_draft_is_submitted_later(dm, new_request):
    request = new_request(submit=False)
    assert request.state == "draft" and request.due_at is None
    services.act(dm.wj_admin, request, "submit", revision=fresh(request).revision)
    assert fresh(request).state == "checking"


def test_a_catalogue_change_before_the_decision_stops_the_grant(dm, new_request):
    request = new_request(fields=["name", "sex"])
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    entry = dm.population
    entry.published["items"] = [i for i in entry.published["items"] if i["code"] != "sex"]
    entry.save()
    with pytest.raises(ValidationError) as refused:
        services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision)
    assert "sex" in " ".join(refused.value.messages)
    assert fresh(request).state == "provider_review" and not Grant.objects.exists()


# --------------------------------------------------------------------------- the lock


def test_two_approvals_with_the_same_revision_one_conflicts(dm, new_request):
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    seen = fresh(request).revision
    services.act(dm.ga_admin, request, "approve", revision=seen)
    with pytest.raises(workflow.Conflict):
        services.act(dm.ga_admin, request, "approve", revision=seen)
    assert Grant.objects.count() == 1
    assert actions(request).count("approve") == 1


def test_a_stale_revision_writes_nothing(dm, new_request):
    request = new_request()
    stale = fresh(request).revision - 1
    before = OutboxEvent.objects.count()
    with pytest.raises(workflow.Conflict):
        services.act(dm.authority, request, "to_provider", revision=stale)
    assert fresh(request).state == "checking" and OutboxEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_two_deciders_approving_at_once_exactly_one_wins(dm, new_request, make_staff):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row updates are exercised on PostgreSQL")
    colleague = make_staff(dm.gongan, "data-admin", name="公安数据员二")
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    seen = fresh(request).revision
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(actor):
        from django.db import connections

        mine = SharingRequest.objects.get(pk=request.pk)
        barrier.wait()
        try:
            services.act(actor, mine, "approve", revision=seen)
            outcomes.append("won")
        except workflow.Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (dm.ga_admin, colleague)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert Grant.objects.count() == 1


def test_a_period_that_ran_out_before_the_decision_is_not_granted(dm, new_request, clock):
    clock.set(at(11, 30, 9))
    request = new_request(period_end=dt.date(2026, 12, 4))
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    clock.set(at(12, 7, 9))
    with pytest.raises(ValidationError) as refused:
        services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision)
    assert "2026-12-04" in " ".join(refused.value.messages)
    assert not Grant.objects.exists()
