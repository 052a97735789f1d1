"""事项管理 in the workbench: editors see and edit their own organisations' items; drafts are
edited with a form (fields, materials, fees, Q&A), submitted, reviewed by someone else and
published; import shows every problem; export downloads the editor's items."""

import io as bytes_io
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from shuzheng.foundation import access
from shuzheng.services.catalogue import io, selectors, services
from shuzheng.services.catalogue.models import ItemVersion, ServiceItem
from tests.services.catalogue.builders import (  # noqa: F401  (fixtures)
    basic_item,
    create,
    implementation_code,
    kaiban_fixture,
    publish,
    simplified_chinese_fixture,
    staff_fixture,
)

pytestmark = pytest.mark.django_db
DEMO = json.loads(
    (Path(__file__).with_name("fixtures") / "catalogue-demo.json").read_text(encoding="utf-8")
)


@pytest.fixture
def item(tree, staff, kaiban):
    return publish(staff.editor, staff.head, tree.zwfw)


def signed_in(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"catalogue:{name}", args=args)


def form_data(response) -> dict:
    """What the browser would send back for the page's draft form, unchanged."""
    data = {}

    def add(form, prefix=""):
        for name in form.fields:
            value = form[name].value()
            key = f"{prefix}{name}"
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = list(value)
            else:
                data[key] = value

    add(response.context["form"])
    for _kind, formset in response.context["formsets"]:
        mf = formset.management_form
        for name in mf.fields:
            data[f"{formset.prefix}-{name}"] = mf[name].value()
        for index, form in enumerate(formset.forms):
            add(form, f"{formset.prefix}-{index}-")
    return data


# --- the list and the item ------------------------------------------------------------------


def test_an_editor_lists_the_items_of_their_organisations(client, tree, staff, item):
    create(staff.other_editor, tree.doumen, name="斗门区的事项")
    services.new_draft(staff.editor, item)
    page = signed_in(client, staff.editor).get(url("manage"))
    assert page.status_code == 200
    text = page.content.decode()
    assert item.implementation_code in text and "斗门区的事项" not in text
    assert "草稿" in text  # the open draft's status is shown beside the published one
    other = signed_in(client, staff.other_editor).get(url("manage")).content.decode()
    assert "斗门区的事项" not in other or item.implementation_code not in other
    assert item.implementation_code not in other


def test_the_list_filters_by_name_and_status(client, tree, staff, item):
    create(staff.editor, tree.zwfw, name="城市道路占用挖掘许可")
    client = signed_in(client, staff.editor)
    text = client.get(url("manage"), {"q": "占用"}).content.decode()
    assert "城市道路占用挖掘许可" in text and item.implementation_code not in text
    text = client.get(url("manage"), {"status": "published"}).content.decode()
    assert item.implementation_code in text and "城市道路占用挖掘许可" not in text


def test_citizens_and_anonymous_visitors_are_kept_out(client, citizen, item):
    assert client.get(url("manage")).status_code == 302
    assert signed_in(client, citizen).get(url("manage")).status_code == 403
    assert client.get(url("manage-item", item.implementation_code)).status_code == 403


def test_another_departments_editor_does_not_find_the_item(client, staff, item):
    client = signed_in(client, staff.other_editor)
    assert client.get(url("manage-item", item.implementation_code)).status_code == 404
    assert client.post(url("manage-new-draft", item.implementation_code)).status_code == 404
    assert item.versions.count() == 1


def test_the_item_page_lists_its_versions(client, staff, item):
    page = signed_in(client, staff.editor).get(url("manage-item", item.implementation_code))
    assert page.status_code == 200
    assert [v.version for v in page.context["versions"]] == [1]
    assert "起草新版本" in page.content.decode()


# --- drafting and editing ---------------------------------------------------------------


def test_drafting_a_new_version_opens_its_form(client, staff, item):
    client = signed_in(client, staff.editor)
    response = client.post(url("manage-new-draft", item.implementation_code))
    assert response.status_code == 302
    assert response["Location"] == url("manage-version", item.implementation_code, 2)
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["editable"]
    assert page.context["form"]["name"].value() == "个体工商户设立登记"
    again = client.post(url("manage-new-draft", item.implementation_code), follow=True)
    assert "第 2 版" in again.content.decode()
    assert item.versions.count() == 2


