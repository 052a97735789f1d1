"""Personal numbers in an application's form answers: staff (clerk, handler, head) see them
masked by type on the workbench page and in the staff API — the fields the form names as ID
or phone numbers, and any value that validates as one; the clear answers only through an
audited reveal that a role without the reveal capability is refused (403, audited too). The
applicant, and their enterprise's agents, read their own answers in clear."""

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.services.cases.masking import mask_form_answers, mask_text, personal_fields
from shuzheng.services.catalogue.models import ItemVersion, ServiceItem
from tests.conftest import api_as
from tests.services.cases.test_handle import Staff
from tests.services.conftest import make_citizen

pytestmark = pytest.mark.django_db

PII_SCHEMA = {
    "type": "object",
    "required": ["business_name"],
    "additionalProperties": False,
    "properties": {
        "business_name": {"type": "string", "title": "经营者姓名", "minLength": 2},
        "id_number": {"type": "string", "title": "经营者证件号码"},
        "contact_phone": {"type": "string", "title": "联络员电话"},
        "office_phone": {"type": "string", "title": "办公电话"},
        "partner_doc": {"type": "string", "title": "合伙人编号"},
        "uscc": {"type": "string", "title": "统一社会信用代码"},
        "kind": {"type": "string", "title": "组成形式", "enum": ["personal", "family"]},
        "employees": {"type": "integer", "title": "从业人数"},
        "note": {"type": "string", "title": "备注"},
    },
}
PII_UI = {
    "order": list(PII_SCHEMA["properties"]),
    "labels": {"kind": {"personal": "个人经营", "family": "家庭经营"}},
    "prefill": {
        "business_name": "applicant.name",
        "id_number": "applicant.id_number",
        "contact_phone": "applicant.mobile",
    },
}
ID, ID_MASKED = "440402199001011236", "440402********1236"
PHONE, PHONE_MASKED = "13800138000", "138****8000"
NOTE = "联系人王五 139-1234-5678，身份证 44040219920315004X，澳门证件 1234567(8)"
NOTE_MASKED = "联系人王五 139****5678，身份证 440402********004X，澳门证件 1*****7(8)"
PII_FORM = {
    "business_name": "张三便利店",
    "id_number": ID,
    "contact_phone": PHONE,
    "office_phone": "0756-2123456",
    "partner_doc": "M12345678",  # a 港澳居民来往内地通行证 number the form does not name
    "uscc": "91440400MA4UJ1KK07",  # an enterprise's code is public
    "kind": "family",
    "employees": 3,
    "note": NOTE,
}
CLEAR = (ID, PHONE, "13912345678", "139-1234-5678", "44040219920315004X", "1234567(8)")
CLEAR += ("M12345678", "0756-2123456")


@pytest.fixture
def staff(tree, make_staff):
    return Staff(tree, make_staff)


@pytest.fixture
def pii_item(tree, item_factory):
    item = item_factory(tree.zwfw)
    # a published version is frozen: the fixture writes the form as a catalogue import would
    ItemVersion.objects.filter(pk=item.current_id).update(form_schema=PII_SCHEMA, form_ui=PII_UI)
    return ServiceItem.objects.select_related("current").get(pk=item.pk)


@pytest.fixture
def case(pii_item, citizen, case_factory):
    return case_factory(pii_item, citizen, state="submitted", form=dict(PII_FORM))


def shows_clear(text: str) -> list[str]:
    return [number for number in CLEAR if number in text]


def reveals(**filters):
    return AuditRecord.objects.filter(action="cases.case.reveal", **filters)


# --------------------------------------------------------------------------- the function


def test_the_form_names_its_personal_fields_by_prefill_name_and_title():
    assert personal_fields(PII_SCHEMA, PII_UI) == {
        "id_number": "id_number",
        "contact_phone": "phone",
        "office_phone": "phone",
    }
    schema = {
        "properties": {
            "elder_id": {"type": "string", "title": "老人公民身份号码"},
            "doctor_id": {"type": "string", "title": "港澳居民来往内地通行证号码"},
            "mobile": {"type": "string", "title": "监护人联系电话"},
            "owner": {"type": "string", "title": "车主"},
        }
    }
    assert personal_fields(schema, {"prefill": {"owner": "applicant.id_number"}}) == {
        "elder_id": "id_number",
        "doctor_id": "id_number",
        "mobile": "phone",
        "owner": "id_number",
    }


def test_answers_are_masked_by_type_by_field_and_by_value():
    shown = mask_form_answers(PII_SCHEMA, PII_FORM, PII_UI)
    assert shown == {
        **PII_FORM,
        "id_number": ID_MASKED,
        "contact_phone": PHONE_MASKED,
        "office_phone": "075*-***3456",
        "partner_doc": "M******78",
        "note": NOTE_MASKED,
    }
    assert PII_FORM["id_number"] == ID  # a copy: the stored answers are untouched
    # a key the schema does not know, nested values, and a named field whose value is no
    # valid number: masked all the same
    loose = mask_form_answers(
        {"properties": {"id_number": {"type": "string"}}},
        {"id_number": "ABC123", "extra": ["+853 6612 3456", {"who": "+8613800138000"}]},
    )
    assert loose == {"id_number": "A***23", "extra": ["+853 66****56", {"who": PHONE_MASKED}]}
    # ordinary answers pass: dates, amounts, bank and licence numbers, words
    for text in ("2026-11-02", "6222021234567890123", "91440400MA4UJ1KK07", "粤C12345", "12"):
        assert mask_text(text) == text


