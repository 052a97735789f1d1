"""The applicant's pages: start, fill in and upload, submit once (receipt), 我的办件 with
the timeline, 补正 and 撤件 — and a stranger's case is a 404 everywhere."""

import re

import pytest
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.services.cases import numbering
from shuzheng.services.cases.models import Case
from shuzheng.services.cases.services import apply, common
from tests.services.conftest import GOOD_FORM, pdf_upload


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw)


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


def start_url(item):
    return reverse("cases:apply", kwargs={"code": item.implementation_code})


def token_of(page) -> str:
    return re.search(r'name="_token" value="([^"]+)"', page.content.decode()).group(1)


def test_apply_creates_a_draft_and_resumes_it_the_second_time(signed_in, item, citizen):
    first = signed_in.get(start_url(item))
    case = Case.objects.get()
    assert first.status_code == 302 and first.url == reverse("cases:draft", kwargs={"pk": case.pk})
    again = signed_in.get(start_url(item))
    assert again.url == first.url and Case.objects.count() == 1


def test_apply_needs_a_login(client, item):
    response = client.get(start_url(item))
    assert response.status_code == 302 and "/accounts/" in response.url


def test_the_draft_page_shows_the_prefilled_form_and_the_materials_checklist(
    signed_in, item, citizen
):
    case = apply.create_draft(citizen, item)
    page = signed_in.get(reverse("cases:draft", kwargs={"pk": case.pk})).content.decode()
    assert 'name="business_name"' in page and 'value="张三"' in page
    assert 'for="field-employees"' in page and "从业人数" in page
    assert 'name="_file-id_proof"' in page and "容缺" in page
    assert "<del>名称预先核准通知书</del>" in page and "能通过网络核验的一律取消" in page
    assert 'name="_file-old_form"' not in page


def test_the_whole_journey_on_the_pages(signed_in, item, citizen):
    case = apply.create_draft(citizen, item)
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    page = signed_in.get(url)
    response = signed_in.post(
        url,
        {
            **GOOD_FORM,
            "note": "",
            "_token": token_of(page),
            "_action": "submit",
            "_file-id_proof": pdf_upload("id.pdf"),
            "_file-premises": pdf_upload("premises.pdf"),
        },
    )
    case.refresh_from_db()
    assert case.state == "submitted" and numbering.is_valid_number(case.number)
    assert response.status_code == 302
    assert response.url == reverse("cases:receipt", kwargs={"number": case.number})
    receipt = signed_in.get(response.url).content.decode()
    assert (
        case.number in receipt
        and "5 个工作日" in receipt
        and "受理后 5 个工作日内（预计" in receipt
    )
    assert "440402********1236" in receipt


