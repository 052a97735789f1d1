"""The sharing API under /api/v1/data/sharing/: create with Idempotency-Key, every bad input
as 400 problem+json naming its fields (nothing written), the boxes, detail with the
delivery plan, the history and the actions the user may take, acts (403 for who may not,
409 on a stale revision), grants by side and revocation."""

import datetime as dt

import pytest
from django.utils import timezone

from shuzheng.data.sharing.models import Grant, SharingRequest
from tests.conftest import api_as
from tests.data.sharing.conftest import FIELDS

pytestmark = pytest.mark.django_db

BASE = "/api/v1/data/sharing/"
REQUESTS = f"{BASE}requests/"
GRANTS = f"{BASE}grants/"


def body(dm, **overrides):
    today = timezone.localdate()
    data = {
        "entry": dm.population.code,
        "fields": list(FIELDS),
        "purpose": "出生医学证明签发时核验父母身份",
        "legal_basis": "《中华人民共和国母婴保健法》第二十三条",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=364)).isoformat(),
        "quota_per_minute": 30,
        "quota_per_day": 5000,
    }
    data.update(overrides)
    if data["period_start"] == "yesterday":
        data["period_start"] = (today - dt.timedelta(days=1)).isoformat()
    return data


def fields(answer) -> list[str]:
    return sorted({e["field"] for e in answer.json()["errors"]})


def errors(answer) -> dict:
    return {e["field"]: e for e in answer.json()["errors"]}


