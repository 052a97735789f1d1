"""Search and filters in one query; no words with filters = browse; bad filters refused."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import QueryDict

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind
from shuzheng.services.catalogue import search as catalogue_search
from shuzheng.services.catalogue.models import ItemVersion
from tests.services.catalogue.test_search_index import CATALOGUE, Spec, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat(tree, django_capture_on_commit_callbacks):
    from shuzheng.foundation.search import querying

    yield build(tree, django_capture_on_commit_callbacks)
    querying.forget_synonyms()


def names(text="", **filters):
    return [
        hit.version.name
        for hit in catalogue_search.search_items(
            AnonymousUser(), text, catalogue_search.Filters(**filters), limit=50
        )
    ]


def parse(**params):
    query = QueryDict(mutable=True)
    query.update(params)
    return catalogue_search.parse_filters(query)


def test_department_narrows_to_its_items(cat):
    found = names("申领", department=cat.depts["社会保险基金管理局"])
    assert set(found) == {"企业职工基本养老保险待遇申领", "社会保障卡申领", "失业保险金申领"}
    assert "生育津贴申领" in names("申领")


def test_department_includes_its_sub_bodies(cat, django_capture_on_commit_callbacks):
    police = cat.depts["公安局"]
    branch = identity.create_organisation(
        access.SYSTEM, parent=police, name="珠海市公安局香洲分局", kind=OrgKind.DEPARTMENT
    )
    with django_capture_on_commit_callbacks(execute=True):
        cat.publish(Spec("临时居民身份证申领", "公安局"), org=branch)
    assert "临时居民身份证申领" in names("身份证", department=police)
    assert names("身份证", department=branch) == ["临时居民身份证申领"]


def test_audience_person_includes_items_for_both(cat):
    people = names("营业执照", audience="person")
    assert "个体工商户设立登记" in people  # audience both
    assert "营业执照遗失补领" not in people  # legal persons only
    legal = names("营业执照", audience="legal")
    assert {"个体工商户设立登记", "营业执照遗失补领"} <= set(legal)


def test_theme_narrows_by_code(cat):
    assert set(names(theme=cat.themes["birth"])) == {
        "出生医学证明签发",
        "新生儿入户登记",
        "生育津贴申领",
    }
    assert names("生孩子", theme=cat.themes["kaiban"]) == []


def test_depth_is_a_minimum(cat):
    full = names("公积金", depth=4)
    assert full == ["住房公积金提取"]
    assert set(names("公积金", depth=3)) == {"住房公积金提取", "住房公积金个人住房贷款"}


def test_scope_narrows_to_one_handling_scope(cat):
    assert names(scope="cross_border") == ["往来港澳通行证签注"]
    assert set(names("公积金", scope="cross_province")) == {"住房公积金提取"}


def test_filters_combine(cat):
    assert names(audience="legal", theme=cat.themes["kaiban"], depth=4) == [
        "个体工商户设立登记",  # audience both
        "公共场所卫生许可",
        "食品经营许可",
    ]


def test_no_words_and_no_filters_browses_everything_by_name(cat):
    found = names()
    assert len(found) == len(CATALOGUE)
    assert found == sorted(found)


def test_browsing_pages_do_not_overlap(cat):
    first = catalogue_search.search_items(AnonymousUser(), "", limit=10)
    second = catalogue_search.search_items(AnonymousUser(), "", limit=10, offset=10)
    assert first.has_more and not second.has_more
    assert len(first) + len(second) == len(CATALOGUE)
    assert not {h.item.pk for h in first} & {h.item.pk for h in second}


def test_search_pages_do_not_overlap(cat):
    first = catalogue_search.search_items(AnonymousUser(), "居民身份证", limit=4)
    second = catalogue_search.search_items(AnonymousUser(), "居民身份证", limit=4, offset=4)
    assert first.has_more and len(second) == 4
    assert not {h.item.pk for h in first} & {h.item.pk for h in second}


def test_filters_never_show_an_unpublished_item(cat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cat.publish(Spec("港澳居民定居审批", "公安局", scope="cross_border"), status="draft")
    assert names(scope="cross_border") == ["往来港澳通行证签注"]
    assert ItemVersion.objects.filter(name="港澳居民定居审批").exists()


def test_filters_are_parsed_from_request_parameters(cat):
    filters = parse(dept=str(cat.depts["公安局"].pk), audience="person", theme="travel", depth="3")
    assert filters.department == cat.depts["公安局"]
    assert filters.theme == cat.themes["travel"]
    assert (filters.audience, filters.depth, filters.scope) == ("person", 3, "")
    assert parse(audience="both").audience == ""  # both = no narrowing
    assert not parse()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"dept": "abc"}, "dept"),
        ({"department": "999999"}, "department"),
        ({"audience": "alien"}, "audience"),
        ({"theme": "nope"}, "theme"),
        ({"depth": "5"}, "depth"),
        ({"depth": "x"}, "depth"),
        ({"scope": "moon"}, "scope"),
    ],
)
def test_bad_filters_are_refused_by_field(cat, params, field):
    with pytest.raises(ValidationError) as refused:
        parse(**params)
    assert field in refused.value.message_dict
