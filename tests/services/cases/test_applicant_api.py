"""The applicant API: the same journey as the portal (create with Idempotency-Key, PATCH the
form, upload, submit idempotently), problem+json errors, and 404 for a stranger."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.services.cases import numbering
from shuzheng.services.cases.models import Case
from tests.conftest import api_as
from tests.services.conftest import GOOD_FORM, pdf_upload


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw)


def create(client, item, key="k-1", **body):
    return client.post(
        "/api/v1/applications/",
        {"item": item.implementation_code, **body},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def upload(client, pk, code, file=None):
    return client.post(
        f"/api/v1/applications/{pk}/materials/",
        {"material": code, "file": file or pdf_upload(f"{code}.pdf")},
        format="multipart",
    )


def test_the_whole_journey_through_the_api(item, citizen):
    client = api_as(citizen)
    created = create(client, item)
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created["Location"].endswith(f"/api/v1/applications/{pk}/")
    assert created.json()["form"] == {"business_name": "张三"}
    assert created.json()["form_schema"]["required"] == ["business_name", "address", "employees"]
    assert Case.objects.get(pk=pk).channel == "api"

    patched = client.patch(
        f"/api/v1/applications/{pk}/", {"form": {"address": GOOD_FORM["address"]}}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["form"]["address"] == GOOD_FORM["address"]
    for code in ("id_proof", "premises"):
        response = upload(client, pk, code)
        assert response.status_code == 201 and response.json()["material"] == code

    submitted = client.post(
        f"/api/v1/applications/{pk}/submit/",
        {"form": {"employees": 3}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="s-1",
    )
    body = submitted.json()
    assert submitted.status_code == 200 and body["state"] == "submitted"
    assert numbering.is_valid_number(body["number"])
    assert body["receipt"]["promised_limit"] == "5 个工作日"
    assert body["receipt"]["applicant_id_masked"] == "440402********1236"
    assert [s["action"] for s in body["timeline"]] == ["start", "submit"]

    mine = client.get("/api/v1/my/cases/").json()
    assert [c["number"] for c in mine["results"]] == [body["number"]]
    detail = client.get(f"/api/v1/my/cases/{body['number']}/")
    assert detail.status_code == 200 and detail.json()["id"] == pk


def test_a_retried_create_returns_the_same_draft(item, citizen):
    client = api_as(citizen)
    first, again = create(client, item, key="same"), create(client, item, key="same")
    assert first.json()["id"] == again.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_submitting_twice_gives_the_same_number_and_one_history_row(item, citizen):
    client = api_as(citizen)
    pk = create(client, item).json()["id"]
    client.patch(f"/api/v1/applications/{pk}/", {"form": GOOD_FORM}, format="json")
    for code in ("id_proof", "premises"):
        upload(client, pk, code)
    url = f"/api/v1/applications/{pk}/submit/"
    first = client.post(url, {}, format="json")
    second = client.post(url, {}, format="json")  # no key: the service is idempotent too
    assert first.json()["number"] == second.json()["number"]
    case = Case.objects.get(pk=pk)
    assert case.workflow.history.filter(action="submit").count() == 1


def test_errors_are_field_level_problem_json(item, citizen):
    client = api_as(citizen)
    pk = create(client, item).json()["id"]
    tampered = client.patch(
        f"/api/v1/applications/{pk}/", {"form": {"secret": "x", "employees": "many"}}, format="json"
    )
    assert tampered.status_code == 400
    assert tampered["Content-Type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in tampered.json()["errors"]}
    assert errors == {"secret": "表单中不存在此项", "employees": "“从业人数”应为整数"}

    missing = client.post(f"/api/v1/applications/{pk}/submit/", {}, format="json")
    fields = {e["field"] for e in missing.json()["errors"]}
    assert missing.status_code == 400 and fields == {"address", "employees", "materials"}

    wrong = upload(client, pk, "id_proof", SimpleUploadedFile("a.pdf", b"plain text file"))
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "file"
    assert Case.objects.get(pk=pk).materials.count() == 0


def test_edit_after_submit_is_refused(item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    client = api_as(citizen)
    response = client.patch(
        f"/api/v1/applications/{case.pk}/", {"form": {"note": "x"}}, format="json"
    )
    assert response.status_code == 400 and "不能再修改" in response.json()["errors"][0]["message"]


def test_a_stranger_gets_404_for_list_detail_patch_upload_and_submit(
    item, citizen, other_citizen, case_factory
):
    draft = create(api_as(citizen), item).json()["id"]
    case = case_factory(item, citizen, state="submitted")
    client = api_as(other_citizen)
    assert client.get("/api/v1/applications/").json() == []
    assert client.get("/api/v1/my/cases/").json()["results"] == []
    assert client.get(f"/api/v1/applications/{draft}/").status_code == 404
    assert (
        client.patch(f"/api/v1/applications/{draft}/", {"form": {}}, format="json").status_code
        == 404
    )
    assert upload(client, draft, "id_proof").status_code == 404
    assert (
        client.post(f"/api/v1/applications/{draft}/submit/", {}, format="json").status_code == 404
    )
    assert client.get(f"/api/v1/my/cases/{case.number}/").status_code == 404


def test_an_unknown_item_is_404_and_anonymous_callers_are_401(item, citizen, api):
    response = api_as(citizen).post("/api/v1/applications/", {"item": "X" * 36}, format="json")
    assert response.status_code == 404
    assert api.get("/api/v1/applications/").status_code in (401, 403)


@pytest.fixture
def enterprise(citizen):
    return identity.register_enterprise(
        access.SYSTEM,
        name="珠海市示例贸易有限公司",
        registry="mainland",
        registration_number="91440400MA4UJ1KK07",
        legal_representative="张三",
        address="珠海市香洲区情侣中路1号",
        legal_person=citizen.person,
    )


def test_agents_apply_for_their_enterprise_only_with_the_scope(
    tree, item_factory, enterprise, citizen, other_citizen
):
    item = item_factory(tree.zwfw, audience="legal")
    assert create(api_as(citizen), item, enterprise=enterprise.pk).status_code == 201
    refused = create(api_as(citizen), item, key="k-2")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "item"
    identity.authorise_agent(
        access.SYSTEM, enterprise, person=other_citizen.person, scopes=["cases.view"]
    )
    no_scope = create(api_as(other_citizen), item, key="k-3", enterprise=enterprise.pk)
    assert no_scope.status_code == 400 and no_scope.json()["errors"][0]["field"] == "enterprise"
    assert Case.objects.count() == 1


def test_an_agent_sees_the_enterprises_cases(item, enterprise, citizen, other_citizen):
    pk = create(api_as(citizen), item, enterprise=enterprise.pk).json()["id"]
    identity.authorise_agent(
        access.SYSTEM,
        enterprise,
        person=other_citizen.person,
        scopes=["cases.view", "cases.apply"],
    )
    drafts = api_as(other_citizen).get("/api/v1/applications/").json()
    assert [d["id"] for d in drafts] == [pk]


def test_the_schema_lists_the_applicant_endpoints_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    mine = [w for w in GENERATOR_STATS._warn_cache if "applicant" in w or "my_cases" in w]
    assert mine == []
    for expected in (
        "/api/v1/applications/",
        "/api/v1/applications/{id}/materials/",
        "/api/v1/applications/{id}/submit/",
        "/api/v1/my/cases/{number}/",
        "/api/v1/progress/",
    ):
        assert expected in paths
