"""The 12345 order API: register with Idempotency-Key (a retry registers nothing twice),
field errors as problem+json, the masked caller and the audited reveal, acts with the
revision (a stale one is 409 and writes nothing), keyset pages, the category tree."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.governance.hotline.models import WorkOrder
from tests.conftest import api_as
from tests.governance.conftest import GOOD_PHONE, IN_GONGBEI
from tests.governance.hotline.test_intake import PDF_BYTES

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/hotline/orders/"


def body(hl, **kw):
    data = {
        "channel": "phone",
        "request_type": "complaint",
        "content": "拱北夏湾路小区门口垃圾三天没人清运。",
        "category": str(hl.garbage.pk),
        "address": "拱北夏湾路 88 号",
        "latitude": IN_GONGBEI[0],
        "longitude": IN_GONGBEI[1],
        "caller_name": "李小明",
        "caller_phone": "13800138000",
    }
    data.update(kw)
    return data


def fields(answer) -> list[str]:
    return sorted({e["field"] for e in answer.json()["errors"]})


def test_register_with_an_idempotency_key_registers_once(hl):
    client = api_as(hl.operator)
    first = client.post(ORDERS, body(hl), format="json", HTTP_IDEMPOTENCY_KEY="call-0001")
    assert first.status_code == 201, first.content
    number = first.json()["number"]
    assert first["Location"].endswith(f"{ORDERS}{number}/")
    again = client.post(ORDERS, body(hl), format="json", HTTP_IDEMPOTENCY_KEY="call-0001")
    assert again.status_code == 201 and again.json()["number"] == number
    assert again["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.count() == 1
    other = client.post(
        ORDERS, body(hl, content="另一件事"), format="json", HTTP_IDEMPOTENCY_KEY="call-0001"
    )
    assert other.status_code == 422 and WorkOrder.objects.count() == 1


def test_register_field_errors_are_problem_json_and_write_nothing(hl):
    client = api_as(hl.operator)
    answer = client.post(
        ORDERS,
        body(hl, content="", address="", latitude="", longitude=""),
        format="json",
        HTTP_IDEMPOTENCY_KEY="call-0002",
    )
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")
    assert fields(answer) == ["address", "content"]
    assert not WorkOrder.objects.exists()
    # the key was not spent on the refused request
    ok = client.post(ORDERS, body(hl), format="json", HTTP_IDEMPOTENCY_KEY="call-0002")
    assert ok.status_code == 201


def test_register_with_a_photo_that_is_not_an_image_is_refused(hl):
    client = api_as(hl.operator)
    data = body(hl)
    data["photos"] = SimpleUploadedFile("scene.jpg", PDF_BYTES, "image/jpeg")
    answer = client.post(ORDERS, data, format="multipart")
    assert answer.status_code == 400 and fields(answer) == ["photos"]
    assert not WorkOrder.objects.exists()


def test_a_citizen_posting_reports_for_themselves(hl):
    from tests.services.conftest import make_citizen

    citizen = make_citizen(name="王小芳")
    answer = api_as(citizen).post(
        ORDERS, body(hl, channel="", caller_name="", caller_phone=""), format="json"
    )
    assert answer.status_code == 201, answer.content
    order = WorkOrder.objects.get(number=answer.json()["number"])
    assert order.reporter == citizen and order.channel == "web"
    assert order.caller_name == "王小芳"
    phone = api_as(citizen).post(ORDERS, body(hl, channel="phone"), format="json")
    assert phone.status_code == 400 and fields(phone) == ["channel"]


def test_the_detail_masks_the_caller_and_offers_the_users_actions(hl, order_factory):
    order = order_factory("registered")
    answer = api_as(hl.operator).get(f"{ORDERS}{order.number}/")
    data = answer.json()
    assert data["caller_name"] == "李*明" and data["caller_phone"] == "138****8000"
    assert "李小明" not in answer.content.decode() and "13800138000" not in answer.content.decode()
    assert answer["ETag"] == f'"{data["revision"]}"'
    assert {a["name"] for a in data["actions"]} == {"answer", "merge", "dispatch"}
    assert [h["action"] for h in data["history"]] == ["start"]
    unchanged = api_as(hl.operator).get(
        f"{ORDERS}{order.number}/", HTTP_IF_NONE_MATCH=answer["ETag"]
    )
    assert unchanged.status_code == 304
    anonymous = order_factory("registered", anonymous=True)
    assert api_as(hl.operator).get(f"{ORDERS}{anonymous.number}/").json()["caller_name"] == "匿名"


def test_the_full_caller_only_with_the_reveal_capability_and_on_record(
    hl, order_factory, make_staff
):
    order = order_factory("registered")
    url = f"{ORDERS}{order.number}/caller/"
    refused = api_as(hl.operator).post(url, {"reason": "回访核实"}, format="json")
    assert refused.status_code == 403
    # an operator who also holds the reveal capability (a window clerk's role)
    clerk = make_staff(hl.centre, "hotline-operator", on=hl.tree.city)
    access_services.grant_role(
        access.SYSTEM,
        user=clerk,
        role=Role.objects.get(code="window-clerk"),
        organisation=hl.tree.city,
    )
    no_reason = api_as(clerk).post(url, {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and fields(no_reason) == ["reason"]
    shown = api_as(clerk).post(url, {"reason": "回访核实"}, format="json")
    assert shown.status_code == 200
    assert shown.json() == {"caller_name": "李小明", "caller_phone": GOOD_PHONE, "anonymous": False}
    records = AuditRecord.objects.filter(action="hotline.order.reveal_caller")
    assert {r.result for r in records} == {"success", "denied"}


def test_acts_with_the_revision_and_a_stale_one_is_409(hl, order_factory):
    order = order_factory("registered")
    operator = api_as(hl.operator)
    seen = operator.get(f"{ORDERS}{order.number}/").json()["revision"]
    dispatched = operator.post(
        f"{ORDERS}{order.number}/actions/dispatch/",
        {"unit": hl.tree.xiangzhou.pk, "opinion": "请香洲区处理"},
        format="json",
        HTTP_IF_MATCH=f'"{seen}"',
    )
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["state"] == "dispatched"
    assert dispatched.json()["unit_name"] == "香洲区"
    stale = operator.post(
        f"{ORDERS}{order.number}/actions/dispatch/",
        {"unit": hl.chengguan.pk, "revision": seen},
        format="json",
    )
    assert stale.status_code == 409
    district = api_as(hl.xz_handler)
    no_reason = district.post(f"{ORDERS}{order.number}/actions/return/", {}, format="json")
    assert no_reason.status_code == 400 and fields(no_reason) == ["reason"]
    unknown = district.post(f"{ORDERS}{order.number}/actions/teleport/", {}, format="json")
    assert unknown.status_code == 404
    forbidden = api_as(hl.admin).post(f"{ORDERS}{order.number}/actions/sign/", {}, format="json")
    assert forbidden.status_code in (403, 404)
    order.refresh_from_db()
    assert order.state == "dispatched" and order.unit == hl.tree.xiangzhou


def test_the_whole_loop_through_the_api(hl, order_factory):
    order = order_factory("dispatched")
    n = order.number
    street, operator = api_as(hl.gb_handler), api_as(hl.operator)

    def act(client, action, data=None):
        answer = client.post(f"{ORDERS}{n}/actions/{action}/", data or {}, format="json")
        assert answer.status_code == 200, (action, answer.content)
        return answer.json()

    assert act(street, "sign")["state"] == "handling"
    assert act(street, "request_extension", {"days": 3, "reason": "需协调"})["state"] == "extension"
    assert act(operator, "decide_extension", {"approve": True})["state"] == "handling"
    assert act(street, "reply", {"reply": "已清运"})["state"] == "replied"
    assert act(operator, "reject_reply", {"reason": "请补充照片"})["state"] == "handling"
    act(street, "reply", {"reply": "已清运，附照片"})
    assert act(operator, "review", {"approve": True})["state"] == "callback"
    reworked = act(operator, "rework", {"reason": "仍有垃圾"})
    assert reworked["state"] == "handling" and reworked["rework_count"] == 1
    act(street, "reply", {"reply": "已彻底清理"})
    act(operator, "approve_reply")
    closed = act(operator, "callback", {"satisfaction": "satisfied", "score": 5})
    assert closed["state"] == "closed" and closed["satisfaction_label"] == "满意"
    urge = operator.post(f"{ORDERS}{n}/actions/urge/", {"kind": "urge", "note": "x"}, format="json")
    assert urge.status_code == 400  # closed: nothing to urge


def test_a_return_moves_the_order_out_of_the_streets_sight(hl, order_factory):
    order = order_factory("dispatched")
    answer = api_as(hl.gb_handler).post(
        f"{ORDERS}{order.number}/actions/return/", {"reason": "非本街道辖区"}, format="json"
    )
    assert answer.status_code == 204
    order.refresh_from_db()
    assert order.state == "returned" and order.unit == hl.tree.xiangzhou


def test_the_list_pages_by_key_and_filters(hl, order_factory):
    made = [order_factory("registered") for _ in range(3)]
    order_factory("dispatched")
    client = api_as(hl.operator)
    first = client.get(ORDERS, {"state": "registered", "limit": 2}).json()
    assert [r["number"] for r in first["results"]] == [made[2].number, made[1].number]
    second = client.get(first["next"]).json()
    assert [r["number"] for r in second["results"]] == [made[0].number]
    assert second["next"] is None
    both = client.get(ORDERS, {"state": "registered,dispatched"}).json()["results"]
    assert len(both) == 4
    assert client.get(ORDERS, {"after": "x"}).status_code == 400


def test_the_category_tree(hl):
    tree = api_as(hl.gb_handler).get("/api/v1/hotline/categories/").json()
    assert [c["code"] for c in tree] == ["01", "02"]
    sanitation = tree[0]["children"][0]
    assert sanitation["code"] == "0101"
    assert [c["code"] for c in sanitation["children"]] == ["010101", "010102"]
    assert sanitation["children"][0]["needs_location"] is True


def test_callers_and_duplicates_check_their_parameters(hl):
    client = api_as(hl.operator)
    assert client.get("/api/v1/hotline/callers/", {"phone": "123"}).status_code == 400
    bad = client.get("/api/v1/hotline/duplicates/", {"latitude": "x"})
    assert bad.status_code == 400
    assert {"category", "latitude", "longitude"} == set(fields(bad))