# --------------------------------------------------------------------------- staff sees masked


@pytest.mark.parametrize("who", ["clerk", "handler", "head"])
def test_staff_see_the_form_masked_in_the_api_and_on_the_page(client, staff, case, who):
    user = getattr(staff, who)
    response = api_as(user).get(f"/api/v1/cases/{case.number}/")
    assert response.status_code == 200
    form = response.json()["form_data"]
    assert form["id_number"] == ID_MASKED and form["contact_phone"] == PHONE_MASKED
    assert form["note"] == NOTE_MASKED and form["uscc"] == PII_FORM["uscc"]
    assert shows_clear(response.content.decode()) == []

    client.force_login(user)
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert ID_MASKED in page and PHONE_MASKED in page and "家庭经营" in page
    assert "440402********004X" in page and "申请表中的证件号码、电话号码已脱敏显示" in page
    assert shows_clear(page) == []
    assert not reveals().exists()


# --------------------------------------------------------------------------- reveal


def test_a_clerk_reveals_the_clear_answers_with_a_reason_on_the_record(client, staff, case):
    client.force_login(staff.clerk)
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert 'id="reveal-form"' in page
    response = client.post(f"/workbench/cases/{case.number}/reveal/", {"reason": "核对申请表"})
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    text = response.content.decode()
    for number in (ID, PHONE, "139-1234-5678", "44040219920315004X", "0756-2123456"):
        assert number in text
    record = reveals().get()
    assert record.result == "success" and record.actor_id == staff.clerk.pk
    assert record.details["reason"] == "核对申请表" and "form_data" in record.details["fields"]
    assert ID not in str(record.details)  # the record names the fields, not the numbers

    # the API the same way; a missing reason is a field error and reveals nothing
    api = api_as(staff.clerk)
    blank = api.post(f"/api/v1/cases/{case.number}/reveal/", {"reason": " "}, format="json")
    assert blank.status_code == 400 and shows_clear(blank.content.decode()) == []
    shown = api.post(f"/api/v1/cases/{case.number}/reveal/", {"reason": "电话核实"}, format="json")
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    body = shown.json()
    assert body["form_data"] == PII_FORM
    assert body["applicant_id_number"] == ID and body["contact_phone"] == case.contact_phone
    assert reveals(result="success").count() == 2
    # and the next plain read is masked again
    assert api.get(f"/api/v1/cases/{case.number}/").json()["form_data"]["id_number"] == ID_MASKED


@pytest.mark.parametrize("who", ["handler", "head"])
def test_a_reveal_without_the_capability_is_403_and_on_the_record(client, staff, case, who):
    user = getattr(staff, who)
    client.force_login(user)
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert 'id="reveal-form"' not in page
    refused = client.post(f"/workbench/cases/{case.number}/reveal/", {"reason": "想看看"})
    assert refused.status_code == 403 and shows_clear(refused.content.decode()) == []
    answer = api_as(user).post(
        f"/api/v1/cases/{case.number}/reveal/", {"reason": "想看看"}, format="json"
    )
    assert answer.status_code == 403 and shows_clear(answer.content.decode()) == []
    denied = reveals(result="denied", actor_id=user.pk)
    assert denied.count() == 2 and not reveals(result="success").exists()
    assert "想看看" not in str(denied.first().details)  # a digest of the reason only


def test_another_departments_clerk_cannot_reach_the_case_to_reveal(staff, case):
    answer = api_as(staff.elsewhere).post(
        f"/api/v1/cases/{case.number}/reveal/", {"reason": "核对"}, format="json"
    )
    assert answer.status_code == 404 and not reveals(result="success").exists()


# --------------------------------------------------------------------------- own data


def test_the_applicant_reads_their_own_answers_in_clear(citizen, case):
    client = api_as(citizen)
    mine = client.get(f"/api/v1/my/cases/{case.number}/")
    assert mine.status_code == 200 and mine.json()["form"] == PII_FORM
    assert client.get(f"/api/v1/cases/{case.number}/").status_code == 403  # not the staff API
    assert not reveals().exists()


def test_an_enterprise_agent_reads_the_enterprises_answers_in_clear(pii_item, citizen):
    enterprise = identity.register_enterprise(
        access.SYSTEM,
        name="珠海市示例贸易有限公司",
        registry="mainland",
        registration_number="91440400MA4UJ1KK07",
        legal_representative="张三",
        address="珠海市香洲区情侣中路1号",
        legal_person=citizen.person,
    )
    created = api_as(citizen).post(
        "/api/v1/applications/",
        {"item": pii_item.implementation_code, "enterprise": enterprise.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-agent",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    patched = api_as(citizen).patch(
        f"/api/v1/applications/{pk}/", {"form": {"note": NOTE}}, format="json"
    )
    assert patched.status_code == 200
    agent = make_citizen(name="李四", id_number="440402198512120018")
    identity.authorise_agent(
        access.SYSTEM, enterprise, person=agent.person, scopes=["cases.view", "cases.apply"]
    )
    seen = api_as(agent).get(f"/api/v1/applications/{pk}/")
    assert seen.status_code == 200
    assert seen.json()["form"]["note"] == NOTE
    assert seen.json()["form"]["contact_phone"] == PHONE  # prefilled from the applicant