def test_the_draft_form_saves_fields_and_parts(client, staff, item):
    draft = services.new_draft(staff.editor, item)
    client = signed_in(client, staff.editor)
    page = client.get(url("manage-version", item.implementation_code, 2))
    data = form_data(page)
    data["promised_limit"] = 3
    data["keywords"] = "个体户\n开店\n营业执照"
    data["m-1-DELETE"] = "on"  # drop 经营场所使用证明
    data.update(
        {
            "m-4-code": "lease",
            "m-4-name": "租赁合同",
            "m-4-kind": "copy",
            "m-4-necessity": "optional",
            "m-4-source": "applicant",
            "m-4-copies": "1",
        }
    )
    data.update({"q-1-question": "多久办结？", "q-1-answer": "3 个工作日。"})
    response = client.post(url("manage-version", item.implementation_code, 2), data)
    assert response.status_code == 302, _errors(response)
    draft = ItemVersion.objects.get(pk=draft.pk)
    assert draft.promised_limit == 3 and draft.keywords == ["个体户", "开店", "营业执照"]
    assert [m.code for m in draft.materials.all()] == [
        "id_proof",
        "health_cert",
        "old_form",
        "lease",
    ]
    assert draft.materials.get(code="old_form").removed_rule == "online_check"
    assert draft.questions.count() == 2
    assert list(draft.themes.values_list("code", flat=True)) == ["kaiban"]
    assert draft.form_schema == item.current.form_schema


def _errors(response) -> str:
    context = response.context
    if not context or "form" not in context:
        return response.content.decode()[:2000]
    out = [str(context["form"].errors)]
    for _kind, formset in context["formsets"]:
        out.append(str(formset.errors))
    return "\n".join(out)


