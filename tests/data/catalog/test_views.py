"""Catalogue pages: who may open which page (and who may not: 403 / 404), what each reader
sees (publication or working copy), the forms' field errors, the optimistic lock over HTTP,
the lifecycle and grading actions, import / export downloads, the open catalogue, CSRF and
no inline script."""

import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from shuzheng.data.catalog import services
from shuzheng.data.catalog.models import CatalogueEntry, EntryStatus, GradingRecord
from shuzheng.foundation import search
from tests.data.catalog.conftest import ITEMS

pytestmark = pytest.mark.django_db

LIGHT = [("code", "代码", "C", 18, "general_2", "none", False, False, True)]


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"datacatalog:{name}", args=args)


def no_inline_script(html: str) -> bool:
    scripts = re.findall(r"<script\b[^>]*>", html)
    return all("src=" in tag for tag in scripts) and not re.search(r"\son[a-z]+=", html)


@pytest.fixture
def draft(dm, entry_kwargs):
    """A draft of 公安局 (classification 101), made through the services."""
    return services.create_entry(dm.ga_admin, **entry_kwargs())


def entry_post(**changes):
    data = {
        "name": "流动人口登记信息",
        "summary": "流动人口的居住登记",
        "kind": "base",
        "resource_format": "database",
        "keywords": "流动人口、居住证",
        "update_cycle": "daily",
        "share_type": "conditional",
        "share_condition": "用于法定职责",
        "share_method": "api",
        "open_type": "none",
        "on_platform": "on",
    }
    data.update(changes)
    return data


# --- who may open the pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("catalog", ()),
        ("entry-new", ()),
        ("import", ()),
        ("grading", ()),
        ("template", ()),
        ("export", ("xlsx",)),
    ],
)
def test_staff_without_catalogue_rights_get_403(dm, name, args):
    assert as_user(dm.outsider).get(url(name, *args)).status_code == 403


def test_the_entry_page_is_403_without_catalogue_rights_and_login_is_required(client, dm):
    assert as_user(dm.outsider).get(url("entry", dm.population.code)).status_code == 403
    response = client.get(url("entry", dm.population.code))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", ["entry-new", "import"])
def test_a_data_user_cannot_open_the_editors_pages(dm, name):
    assert as_user(dm.wj_user).get(url(name)).status_code == 403


def test_only_grading_reviewers_open_the_grading_queue(dm):
    assert as_user(dm.ga_admin).get(url("grading")).status_code == 403
    assert as_user(dm.authority).get(url("grading")).status_code == 200


def test_another_departments_draft_is_404_and_its_edit_page_403_or_404(dm, draft):
    reader = as_user(dm.wj_admin)
    assert reader.get(url("entry", draft.code)).status_code == 404
    assert reader.get(url("entry-edit", draft.code)).status_code == 404
    # a published entry of another department can be read but not edited
    assert reader.get(url("entry-edit", dm.population.code)).status_code == 403
    assert reader.get(url("entry-items", dm.population.code)).status_code == 403


# --- the list --------------------------------------------------------------------------------


