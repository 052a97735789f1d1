"""网上申报 through the services: draft → form → materials → submission, and every rule's
refusal (nothing half-written)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.services.cases import numbering
from shuzheng.services.cases.models import Case, CaseMaterial
from shuzheng.services.cases.services import apply, common
from shuzheng.services.catalogue.models import ItemVersion, Material, VersionStatus
from tests.services.conftest import GOOD_FORM, make_citizen, pdf_upload


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw)


def upload_required(actor, case):
    for code in ("id_proof", "premises"):
        apply.attach_material(actor, case, material_code=code, upload=pdf_upload(f"{code}.pdf"))


def ready_draft(actor, item, **kw):
    case = apply.create_draft(actor, item, **kw)
    apply.save_draft(actor, case, form=dict(GOOD_FORM))
    upload_required(actor, case)
    return case


def history(case):
    return list(case.workflow.history.order_by("seq").values_list("action", flat=True))


# --------------------------------------------------------------------------- the journey


def test_a_citizen_applies_and_gets_a_valid_number_and_receipt(item, citizen):
    case = apply.create_draft(citizen, item)
    assert case.state == "draft" and case.number is None
    assert case.owner == citizen and case.submitted_by == citizen
    assert case.item_version == item.current and case.organisation == item.organisation
    assert case.applicant_name == "张三" and case.applicant_id_number == "440402199001011236"

    apply.save_draft(citizen, case, form={"address": "珠海市香洲区拱北街道夏湾路1号"})
    apply.save_draft(citizen, case, form={"employees": "3"})
    upload_required(citizen, case)
    case = apply.submit(citizen, case)

    assert case.state == "submitted"
    assert numbering.is_valid_number(case.number)
    assert case.number.startswith(
        "440400" + timezone.localtime(case.submitted_at).strftime("%Y%m%d")
    )
    assert case.form_data == {**GOOD_FORM, "business_name": "张三"}
    assert history(case) == ["start", "submit"]
    assert AuditRecord.objects.filter(
        action="services.case.submit", object_id=str(case.pk)
    ).exists()
    event = OutboxEvent.objects.get(type="services.case.submitted")
    assert event.payload["number"] == case.number
    assert event.payload["item"] == item.implementation_code
    assert event.payload["organisation"] == item.organisation_id


def test_the_receipt_shows_the_promised_limit_and_the_expected_date(item, citizen):
    from shuzheng.foundation.workflow.calendar import calendar
    from shuzheng.services.cases.selectors import applicant

    case = apply.submit(citizen, ready_draft(citizen, item))
    data = applicant.receipt(case)
    assert data["number"] == case.number
    assert data["promised_limit"] == "5 个工作日"
    expected = calendar.deadline(timezone.now(), 5, "working_days").date()
    assert data["expected_date"] == expected
    assert f"受理后 5 个工作日内（预计 {expected:%Y-%m-%d}）" == data["expected_text"]
    assert data["applicant_id_masked"] == "440402********1236"


def test_the_form_is_prefilled_from_the_applicants_own_record(item, citizen):
    case = apply.create_draft(citizen, item)
    assert case.form_data == {"business_name": "张三"}


def test_a_partial_save_keeps_what_was_filled_in_without_required_fields(item, citizen):
    case = apply.create_draft(citizen, item)
    apply.save_draft(citizen, case, form={"note": "第一次填写"})
    apply.save_draft(citizen, case, form={"business_name": ""})  # cleared
    case.refresh_from_db()
    assert case.form_data == {"note": "第一次填写"}


def test_a_tampered_field_is_an_error_and_nothing_is_saved(item, citizen):
    case = apply.create_draft(citizen, item)
    with pytest.raises(ValidationError) as caught:
        apply.save_draft(citizen, case, form={"address": "珠海市香洲区某路", "is_admin": "1"})
    assert caught.value.message_dict == {"is_admin": ["表单中不存在此项"]}
    case.refresh_from_db()
    assert case.form_data == {"business_name": "张三"}


def test_an_invalid_value_on_a_draft_save_is_a_field_error(item, citizen):
    case = apply.create_draft(citizen, item)
    with pytest.raises(ValidationError) as caught:
        apply.save_draft(citizen, case, form={"employees": "九", "address": "x" * 121})
    assert caught.value.message_dict == {
        "employees": ["“从业人数”应为整数"],
        "address": ["“经营场所”不能超过 120 个字"],
    }


def test_submitting_with_a_missing_required_field_says_which_and_writes_nothing(item, citizen):
    case = apply.create_draft(citizen, item)
    upload_required(citizen, case)
    with pytest.raises(ValidationError) as caught:
        apply.submit(citizen, case, form={"business_name": "张三便利店"})
    assert caught.value.message_dict == {
        "address": ["请填写“经营场所”"],
        "employees": ["请填写“从业人数”"],
    }
    case.refresh_from_db()
    assert case.state == "draft" and case.number is None and history(case) == ["start"]
    assert case.form_data == {"business_name": "张三"}  # the failed submission saved nothing


def test_submitting_without_a_required_material_names_it(item, citizen):
    case = apply.create_draft(citizen, item)
    apply.save_draft(citizen, case, form=dict(GOOD_FORM))
    apply.attach_material(citizen, case, material_code="id_proof", upload=pdf_upload())
    with pytest.raises(ValidationError) as caught:
        apply.submit(citizen, case)
    assert caught.value.message_dict == {"materials": ["缺少必要材料：经营场所使用证明"]}
    assert Case.objects.get(pk=case.pk).state == "draft"


def test_deferrable_and_removed_materials_are_not_required_and_deferred_is_recorded(item, citizen):
    case = apply.submit(citizen, ready_draft(citizen, item))
    rows = {m.material.code: m for m in case.materials.all()}
    assert set(rows) == {"id_proof", "premises", "health_cert"}
    assert rows["health_cert"].deferred and rows["health_cert"].file is None


def test_a_file_of_the_wrong_type_is_a_field_error_and_nothing_is_kept(item, citizen):
    case = apply.create_draft(citizen, item)
    exe = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf")
    with pytest.raises(ValidationError) as caught:
        apply.attach_material(citizen, case, material_code="id_proof", upload=exe)
    assert "file" in caught.value.message_dict
    assert not CaseMaterial.objects.filter(case=case).exists()


def test_a_material_of_another_version_or_removed_is_refused(item, citizen):
    case = apply.create_draft(citizen, item)
    with pytest.raises(ValidationError) as unknown:
        apply.attach_material(citizen, case, material_code="nope", upload=pdf_upload())
    assert unknown.value.message_dict == {"material_code": ["本事项没有这项申请材料"]}
    with pytest.raises(ValidationError) as removed:
        apply.attach_material(citizen, case, material_code="old_form", upload=pdf_upload())
    assert "已按“能通过网络核验的一律取消”取消" in removed.value.message_dict["material_code"][0]
    assert not CaseMaterial.objects.filter(case=case).exists()


def test_replacing_a_materials_file_keeps_one_row_and_discards_the_draft_upload(item, citizen):
    case = apply.create_draft(citizen, item)
    first = apply.attach_material(citizen, case, material_code="id_proof", upload=pdf_upload())
    old = first.file
    second = apply.attach_material(
        citizen, case, material_code="id_proof", upload=pdf_upload("again.pdf")
    )
    assert CaseMaterial.objects.filter(case=case).count() == 1
    assert second.pk == first.pk and second.file != old
    assert StoredFile.objects.get(pk=old.pk).deleted_at is not None


def test_a_submitted_application_cannot_be_edited(item, citizen):
    case = apply.submit(citizen, ready_draft(citizen, item))
    with pytest.raises(ValidationError) as caught:
        apply.save_draft(citizen, case, form={"note": "改一下"})
    assert "不能再修改" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        apply.attach_material(citizen, case, material_code="id_proof", upload=pdf_upload())
    case.refresh_from_db()
    assert "note" not in case.form_data
    assert case.materials.filter(file__isnull=False).count() == 2


def test_submitting_twice_returns_the_same_case_with_one_history_row(item, citizen):
    case = ready_draft(citizen, item)
    first = apply.submit(citizen, case)
    again = apply.submit(citizen, Case.objects.get(pk=case.pk))
    assert again.number == first.number
    assert history(again) == ["start", "submit"]
    assert OutboxEvent.objects.filter(type="services.case.submitted").count() == 1


# --------------------------------------------------------------------------- who may


def test_another_citizen_cannot_edit_upload_or_submit_my_draft(item, citizen, other_citizen):
    case = ready_draft(citizen, item)
    with pytest.raises(PermissionDenied):
        apply.save_draft(other_citizen, case, form={"note": "x"})
    with pytest.raises(PermissionDenied):
        apply.attach_material(other_citizen, case, material_code="id_proof", upload=pdf_upload())
    with pytest.raises(PermissionDenied):
        apply.submit(other_citizen, case)
    with pytest.raises(PermissionDenied):
        apply.withdraw(other_citizen, case, reason="x")
    assert Case.objects.get(pk=case.pk).state == "draft"


def test_an_account_without_a_person_record_cannot_apply(item, tree, make_staff):
    staff = make_staff(tree.zwfw)
    with pytest.raises(PermissionDenied):
        apply.create_draft(staff, item)
    assert not Case.objects.exists()


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


def authorise(enterprise, user, scopes):
    agency = identity.authorise_agent(access.SYSTEM, enterprise, person=user.person, scopes=scopes)
    access.forget(user)
    return agency


def test_the_legal_representative_applies_for_the_enterprise(item, citizen, enterprise):
    case = apply.create_draft(citizen, item, enterprise=enterprise)
    assert case.applicant_type == "enterprise" and case.enterprise == enterprise
    assert case.applicant_name == enterprise.name and case.applicant_id_type == "001"
    assert case.applicant_id_number == "91440400MA4UJ1KK07"
    assert case.legal_representative == "张三" and case.contact_name == "张三"


def test_an_agent_without_the_apply_scope_is_refused(item, enterprise, other_citizen):
    authorise(enterprise, other_citizen, ["cases.view"])
    with pytest.raises(PermissionDenied):
        apply.create_draft(other_citizen, item, enterprise=enterprise)
    assert not Case.objects.exists()


def test_an_agent_with_the_apply_scope_applies_and_submits(item, enterprise, other_citizen):
    authorise(enterprise, other_citizen, ["cases.apply", "cases.view"])
    case = ready_draft(other_citizen, item, enterprise=enterprise)
    case = apply.submit(other_citizen, case)
    assert case.state == "submitted" and case.owner is None
    assert case.submitted_by == other_citizen and case.contact_name == "李四"


def test_a_legal_only_item_is_refused_to_a_person(tree, item_factory, citizen):
    item = item_factory(tree.zwfw, audience="legal")
    with pytest.raises(ValidationError) as caught:
        apply.create_draft(citizen, item)
    assert caught.value.message_dict["item"] == ["本事项仅面向法人办理，请以企业身份申请"]


def test_a_person_only_item_is_refused_to_an_enterprise(tree, item_factory, citizen, enterprise):
    item = item_factory(tree.zwfw, audience="person")
    with pytest.raises(ValidationError) as caught:
        apply.create_draft(citizen, item, enterprise=enterprise)
    assert caught.value.message_dict["item"] == ["本事项仅面向自然人办理，不能以企业身份申请"]


def test_an_unpublished_item_cannot_be_applied_for(tree, item_factory, citizen):
    item = item_factory(tree.zwfw, publish=False)
    with pytest.raises(ValidationError):
        apply.create_draft(citizen, item)


def test_an_item_without_online_application_is_refused_online(tree, item_factory, citizen):
    item = item_factory(tree.zwfw)
    ItemVersion.objects.filter(pk=item.current_id).update(online_depth=2)
    item.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        apply.create_draft(citizen, item)
    assert "请到办事窗口办理" in caught.value.message_dict["item"][0]


# --------------------------------------------------------------------------- versions


def publish_v2(item):
    v1 = item.current
    v2 = ItemVersion.objects.get(pk=v1.pk)
    v2.pk, v2.version, v2.status = None, 2, VersionStatus.PUBLISHED
    v2._state.adding = True
    v2.form_schema = {
        "type": "object",
        "required": ["shop"],
        "additionalProperties": False,
        "properties": {"shop": {"type": "string", "title": "店名"}},
    }
    v2.save()
    Material.objects.create(
        version=v2, code="new_proof", name="新材料", kind="electronic", necessity="required"
    )
    ItemVersion.objects.filter(pk=v1.pk).update(status=VersionStatus.SUPERSEDED)
    item.current = v2
    item.save(update_fields=["current"])
    return v1, v2


def test_a_draft_keeps_the_version_it_was_started_under(item, citizen):
    case = apply.create_draft(citizen, item)
    v1, v2 = publish_v2(item)
    apply.save_draft(citizen, case, form=dict(GOOD_FORM))
    upload_required(citizen, case)  # v1's materials, not v2's new_proof
    case = apply.submit(citizen, case)
    assert case.item_version == v1 and case.state == "submitted"
    new = apply.create_draft(citizen, item)
    assert new.item_version == v2


def test_a_draft_of_an_item_no_longer_offered_cannot_be_submitted(item, citizen):
    case = ready_draft(citizen, item)
    ItemVersion.objects.filter(pk=item.current_id).update(status=VersionStatus.WITHDRAWN)
    with pytest.raises(ValidationError) as caught:
        apply.submit(citizen, case)
    assert caught.value.message_dict == {"item": ["该事项已停止办理，不能提交申请"]}


# --------------------------------------------------------------------------- 告知承诺


def test_a_commitment_stands_in_for_government_issued_proofs(tree, item_factory, citizen):
    item = item_factory(tree.zwfw, commitment=True)
    item.current.materials.filter(code="id_proof").update(source="government")
    case = apply.create_draft(citizen, item)
    apply.save_draft(citizen, case, form=dict(GOOD_FORM))
    apply.attach_material(citizen, case, material_code="premises", upload=pdf_upload())
    case = apply.submit(citizen, case, commitment=True)
    assert case.commitment_signed
    assert case.materials.get(material__code="id_proof").by_commitment


def test_a_commitment_does_not_replace_what_the_applicant_prepares(tree, item_factory, citizen):
    item = item_factory(tree.zwfw, commitment=True)
    case = apply.create_draft(citizen, item)
    apply.save_draft(citizen, case, form=dict(GOOD_FORM))
    with pytest.raises(ValidationError) as caught:
        apply.submit(citizen, case, commitment=True)
    assert caught.value.message_dict == {
        "materials": ["缺少必要材料：经营者身份证明、经营场所使用证明"]
    }
    assert not CaseMaterial.objects.filter(case=case).exists()


def test_a_commitment_on_an_item_without_it_is_refused(item, citizen):
    case = ready_draft(citizen, item)
    with pytest.raises(ValidationError) as caught:
        apply.submit(citizen, case, commitment=True)
    assert "commitment" in caught.value.message_dict


# --------------------------------------------------------------------------- 补正, 撤件


def request_correction(case, reasons):
    common.move(access.SYSTEM, case, "request_correction", reason="；".join(reasons))
    Case.objects.filter(pk=case.pk).update(correction_reasons=reasons)
    case.refresh_from_db()
    return case


def test_after_a_correction_notice_only_the_named_items_change_and_it_resubmits(item, citizen):
    case = apply.submit(citizen, ready_draft(citizen, item))
    case = request_correction(case, ["经营场所使用证明不清晰，请重新上传", "请补充“备注”"])
    with pytest.raises(ValidationError) as outside:
        apply.attach_material(citizen, case, material_code="id_proof", upload=pdf_upload())
    assert outside.value.message_dict == {"material_code": ["此材料不在补正范围内"]}
    with pytest.raises(ValidationError) as field:
        apply.save_draft(citizen, case, form={"address": "珠海市斗门区井岸镇1号"})
    assert field.value.message_dict == {"address": ["此项不在补正范围内，不能修改"]}
    apply.attach_material(citizen, case, material_code="premises", upload=pdf_upload("new.pdf"))
    case = apply.resubmit(citizen, case, form={"note": "已补充"})
    assert case.state == "submitted" and case.form_data["note"] == "已补充"
    assert history(case)[-1] == "resubmit"
    again = apply.resubmit(citizen, case)
    assert history(again).count("resubmit") == 1


def test_submit_is_not_the_way_back_from_a_correction(item, citizen):
    case = request_correction(apply.submit(citizen, ready_draft(citizen, item)), ["请补充材料"])
    with pytest.raises(ValidationError):
        apply.submit(citizen, case)


def test_an_applicant_withdraws_with_a_reason(item, citizen):
    case = apply.submit(citizen, ready_draft(citizen, item))
    with pytest.raises(ValidationError) as caught:
        apply.withdraw(citizen, case, reason="  ")
    assert caught.value.message_dict == {"reason": ["请填写撤回申请的理由"]}
    case = apply.withdraw(citizen, case, reason="不再需要")
    assert case.state == "withdrawn"
    record = case.workflow.history.order_by("-seq").first()
    assert record.action == "withdraw" and record.reason == "不再需要"


def test_a_running_case_is_withdrawn_through_withdraw_running(item, citizen, case_factory):
    case = case_factory(item, citizen, state="review")
    case = apply.withdraw(citizen, case, reason="已在他处办理")
    assert case.state == "withdrawn" and history(case)[-1] == "withdraw_running"


def test_a_draft_is_not_withdrawn(item, citizen):
    case = apply.create_draft(citizen, item)
    with pytest.raises(ValidationError):
        apply.withdraw(citizen, case, reason="不要了")


# --------------------------------------------------------------------------- window 代办


@pytest.fixture
def walk_in(db):
    """A person registered at the window, without an account."""
    return identity.register_person(
        access.SYSTEM, name="王五", id_type="111", id_number="44040219920315004X"
    )


def test_window_clerk_applies_on_behalf_and_it_is_recorded(item, tree, make_staff, walk_in):
    clerk = make_staff(tree.zwfw, "window-clerk", on=tree.city)
    case = apply.create_draft(
        clerk, item, on_behalf_of=walk_in, agent_note="申请人持身份证原件到窗口办理"
    )
    assert case.on_behalf and case.channel == "window" and case.owner is None
    assert case.submitted_by == clerk and case.person == walk_in
    assert case.agent_note == "申请人持身份证原件到窗口办理"
    assert case.form_data == {"business_name": "王五"}
    case = apply.submit(clerk, ready_continue(clerk, case))
    assert case.state == "submitted" and case.submitted_by == clerk
    assert numbering.is_valid_number(case.number)
    audit = AuditRecord.objects.get(action="services.case.submit", object_id=str(case.pk))
    assert audit.actor_id == clerk.pk and audit.details["on_behalf"] is True
    record = case.workflow.history.get(action="submit_at_window")
    assert record.actor == clerk  # in the clerk's own name, not the installation's


def ready_continue(actor, case):
    apply.save_draft(actor, case, form=dict(GOOD_FORM))
    upload_required(actor, case)
    return case


def test_window_applications_reach_the_persons_own_account(item, tree, make_staff):
    clerk = make_staff(tree.zwfw, "window-clerk", on=tree.city)
    person_user = make_citizen(name="赵六", id_number="44040219920315004X")
    case = apply.create_draft(clerk, item, on_behalf_of=person_user.person)
    assert case.owner == person_user


def test_a_clerk_without_the_capability_cannot_apply_on_behalf(item, tree, make_staff, walk_in):
    handler = make_staff(tree.zwfw, "case-handler", on=tree.city)
    with pytest.raises(PermissionDenied):
        apply.create_draft(handler, item, on_behalf_of=walk_in)
    assert not Case.objects.exists()


def test_another_clerk_outside_the_organisation_cannot_continue_a_window_draft(
    item, tree, make_staff, walk_in
):
    clerk = make_staff(tree.zwfw, "window-clerk", on=tree.city)
    case = apply.create_draft(clerk, item, on_behalf_of=walk_in)
    elsewhere = make_staff(tree.doumen, "window-clerk")
    with pytest.raises(PermissionDenied):
        apply.save_draft(elsewhere, case, form={"note": "x"})
    colleague = make_staff(tree.zwfw, "window-clerk", on=tree.city)
    apply.save_draft(colleague, case, form={"note": "同事继续办理"})


# --------------------------------------------------------------------------- the race


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_give_one_number_and_one_history_row(tree, item_factory):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL; SQLite serialises writers anyway")
    citizen = make_citizen(id_number="440402199001011236")
    item = item_factory(tree.zwfw)
    case = ready_draft(citizen, item)
    barrier = threading.Barrier(2)
    numbers, errors = [], []

    def attempt():
        from django.db import connections

        barrier.wait()
        try:
            numbers.append(apply.submit(citizen, Case.objects.get(pk=case.pk)).number)
        except Exception as exc:  # noqa: BLE001  (the assertion reports it)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(numbers)) == 1 and len(numbers) == 2
    assert history(Case.objects.get(pk=case.pk)) == ["start", "submit"]
