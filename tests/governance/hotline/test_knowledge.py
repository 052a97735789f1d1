"""知识库: validity, audiences, who may manage which articles, the optimistic lock, bad
input, search through foundation.search (synonyms, words inside phrases), the category
boost, and the demo data file."""

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from shuzheng.foundation import access, workflow
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.search import querying
from shuzheng.foundation.search.models import SearchDocument
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.governance.hotline import search as hotline_search
from shuzheng.governance.hotline.models import ArticleStatus, KnowledgeArticle
from shuzheng.governance.hotline.selectors import knowledge as kb
from shuzheng.governance.hotline.services import knowledge

TODAY = dt.date(2026, 11, 30)
LABEL = "hotline.knowledgearticle"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registered():
    """HotlineConfig.ready() registers the index; harmless when it already has."""
    hotline_search.register()
    querying.forget_synonyms()
    yield
    querying.forget_synonyms()


@pytest.fixture
def world(hl, make_staff, django_capture_on_commit_callbacks):
    """Articles of the 城管局 and of the 12345 centre, indexed after commit."""
    citizen_user = make_staff(hl.tree.xiawan)  # a staff account without hotline roles
    ns = hl
    ns.capture = django_capture_on_commit_callbacks
    ns.cg_admin = make_staff(hl.chengguan, "hotline-admin", name="城管知识库管理员")
    ns.plain = citizen_user

    def article(status="published", **kw):
        data = {
            "title": "垃圾清运不及时怎么反映",
            "question": "小区垃圾好几天没人收怎么办",
            "answer": "可拨打 12345 或通过“我要反映”上报具体地址，城管部门将在规定时限内安排清运。",
            "category": hl.garbage,
            "keywords": "垃圾、清运、环卫",
            "organisation": hl.chengguan,
            "valid_from": dt.date(2026, 1, 1),
            "valid_until": None,
            "public": True,
        }
        data.update(kw)
        with ns.capture(execute=True):
            made = knowledge.create(access.SYSTEM, **data)
            if status in ("published", "withdrawn"):
                knowledge.publish(access.SYSTEM, made, today=made.valid_from)
            if status == "withdrawn":
                knowledge.withdraw(access.SYSTEM, made, reason="政策调整")
        made.refresh_from_db()
        return made

    ns.article = article
    return ns


def titles(rows):
    """Titles of articles, or of search hits (their articles)."""
    return [getattr(row, "article", row).title for row in rows]


# --- validity and audiences -------------------------------------------------------------


def test_only_articles_valid_today_are_suggested(world):
    world.article(title="占道经营投诉口径（现行）", keywords="占道经营、摆摊")
    world.article(
        title="占道经营投诉口径（旧）",
        keywords="占道经营、摆摊",
        valid_from=dt.date(2024, 1, 1),
        valid_until=dt.date(2025, 12, 31),
    )
    world.article(
        title="占道经营投诉口径（新规）",
        keywords="占道经营、摆摊",
        valid_from=dt.date(2027, 1, 1),
    )
    found = titles(kb.suggest(AnonymousUser(), "占道经营", today=TODAY))
    assert found == ["占道经营投诉口径（现行）"]
    # on the new rule's first day the new one is offered, the current one still is
    later = titles(kb.suggest(AnonymousUser(), "占道经营", today=dt.date(2027, 1, 1)))
    assert set(later) == {"占道经营投诉口径（现行）", "占道经营投诉口径（新规）"}
    # the last valid day counts; the next day does not
    assert "占道经营投诉口径（旧）" in titles(
        kb.suggest(AnonymousUser(), "占道经营", today=dt.date(2025, 12, 31))
    )
    assert "占道经营投诉口径（旧）" not in titles(
        kb.suggest(AnonymousUser(), "占道经营", today=dt.date(2026, 1, 1))
    )


def test_drafts_and_withdrawn_articles_are_never_offered(world):
    world.article(title="垃圾分类投放时间", keywords="垃圾分类", status="draft")
    world.article(title="垃圾分类督导员", keywords="垃圾分类", status="withdrawn")
    world.article(title="垃圾分类怎么分", keywords="垃圾分类")
    for user in (AnonymousUser(), world.operator, world.admin):
        assert titles(kb.suggest(user, "垃圾分类", today=TODAY)) == ["垃圾分类怎么分"]
        assert titles(kb.search(user, "垃圾分类", today=TODAY)) == ["垃圾分类怎么分"]
    # not even in the index
    assert SearchDocument.objects.filter(model_label=LABEL).count() == 1


