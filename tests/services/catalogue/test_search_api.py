"""GET /api/v1/catalogue/search/: public, explained hits, problem+json for bad input."""

import pytest
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from tests.services.catalogue.test_search_index import CATALOGUE, build

pytestmark = pytest.mark.django_db
URL = "/api/v1/catalogue/search/"


@pytest.fixture
def cat(tree, django_capture_on_commit_callbacks):
    from shuzheng.foundation.search import querying

    yield build(tree, django_capture_on_commit_callbacks)
    querying.forget_synonyms()


def get(**params):
    return APIClient().get(URL, params)


def test_anyone_may_search_without_signing_in(cat):
    response = get(q="生孩子要办什么")
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "生孩子要办什么"
    assert {hit["name"] for hit in body["results"][:3]} == {
        "出生医学证明签发",
        "新生儿入户登记",
        "生育津贴申领",
    }


def test_a_hit_carries_code_department_badges_and_why_it_matched(cat):
    hit = get(q="gjj tq").json()["results"][0]
    item = cat.items["住房公积金提取"]
    assert hit["code"] == item.implementation_code
    assert hit["department"] == {"id": item.organisation_id, "name": "珠海市住房公积金管理中心"}
    assert (hit["audience"], hit["trips"], hit["online_depth"], hit["scope"]) == (
        "person",
        0,
        4,
        "cross_province",
    )
    assert {b["kind"] for b in hit["badges"]} >= {"trips-0", "depth-4", "scope"}
    assert hit["matched"][0] == {
        "query": "gjj",
        "kind": "initials",
        "kind_label": "拼音首字母",
        "word": "公积金",
        "field": "title",
        "via": "",
        "text": "gjj → 拼音首字母 公积金",
    }
    assert hit["explanation"] == "gjj → 拼音首字母 公积金；tq → 拼音首字母 提取"
    assert hit["name_html"] == "<mark>住房公积金提取</mark>"
    try:
        guide = reverse("catalogue:guide", kwargs={"code": item.implementation_code})
    except NoReverseMatch:  # the guide pages are another package's
        guide = None
    if guide:
        assert hit["url"].endswith(guide)


def test_highlighted_fields_are_escaped(cat, django_capture_on_commit_callbacks):
    from tests.services.catalogue.test_search_index import Spec

    with django_capture_on_commit_callbacks(execute=True):
        cat.publish(
            Spec("<b>公积金</b>查询", "住房公积金管理中心", conditions="<script>x</script>")
        )
    hits = {h["name"]: h for h in get(q="公积金查询").json()["results"]}
    hit = hits["<b>公积金</b>查询"]
    assert "<b>" not in hit["name_html"] and "&lt;b&gt;" in hit["name_html"]
    assert "<script>" not in hit["snippet_html"]


def test_filters_and_paging(cat):
    body = get(q="申领", department=cat.depts["社会保险基金管理局"].pk, limit=2).json()
    assert len(body["results"]) == 2 and body["next_offset"] == 2
    rest = get(q="申领", department=cat.depts["社会保险基金管理局"].pk, limit=2, offset=2).json()
    assert len(rest["results"]) == 1 and rest["next_offset"] is None
    names = {h["name"] for h in body["results"] + rest["results"]}
    assert names == {"企业职工基本养老保险待遇申领", "社会保障卡申领", "失业保险金申领"}
    assert [h["name"] for h in get(audience="legal", theme="biangeng").json()["results"]] == [
        "营业执照遗失补领"
    ]


def test_no_words_browses(cat):
    body = get(limit=50).json()
    assert len(body["results"]) == len(CATALOGUE)
    assert body["results"][0]["matched"] == []


def test_nothing_found_answers_suggestions(cat):
    body = get(q="身份证丢了").json()
    assert body["results"] == []
    assert "身份证" in body["suggestions"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"depth": "9"}, "depth"),
        ({"audience": "alien"}, "audience"),
        ({"department": "abc"}, "department"),
        ({"scope": "moon"}, "scope"),
        ({"theme": "nope"}, "theme"),
        ({"q": "长" * 101}, "q"),
    ],
)
def test_bad_input_is_a_problem_json_400_naming_the_field(cat, params, field):
    response = get(**params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400
    assert field in {e["field"] for e in body["errors"]}


def test_every_bad_field_is_reported_at_once(cat):
    body = get(limit="x", depth="9").json()
    assert {e["field"] for e in body["errors"]} == {"limit", "depth"}


def test_the_endpoint_is_in_the_openapi_document(db):
    schema = APIClient().get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/v1/catalogue/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "q",
        "department",
        "audience",
        "theme",
        "depth",
        "scope",
        "limit",
        "offset",
    }
    assert {} in operation["security"]  # anonymous access is allowed
