"""Catalogue write use cases: codes, 信息项 rules, share / open rules, the lifecycle and
its versions, who may do what, and the optimistic lock."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from shuzheng.data.catalog import services, snapshot
from shuzheng.data.catalog.models import (
    CatalogueEntry,
    EntryStatus,
    EntryVersion,
    GradingRecord,
)
from shuzheng.data.sharing.models import Grant, GrantStatus
from shuzheng.foundation import workflow
from shuzheng.foundation.trust.models import AuditRecord
from tests.data.catalog.conftest import ITEMS

pytestmark = pytest.mark.django_db


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def item(**changes):
    row = dict(ITEMS[2])
    row.update(changes)
    return row


# --- 信息资源代码 ---------------------------------------------------------------------------


def test_codes_follow_the_classification_with_a_sequence_per_classification(dm, cls, entry_kwargs):
    first = services.create_entry(dm.ga_admin, **entry_kwargs())
    second = services.create_entry(dm.ga_admin, **entry_kwargs(name="流动人口信息"))
    other = services.create_entry(
        dm.ga_admin, **entry_kwargs(name="法人信息", classification=cls.legal)
    )
    assert (first.code, second.code, other.code) == ("101/000001", "101/000002", "102/000001")
    assert services.next_code(cls.people) == "101/000003"
    assert first.status == EntryStatus.DRAFT and first.version == 0


def test_a_code_taken_meanwhile_is_retried_with_the_next(dm, cls, entry_kwargs, monkeypatch):
    taken = services.create_entry(dm.ga_admin, **entry_kwargs())
    real = services.next_code
    calls = {"n": 0}

    def stale(classification):  # what a concurrent creation saw before the other committed
        calls["n"] += 1
        return taken.code if calls["n"] == 1 else real(classification)

    monkeypatch.setattr(services, "next_code", stale)
    made = services.create_entry(dm.ga_admin, **entry_kwargs(name="流动人口信息"))
    assert made.code == "101/000002" and calls["n"] == 2


def test_a_collision_that_is_not_the_code_is_not_swallowed(dm, cls, entry_kwargs, monkeypatch):
    def broken(entry):
        raise IntegrityError("something else")

    monkeypatch.setattr(CatalogueEntry, "save", lambda self, **kw: broken(self))
    with pytest.raises(IntegrityError):
        services.create_entry(dm.ga_admin, **entry_kwargs())


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_codes(dm, cls, entry_kwargs):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent creations are exercised on PostgreSQL")
    barrier = threading.Barrier(4)
    codes, failures = [], []

    def attempt(n):
        from django.db import connections

        try:
            barrier.wait()
            made = services.create_entry(dm.ga_admin, **entry_kwargs(name=f"人口信息{n}"))
            codes.append(made.code)
        except Exception as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(codes) == [f"101/00000{n}" for n in range(1, 5)]


# --- 信息项 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (item(code="性别"), "英文字母"),
        (item(code=""), "缺少信息项标识"),
        (item(name=""), "缺少信息项名称"),
        (item(length=None), "字符型信息项必须填写数据长度"),
        (item(length=-1), "正整数"),
        (item(data_type="X"), "数据类型不正确"),
        (item(grade="secret"), "数据级别不正确"),
        (item(sensitive_personal=True, personal=False, mask="partial"), "敏感个人信息也是个人信息"),
        (item(personal=True, grade="general_1"), "不能定为一般数据（1级）"),
        (item(grade="general_3", mask="none"), "须指定脱敏方式"),
        (item(grade="important", mask="none"), "须指定脱敏方式"),
        (item(personal=True, sensitive_personal=True, mask="none"), "须指定脱敏方式"),
        (item(extra="x"), "没有这些属性"),
    ],
)
def test_bad_items_are_refused_naming_the_item(dm, entry_kwargs, bad, message):
    items = [dict(ITEMS[0]), bad]
    with pytest.raises(ValidationError) as caught:
        services.create_entry(dm.ga_admin, **entry_kwargs(items=items))
    problems = errors_of(caught)["items"]
    assert len(problems) == 1
    assert problems[0].startswith("第 2 项") and message in problems[0]
    assert not CatalogueEntry.objects.filter(name="常住人口登记信息").exists()


def test_item_codes_are_unique_and_at_most_one_is_the_key(dm, entry_kwargs):
    items = [dict(ITEMS[0]), item(code="id_number", is_key=True)]
    with pytest.raises(ValidationError) as caught:
        services.create_entry(dm.ga_admin, **entry_kwargs(items=items))
    problems = " ".join(errors_of(caught)["items"])
    assert "与第 1 项重复" in problems
    assert "最多只能有一个查询主键" in problems


def test_a_length_is_only_required_for_character_items(dm, entry_kwargs):
    items = [*ITEMS, item(code="born", name="出生日期", data_type="D", length=None)]
    entry = services.create_entry(dm.ga_admin, **entry_kwargs(items=items))
    assert entry.items.get(code="born").length is None


# --- entry attributes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"share_type": "none", "not_shared_basis": ""}, "not_shared_basis"),
        ({"share_type": "conditional", "share_condition": ""}, "share_condition"),
        ({"open_type": "conditional", "open_condition": ""}, "open_condition"),
        ({"name": ""}, "name"),
        ({"summary": " "}, "summary"),
        ({"update_cycle": "hourly"}, "update_cycle"),
        ({"share_method": ""}, "share_method"),
    ],
)
def test_share_and_open_attributes_need_their_basis(dm, entry_kwargs, overrides, field):
    with pytest.raises(ValidationError) as caught:
        services.create_entry(dm.ga_admin, **entry_kwargs(**overrides))
    assert field in errors_of(caught)


def test_the_entry_level_is_the_highest_item(dm, entry_kwargs):
    entry = services.create_entry(dm.ga_admin, **entry_kwargs())
    assert entry.grade == "general_4"
    assert entry.provider_code == dm.gongan.uscc and entry.maintainer == dm.gongan
    assert list(entry.items.values_list("code", flat=True)) == ["id_number", "name", "sex"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"share_type": "unconditional", "share_condition": ""}, "share_type"),
        ({"open_type": "unconditional"}, "open_type"),
    ],
)
def test_core_data_is_neither_shared_unconditionally_nor_opened(dm, entry_kwargs, overrides, field):
    items = [*ITEMS, item(code="religion", name="宗教信仰", grade="core", mask="suppress")]
    with pytest.raises(ValidationError) as caught:
        services.create_entry(dm.ga_admin, **entry_kwargs(items=items, **overrides))
    assert "核心数据" in " ".join(errors_of(caught)[field])


def test_sources_must_be_published_entries(dm, draft, entry_kwargs):
    with pytest.raises(ValidationError) as caught:
        services.create_entry(dm.ga_admin, **entry_kwargs(sources=[draft.code]))
    assert draft.code in errors_of(caught)["sources"][0]


# --- lifecycle and versions ---------------------------------------------------------------


def test_publication_makes_version_one_with_snapshot_and_history(dm, draft, publish_entry):
    entry = publish_entry(draft, note="首次发布")
    assert entry.status == EntryStatus.PUBLISHED and entry.version == 1
    assert entry.published["name"] == "常住人口登记信息"
    assert snapshot.item_codes(entry) == ["id_number", "name", "sex"]
    v1 = EntryVersion.objects.get(entry=entry)
    assert v1.version == 1 and v1.snapshot == entry.published
    assert v1.submitted_by == dm.ga_admin and v1.reviewed_by == dm.authority
    assert v1.change_note == "首次发布"
    # the levels reviewed with the publication are the first grading history
    history = GradingRecord.objects.filter(entry=entry, status="approved")
    assert set(history.values_list("item_code", flat=True)) == {"", "id_number", "name", "sex"}
    assert entry.items.get(code="name").graded_by == dm.authority
    actions = set(
        AuditRecord.objects.filter(
            object_id=str(entry.pk), action__startswith="data.catalog"
        ).values_list("action", flat=True)
    )
    assert {"data.catalog.create", "data.catalog.submit", "data.catalog.publish"} <= actions


def test_a_revision_keeps_version_one_readable_until_version_two(dm, published, publish_entry):
    entry = services.revise(dm.ga_admin, published, revision=published.revision)
    assert entry.status == EntryStatus.REVISING
    entry = services.update_entry(
        dm.ga_admin, entry, revision=entry.revision, name="常住人口基础信息"
    )
    entry = services.set_items(dm.ga_admin, entry, ITEMS[:2], revision=entry.revision)
    stored = CatalogueEntry.objects.get(pk=entry.pk)
    assert stored.is_visible
    assert stored.published["name"] == "常住人口登记信息" and stored.published["version"] == 1
    assert snapshot.item_codes(stored) == ["id_number", "name", "sex"]
    entry = publish_entry(entry, note="删除性别")
    assert entry.version == 2 and entry.published["name"] == "常住人口基础信息"
    assert snapshot.item_codes(entry) == ["id_number", "name"]
    history = list(EntryVersion.objects.filter(entry=entry).values_list("version", "change_note"))
    assert history == [(2, "删除性别"), (1, "首次发布")]
    assert EntryVersion.objects.get(entry=entry, version=1).snapshot["name"] == "常住人口登记信息"


def test_return_sends_a_draft_back_to_draft_and_a_revision_back_to_revising(dm, published):
    draft = services.create_entry(
        dm.ga_admin,
        **{**_kwargs_of(published), "name": "另一个目录"},
    )
    draft = services.submit(dm.ga_admin, draft, revision=draft.revision)
    with pytest.raises(ValidationError) as caught:
        services.return_for_changes(dm.authority, draft, revision=draft.revision, reason=" ")
    assert "reason" in errors_of(caught)
    back = services.return_for_changes(
        dm.authority, draft, revision=draft.revision, reason="摘要过于简单"
    )
    assert back.status == EntryStatus.DRAFT and back.review_note == "摘要过于简单"
    entry = services.revise(dm.ga_admin, published, revision=published.revision)
    entry = services.submit(dm.ga_admin, entry, revision=entry.revision)
    entry = services.return_for_changes(dm.authority, entry, revision=entry.revision, reason="补充")
    assert entry.status == EntryStatus.REVISING and entry.version == 1


def _kwargs_of(entry):
    return dict(
        provider=entry.provider,
        classification=entry.classification,
        name=entry.name,
        summary=entry.summary,
        kind=entry.kind,
        resource_format=entry.resource_format,
        update_cycle=entry.update_cycle,
        share_type=entry.share_type,
        share_condition=entry.share_condition,
        share_method=entry.share_method,
        open_type=entry.open_type,
        items=[dict(i) for i in ITEMS],
    )


def test_only_drafts_and_revisions_are_edited(dm, published, entry_kwargs):
    other = services.create_entry(dm.ga_admin, **entry_kwargs(name="流动人口信息"))
    reviewing = services.submit(dm.ga_admin, other, revision=other.revision)
    for entry in (reviewing, published):
        with pytest.raises(ValidationError) as caught:
            services.update_entry(dm.ga_admin, entry, revision=entry.revision, name="改名")
        assert "status" in errors_of(caught)
        with pytest.raises(ValidationError):
            services.set_items(dm.ga_admin, entry, ITEMS, revision=entry.revision)
    with pytest.raises(ValidationError):  # publish only from 待审核
        services.publish(dm.authority, published, revision=published.revision)
    with pytest.raises(ValidationError):  # revise only from 已发布
        services.revise(dm.ga_admin, reviewing, revision=reviewing.revision)


def test_an_entry_without_items_cannot_be_submitted(dm, entry_kwargs):
    entry = services.create_entry(dm.ga_admin, **entry_kwargs(items=[]))
    with pytest.raises(ValidationError) as caught:
        services.submit(dm.ga_admin, entry, revision=entry.revision)
    assert "items" in errors_of(caught)


def test_update_refuses_unknown_fields_and_keeps_the_rules(dm, draft):
    with pytest.raises(ValidationError) as caught:
        services.update_entry(dm.ga_admin, draft, revision=draft.revision, code="999/000001")
    assert "code" in errors_of(caught)
    with pytest.raises(ValidationError) as caught:
        services.update_entry(dm.ga_admin, draft, revision=draft.revision, share_type="none")
    assert "not_shared_basis" in errors_of(caught)
    entry = services.update_entry(
        dm.ga_admin,
        draft,
        revision=draft.revision,
        share_type="none",
        not_shared_basis="《居民身份证法》第六条",
        keywords="户籍，人口、身份",
    )
    assert entry.share_type == "none" and entry.keywords == ["户籍", "人口", "身份"]


def test_withdrawal_waits_for_active_grants(dm, published):
    now = timezone.now()
    grant = Grant.objects.create(
        number="SQ-TEST-1",
        entry=published,
        consumer=dm.weijian,
        provider=dm.gongan,
        fields=["name"],
        purpose="核验",
        valid_from=now - datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=30),
        quota_per_minute=60,
        quota_per_day=1000,
        granted_by=dm.ga_admin,
    )
    with pytest.raises(ValidationError) as caught:
        services.withdraw(dm.ga_admin, published, revision=published.revision, reason="停止采集")
    assert "有效的共享授权" in errors_of(caught)["status"][0]
    grant.status = GrantStatus.REVOKED
    grant.save()
    entry = services.withdraw(
        dm.ga_admin, published, revision=published.revision, reason="停止采集"
    )
    assert entry.status == EntryStatus.WITHDRAWN and not entry.is_visible


def test_an_expired_grant_does_not_hold_a_withdrawal(dm, published):
    now = timezone.now()
    Grant.objects.create(
        number="SQ-TEST-2",
        entry=published,
        consumer=dm.weijian,
        provider=dm.gongan,
        fields=["name"],
        purpose="核验",
        valid_from=now - datetime.timedelta(days=30),
        valid_until=now - datetime.timedelta(days=1),
        quota_per_minute=60,
        quota_per_day=1000,
        granted_by=dm.ga_admin,
    )
    entry = services.withdraw(dm.authority, published, revision=published.revision, reason="撤")
    assert entry.status == EntryStatus.WITHDRAWN


# --- who may ----------------------------------------------------------------------------


def test_only_the_providers_data_admin_creates_and_edits(dm, entry_kwargs, draft):
    for user in (dm.outsider, dm.wj_admin, dm.wj_user, dm.authority):
        with pytest.raises(PermissionDenied):
            services.create_entry(user, **entry_kwargs())
        with pytest.raises(PermissionDenied):
            services.update_entry(user, draft, revision=draft.revision, name="改名")
        with pytest.raises(PermissionDenied):
            services.set_items(user, draft, ITEMS, revision=draft.revision)
        with pytest.raises(PermissionDenied):
            services.submit(user, draft, revision=draft.revision)
    assert CatalogueEntry.objects.get(pk=draft.pk).name == "常住人口登记信息"


def test_only_the_authority_publishes_and_returns(dm, draft):
    entry = services.submit(dm.ga_admin, draft, revision=draft.revision)
    for user in (dm.ga_admin, dm.wj_admin, dm.wj_user, dm.outsider):
        with pytest.raises(PermissionDenied):
            services.publish(user, entry, revision=entry.revision)
        with pytest.raises(PermissionDenied):
            services.return_for_changes(user, entry, revision=entry.revision, reason="x")
    assert CatalogueEntry.objects.get(pk=entry.pk).status == EntryStatus.REVIEWING


def test_others_cannot_revise_or_withdraw(dm, published):
    for user in (dm.wj_admin, dm.wj_user, dm.outsider):
        with pytest.raises(PermissionDenied):
            services.revise(user, published, revision=published.revision)
        with pytest.raises(PermissionDenied):
            services.withdraw(user, published, revision=published.revision, reason="x")
    with pytest.raises(PermissionDenied):  # the reviewer does not edit
        services.revise(dm.authority, published, revision=published.revision)


# --- optimistic lock --------------------------------------------------------------------


def test_a_stale_revision_is_a_conflict_and_writes_nothing(dm, draft):
    seen = draft.revision
    services.update_entry(dm.ga_admin, draft, revision=seen, name="第一次修改")
    stale = CatalogueEntry.objects.get(pk=draft.pk)
    stale.revision = seen
    with pytest.raises(workflow.Conflict):
        services.update_entry(dm.ga_admin, stale, revision=seen, name="第二次修改")
    with pytest.raises(workflow.Conflict):
        services.set_items(dm.ga_admin, stale, ITEMS[:1], revision=seen)
    with pytest.raises(workflow.Conflict):
        services.submit(dm.ga_admin, stale, revision=seen)
    fresh = CatalogueEntry.objects.get(pk=draft.pk)
    assert fresh.name == "第一次修改" and fresh.items.count() == 3
    assert fresh.status == EntryStatus.DRAFT


def test_a_missing_revision_is_a_field_error(dm, draft):
    with pytest.raises(ValidationError) as caught:
        services.update_entry(dm.ga_admin, draft, revision=None, name="x")
    assert "revision" in errors_of(caught)


def test_acts_of_the_reviewer_are_locked_too(dm, draft):
    entry = services.submit(dm.ga_admin, draft, revision=draft.revision)
    with pytest.raises(workflow.Conflict):
        services.publish(dm.authority, entry, revision=entry.revision - 1)
    assert CatalogueEntry.objects.get(pk=entry.pk).status == EntryStatus.REVIEWING


# --- classifications -----------------------------------------------------------------------


def test_the_classification_tree_loads_once(db):
    from shuzheng.data.catalog.models import Classification

    created = services.load_classifications()
    assert created >= 30
    assert services.load_classifications() == 0
    people = Classification.objects.get(code="101")
    assert people.name == "人口" and people.parent.code == "1" and people.kind == "base"
    assert Classification.objects.get(code="202").kind == "theme"
    assert Classification.objects.filter(code__startswith="3", parent__code="3").count() >= 10


def test_replacing_items_keeps_rows_by_code_and_may_move_the_key(dm, draft):
    before = {i.code: i.pk for i in draft.items.all()}
    items = [
        {**ITEMS[0], "is_key": False},
        {**ITEMS[1]},
        {
            "code": "phone",
            "name": "联系电话",
            "data_type": "C",
            "length": 20,
            "grade": "general_3",
            "mask": "phone",
            "personal": True,
            "is_key": True,
        },
    ]
    entry = services.set_items(dm.ga_admin, draft, items, revision=draft.revision)
    after = {i.code: i for i in entry.items.all()}
    assert list(after) == ["id_number", "name", "phone"]
    assert after["id_number"].pk == before["id_number"] and after["name"].pk == before["name"]
    assert after["phone"].is_key and not after["id_number"].is_key