def test_internal_articles_reach_staff_only(world):
    world.article(title="噪音投诉受理渠道", keywords="噪音、扰民")
    world.article(title="噪音投诉内部转办口径", keywords="噪音、扰民", public=False)
    both = {"噪音投诉受理渠道", "噪音投诉内部转办口径"}
    assert titles(kb.suggest(AnonymousUser(), "噪音", today=TODAY)) == ["噪音投诉受理渠道"]
    assert titles(kb.suggest(world.plain, "噪音", today=TODAY)) == ["噪音投诉受理渠道"]
    assert set(titles(kb.suggest(world.operator, "噪音", today=TODAY))) == both
    assert set(titles(kb.suggest(world.gb_handler, "噪音", today=TODAY))) == both
    internal = KnowledgeArticle.objects.get(public=False)
    with pytest.raises(Http404):
        kb.article(AnonymousUser(), internal.pk, today=TODAY)
    assert kb.article(world.operator, internal.pk, today=TODAY) == internal


def test_a_draft_is_a_preview_for_its_managers_only(world):
    draft = world.article(title="公积金提取口径（草稿）", status="draft")
    assert kb.article(world.admin, draft.pk, today=TODAY) == draft
    assert kb.article(world.cg_admin, draft.pk, today=TODAY) == draft
    for user in (AnonymousUser(), world.operator, world.xz_handler):
        with pytest.raises(Http404):
            kb.article(user, draft.pk, today=TODAY)


# --- managing ---------------------------------------------------------------------------


def test_an_administrator_writes_publishes_and_withdraws_with_audit_and_events(world):
    with world.capture(execute=True):
        made = knowledge.create(
            world.cg_admin,
            title="共享单车乱停放",
            answer="可拨打 12345 反映具体位置，城管部门通知运营企业限时清理。",
            organisation=world.chengguan.pk,
            category=str(world.vending.pk),
            keywords="单车, 乱停放；共享单车",
            valid_from="2026-03-01",
        )
        assert made.status == ArticleStatus.DRAFT and made.version == 1
        assert made.keywords == "单车、乱停放、共享单车"
        knowledge.publish(world.cg_admin, made, today=TODAY)
        knowledge.update(world.cg_admin, made, version=1, question="单车堵住人行道谁管")
        assert made.version == 2 and made.question == "单车堵住人行道谁管"
        knowledge.withdraw(world.cg_admin, made, reason="已纳入新口径")
    assert made.status == ArticleStatus.WITHDRAWN
    actions = list(
        AuditRecord.objects.filter(object_id=str(made.pk), action__startswith="hotline.knowledge")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "hotline.knowledge.create",
        "hotline.knowledge.publish",
        "hotline.knowledge.update",
        "hotline.knowledge.withdraw",
    ]
    withdrawal = AuditRecord.objects.get(action="hotline.knowledge.withdraw")
    assert withdrawal.details["reason"] == "已纳入新口径"
    types = set(
        OutboxEvent.objects.filter(type__startswith="governance.knowledge.").values_list(
            "type", flat=True
        )
    )
    assert types == {
        "governance.knowledge.created",
        "governance.knowledge.published",
        "governance.knowledge.updated",
        "governance.knowledge.withdrawn",
    }


def test_a_handler_without_manage_may_not_write_or_edit(world):
    article = world.article()
    with pytest.raises(PermissionDenied):
        knowledge.create(
            world.operator,
            title="x",
            answer="y",
            organisation=world.centre,
            valid_from=TODAY,
        )
    for user in (world.operator, world.cg_handler, world.plain):
        with pytest.raises(PermissionDenied):
            knowledge.update(user, article, version=article.version, title="改了")
        with pytest.raises(PermissionDenied):
            knowledge.withdraw(user, article, reason="不对")
    article.refresh_from_db()
    assert article.title == "垃圾清运不及时怎么反映" and article.status == "published"
    assert not AuditRecord.objects.filter(action="hotline.knowledge.update").exists()


