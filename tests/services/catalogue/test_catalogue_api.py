"""The catalogue API: the public catalogue and 办事指南 (published content only), and the
editors' draft / submit / review endpoints with problem+json errors."""

import pytest

from shuzheng.services.catalogue import services
from shuzheng.services.catalogue.models import ItemVersion, Theme
from tests.conftest import api_as
from tests.services.catalogue.builders import (  # noqa: F401  (fixtures)
    create,
    kaiban_fixture,
    publish,
    simplified_chinese_fixture,
    staff_fixture,
)

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"
ITEMS = "/api/v1/catalogue/items/"
DRAFTS = "/api/v1/catalogue/drafts/"


@pytest.fixture
def catalogue(tree, staff, kaiban):
    """Three published items (city department, 斗门区, 井岸镇) and one never published."""
    Theme.objects.create(code="birth", name="出生", audience="person", sort_order=1)
    items = {
        "licence": publish(staff.editor, staff.head, tree.zwfw),
        "person": publish(
            staff.other_editor,
            staff.other_head,
            tree.doumen,
            name="生育登记",
            audience="person",
            online_depth=3,
            scope="city",
            themes=["birth"],
        ),
        "legal": publish(
            staff.other_editor,
            staff.other_head,
            tree.jingan,
            name="企业注销登记",
            audience="legal",
            online_depth=2,
            scope="province",
            trips=1,
            themes=[],
        ),
    }
    items["hidden"] = create(staff.editor, tree.zwfw, name="未发布事项")
    return items


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


def code(item) -> str:
    return item.implementation_code


# --- public catalogue ---------------------------------------------------------------------


def test_anyone_lists_the_published_catalogue(api, catalogue):
    response = api.get(ITEMS)
    assert codes(response) == {code(catalogue[k]) for k in ("licence", "person", "legal")}
    row = next(r for r in response.json()["results"] if r["code"] == code(catalogue["licence"]))
    assert row["name"] == "个体工商户设立登记" and row["themes"] == ["kaiban"]
    assert row["organisation"]["name"] == "珠海市政务服务数据管理局"
    assert (row["online_depth"], row["promised_limit"], row["version"]) == (4, 5, 1)
    assert "materials" not in row and "form_schema" not in row  # compact


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"audience": "person"}, {"licence", "person"}),
        ({"audience": "legal"}, {"licence", "legal"}),
        ({"theme": "birth"}, {"person"}),
        ({"depth": 3}, {"licence", "person"}),
        ({"scope": "province"}, {"legal"}),
        ({"audience": "legal", "depth": 4}, {"licence"}),
    ],
)
def test_the_catalogue_filters(api, catalogue, query, expected):
    assert codes(api.get(ITEMS, query)) == {code(catalogue[k]) for k in expected}


def test_a_department_filter_takes_its_whole_subtree(api, tree, catalogue):
    assert codes(api.get(ITEMS, {"department": tree.doumen.pk})) == {
        code(catalogue["person"]),
        code(catalogue["legal"]),
    }
    assert codes(api.get(ITEMS, {"department": tree.jingan.pk})) == {code(catalogue["legal"])}


