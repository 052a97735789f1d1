"""search.query: indexed after commit, filtered like every read, highlighted safely."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from shuzheng.foundation import access, search
from shuzheng.foundation.identity.models import Organisation, StaffProfile
from shuzheng.foundation.search import highlight, querying
from shuzheng.foundation.search.analysis import parse_query
from shuzheng.foundation.search.models import SearchDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def districts(tree, make_staff, django_capture_on_commit_callbacks):
    """A 香洲区 officer; staff in 拱北街道 (inside) and 井岸镇 (斗门区, outside) — all
    indexed through the real after-commit path."""
    with django_capture_on_commit_callbacks(execute=True):
        officer = make_staff(tree.xiangzhou, "department-head", name="香洲王五")
        inside = make_staff(tree.gongbei, name="拱北张三").staff
        outside = make_staff(tree.jingan, name="井岸张三").staff
    return officer, inside, outside


def pks(results, model=StaffProfile):
    return [hit.pk for hit in results if hit.model is model]


def test_saving_indexes_after_commit_only(tree, make_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_staff(tree.gongbei, name="拱北赵六")
    assert not SearchDocument.objects.filter(title="拱北赵六").exists()
    for callback in callbacks:
        callback()
    assert SearchDocument.objects.filter(title="拱北赵六").count() == 1


def test_district_officer_cannot_find_another_districts_staff(districts):
    officer, inside, outside = districts
    found = pks(search.query(officer, "张三"))
    assert inside.pk in found
    assert outside.pk not in found
    assert pks(search.query(officer, "井岸张三")) == []


def test_city_wide_grant_finds_both(tree, make_staff, districts):
    _officer, inside, outside = districts
    operator = make_staff(tree.zwfw, "ops-operator", on=tree.city)
    assert {inside.pk, outside.pk} <= set(pks(search.query(operator, "zhangsan")))


def test_a_wrong_access_hint_cannot_leak_a_row(districts):
    """The hint only narrows candidates; access.scope decides every hit."""
    officer, _inside, outside = districts
    SearchDocument.objects.filter(
        model_label="identity.staffprofile", object_id=str(outside.pk)
    ).update(access_hint="public")
    assert outside.pk not in pks(search.query(officer, "井岸张三"))
    assert outside.pk not in search.ids(officer, StaffProfile, "张三")


def test_staff_without_a_role_finds_themselves_only(districts):
    _officer, inside, outside = districts
    assert pks(search.query(inside.user, "张三")) == [inside.pk]


def test_anonymous_finds_public_organisations_but_no_staff(districts, tree):
    anon = AnonymousUser()
    results = search.query(anon, "拱北")
    assert tree.gongbei.pk in pks(results, Organisation)
    assert pks(results) == []


def test_organisations_by_pinyin_and_traditional(districts, tree):
    anon = AnonymousUser()
    assert pks(search.query(anon, "xiangzhou"), Organisation)[0] == tree.xiangzhou.pk
    assert pks(search.query(anon, "hmz"), Organisation) == []  # no such initials
    assert tree.doumen.pk in pks(search.query(anon, "斗門"), Organisation)


def test_deleting_removes_from_the_index(districts, django_capture_on_commit_callbacks):
    officer, inside, _outside = districts
    with django_capture_on_commit_callbacks(execute=True):
        user = inside.user
        inside.delete()
        user.delete()
    assert not SearchDocument.objects.filter(object_id=str(inside.pk)).exists()
    assert pks(search.query(officer, "拱北张三")) == []


def test_renaming_the_user_reindexes_the_staff_record(
    districts, django_capture_on_commit_callbacks
):
    officer, inside, _outside = districts
    with django_capture_on_commit_callbacks(execute=True):
        inside.user.display_name = "拱北陈七"
        inside.user.save()
    assert pks(search.query(officer, "陈七")) == [inside.pk]


def test_pages_do_not_overlap(tree, make_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(7):
            make_staff(tree.gongbei, name=f"拱北窗口{n}号")
    first = pks(search.query(access.SYSTEM, "窗口", limit=4))
    second = pks(search.query(access.SYSTEM, "窗口", limit=4, offset=4))
    assert len(first) == 4 and len(second) == 3 and not set(first) & set(second)


def test_highlights_mark_matches_and_escape_the_rest():
    parsed = parse_query("社保卡", querying.synonyms())
    html = highlight.title("<b>社会保障卡</b>申领 & 社保卡", parsed)
    assert html == "&lt;b&gt;<mark>社会保障卡</mark>&lt;/b&gt;申领 &amp; <mark>社保卡</mark>"
    assert highlight.title("社會保障卡", parsed) == "<mark>社會保障卡</mark>"  # original kept
    assert "<mark>社保</mark>" in highlight.title("社保转移", parse_query("社宝"))


def test_query_results_carry_highlights(districts):
    officer, inside, _outside = districts
    hit = search.query(officer, "拱北张三")[0]
    assert hit.object == inside
    assert "<mark>" in hit.title


def test_rebuild_command_recreates_the_index(districts):
    _officer, inside, _outside = districts
    SearchDocument.objects.all().delete()
    out, err = io.StringIO(), io.StringIO()
    call_command("search", "rebuild", "--model", "identity.StaffProfile", stdout=out, stderr=err)
    assert "identity.staffprofile: 3 documents" in out.getvalue()
    assert "100%" in err.getvalue()
    assert SearchDocument.objects.filter(model_label="identity.organisation").count() == 0
    assert inside.pk in pks(search.query(access.SYSTEM, "拱北张三"))


def test_staff_directory_finds_by_pinyin_within_scope_only(districts):
    from shuzheng.foundation.identity import selectors

    officer, inside, outside = districts
    assert list(selectors.staff(officer, q="zhangsan")) == [inside]
    assert list(selectors.staff(officer, q="拱北張三")) == [inside]  # Traditional
    assert not selectors.staff(officer, q="jingan").filter(pk=outside.pk).exists()
