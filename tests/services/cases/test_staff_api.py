"""The staff API: queues by key with a ``next`` link, a case with its history, actions and
revision (ETag), acts with If-Match (409 when stale, 400 field errors, 403/404 refusals),
bulk acts, and all of it in the OpenAPI document."""

import pytest

from shuzheng.services.cases.models import Case
from shuzheng.services.cases.services import handle
from tests.conftest import api_as
from tests.services.cases.test_handle import FrozenClock, Staff, fresh, history, reach

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def staff(tree, make_staff):
    return Staff(tree, make_staff)


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw, promised_limit=5, legal_limit=15)


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


def test_a_queue_pages_by_key_with_a_next_link(staff, item, citizen, case_factory):
    made = [case_factory(item, citizen, state="submitted") for _ in range(3)]
    api = api_as(staff.clerk)
    first = api.get("/api/v1/cases/?queue=to_accept&limit=2").json()
    assert [r["number"] for r in first["results"]] == [made[2].number, made[1].number]
    assert first["results"][0]["applicant"] == "张*" and first["results"][0]["state"] == "submitted"
    assert first["next"].endswith(f"after={made[1].pk}") and "queue=to_accept" in first["next"]
    second = api.get(first["next"]).json()
    assert [r["number"] for r in second["results"]] == [made[0].number]
    assert second["next"] is None


def test_a_bad_queue_or_key_is_a_field_error(staff):
    api = api_as(staff.clerk)
    bad = api.get("/api/v1/cases/?queue=everything")
    assert bad.status_code == 400 and bad["Content-Type"] == PROBLEM
    assert bad.json()["errors"][0]["field"] == "queue"
    assert api.get("/api/v1/cases/?after=x").json()["errors"][0]["field"] == "after"


def test_the_detail_has_history_actions_and_the_revision_as_etag(
    staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    api = api_as(staff.clerk)
    response = api.get(f"/api/v1/cases/{case.number}/")
    body = response.json()
    assert response["ETag"] == f'"{case.workflow.revision}"' and body["revision"] == 1
    assert [h["action"] for h in body["history"]] == ["start", "submit"]
    assert {a["name"] for a in body["actions"]} == {"accept", "reject", "request_correction"}
    correction = next(a for a in body["actions"] if a["name"] == "request_correction")
    assert correction["required"] == ["reasons", "days"]
    assert body["applicant_id_number"] == "440402********1236"
    assert body["form_data"]["business_name"] == "张三便利店"
    assert body["materials"][0]["download"].startswith(f"/workbench/cases/{case.number}/")
    again = api.get(f"/api/v1/cases/{case.number}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_out_of_scope_cases_are_absent_and_citizens_are_refused(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    elsewhere = api_as(staff.elsewhere)
    assert elsewhere.get("/api/v1/cases/?queue=all").json()["results"] == []
    assert elsewhere.get(f"/api/v1/cases/{case.number}/").status_code == 404
    refused = elsewhere.post(f"/api/v1/cases/{case.number}/actions/accept/", {}, format="json")
    assert refused.status_code == 404 and refused["Content-Type"] == PROBLEM
    assert api_as(citizen).get("/api/v1/cases/").status_code == 403
    assert fresh(case).state == "submitted"


def test_an_act_with_if_match_moves_the_case_and_returns_the_new_etag(
    staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    response = api_as(staff.clerk).post(
        f"/api/v1/cases/{case.number}/actions/accept/",
        {"opinion": "材料齐全"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "accepted" and body["acceptance_doc_no"]
    assert response["ETag"] == '"2"' and body["history"][-1]["opinion"] == "材料齐全"


def test_a_stale_revision_is_a_409_and_nothing_changes(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    handle.request_correction(staff.clerk, Case.objects.get(pk=case.pk), reasons=["补照片"])
    before = history(case)
    response = api_as(staff.clerk).post(
        f"/api/v1/cases/{case.number}/actions/reject/",
        {"reason": "不符合条件", "revision": 1},
        format="json",
    )
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert fresh(case).state == "correction" and history(case) == before


def test_missing_fields_are_400_field_errors_and_write_nothing(
    staff, item, citizen, case_factory, clock
):
    case = case_factory(item, citizen, state="submitted")
    api = api_as(staff.clerk)
    response = api.post(f"/api/v1/cases/{case.number}/actions/reject/", {}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    correction = api.post(
        f"/api/v1/cases/{case.number}/actions/request_correction/",
        {"reasons": [], "days": 5},
        format="json",
    )
    assert [e["field"] for e in correction.json()["errors"]] == ["reasons"]
    assert fresh(case).state == "submitted" and history(case) == ["start", "submit"]
    reach(case, staff, clock, "last_step")
    decided = api_as(staff.head).post(
        f"/api/v1/cases/{case.number}/actions/approve/", {"opinion": "同意"}, format="json"
    )
    assert decided.status_code == 400
    assert [e["field"] for e in decided.json()["errors"]] == ["legal_basis"]
    assert fresh(case).state == "review"


def test_a_window_clerk_may_not_approve_and_an_unknown_act_is_absent(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    api = api_as(staff.clerk)
    refused = api.post(
        f"/api/v1/cases/{case.number}/actions/approve/",
        {"opinion": "同意", "legal_basis": "第八条"},
        format="json",
    )
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    assert api.post(f"/api/v1/cases/{case.number}/actions/withdraw/", {}).status_code == 404
    assert fresh(case).state == "review"


def test_bulk_acts_report_each_case(staff, item, citizen, case_factory, clock):
    ready = reach(case_factory(item, citizen, state="submitted"), staff, clock, "accepted")
    waiting = case_factory(item, citizen, state="submitted")
    api = api_as(staff.handler)
    response = api.post(
        "/api/v1/cases/bulk/",
        {"action": "start_review", "numbers": [ready.number, waiting.number, "NOPE"]},
        format="json",
    )
    assert response.status_code == 200
    results = {r["number"]: r for r in response.json()["results"]}
    assert results[ready.number]["ok"] and not results[waiting.number]["ok"]
    assert results["NOPE"] == {"number": "NOPE", "ok": False, "message": "找不到该办件"}
    assert fresh(ready).state == "review"
    unsafe = api.post(
        "/api/v1/cases/bulk/", {"action": "approve", "numbers": [ready.number]}, format="json"
    )
    assert unsafe.status_code == 400 and unsafe.json()["errors"][0]["field"] == "action"


def test_the_staff_endpoints_are_in_the_openapi_document():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    mine = [w for w in GENERATOR_STATS._warn_cache if "cases/api/staff.py" in w]
    assert not mine, mine
    for url in (
        "/api/v1/cases/",
        "/api/v1/cases/{number}/",
        "/api/v1/cases/{number}/actions/{action}/",
        "/api/v1/cases/bulk/",
    ):
        assert url in paths