def test_a_bad_filter_is_a_field_level_problem(api, catalogue):
    response = api.get(ITEMS, {"depth": 9, "audience": "alien"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert {e["field"] for e in response.json()["errors"]} == {"depth", "audience"}


def test_the_catalogue_pages_by_cursor(api, catalogue):
    seen, url = [], ITEMS + "?page_size=1"
    while url:
        page = api.get(url).json()
        seen += [row["code"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 3


def test_the_guide_has_every_field_and_part(api, catalogue):
    item = catalogue["licence"]
    body = api.get(f"{ITEMS}{code(item)}/").json()
    for name in services.CONTENT_FIELDS:
        assert name in body, name
    assert body["organisation"]["name"] == "珠海市政务服务数据管理局"
    assert body["form_schema"]["type"] == "object" and body["form_ui"]["order"]
    removed = next(m for m in body["materials"] if m["code"] == "old_form")
    assert removed["removed"] is True
    assert removed["removed_rule_label"] == "能通过网络核验的一律取消"
    assert body["themes"] == [
        {"code": "kaiban", "name": "开办", "audience": "enterprise", "sort_order": 10}
    ]
    assert body["questions"][0]["question"] == "可以网上办理吗？"
    assert body["item_type_label"] == "行政许可"


def test_an_older_published_version_is_readable_and_a_draft_is_not(api, catalogue, staff):
    item = catalogue["licence"]
    draft = services.new_draft(staff.editor, item)
    services.update_draft(staff.editor, draft, fields={"promised_limit": 2})
    services.submit_for_review(staff.editor, draft)
    services.review(staff.head, draft, approve=True, opinion="同意")
    services.new_draft(staff.editor, item)  # version 3, a draft
    assert api.get(f"{ITEMS}{code(item)}/").json()["promised_limit"] == 2
    old = api.get(f"{ITEMS}{code(item)}/", {"version": 1}).json()
    assert (old["version"], old["status"], old["promised_limit"]) == (1, "superseded", 5)
    assert api.get(f"{ITEMS}{code(item)}/", {"version": 3}).status_code == 404
    assert api.get(f"{ITEMS}{code(item)}/", {"version": "x"}).status_code == 400
    history = api.get(f"{ITEMS}{code(item)}/versions/").json()
    assert [(v["version"], v["status"]) for v in history] == [(2, "published"), (1, "superseded")]


def test_an_unpublished_item_is_not_found(api, catalogue):
    response = api.get(f"{ITEMS}{code(catalogue['hidden'])}/")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert api.get(f"{ITEMS}{code(catalogue['hidden'])}/versions/").status_code == 404


def test_themes_are_listed(api, catalogue):
    themes = api.get("/api/v1/catalogue/themes/").json()
    assert [t["code"] for t in themes] == ["kaiban", "birth"]  # enterprise stages, then persons


# --- editors -------------------------------------------------------------------------------


def test_an_editor_drafts_a_new_version_once(catalogue, staff):
    client = api_as(staff.editor)
    item = catalogue["licence"]
    first = client.post(DRAFTS, {"item": code(item)}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert first.status_code == 201, first.content
    assert (first.json()["version"], first.json()["status"]) == (2, "draft")
    replay = client.post(DRAFTS, {"item": code(item)}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    again = client.post(DRAFTS, {"item": code(item)}, format="json")
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert "第 2 版" in again.json()["detail"]
    assert item.versions.count() == 2


def test_editors_see_only_the_drafts_of_their_organisations(catalogue, staff):
    mine = catalogue["hidden"].versions.get()
    assert [d["id"] for d in api_as(staff.editor).get(DRAFTS).json()["results"]] == [mine.pk]
    assert api_as(staff.other_editor).get(DRAFTS).json()["results"] == []
    assert api_as(staff.other_editor).get(f"{DRAFTS}{mine.pk}/").status_code == 404
    response = api_as(staff.other_editor).post(
        DRAFTS, {"item": code(catalogue["licence"])}, format="json"
    )
    assert response.status_code == 403
    assert catalogue["licence"].versions.count() == 1


def test_a_citizen_cannot_use_the_editor_endpoints(catalogue, citizen):
    client = api_as(citizen)
    assert client.get(DRAFTS).status_code == 403
    response = client.post(DRAFTS, {"item": code(catalogue["licence"])}, format="json")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert catalogue["licence"].versions.count() == 1


def test_bad_draft_input_is_a_field_level_problem_and_nothing_changes(catalogue, staff):
    draft = catalogue["hidden"].versions.get()
    response = api_as(staff.editor).patch(
        f"{DRAFTS}{draft.pk}/",
        {
            "promised_limit": 40,
            "form_schema": {"type": "object", "properties": {"a": {"type": "string"}}},
            "form_ui": {},
            "materials": [
                {
                    "code": "x",
                    "name": "甲",
                    "kind": "copy",
                    "necessity": "required",
                    "removed_rule": "lost",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"promised_limit", "form_schema", "materials[0].removed_rule"}
    fresh = ItemVersion.objects.get(pk=draft.pk)
    assert fresh.promised_limit == 5 and fresh.materials.count() == 4


def test_an_unknown_or_mistyped_field_is_refused(catalogue, staff):
    draft = catalogue["hidden"].versions.get()
    client = api_as(staff.editor)
    response = client.patch(f"{DRAFTS}{draft.pk}/", {"colour": "red"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "colour"
    response = client.patch(f"{DRAFTS}{draft.pk}/", {"legal_limit": "many"}, format="json")
    assert response.json()["errors"][0]["field"] == "legal_limit"


def test_edit_submit_and_review_through_the_api(catalogue, staff, make_staff, tree):
    draft = catalogue["hidden"].versions.get()
    editor = api_as(staff.editor)
    response = editor.patch(
        f"{DRAFTS}{draft.pk}/",
        {"promised_limit": 4, "fees": [{"name": "工本费", "standard": "10 元"}], "charged": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["promised_limit"] == 4 and response.json()["fees"][0]["name"] == "工本费"
    assert editor.post(f"{DRAFTS}{draft.pk}/submit/").json()["status"] == "in_review"
    assert editor.patch(f"{DRAFTS}{draft.pk}/", {"name": "x"}, format="json").status_code == 400
    head = api_as(staff.head)
    returned = head.post(f"{DRAFTS}{draft.pk}/review/", {"approve": False}, format="json")
    assert returned.status_code == 400
    assert returned.json()["errors"][0]["field"] == "opinion"
    published = head.post(
        f"{DRAFTS}{draft.pk}/review/", {"approve": True, "opinion": "同意"}, format="json"
    )
    assert published.json()["status"] == "published"
    assert api_as(staff.editor).get(f"{ITEMS}{code(catalogue['hidden'])}/").status_code == 200


def test_a_reviewer_cannot_review_their_own_draft_through_the_api(tree, staff, kaiban):
    item = create(staff.head, tree.zwfw)
    version = services.submit_for_review(staff.head, item.versions.get())
    response = api_as(staff.head).post(
        f"{DRAFTS}{version.pk}/review/", {"approve": True}, format="json"
    )
    assert response.status_code == 403
    assert ItemVersion.objects.get(pk=version.pk).status == "in_review"


def test_the_catalogue_endpoints_are_in_the_openapi_schema_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    mine = [w for w in GENERATOR_STATS._warn_cache if "catalogue/api.py" in str(w)]
    assert not mine, mine
    for path in (
        "/api/v1/catalogue/items/",
        "/api/v1/catalogue/items/{code}/",
        "/api/v1/catalogue/items/{code}/versions/",
        "/api/v1/catalogue/themes/",
        "/api/v1/catalogue/drafts/",
        "/api/v1/catalogue/drafts/{id}/",
        "/api/v1/catalogue/drafts/{id}/submit/",
        "/api/v1/catalogue/drafts/{id}/review/",
    ):
        assert path in schema["paths"], path