def test_field_errors_are_shown_inline_and_nothing_is_submitted(signed_in, item, citizen):
    case = apply.create_draft(citizen, item)
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    page = signed_in.get(url)
    response = signed_in.post(
        url,
        {
            "business_name": "张三便利店",
            "employees": "abc",
            "_token": token_of(page),
            "_action": "submit",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "“从业人数”应为整数" in html and 'aria-invalid="true"' in html
    assert Case.objects.get(pk=case.pk).state == "draft"


def test_a_missing_required_field_and_material_are_named_on_submit(signed_in, item, citizen):
    case = apply.create_draft(citizen, item)
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    page = signed_in.get(url)
    html = signed_in.post(
        url, {"business_name": "张三便利店", "_token": token_of(page), "_action": "submit"}
    ).content.decode()
    assert "请填写“经营场所”" in html and "缺少必要材料：经营者身份证明、经营场所使用证明" in html


def test_a_wrong_file_type_is_shown_beside_its_material(signed_in, item, citizen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = apply.create_draft(citizen, item)
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    bad = SimpleUploadedFile("x.pdf", b"just text, not a pdf at all", "application/pdf")
    html = signed_in.post(url, {"_action": "save", "_file-id_proof": bad}).content.decode()
    assert "申请材料只接受" in html and 'id="file-id_proof-error"' in html


def test_saving_a_draft_keeps_the_form(signed_in, item, citizen):
    case = apply.create_draft(citizen, item)
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    response = signed_in.post(url, {"business_name": "新名称", "_action": "save"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.form_data == {"business_name": "新名称"}


def test_a_tampered_form_field_is_refused_on_the_page(signed_in, item, citizen):
    case = apply.create_draft(citizen, item)
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    html = signed_in.post(url, {"business_name": "新名称", "role": "admin"}).content.decode()
    assert "表单中不存在此项" in html
    case.refresh_from_db()
    assert case.form_data == {"business_name": "张三"}


def test_a_double_click_on_submit_lands_on_the_receipt_with_one_submission(
    signed_in, item, citizen
):
    case = apply.create_draft(citizen, item)
    apply.save_draft(citizen, case, form=dict(GOOD_FORM))
    for code in ("id_proof", "premises"):
        apply.attach_material(citizen, case, material_code=code, upload=pdf_upload())
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    token = token_of(signed_in.get(url))
    body = {**GOOD_FORM, "_token": token, "_action": "submit"}
    first = signed_in.post(url, body)
    second = signed_in.post(url, body)
    case.refresh_from_db()
    assert first.url == second.url == reverse("cases:receipt", kwargs={"number": case.number})
    assert list(case.workflow.history.values_list("action", flat=True)) == ["start", "submit"]


def test_another_citizen_gets_404_for_my_draft_case_and_receipt(
    client, item, citizen, other_citizen, case_factory
):
    draft = apply.create_draft(citizen, item)
    case = case_factory(item, citizen, state="submitted")
    client.force_login(other_citizen)
    assert client.get(reverse("cases:draft", kwargs={"pk": draft.pk})).status_code == 404
    assert client.post(reverse("cases:draft", kwargs={"pk": draft.pk}), {}).status_code == 404
    assert client.get(reverse("cases:my-case", kwargs={"number": case.number})).status_code == 404
    assert client.get(reverse("cases:receipt", kwargs={"number": case.number})).status_code == 404
    listing = client.get(reverse("cases:my-cases")).content.decode()
    assert case.number not in listing


def test_staff_grants_do_not_fill_my_cases_with_the_organisations_cases(
    client, tree, make_staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    clerk = make_staff(tree.zwfw, "window-clerk", on=tree.city)
    client.force_login(clerk)
    assert case.number not in client.get(reverse("cases:my-cases")).content.decode()
    assert client.get(reverse("cases:my-case", kwargs={"number": case.number})).status_code == 404


def test_my_cases_lists_drafts_and_cases_with_their_state_and_next_step(
    signed_in, item, citizen, case_factory
):
    draft = apply.create_draft(citizen, item)
    case = case_factory(item, citizen, state="submitted")
    html = signed_in.get(reverse("cases:my-cases")).content.decode()
    assert reverse("cases:draft", kwargs={"pk": draft.pk}) in html
    assert case.number in html and "已申报" in html and "等待窗口受理" in html


def test_the_case_page_shows_the_timeline_without_staff_names(
    signed_in, tree, make_staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    clerk = make_staff(tree.zwfw, "window-clerk", on=tree.city, name="窗口小王")
    common.move(clerk, case, "request_correction", reason="经营场所使用证明不清晰")
    Case.objects.filter(pk=case.pk).update(correction_reasons=["经营场所使用证明不清晰"])
    html = signed_in.get(reverse("cases:my-case", kwargs={"number": case.number})).content.decode()
    assert "补齐补正" in html and "补正事项：经营场所使用证明不清晰" in html
    assert "窗口小王" not in html and "珠海市政务服务数据管理局" in html
    assert reverse("cases:draft", kwargs={"pk": case.pk}) in html  # fix and resubmit


def test_the_applicant_fixes_and_resubmits_on_the_draft_page(
    signed_in, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    common.move(access.SYSTEM, case, "request_correction", reason="经营场所使用证明不清晰")
    Case.objects.filter(pk=case.pk).update(correction_reasons=["经营场所使用证明不清晰"])
    url = reverse("cases:draft", kwargs={"pk": case.pk})
    page = signed_in.get(url)
    html = page.content.decode()
    assert "补正后重新提交" in html and 'name="_file-premises"' in html
    assert 'name="_file-id_proof"' not in html
    response = signed_in.post(
        url,
        {"_token": token_of(page), "_action": "submit", "_file-premises": pdf_upload("new.pdf")},
    )
    case.refresh_from_db()
    assert response.status_code == 302 and case.state == "submitted"


def test_the_applicant_withdraws_from_the_case_page(signed_in, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    url = reverse("cases:withdraw", kwargs={"number": case.number})
    signed_in.post(url, {"reason": ""})
    assert Case.objects.get(pk=case.pk).state == "submitted"
    signed_in.post(url, {"reason": "不再需要"})
    assert Case.objects.get(pk=case.pk).state == "withdrawn"


def test_an_agent_chooses_to_apply_as_the_enterprise(client, item, citizen):
    enterprise = identity.register_enterprise(
        access.SYSTEM,
        name="珠海市示例贸易有限公司",
        registry="mainland",
        registration_number="91440400MA4UJ1KK07",
        legal_representative="张三",
        address="珠海市香洲区情侣中路1号",
        legal_person=citizen.person,
    )
    client.force_login(citizen)
    page = client.get(start_url(item))
    assert (
        page.status_code == 200
        and "以企业身份办理：珠海市示例贸易有限公司" in page.content.decode()
    )
    response = client.post(start_url(item), {"as": str(enterprise.pk)})
    case = Case.objects.get()
    assert case.enterprise == enterprise and response.url.endswith(f"/my/drafts/{case.pk}/")


def test_a_legal_only_item_without_an_enterprise_explains_why(client, tree, item_factory, citizen):
    item = item_factory(tree.zwfw, audience="legal")
    client.force_login(citizen)
    response = client.get(start_url(item))
    assert response.status_code == 403 and "仅面向法人办理" in response.content.decode()
    assert not Case.objects.exists()