def test_an_administrator_of_another_subtree_may_not_touch_this_one(world, make_staff):
    centre_article = world.article(title="热线受理时间", organisation=world.centre)
    with pytest.raises(PermissionDenied):
        knowledge.update(world.cg_admin, centre_article, version=1, title="改")
    with pytest.raises(PermissionDenied):
        knowledge.withdraw(world.cg_admin, centre_article, reason="不对")
    draft = world.article(title="城管草稿", status="draft")
    with pytest.raises(PermissionDenied):
        knowledge.publish(make_staff(world.centre, "hotline-admin"), draft)
    # nor write for it, nor move an article of theirs there
    with pytest.raises(ValidationError) as refused:
        knowledge.create(
            world.cg_admin, title="x", answer="y", organisation=world.centre, valid_from=TODAY
        )
    assert "organisation" in refused.value.message_dict
    own = world.article(title="城管口径")
    with pytest.raises(ValidationError) as moved:
        knowledge.update(world.cg_admin, own, version=1, organisation=world.centre)
    assert "organisation" in moved.value.message_dict
    assert kb.managed_list(world.cg_admin).filter(pk=centre_article.pk).count() == 0
    assert kb.managed_list(world.admin).filter(pk=centre_article.pk).count() == 1


def test_a_stale_version_is_a_conflict_and_writes_nothing(world):
    article = world.article()
    first = KnowledgeArticle.objects.get(pk=article.pk)
    second = KnowledgeArticle.objects.get(pk=article.pk)
    knowledge.update(world.admin, first, version=1, answer="新口径：请拨打 12345。")
    with pytest.raises(workflow.Conflict):
        knowledge.update(world.cg_admin, second, version=1, answer="另一份口径")
    article.refresh_from_db()
    assert article.answer == "新口径：请拨打 12345。" and article.version == 2
    assert AuditRecord.objects.filter(action="hotline.knowledge.update").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_editors_racing_on_one_version_cannot_both_win(hl, make_staff):
    hotline_search.register()
    made = knowledge.create(
        access.SYSTEM,
        title="并发编辑",
        answer="原口径",
        organisation=hl.chengguan,
        valid_from=TODAY,
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def edit(text):
        try:
            barrier.wait(timeout=5)
            knowledge.update(
                hl.admin, KnowledgeArticle.objects.get(pk=made.pk), version=1, answer=text
            )
            outcomes.append("ok")
        except workflow.Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # SQLite may refuse the second writer outright
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made.refresh_from_db()
    assert outcomes.count("ok") == 1, outcomes
    assert made.version == 2 and made.answer in ("甲", "乙")


def test_bad_input_is_a_field_error_and_nothing_is_written(world):
    with pytest.raises(ValidationError) as bad:
        knowledge.create(
            world.admin,
            title=" ",
            answer="",
            organisation=world.chengguan,
            valid_from="2026-06-01",
            valid_until="2026-05-31",
            category=999999,
        )
    errors = bad.value.message_dict
    assert set(errors) >= {"title", "answer", "valid_until", "category"}
    with pytest.raises(ValidationError) as bad_date:
        knowledge.create(
            world.admin, title="t", answer="a", organisation=world.chengguan, valid_from="明天"
        )
    assert "valid_from" in bad_date.value.message_dict
    assert not KnowledgeArticle.objects.exists()
    article = world.article()
    with pytest.raises(ValidationError) as emptied:
        knowledge.update(world.admin, article, version=1, answer="   ")
    assert "answer" in emptied.value.message_dict
    article.refresh_from_db()
    assert article.version == 1 and article.answer.startswith("可拨打")
    with pytest.raises(ValidationError) as no_reason:
        knowledge.withdraw(world.admin, article, reason="  ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError):
        knowledge.publish(world.admin, article)  # already published
    expired = world.article(
        title="过期草稿",
        status="draft",
        valid_from=dt.date(2020, 1, 1),
        valid_until=dt.date(2020, 12, 31),
    )
    with pytest.raises(ValidationError) as late:
        knowledge.publish(world.admin, expired, today=TODAY)
    assert "valid_until" in late.value.message_dict


# --- search -----------------------------------------------------------------------------


def test_search_finds_by_a_synonym_and_a_word_inside_a_phrase(world):
    world.article(
        title="住房公积金提取办理渠道",
        answer="可通过珠海市住房公积金管理中心网上服务平台或 12329 咨询。",
        keywords="提取",
        organisation=world.centre,
        category=world.social,
    )
    world.article(title="户籍迁入条件咨询", answer="详见公安机关户政窗口。", keywords="迁入")
    # 公积金 ⇄ 住房公积金, 户口 ⇄ 户籍 (seeded synonym groups)
    assert titles(kb.suggest(AnonymousUser(), "户口迁入", today=TODAY)) == ["户籍迁入条件咨询"]
    # a word inside a caller's long sentence
    said = "你好我想问一下我离职以后公积金能不能取出来"
    assert titles(kb.suggest(world.operator, said, today=TODAY))[0] == "住房公积金提取办理渠道"
    results = kb.search(AnonymousUser(), "户口", today=TODAY)
    assert [h.article.title for h in results] == ["户籍迁入条件咨询"]
    assert "<mark>" in results.hits[0].title


def test_suggestions_of_the_category_come_first(world):
    world.article(title="社保缴费基数说明", keywords="缴费、查询", category=world.social)
    world.article(title="垃圾清运费缴费说明", keywords="缴费、查询", category=world.garbage)
    in_social = titles(kb.suggest(world.operator, "缴费查询", category=world.social, today=TODAY))
    in_garbage = titles(kb.suggest(world.operator, "缴费查询", category=world.garbage, today=TODAY))
    assert in_social[0] == "社保缴费基数说明"
    assert in_garbage[0] == "垃圾清运费缴费说明"
    # no words yet: the category's own answers, most used first
    assert titles(kb.suggest(world.operator, "", category=world.garbage, today=TODAY)) == [
        "垃圾清运费缴费说明"
    ]
    assert kb.suggest(world.operator, "   ", today=TODAY) == []


def test_the_index_follows_edits_and_withdrawal(world):
    article = world.article(title="燃气泄漏报修", keywords="燃气、煤气")
    assert titles(kb.suggest(AnonymousUser(), "煤气", today=TODAY)) == ["燃气泄漏报修"]
    with world.capture(execute=True):
        knowledge.update(world.admin, article, version=1, title="燃气泄漏紧急处置", keywords="燃气")
    assert titles(kb.suggest(AnonymousUser(), "紧急处置", today=TODAY)) == ["燃气泄漏紧急处置"]
    with world.capture(execute=True):
        knowledge.withdraw(world.admin, article, reason="合并")
    assert kb.suggest(AnonymousUser(), "燃气", today=TODAY) == []
    assert not SearchDocument.objects.filter(model_label=LABEL).exists()


# --- demo data ---------------------------------------------------------------------------

ORGS_FILE = (
    Path(knowledge.__file__).resolve().parents[3]
    / "foundation"
    / "identity"
    / "data"
    / "zhuhai-orgs.json"
)


def test_the_data_file_is_well_formed():
    records = knowledge.read_articles()
    assert len(records) >= 40
    orgs = json.loads(ORGS_FILE.read_text(encoding="utf-8"))
    departments = {d["name"] for d in orgs["municipal_departments"]}
    seen = set()
    for r in records:
        where = r["title"]
        assert r["organisation"] in departments, where
        assert r["title"].strip() and len(r["title"]) <= 120, where
        assert r["answer"].strip() and len(r["answer"]) <= knowledge.ANSWER_MAX, where
        assert len(r.get("question", "")) <= 300 and len(r.get("basis", "")) <= 300, where
        start = dt.date.fromisoformat(r["valid_from"])
        if r.get("valid_until"):
            assert dt.date.fromisoformat(r["valid_until"]) >= start, where
        assert (r["title"], r["organisation"]) not in seen, where
        seen.add((r["title"], r["organisation"]))
    ends = [r.get("valid_until") for r in records]
    assert any(e and e < "2026-11-30" for e in ends)  # some expired
    assert any(r["valid_from"] > "2026-11-30" for r in records)  # some not yet valid
    assert any(r.get("public") is False for r in records)


def test_the_demo_loads_fully_and_only_once(db, django_capture_on_commit_callbacks):
    from shuzheng.foundation.identity import demo

    demo.load_organisations()
    with django_capture_on_commit_callbacks(execute=True):
        created = knowledge.load_articles(access.SYSTEM)
    assert created == len(knowledge.read_articles())
    assert knowledge.load_articles(access.SYSTEM) == 0
    assert KnowledgeArticle.objects.count() == created
    offered = kb.offered(AnonymousUser(), today=TODAY)
    assert 0 < offered.count() < created  # drafts, expired, future and internal ones held back
    found = titles(kb.suggest(AnonymousUser(), "垃圾分类", today=TODAY))
    assert found and any("垃圾" in t for t in found)