def create(dm, client=None, **overrides):
    answer = (client or api_as(dm.wj_admin)).post(REQUESTS, body(dm, **overrides), format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def act(user, number, action, revision, **data):
    return api_as(user).post(
        f"{REQUESTS}{number}/actions/{action}/",
        {"revision": revision, **data},
        format="json",
    )


def test_create_with_an_idempotency_key_creates_once(dm):
    client = api_as(dm.wj_admin)
    first = client.post(REQUESTS, body(dm), format="json", HTTP_IDEMPOTENCY_KEY="gx-0001")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["state"] == "checking" and data["fields"] == FIELDS
    assert data["delivery"] == {
        "id_number": "masked",
        "name": "masked",
        "sex": "clear",
        "birth_date": "masked",
    }
    assert first["Location"].endswith(f"{REQUESTS}{data['number']}/")
    assert first["ETag"] == f'"{data["revision"]}"'
    again = client.post(REQUESTS, body(dm), format="json", HTTP_IDEMPOTENCY_KEY="gx-0001")
    assert again.status_code == 201 and again.json()["number"] == data["number"]
    assert SharingRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"fields": ["name", "blood_type"]}, "fields", "unknown_items"),
        ({"fields": ["name", "religion"]}, "fields", "core_items"),
        ({"fields": []}, "fields", "required"),
        ({"clear_fields": ["address"]}, "clear_fields", "not_requested"),
        ({"fields": ["phone"], "clear_fields": ["phone"]}, "clear_fields", "clear_not_allowed"),
        ({"entry": "9/999999"}, "entry", "not_published"),
        ({"period_start": "yesterday"}, "period_start", "past"),
        ({"quota_per_minute": 0}, "quota_per_minute", "min_value"),
        ({"quota_per_day": 10**9}, "quota_per_day", "max_value"),
        ({"purpose": ""}, "purpose", "required"),
        ({"legal_basis": ""}, "legal_basis", "required"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(dm, overrides, field, code):
    answer = api_as(dm.wj_admin).post(REQUESTS, body(dm, **overrides), format="json")
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert fields(answer) == [field]
    assert errors(answer)[field]["code"] == code
    assert not SharingRequest.objects.exists()


def test_unknown_items_are_named_in_the_message(dm):
    answer = api_as(dm.wj_admin).post(
        REQUESTS, body(dm, fields=["name", "blood_type"]), format="json"
    )
    assert "blood_type" in errors(answer)["fields"]["message"]


def test_period_order_and_length(dm):
    today = timezone.localdate()
    answer = api_as(dm.wj_admin).post(
        REQUESTS,
        body(dm, period_end=(today + dt.timedelta(days=2000)).isoformat()),
        format="json",
    )
    assert fields(answer) == ["period_end"] and errors(answer)["period_end"]["code"] == "too_long"
    answer = api_as(dm.wj_admin).post(
        REQUESTS,
        body(
            dm,
            period_start=(today + dt.timedelta(days=5)).isoformat(),
            period_end=today.isoformat(),
        ),
        format="json",
    )
    assert errors(answer)["period_end"]["code"] == "before_start"
    answer = api_as(dm.wj_admin).post(REQUESTS, body(dm, period_end="soon"), format="json")
    assert answer.status_code == 400 and fields(answer) == ["period_end"]


def test_own_data_duplicates_and_not_shared(dm, make_entry):
    answer = api_as(dm.ga_admin).post(REQUESTS, body(dm), format="json")
    assert errors(answer)["entry"]["code"] == "own_data"
    first = create(dm)
    answer = api_as(dm.wj_user).post(REQUESTS, body(dm), format="json")
    assert errors(answer)["fields"]["code"] == "duplicate_request"
    assert first["number"] in errors(answer)["fields"]["message"]
    secret = make_entry(dm.gongan, dm.ga_admin, name="出入境记录", share_type="none")
    answer = api_as(dm.wj_admin).post(REQUESTS, body(dm, entry=secret.code), format="json")
    assert errors(answer)["entry"]["code"] == "not_shared"
    assert "申请协调" in errors(answer)["entry"]["message"]
    answer = api_as(dm.wj_admin).post(
        REQUESTS, body(dm, entry=secret.code, kind="coordination"), format="json"
    )
    assert fields(answer) == ["reason"]
    made = create(dm, entry=secret.code, kind="coordination", reason="流调需要")
    assert made["kind"] == "coordination" and made["state"] == "coordinating"


def test_who_may_create(dm):
    answer = api_as(dm.outsider).post(REQUESTS, body(dm), format="json")
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("application/problem+json")
    assert not SharingRequest.objects.exists()


def test_the_path_through_the_api(dm):
    made = create(dm)
    number = made["number"]
    detail = api_as(dm.authority).get(f"{REQUESTS}{number}/").json()
    assert {a["name"] for a in detail["actions"]} == {"to_provider", "return"}
    assert api_as(dm.ga_admin).get(f"{REQUESTS}{number}/").json()["actions"] == []
    requester = api_as(dm.wj_admin).get(f"{REQUESTS}{number}/").json()
    assert {a["name"] for a in requester["actions"]} == {"withdraw"}
    answer = act(dm.authority, number, "to_provider", detail["revision"])
    assert answer.status_code == 200 and answer.json()["state"] == "provider_review"
    detail = api_as(dm.ga_admin).get(f"{REQUESTS}{number}/").json()
    assert {a["name"] for a in detail["actions"]} == {"approve", "reject"}
    answer = act(dm.ga_admin, number, "reject", detail["revision"])
    assert answer.status_code == 400 and fields(answer) == ["reason"]
    answer = act(dm.ga_admin, number, "approve", detail["revision"], opinion="同意")
    assert answer.status_code == 200
    data = answer.json()
    assert data["state"] == "granted" and data["grant"].startswith("SQ")
    assert [h["action"] for h in data["history"]] == ["start", "submit", "to_provider", "approve"]
    grant = api_as(dm.wj_admin).get(f"{GRANTS}{data['grant']}/").json()
    assert grant["fields"] == FIELDS and grant["state"] == "active"
    assert grant["consumer"] == dm.weijian.pk and grant["quota_per_day"] == 5000


def test_boxes(dm):
    made = create(dm)
    mine = api_as(dm.wj_admin).get(REQUESTS, {"box": "mine"}).json()["results"]
    assert [r["number"] for r in mine] == [made["number"]]
    to_check = api_as(dm.authority).get(REQUESTS, {"box": "to_check"}).json()["results"]
    assert [r["number"] for r in to_check] == [made["number"]]
    assert api_as(dm.ga_admin).get(REQUESTS, {"box": "to_decide"}).json()["results"] == []
    answer = api_as(dm.wj_admin).get(REQUESTS, {"box": "nope"})
    assert answer.status_code == 400 and fields(answer) == ["box"]


def test_out_of_scope_is_404_and_the_wrong_actor_403(dm):
    made = create(dm)
    assert api_as(dm.outsider).get(f"{REQUESTS}{made['number']}/").status_code == 404
    answer = act(dm.ga_admin, made["number"], "to_provider", made["revision"])
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("application/problem+json")
    answer = act(dm.authority, made["number"], "fly", made["revision"])
    assert answer.status_code == 404


def test_the_wrong_check_for_the_share_type_is_400(dm):
    made = create(dm)
    answer = act(dm.authority, made["number"], "grant_unconditional", made["revision"])
    assert answer.status_code == 400
    assert "有条件共享" in str(answer.json())
    assert not Grant.objects.exists()


def test_two_approvals_with_the_same_revision_one_is_409(dm):
    made = create(dm)
    moved = act(dm.authority, made["number"], "to_provider", made["revision"]).json()
    first = act(dm.ga_admin, made["number"], "approve", moved["revision"])
    second = act(dm.ga_admin, made["number"], "approve", moved["revision"])
    assert first.status_code == 200 and second.status_code == 409
    assert second["Content-Type"].startswith("application/problem+json")
    assert Grant.objects.count() == 1


def test_if_match_carries_the_revision(dm):
    made = create(dm)
    client = api_as(dm.authority)
    url = f"{REQUESTS}{made['number']}/actions/to_provider/"
    stale = client.post(url, {}, format="json", HTTP_IF_MATCH=f'"{made["revision"] - 1}"')
    assert stale.status_code == 409
    ok = client.post(url, {}, format="json", HTTP_IF_MATCH=f'"{made["revision"]}"')
    assert ok.status_code == 200


def test_update_a_returned_request(dm):
    made = create(dm)
    moved = act(
        dm.authority, made["number"], "return", made["revision"], reason="用途不具体"
    ).json()
    client = api_as(dm.wj_admin)
    url = f"{REQUESTS}{made['number']}/"
    bad = client.patch(url, {"revision": moved["revision"], "fields": ["x"]}, format="json")
    assert bad.status_code == 400 and fields(bad) == ["fields"]
    ok = client.patch(
        url, {"revision": moved["revision"], "purpose": "更具体的用途"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["purpose"] == "更具体的用途"
    stale = client.patch(url, {"revision": moved["revision"], "purpose": "再改"}, format="json")
    assert stale.status_code == 409


def test_grants_and_revocation(dm):
    made = create(dm)
    moved = act(dm.authority, made["number"], "to_provider", made["revision"]).json()
    number = act(dm.ga_admin, made["number"], "approve", moved["revision"]).json()["grant"]
    consumer = api_as(dm.wj_admin).get(GRANTS, {"side": "consumer"}).json()["results"]
    assert [g["number"] for g in consumer] == [number]
    assert api_as(dm.wj_admin).get(GRANTS, {"side": "provider"}).json()["results"] == []
    provider = api_as(dm.ga_admin).get(GRANTS, {"side": "provider"}).json()["results"]
    assert [g["number"] for g in provider] == [number]
    url = f"{GRANTS}{number}/revoke/"
    assert api_as(dm.wj_admin).post(url, {"reason": "x"}, format="json").status_code == 403
    answer = api_as(dm.ga_admin).post(url, {"reason": ""}, format="json")
    assert answer.status_code == 400 and fields(answer) == ["reason"]
    stale = api_as(dm.ga_admin).post(url, {"reason": "停", "revision": 7}, format="json")
    assert stale.status_code == 409
    answer = api_as(dm.ga_admin).post(url, {"reason": "停止提供", "revision": 0}, format="json")
    assert answer.status_code == 200 and answer.json()["state"] == "revoked"
    assert api_as(dm.outsider).get(f"{GRANTS}{number}/").status_code == 404
