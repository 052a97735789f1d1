"""The catalogue API: problem+json with field errors, 403 / 404 for who may not, 409 on a
stale revision, the publication for readers and the working copy for the owner."""

import pytest

from shuzheng.data.catalog import search as registration
from shuzheng.data.catalog import services
from shuzheng.data.catalog.models import CatalogueEntry
from tests.conftest import api_as
from tests.data.catalog.conftest import ITEMS

pytestmark = pytest.mark.django_db
BASE = "/api/v1/data/catalog/"


def body(**overrides):
    data = dict(
        classification="101",
        name="常住人口登记信息",
        summary="珠海市常住人口的户籍登记信息",
        kind="base",
        resource_format="database",
        update_cycle="daily",
        share_type="conditional",
        share_condition="仅用于法定职责",
        share_method="api",
        open_type="none",
        keywords=["户籍"],
        items=[dict(i) for i in ITEMS],
    )
    data.update(overrides)
    return data


def fields(response) -> set:
    return {e["field"] for e in response.json().get("errors", [])}


def test_create_then_read_as_owner_and_as_reader(dm, cls):
    owner = api_as(dm.ga_admin)
    made = owner.post(f"{BASE}entries/", body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["code"] == "101/000001" and data["status"] == "draft"
    assert data["working"]["items"][0]["code"] == "id_number"
    assert "submit" in data["actions"] and made["ETag"] == f'"{data["revision"]}"'
    assert made["Location"].endswith("/entries/101/000001/")
    again = owner.post(f"{BASE}entries/", body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (
        again.status_code == 201
        and CatalogueEntry.objects.filter(code__startswith="101/").count() == 1
    )
    # a draft is the provider's alone
    assert api_as(dm.wj_user).get(f"{BASE}entries/101/000001/").status_code == 404


def test_bad_input_is_400_problem_json_with_the_fields(dm, cls):
    response = api_as(dm.ga_admin).post(
        f"{BASE}entries/",
        body(share_type="none", items=[{**ITEMS[2], "length": None}], classification="999"),
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "classification" in fields(response)
    response = api_as(dm.ga_admin).post(
        f"{BASE}entries/",
        body(share_type="none", items=[{**ITEMS[2], "length": None}]),
        format="json",
    )
    assert response.status_code == 400
    assert {"not_shared_basis", "items"} <= fields(response)
    item_error = next(e for e in response.json()["errors"] if e["field"] == "items")
    assert "性别" in item_error["message"] and "长度" in item_error["message"]


def test_who_may_not_create_is_403(dm, cls):
    for user in (dm.wj_admin, dm.wj_user, dm.authority, dm.outsider):
        response = api_as(user).post(f"{BASE}entries/", body(provider=dm.gongan.pk), format="json")
        assert response.status_code == 403
    # without a provider, one who catalogues for no department is asked for one
    response = api_as(dm.wj_user).post(f"{BASE}entries/", body(), format="json")
    assert response.status_code == 400 and "provider" in fields(response)
    assert not CatalogueEntry.objects.filter(code__startswith="101/").exists()


def test_the_lifecycle_through_the_api_with_409_on_a_stale_revision(dm, draft):
    owner, reviewer = api_as(dm.ga_admin), api_as(dm.authority)
    url = f"{BASE}entries/{draft.code}/"
    seen = owner.get(url).json()["revision"]
    ok = owner.patch(url, {"name": "常住人口基础信息", "revision": seen}, format="json")
    assert ok.status_code == 200 and ok.json()["working"]["name"] == "常住人口基础信息"
    stale = owner.patch(url, {"name": "又改了", "revision": seen}, format="json")
    assert stale.status_code == 409
    assert stale["Content-Type"].startswith("application/problem+json")
    stale = owner.patch(url, {"name": "又改了"}, format="json", HTTP_IF_MATCH=f'"{seen}"')
    assert stale.status_code == 409
    assert CatalogueEntry.objects.get(pk=draft.pk).name == "常住人口基础信息"
    revision = ok.json()["revision"]
    items = owner.put(f"{url}items/", {"items": ITEMS[:2], "revision": revision}, format="json")
    assert items.status_code == 200 and len(items.json()["working"]["items"]) == 2
    revision = items.json()["revision"]
    # a draft is not the reviewer's to see
    assert reviewer.get(url).status_code == 404
    sub = owner.post(f"{url}actions/submit/", {"revision": revision, "note": "新编"}, format="json")
    assert sub.status_code == 200 and sub.json()["status"] == "reviewing"
    revision = sub.json()["revision"]
    # the reviewer cannot edit; the provider cannot publish
    edit = reviewer.patch(url, {"name": "x", "revision": revision}, format="json")
    assert edit.status_code == 403
    assert reviewer.get(f"{BASE}reviews/").json()[0]["code"] == draft.code
    denied = owner.post(f"{url}actions/publish/", {"revision": revision}, format="json")
    assert denied.status_code == 403
    done = reviewer.post(f"{url}actions/publish/", {"revision": revision}, format="json")
    assert done.status_code == 200 and done.json()["version"] == 1
    reader = api_as(dm.wj_user).get(url).json()
    assert reader["published"]["name"] == "常住人口基础信息" and reader["working"] is None
    assert reader["actions"] == []
    versions = api_as(dm.wj_user).get(f"{url}versions/").json()
    assert [v["version"] for v in versions] == [1]
    assert owner.post(f"{url}actions/nope/", {}, format="json").status_code == 404


def test_a_revision_shows_readers_version_one_and_the_owner_both(dm, published):
    owner = api_as(dm.ga_admin)
    url = f"{BASE}entries/{published.code}/"
    rev = owner.post(f"{url}actions/revise/", {"revision": published.revision}, format="json")
    assert rev.status_code == 200
    owner.patch(url, {"name": "户籍信息", "revision": rev.json()["revision"]}, format="json")
    reader = api_as(dm.wj_user).get(url).json()
    assert reader["status"] == "revising" and reader["published"]["name"] == "常住人口登记信息"
    mine = owner.get(url).json()
    assert mine["working"]["name"] == "户籍信息" and mine["published"]["version"] == 1


def test_another_departments_admin_may_read_but_not_edit(dm, published):
    other = api_as(dm.wj_admin)
    url = f"{BASE}entries/{published.code}/"
    assert other.get(url).status_code == 200
    response = other.post(f"{url}actions/revise/", {"revision": published.revision}, format="json")
    assert response.status_code == 403
    assert api_as(dm.outsider).get(url).status_code == 404


def test_list_filters_and_search(dm, published):
    registration.ensure_registered()
    reader = api_as(dm.wj_user)
    rows = reader.get(f"{BASE}entries/", {"grade": "general_4"}).json()["results"]
    assert published.code in [r["code"] for r in rows]
    assert reader.get(f"{BASE}entries/", {"share_type": "none"}).json()["results"] == []
    found = reader.get(f"{BASE}entries/", {"q": "changzhurenkou"}).json()["results"]
    assert [r["code"] for r in found] == [published.code]
    bad = reader.get(f"{BASE}entries/", {"limit": "x"})
    assert bad.status_code == 400 and "limit" in fields(bad)


def test_grading_through_the_api(dm, published):
    owner, reviewer = api_as(dm.ga_admin), api_as(dm.authority)
    url = f"{BASE}entries/{published.code}/gradings/"
    low = owner.post(
        url,
        {
            "to_grade": "general_2",
            "impact_object": "personal",
            "impact_degree": "general",
            "basis": "x",
        },
        format="json",
    )
    assert low.status_code == 400 and "to_grade" in fields(low)
    made = owner.post(
        url,
        {
            "to_grade": "important",
            "item_code": "name",
            "impact_object": "personal",
            "impact_degree": "serious",
            "basis": "汇聚后可识别个人",
        },
        format="json",
    )
    assert made.status_code == 201
    pk = made.json()["id"]
    assert [r["id"] for r in reviewer.get(f"{BASE}gradings/").json()] == [pk]
    review = f"{BASE}gradings/{pk}/review/"
    assert owner.post(review, {"approve": True}, format="json").status_code == 403
    assert api_as(dm.wj_admin).post(review, {"approve": True}, format="json").status_code == 404
    ok = reviewer.post(review, {"approve": True, "opinion": "同意"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert reviewer.post(review, {"approve": True}, format="json").status_code == 409
    entry = api_as(dm.wj_user).get(f"{BASE}entries/{published.code}/").json()
    assert entry["published"]["grade"] == "important"


def test_classifications(dm, cls):
    rows = api_as(dm.wj_user).get(f"{BASE}classifications/").json()
    assert [r["code"] for r in rows][:3] == ["1", "101", "102"]
    assert rows[1]["parent"] == "1" and rows[1]["level"] == 2


def test_withdraw_needs_a_reason(dm, published):
    response = api_as(dm.ga_admin).post(
        f"{BASE}entries/{published.code}/actions/withdraw/",
        {"revision": published.revision},
        format="json",
    )
    assert response.status_code == 400 and "reason" in fields(response)
    assert services.may(dm.ga_admin, published, services.EDIT)