def test_bad_draft_input_is_shown_beside_the_fields_and_nothing_is_saved(client, staff, item):
    draft = services.new_draft(staff.editor, item)
    client = signed_in(client, staff.editor)
    data = form_data(client.get(url("manage-version", item.implementation_code, 2)))
    data["promised_limit"] = 30
    data["form_ui"] = json.dumps({"prefill": {"business_name": "applicant.salary"}})
    data["m-1-code"] = "id_proof"  # a duplicate material code
    response = client.post(url("manage-version", item.implementation_code, 2), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "不能超过法定办结时限" in form.errors["promised_limit"][0]
    assert "applicant.salary" in form.errors["form_ui"][0]
    materials = dict(response.context["formsets"])["materials"]
    assert "重复" in materials.forms[1].errors["code"][0]
    fresh = ItemVersion.objects.get(pk=draft.pk)
    assert fresh.promised_limit == 5 and fresh.materials.get(sort_order=1).code == "premises"


def test_a_published_version_is_shown_but_cannot_be_posted(client, staff, item):
    client = signed_in(client, staff.editor)
    page = client.get(url("manage-version", item.implementation_code, 1))
    assert page.status_code == 200 and not page.context["editable"]
    assert "能通过网络核验的一律取消" in page.content.decode()
    response = client.post(url("manage-version", item.implementation_code, 1), {"name": "改名"})
    assert response.status_code == 403
    assert ItemVersion.objects.get(pk=item.current.pk).name == "个体工商户设立登记"


def test_save_and_submit_then_review_and_publish(client, staff, item, tree, make_staff):
    services.new_draft(staff.editor, item)
    editor = signed_in(client, staff.editor)
    data = form_data(editor.get(url("manage-version", item.implementation_code, 2)))
    data["change_note"] = "压缩时限"
    data["promised_limit"] = 2
    data["then"] = "submit"
    response = editor.post(url("manage-version", item.implementation_code, 2), data)
    assert response.status_code == 302
    draft = item.versions.get(version=2)
    assert draft.status == "in_review" and draft.submitted_by == staff.editor

    review = url("manage-review", item.implementation_code, 2)
    head = signed_in(client, staff.head)
    page = head.get(url("manage-version", item.implementation_code, 2))
    assert "审核通过并发布" in page.content.decode()
    returned = head.post(review, {"decision": "return", "opinion": ""}, follow=True)
    assert "须填写审核意见" in returned.content.decode()
    head.post(review, {"decision": "approve", "opinion": "同意"})
    item.refresh_from_db()
    assert item.current.version == 2 and item.current.promised_limit == 2


def test_the_drafter_cannot_publish_their_own_version(client, tree, staff, kaiban):
    item = create(staff.head, tree.zwfw)
    services.submit_for_review(staff.head, item.versions.get())
    head = signed_in(client, staff.head)
    page = head.get(url("manage-version", item.implementation_code, 1))
    assert "职责分离" in page.content.decode()
    response = head.post(
        url("manage-review", item.implementation_code, 1), {"decision": "approve"}, follow=True
    )
    assert "职责分离" in response.content.decode()
    assert item.versions.get().status == "in_review"


def test_a_reviewer_withdraws_an_item_with_a_reason(client, staff, item):
    client = signed_in(client, staff.head)
    page = client.get(url("manage-item", item.implementation_code))
    assert "停用" in page.content.decode()
    client.post(url("manage-withdraw", item.implementation_code), {"reason": ""})
    assert selectors.published_items().filter(pk=item.pk).exists()
    client.post(url("manage-withdraw", item.implementation_code), {"reason": "事项取消"})
    assert not selectors.published_items().filter(pk=item.pk).exists()


def test_an_editor_cannot_withdraw(client, staff, item):
    client = signed_in(client, staff.editor)
    client.post(url("manage-withdraw", item.implementation_code), {"reason": "取消"})
    assert selectors.published_items().filter(pk=item.pk).exists()


def test_a_new_item_is_created_as_a_first_draft(client, tree, staff, kaiban):
    basic = basic_item()
    code = implementation_code()
    client = signed_in(client, staff.editor)
    page = client.get(url("manage-create"))
    assert [o.name for o in page.context["form"].fields["organisation"].queryset] == [
        "珠海市政务服务数据管理局"
    ]
    response = client.post(
        url("manage-create"),
        {
            "basic_code": basic.basic_code,
            "organisation": tree.zwfw.pk,
            "implementation_code": code,
            "legal_limit": 20,
            "promised_limit": 30,
            "case_kind": "promised",
            "audience": "person",
        },
    )
    assert "不能超过法定办结时限" in response.content.decode()
    assert not ServiceItem.objects.exists()
    response = client.post(
        url("manage-create"),
        {
            "basic_code": basic.basic_code,
            "organisation": tree.zwfw.pk,
            "implementation_code": code,
            "legal_limit": 20,
            "promised_limit": 10,
            "case_kind": "promised",
            "audience": "person",
        },
    )
    assert response.status_code == 302
    version = ServiceItem.objects.get(implementation_code=code).versions.get()
    assert (version.name, version.status, version.created_by) == (basic.name, "draft", staff.editor)


# --- import and export -----------------------------------------------------------------


def test_an_import_with_problems_lists_them_and_imports_nothing(client, tree, staff):
    data = json.loads(json.dumps(DEMO))
    data["items"] = data["items"][:1]
    data["items"][0]["version"]["promised_limit"] = 99
    upload = SimpleUploadedFile("c.json", json.dumps(data).encode(), "application/json")
    response = signed_in(client, staff.editor).post(url("manage-import"), {"file": upload})
    assert response.status_code == 400
    assert "不能超过法定办结时限" in response.content.decode()
    assert not ServiceItem.objects.exists()


def test_an_editor_imports_a_workbook_as_drafts(client, tree, staff):
    data = json.loads(json.dumps(DEMO))
    data["items"] = data["items"][:1]
    upload = SimpleUploadedFile("c.xlsx", io.to_xlsx(data))
    response = signed_in(client, staff.editor).post(url("manage-import"), {"file": upload})
    assert response.status_code == 200
    assert "新增事项 1 个" in response.content.decode()
    item = ServiceItem.objects.get()
    assert item.current is None and item.versions.get().status == "draft"


def test_export_downloads_the_editors_items(client, tree, staff, item):
    publish(staff.other_editor, staff.other_head, tree.doumen, name="斗门区的事项")
    client = signed_in(client, staff.editor)
    assert client.get(url("manage-export")).status_code == 200
    response = client.get(url("manage-export"), {"format": "json"})
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert [i["implementation_code"] for i in data["items"]] == [item.implementation_code]
    response = client.get(url("manage-export"), {"format": "xlsx"})
    book = load_workbook(bytes_io.BytesIO(response.content))
    assert book["事项基本信息"].cell(row=2, column=1).value == item.implementation_code


def test_export_with_drafts_takes_the_open_draft(client, staff, item):
    draft = services.new_draft(staff.editor, item)
    services.update_draft(staff.editor, draft, fields={"promised_limit": 1})
    client = signed_in(client, staff.editor)
    data = json.loads(client.get(url("manage-export"), {"format": "json", "drafts": "1"}).content)
    assert data["items"][0]["version"]["promised_limit"] == 1
    data = json.loads(client.get(url("manage-export"), {"format": "json"}).content)
    assert data["items"][0]["version"]["promised_limit"] == 5


def test_the_installation_export_and_the_editor_export_agree(staff, item):
    assert io.export_catalogue(staff.editor, mine=True) == io.export_catalogue(access.SYSTEM)


def test_the_import_page_explains_the_template(client, staff):
    page = signed_in(client, staff.editor).get(url("manage-import"))
    assert page.status_code == 200 and 'type="file"' in page.content.decode()
    response = signed_in(client, staff.editor).post(url("manage-import"), {})
    assert response.status_code == 400 and "请选择要导入的文件" in response.content.decode()


def test_the_menus_lead_to_the_services_and_to_item_management_for_editors_only(
    client, tree, make_staff
):
    page = client.get("/").content.decode()
    assert re.search(r'class="nav-link"\s+href="/services/"', page)  # the portal menu
    editor = make_staff(tree.zwfw, "catalogue-editor")
    clerk = make_staff(tree.zwfw, "window-clerk")
    client.force_login(clerk)
    assert 'href="/workbench/catalogue/"' not in client.get("/workbench/").content.decode()
    client.force_login(editor)
    assert 'href="/workbench/catalogue/"' in client.get("/workbench/").content.decode()