def test_the_catalogue_lists_published_entries_with_facets(dm, draft, make_entry):
    make_entry(
        dm.weijian, dm.wj_admin, name="医疗机构名录", items=LIGHT, share_type="unconditional"
    )
    response = as_user(dm.wj_user).get(url("catalog"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "人口基础信息" in html and "医疗机构名录" in html
    assert draft.name not in html  # 公安局's draft is not in 卫健局's catalogue
    facets = {f["name"]: f for f in response.context["facets"]}
    providers = {v["label"]: v["count"] for v in facets["provider"]["values"]}
    assert providers == {"珠海市公安局": 1, "珠海市卫生健康局": 1}
    assert no_inline_script(html)
    # a facet narrows the list, and its own link clears it
    narrowed = as_user(dm.wj_user).get(url("catalog"), {"share_type": "unconditional"})
    assert [r["name"] for r in narrowed.context["rows"]] == ["医疗机构名录"]


def test_search_finds_entries_and_htmx_gets_only_the_results(dm):
    search.reindex(dm.population)  # built directly by the fixture, not by the services
    client = as_user(dm.wj_user)
    response = client.get(url("catalog"), {"q": "人口"})
    assert [r["code"] for r in response.context["rows"]] == [dm.population.code]
    partial = client.get(
        url("catalog"), {"q": "人口"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-results"
    )
    html = partial.content.decode()
    assert "<html" not in html and dm.population.code in html


def test_my_department_tab_lists_working_copies_and_is_not_for_data_users(dm, draft):
    response = as_user(dm.ga_admin).get(url("catalog"), {"tab": "mine"})
    codes = [r["code"] for r in response.context["rows"]]
    assert draft.code in codes and dm.population.code in codes
    assert as_user(dm.wj_user).get(url("catalog"), {"tab": "mine"}).status_code == 404


def test_the_review_tab_lists_entries_waiting_for_the_authority(dm, draft):
    services.submit(dm.ga_admin, draft, revision=draft.revision)
    response = as_user(dm.authority).get(url("catalog"), {"tab": "review"})
    assert [r["code"] for r in response.context["rows"]] == [draft.code]
    assert as_user(dm.ga_admin).get(url("catalog"), {"tab": "review"}).status_code == 404


# --- one entry -------------------------------------------------------------------------------


def test_a_reader_sees_the_publication_with_masking_and_a_sharing_link(dm):
    response = as_user(dm.wj_user).get(url("entry", dm.population.code))
    assert response.status_code == 200
    html = response.content.decode()
    assert "公民身份号码" in html and "重要数据" in html and "核心数据" in html
    rows = {i["code"]: i for i in response.context["items"]}
    assert rows["religion"]["delivery"] == "withheld"
    assert rows["phone"]["delivery"] == "masked"
    assert rows["sex"]["delivery"] == "clear"
    link = response.context["sharing_url"]
    assert link.startswith("/workbench/data/sharing/new/?entry=")
    assert "1%2F000001" in link and "申请共享" in html
    assert response.context["actions"] == [] and not response.context["editable"]
    assert response.context["gradings"] == []  # grading history is the owner's and reviewers'
    assert no_inline_script(html)


def test_a_revising_entry_shows_readers_its_publication_and_the_owner_its_working_copy(dm):
    entry = services.revise(dm.ga_admin, dm.population, revision=dm.population.revision)
    services.update_entry(
        dm.ga_admin,
        entry,
        revision=entry.revision,
        name="人口基础信息（新）",
        share_condition="用于法定职责",
    )
    reader = as_user(dm.wj_user).get(url("entry", entry.code))
    assert reader.context["shown"]["name"] == "人口基础信息"
    owner = as_user(dm.ga_admin).get(url("entry", entry.code))
    assert owner.context["shown"]["name"] == "人口基础信息（新）"
    assert "修订中" in owner.content.decode() and owner.context["editable"]
    assert owner.context["sharing_url"] == ""  # no request for one's own data


# --- create and edit -------------------------------------------------------------------------


def test_creating_an_entry_then_its_items(dm, cls):
    client = as_user(dm.ga_admin)
    page = client.get(url("entry-new"))
    assert page.status_code == 200 and page.context["form"]["provider"].value() == dm.gongan.pk
    response = client.post(
        url("entry-new"),
        entry_post(classification=cls.people.pk, provider=dm.gongan.pk),
    )
    entry = CatalogueEntry.objects.get(name="流动人口登记信息")
    assert response.status_code == 302 and response["Location"] == url("entry-items", entry.code)
    assert entry.status == EntryStatus.DRAFT and entry.keywords == ["流动人口", "居住证"]
    form = {
        "revision": entry.revision,
        "items-TOTAL_FORMS": 2,
        "items-INITIAL_FORMS": 0,
        "items-0-code": "id_number",
        "items-0-name": "公民身份号码",
        "items-0-data_type": "C",
        "items-0-length": 18,
        "items-0-grade": "general_4",
        "items-0-mask": "id_number",
        "items-0-personal": "on",
        "items-0-sensitive_personal": "on",
        "items-0-is_key": "on",
        "items-1-mask": "none",  # a blank row is ignored
    }
    response = client.post(url("entry-items", entry.code), form)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert list(entry.items.values_list("code", flat=True)) == ["id_number"]
    assert entry.grade == "general_4"


def test_the_entry_form_shows_field_errors_from_the_form_and_the_service(dm, cls):
    client = as_user(dm.ga_admin)
    response = client.post(
        url("entry-new"),
        entry_post(
            classification=cls.people.pk, provider=dm.gongan.pk, name="", share_condition=""
        ),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["请填写信息资源名称"]
    response = client.post(
        url("entry-new"),
        entry_post(classification=cls.people.pk, provider=dm.gongan.pk, share_condition=""),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["share_condition"] == ["有条件共享须写明共享条件"]
    assert "有条件共享须写明共享条件" in response.content.decode()
    assert CatalogueEntry.objects.count() == 1


def test_a_provider_outside_the_editors_departments_cannot_be_chosen(dm, cls):
    response = as_user(dm.ga_admin).post(
        url("entry-new"), entry_post(classification=cls.people.pk, provider=dm.weijian.pk)
    )
    assert response.status_code == 400 and "provider" in response.context["form"].errors


def test_a_stale_edit_is_refused_with_409_and_changes_nothing(dm, draft):
    client = as_user(dm.ga_admin)
    page = client.get(url("entry-edit", draft.code))
    assert page.status_code == 200
    services.update_entry(dm.ga_admin, draft, revision=draft.revision, name="别人先改了")
    response = client.post(
        url("entry-edit", draft.code), {**entry_post(name="我的修改"), "revision": 0}
    )
    assert response.status_code == 409 and response.context["conflict"]
    draft.refresh_from_db()
    assert draft.name == "别人先改了"


def test_an_edit_saves_with_the_current_revision(dm, draft):
    response = as_user(dm.ga_admin).post(
        url("entry-edit", draft.code),
        {**entry_post(name="常住人口（改）"), "revision": draft.revision},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.name == "常住人口（改）" and draft.revision == 1


def test_item_errors_from_the_service_land_on_their_row_and_cell(dm, draft):
    form = {"revision": draft.revision, "items-TOTAL_FORMS": 2, "items-INITIAL_FORMS": 0}
    for n, (code, grade, mask) in enumerate(
        [("a", "general_2", "none"), ("b", "general_3", "none")]
    ):
        form.update(
            {
                f"items-{n}-code": code,
                f"items-{n}-name": code.upper(),
                f"items-{n}-data_type": "N",
                f"items-{n}-grade": grade,
                f"items-{n}-mask": mask,
            }
        )
    response = as_user(dm.ga_admin).post(url("entry-items", draft.code), form)
    assert response.status_code == 400
    forms_ = response.context["formset"].forms
    assert not forms_[0].errors
    assert "脱敏" in forms_[1].errors["mask"][0]
    draft.refresh_from_db()
    assert draft.items.count() == len(ITEMS)


def test_the_items_editor_lists_existing_items(dm, draft):
    response = as_user(dm.ga_admin).get(url("entry-items", draft.code))
    assert response.status_code == 200
    assert [f["code"].value() for f in response.context["formset"].forms][:3] == [
        "id_number",
        "name",
        "sex",
    ]


# --- lifecycle actions -----------------------------------------------------------------------


def act(client, entry, action, **data):
    return client.post(
        url("entry-action", entry.code, action),
        {"revision": entry.revision, **{f"{action}-{k}": v for k, v in data.items()}},
    )


def test_submit_publish_through_the_pages(dm, draft):
    owner, authority = as_user(dm.ga_admin), as_user(dm.authority)
    assert act(owner, draft, "submit", note="请审核").status_code == 302
    draft.refresh_from_db()
    assert draft.status == EntryStatus.REVIEWING
    page = authority.get(url("entry", draft.code))
    assert [a["name"] for a in page.context["actions"]][:2] == ["publish", "return"]
    assert act(authority, draft, "publish", note="同意").status_code == 302
    draft.refresh_from_db()
    assert draft.status == EntryStatus.PUBLISHED and draft.version == 1


def test_return_needs_a_reason_and_a_stale_action_changes_nothing(dm, draft):
    draft = services.submit(dm.ga_admin, draft, revision=draft.revision)
    authority = as_user(dm.authority)
    response = act(authority, draft, "return", reason="")
    assert response.status_code == 400
    failed = next(a for a in response.context["actions"] if a["name"] == "return")
    assert failed["form"].errors["reason"] == ["请填写理由"]
    stale = authority.post(
        url("entry-action", draft.code, "publish"), {"revision": draft.revision - 1}
    )
    assert stale.status_code == 302
    follow = authority.get(stale["Location"])
    assert "该目录已被他人修改" in follow.content.decode()
    draft.refresh_from_db()
    assert draft.status == EntryStatus.REVIEWING


def test_a_reader_cannot_act_on_an_entry(dm):
    response = act(as_user(dm.wj_admin), dm.population, "revise")
    assert response.status_code == 403
    dm.population.refresh_from_db()
    assert dm.population.status == EntryStatus.PUBLISHED


def test_posting_without_a_csrf_token_is_refused(dm, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dm.ga_admin)
    response = client.post(url("entry-action", draft.code, "submit"), {"revision": 0})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == EntryStatus.DRAFT


# --- grading ---------------------------------------------------------------------------------


def test_propose_then_approve_a_grading(dm):
    owner, authority = as_user(dm.ga_admin), as_user(dm.authority)
    entry = dm.population
    below = owner.post(
        url("grading-propose", entry.code),
        {
            "to_grade": "general_3",
            "impact_object": "personal",
            "impact_degree": "serious",
            "basis": "试图降级",
        },
    )
    assert below.status_code == 400 and "就高从严" in below.context["form"].errors["to_grade"][0]
    response = owner.post(
        url("grading-propose", entry.code),
        {
            "item_code": "name",
            "to_grade": "general_4",
            "impact_object": "personal",
            "impact_degree": "general",
            "basis": "与其他信息结合可识别",
            "factors": ["精度", "群体"],
        },
    )
    assert response.status_code == 302
    record = GradingRecord.objects.get(entry=entry, status="proposed")
    queue = authority.get(url("grading"))
    assert [r["record"].pk for r in queue.context["rows"]] == [record.pk]
    rejected = authority.post(url("grading-review", record.pk), {"decision": "reject"})
    assert rejected.status_code == 400
    assert rejected.context["rows"][0]["form"].errors["opinion"] == ["驳回须填写审核意见"]
    approved = authority.post(url("grading-review", record.pk), {"decision": "approve"})
    assert approved.status_code == 302
    record.refresh_from_db()
    assert record.status == "approved"
    assert entry.items.get(code="name").grade == "general_4"
    again = authority.post(url("grading-review", record.pk), {"decision": "approve"})
    assert again.status_code == 302  # already decided: a message, no change


def test_a_reader_cannot_propose_a_grading(dm):
    response = as_user(dm.wj_admin).get(url("grading-propose", dm.population.code))
    assert response.status_code == 403


# --- import and export -----------------------------------------------------------------------


def test_importing_a_bad_workbook_shows_every_problem_and_writes_nothing(dm, cls):
    from shuzheng.data.catalog import transfer

    doc = transfer.export_json([dm.population], working=True)
    doc["entries"][0]["code"] = "新1"
    doc["entries"][0]["classification"] = {"code": "999"}
    book = transfer.to_xlsx(doc)
    upload = io.BytesIO(book)
    upload.name = "catalogue.xlsx"
    response = as_user(dm.ga_admin).post(url("import"), {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "未知的信息资源分类" in html and "未导入任何内容" in html
    assert CatalogueEntry.objects.count() == 1


def test_importing_a_good_json_file_creates_drafts(dm, cls):
    from shuzheng.data.catalog import transfer

    doc = transfer.export_json([dm.population], working=True)
    doc["entries"][0].update(code="新1", classification="101", share_condition="法定职责")
    upload = io.BytesIO(transfer.dumps(doc).encode())
    upload.name = "catalogue.json"
    response = as_user(dm.ga_admin).post(url("import"), {"file": upload})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response.context["report"].assigned == {"新1": "101/000001"}
    assert CatalogueEntry.objects.get(code="101/000001").status == EntryStatus.DRAFT


def test_only_xlsx_or_json_files_are_imported(dm):
    upload = io.BytesIO(b"hello")
    upload.name = "catalogue.csv"
    response = as_user(dm.ga_admin).post(url("import"), {"file": upload})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["只能导入 .xlsx 或 .json 文件"]


def test_the_visible_catalogue_downloads_without_other_departments_drafts(dm, draft):
    client = as_user(dm.wj_user)
    response = client.get(url("export", "json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="datacatalog-')
    doc = json.loads(response.content)
    assert [e["code"] for e in doc["entries"]] == [dm.population.code]
    book = client.get(url("export", "xlsx"))
    assert book["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(book.content))
    assert wb["信息资源"].max_row == 2
    assert client.get(url("export", "json"), {"scope": "own"}).status_code == 403


def test_my_department_downloads_its_working_copies(dm, draft):
    response = as_user(dm.ga_admin).get(url("export", "json"), {"scope": "own"})
    codes = [e["code"] for e in json.loads(response.content)["entries"]]
    assert draft.code in codes and dm.population.code in codes


def test_the_template_downloads(dm):
    response = as_user(dm.wj_user).get(url("template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["信息资源", "信息项", "填写说明"]


# --- the open catalogue ----------------------------------------------------------------------


def test_the_open_catalogue_shows_open_entries_only_to_anyone(client, dm, make_entry):
    opened = make_entry(
        dm.gongan, dm.ga_admin, name="机动车保有量统计", items=LIGHT, open_type="unconditional"
    )
    response = client.get(url("open-catalog"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "机动车保有量统计" in html and "人口基础信息" not in html
    assert client.get(url("open-entry", opened.code)).status_code == 200
    assert client.get(url("open-entry", dm.population.code)).status_code == 404
    assert no_inline_script(html)


def test_the_menus_offer_the_pages_by_capability(dm):
    html = as_user(dm.authority).get(url("catalog")).content.decode()
    assert url("grading") in html and url("catalog") in html
    html = as_user(dm.wj_user).get(url("catalog")).content.decode()
    assert f'href="{url("grading")}"' not in html and f'href="{url("import")}"' not in html
