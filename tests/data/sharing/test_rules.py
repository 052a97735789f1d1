"""Every rule of a sharing request, through the service: each refusal names the field and
writes nothing — the entry must be published and not one's own, 不予共享 only through
coordination, the items must exist (unknown codes named), 核心数据 cannot be asked for,
clear items must be asked for and below 重要数据, the period must start today or later, end
after it starts and last at most DATA_SHARING_MAX_DAYS, quotas positive and capped, and a
second open request or an active grant for the same items is refused, naming it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shuzheng.data.sharing import services
from shuzheng.data.sharing.models import SharingRequest
from tests.data.sharing.conftest import fresh, request_kwargs

pytestmark = pytest.mark.django_db


def refused(dm, entry=None, actor=None, **overrides) -> dict:
    """The field errors of a refused request (and nothing written)."""
    before = SharingRequest.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.create_request(
            actor or dm.wj_admin, entry=entry or dm.population, **request_kwargs(**overrides)
        )
    assert SharingRequest.objects.count() == before
    return caught.value.message_dict


def codes(dm, **overrides) -> dict:
    before = SharingRequest.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs(**overrides))
    assert SharingRequest.objects.count() == before
    return {k: [e.code for e in v] for k, v in caught.value.error_dict.items()}


def test_a_valid_request_passes(dm):
    request = services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs())
    assert request.state == "checking"


def test_an_unpublished_or_withdrawn_entry_cannot_be_requested(dm, make_entry):
    draft = make_entry(dm.gongan, dm.ga_admin, name="草稿条目", publish=False)
    assert "未发布" in refused(dm, entry=draft)["entry"][0]
    dm.population.status = "withdrawn"
    dm.population.save()
    assert "已下线" in refused(dm)["entry"][0]


def test_a_revising_entry_is_still_requestable(dm):
    dm.population.status = "revising"
    dm.population.save()
    assert services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs())


def test_the_entry_may_be_named_by_its_code(dm):
    request = services.create_request(dm.wj_admin, entry=dm.population.code, **request_kwargs())
    assert request.entry == dm.population
    assert "entry" in refused(dm, entry="9/999999")


def test_unknown_items_are_named(dm):
    (message,) = refused(dm, fields=["name", "blood_type", "income"])["fields"]
    assert "blood_type" in message and "income" in message and "name" not in message


def test_items_come_from_the_published_copy_not_the_working_copy(dm):
    from shuzheng.data.catalog.models import DataItem

    DataItem.objects.create(
        entry=dm.population, code="height", name="身高", data_type="N", grade="general_1"
    )
    assert "height" in refused(dm, fields=["height"])["fields"][0]


def test_core_items_cannot_be_requested(dm):
    (message,) = refused(dm, fields=["name", "religion"])["fields"]
    assert "宗教信仰" in message and "核心数据" in message


def test_at_least_one_item(dm):
    assert codes(dm, fields=[])["fields"] == ["required"]


def test_clear_items_must_be_requested_and_below_important(dm):
    errors = codes(dm, fields=["name"], clear_fields=["id_number"])
    assert errors["clear_fields"] == ["not_requested"]
    (message,) = refused(dm, fields=["name", "phone"], clear_fields=["phone"])["clear_fields"]
    assert "联系电话" in message and "重要数据" in message


def test_clear_delivery_may_be_asked_for_general_items(dm):
    request = services.create_request(
        dm.wj_admin,
        entry=dm.population,
        **request_kwargs(fields=["id_number", "address"], clear_fields=["id_number", "address"]),
    )
    assert request.clear_fields == ["id_number", "address"]


def test_not_shared_entries_point_to_coordination(dm, make_entry):
    secret = make_entry(dm.gongan, dm.ga_admin, name="出入境记录", share_type="none")
    (message,) = refused(dm, entry=secret)["entry"]
    assert "申请协调" in message
    with pytest.raises(ValidationError) as caught:
        services.request_coordination(dm.wj_admin, entry=secret, reason="  ", **request_kwargs())
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.request_coordination(
            dm.wj_admin, entry=dm.population, reason="需要", **request_kwargs()
        )
    assert [e.code for e in caught.value.error_dict["entry"]] == ["shareable"]
    assert not SharingRequest.objects.exists()


def test_a_department_cannot_request_its_own_data(dm):
    assert codes_for(dm, dm.ga_admin)["entry"] == ["own_data"]


def codes_for(dm, actor) -> dict:
    with pytest.raises(ValidationError) as caught:
        services.create_request(actor, entry=dm.population, **request_kwargs())
    return {k: [e.code for e in v] for k, v in caught.value.error_dict.items()}


def test_the_period(dm, settings):
    today = timezone.localdate()
    assert codes(dm, period_start=today - dt.timedelta(days=1))["period_start"] == ["past"]
    errors = codes(dm, period_start=today + dt.timedelta(days=10), period_end=today)
    assert errors["period_end"] == ["before_start"]
    settings.DATA_SHARING_MAX_DAYS = 30
    assert codes(dm, period_end=today + dt.timedelta(days=30))["period_end"] == ["too_long"]
    assert services.create_request(
        dm.wj_admin, entry=dm.population, **request_kwargs(period_end=today + dt.timedelta(days=29))
    )
    assert codes(dm, period_start="2026-13-01")["period_start"] == ["invalid"]


def test_three_years_by_default(dm):
    today = timezone.localdate()
    assert services.max_days() == 1096
    errors = codes(dm, period_end=today + dt.timedelta(days=1096))
    assert errors["period_end"] == ["too_long"]


def test_quotas_are_positive_and_capped(dm, settings):
    settings.DATA_SHARING_MAX_PER_MINUTE = 100
    settings.DATA_SHARING_MAX_PER_DAY = 1000
    errors = codes(dm, quota_per_minute=0, quota_per_day=-5)
    assert errors["quota_per_minute"] == ["min_value"] and errors["quota_per_day"] == ["min_value"]
    errors = codes(dm, quota_per_minute=101, quota_per_day=1001)
    assert errors["quota_per_minute"] == ["max_value"] and errors["quota_per_day"] == ["max_value"]
    assert codes(dm, quota_per_minute="many")["quota_per_minute"] == ["invalid"]


def test_purpose_and_basis_are_required(dm):
    errors = codes(dm, purpose=" ", legal_basis="")
    assert errors["purpose"] == ["required"] and errors["legal_basis"] == ["required"]


def test_every_bad_field_is_reported_at_once(dm):
    errors = codes(dm, fields=["nope"], purpose="", quota_per_day=0, period_start="x")
    assert set(errors) >= {"fields", "purpose", "quota_per_day", "period_start"}


def test_a_second_open_request_for_the_same_items_is_refused(dm):
    first = services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs())
    (message,) = refused(dm, actor=dm.wj_user, fields=["name"])["fields"]
    assert first.number in message and "name" in message
    # other items of the same entry are another matter
    assert services.create_request(
        dm.wj_admin, entry=dm.population, **request_kwargs(fields=["address"])
    )


def test_a_finished_request_does_not_block_a_new_one(dm):
    first = services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs())
    services.act(dm.wj_admin, first, "withdraw", revision=fresh(first).revision)
    assert services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs())


def test_an_active_grant_covering_the_items_and_period_is_named(dm):
    first = services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs())
    services.act(dm.authority, first, "to_provider", revision=fresh(first).revision)
    services.act(dm.ga_admin, first, "approve", revision=fresh(first).revision)
    grant = fresh(first).grant
    (message,) = refused(dm, fields=["name", "sex"])["fields"]
    assert grant.number in message
    # more items, or a longer period (renewal), is a new request
    today = timezone.localdate()
    assert services.create_request(
        dm.wj_admin,
        entry=dm.population,
        **request_kwargs(fields=["name"], period_end=today + dt.timedelta(days=700)),
    )


def test_other_departments_may_request_the_same_items(dm, make_staff):
    from shuzheng.foundation import access
    from shuzheng.foundation.identity import services as identity
    from shuzheng.foundation.identity.models import OrgKind

    services.create_request(dm.wj_admin, entry=dm.population, **request_kwargs())
    edu = identity.create_organisation(
        access.SYSTEM, parent=dm.city, name="珠海市教育局", kind=OrgKind.DEPARTMENT
    )
    teacher = make_staff(edu, "data-user")
    assert services.create_request(teacher, entry=dm.population, **request_kwargs())


def test_who_may_request(dm):
    with pytest.raises(PermissionDenied):
        services.create_request(dm.outsider, entry=dm.population, **request_kwargs())
    # only for a department on which one holds datasharing.request
    with pytest.raises(PermissionDenied):
        services.create_request(
            dm.wj_admin, entry=dm.population, requester=dm.zwfw, **request_kwargs()
        )
    assert not SharingRequest.objects.exists()
