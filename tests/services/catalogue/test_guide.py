"""办事指南 on the portal: every field, the removed materials, badges, history versions, the
apply button, the print version; drafts never shown."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from shuzheng.foundation.files import services as files
from shuzheng.services.catalogue import views_guide
from shuzheng.services.catalogue.models import (
    Fee,
    ItemVersion,
    Material,
    Question,
    Theme,
    VersionStatus,
)
from tests.services.conftest import pdf_upload

pytestmark = pytest.mark.django_db


def guide_url(item, **query):
    url = reverse("catalogue:guide", kwargs={"code": item.implementation_code})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def set_fields(item, **fields):
    """Published versions are frozen for editors; tests shape them with a queryset update."""
    ItemVersion.objects.filter(pk=item.current_id).update(**fields)
    item.refresh_from_db()
    return item.current


FULL = {
    "short_name": "个体户登记",
    "implementer_nature": "法定机关",
    "entrusted_department": "拱北街道便民服务中心",
    "legal_basis": "《促进个体工商户发展条例》第八条",
    "legal_limit": 15,
    "legal_limit_unit": "working_days",
    "promised_limit": 3,
    "promised_limit_unit": "natural_days",
    "trips": 0,
    "acceptance_conditions": "申请人有固定的经营场所",
    "process": ["网上申请", "受理审查", "作出决定", "送达证照"],
    "handling_forms": ["网上办理", "窗口办理"],
    "location": "珠海市香洲区市民服务中心三楼",
    "office_hours": "周一至周五 9:00-17:00",
    "consult_phone": "0756-1234567",
    "complaint_phone": "0756-7654321",
    "charged": True,
    "online_depth": 4,
    "appointment": True,
    "express": True,
    "online_payment": True,
    "scope": "cross_border",
    "result_type": "证照",
    "result_name": "营业执照",
    "commitment": True,
    "change_note": "调整承诺时限",
}


def publish(item) -> ItemVersion:
    """A draft shaped by the test, then published (parts of a published version are frozen)."""
    version = item.versions.get()
    ItemVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.PUBLISHED, published_at=timezone.now()
    )
    item.current = version
    item.save(update_fields=["current"])
    item.refresh_from_db()
    return item.current


@pytest.fixture
def full_item(tree, item_factory):
    item = item_factory(tree.zwfw, publish=False)
    version = item.versions.get()
    ItemVersion.objects.filter(pk=version.pk).update(**FULL)
    item.basic.exercise_levels = ["municipal", "district"]
    item.basic.save()
    Material.objects.filter(version=version, code="id_proof").update(
        source="government",
        issuing_department="公安机关",
        copies=2,
        acceptance_standard="在有效期内",
        notes="正反面复印",
        basis="《居民身份证法》",
    )
    Fee.objects.create(
        version=version, name="工本费", standard="每证 10 元", basis="粤价〔2020〕1号"
    )
    Question.objects.create(
        version=version, question="可以委托他人办理吗？", answer="可以，需提交授权委托书。"
    )
    version.themes.add(Theme.objects.create(code="kaiban", name="开办", audience="enterprise"))
    publish(item)
    return item


def test_every_field_of_the_item_appears_on_its_guide(client, full_item):
    page = client.get(guide_url(full_item)).content.decode()
    basic = full_item.basic
    expected = [
        "个体工商户设立登记",
        "个体户登记",
        "行政许可",
        basic.basic_code,
        full_item.implementation_code,
        "珠海市政务服务数据管理局",
        "法定机关",
        "拱北街道便民服务中心",
        "市级",
        "县级",
        "自然人、法人",
        "承诺件",
        "跨境通办（珠澳）",
        "《促进个体工商户发展条例》第八条",
        "申请人有固定的经营场所",
        "经营者身份证明",
        "电子材料",
        "政府部门核发",
        "公安机关",
        "在有效期内",
        "正反面复印",
        "《居民身份证法》",
        "网上申请",
        "送达证照",
        "15 工作日",
        "3 自然日",
        "工本费",
        "每证 10 元",
        "粤价〔2020〕1号",
        "珠海市香洲区市民服务中心三楼",
        "周一至周五 9:00-17:00",
        "0756-1234567",
        "0756-7654321",
        "网上办理、窗口办理",
        "营业执照",
        "证照",
        "开办",
        "可以委托他人办理吗？",
        "可以，需提交授权委托书。",
        "调整承诺时限",
        "四级：全程网办",
    ]
    missing = [text for text in expected if text not in page]
    assert not missing
    for field in ("f-appointment", "f-express", "f-online-payment"):
        assert re.search(rf'id="{field}">是<', page)
    assert reverse("catalogue:theme", args=["kaiban"]) in page


def test_deferrable_material_is_marked_as_such(client, item_factory, tree):
    page = client.get(guide_url(item_factory(tree.zwfw))).content.decode()
    row = re.search(r'<tr id="material-health_cert".*?</tr>', page, re.S).group(0)
    assert "sz-badge-deferrable" in row and "容缺" in row


def test_removed_materials_show_their_rule_and_never_as_required(client, item_factory, tree):
    page = client.get(guide_url(item_factory(tree.zwfw))).content.decode()
    table = re.search(r'<table[^>]*id="materials-table".*?</table>', page, re.S).group(0)
    assert "名称预先核准通知书" not in table
    removed = re.search(r'<li id="removed-old_form">.*?</li>', page, re.S).group(0)
    assert "<del>名称预先核准通知书</del>" in removed
    assert "能通过网络核验的一律取消" in removed
    assert "必要" not in removed


def test_a_charge_free_item_says_so(client, item_factory, tree):
    item = item_factory(tree.zwfw)
    page = client.get(guide_url(item)).content.decode()
    assert "不收费" in page and 'id="fees-table"' not in page


@pytest.mark.parametrize("trips,label", [(0, "零跑动"), (1, "最多跑一次"), (2, "需到现场 2 次")])
def test_badges_show_the_trips_to_a_hall(client, item_factory, tree, trips, label):
    item = item_factory(tree.zwfw)
    set_fields(item, trips=trips)
    page = client.get(guide_url(item)).content.decode()
    assert re.search(rf'class="badge sz-badge sz-badge-trips-[01n]"[^>]*>{label}<', page)
    others = {"零跑动", "最多跑一次", "需到现场 2 次"} - {label}
    assert not any(f">{other}<" in page for other in others)


def test_badges_show_online_depth_scope_and_commitment(client, item_factory, tree):
    item = item_factory(tree.zwfw, commitment=True)
    set_fields(item, scope="province", case_kind="immediate")
    page = client.get(guide_url(item)).content.decode()
    assert "sz-badge-depth-4" in page and ">全程网办<" in page
    assert ">全省通办<" in page
    assert "sz-badge-commitment" in page
    assert ">即办件<" in page
    set_fields(item, online_depth=2, commitment=False)
    page = client.get(guide_url(item)).content.decode()
    assert "sz-badge-depth-2" in page and ">全程网办<" not in page
    assert "sz-badge-commitment" not in page


def test_immediate_item_shows_immediate_handling_as_its_time_limit(client, item_factory, tree):
    item = item_factory(tree.zwfw, case_kind="immediate", promised_limit=0)
    page = client.get(guide_url(item)).content.decode()
    limit = re.search(r'id="f-promised-limit">(.*?)</dd>', page, re.S).group(1)
    assert "即办件" in limit


@pytest.fixture
def fake_apply(monkeypatch):
    """The application pages come from another package; stand in for their URL."""
    real = views_guide.url_or_none

    def url_or_none(name, **kwargs):
        if name == "cases:apply":
            return f"/services/{kwargs['code']}/apply/"
        return real(name, **kwargs)

    monkeypatch.setattr(views_guide, "url_or_none", url_or_none)


@pytest.mark.parametrize("depth,shown", [(4, True), (3, True), (2, False), (1, False)])
def test_apply_button_only_for_items_applied_for_online(
    client, item_factory, tree, fake_apply, depth, shown
):
    item = item_factory(tree.zwfw)
    set_fields(item, online_depth=depth)
    page = client.get(guide_url(item)).content.decode()
    assert ('id="apply-button"' in page) is shown
    assert (f"/services/{item.implementation_code}/apply/" in page) is shown
    assert ('id="offline-info"' in page) is not shown


def test_no_apply_button_while_the_application_pages_are_not_mounted(
    client, item_factory, tree, monkeypatch
):
    real = views_guide.url_or_none
    monkeypatch.setattr(
        views_guide,
        "url_or_none",
        lambda name, **kw: None if name == "cases:apply" else real(name, **kw),
    )
    page = client.get(guide_url(item_factory(tree.zwfw))).content.decode()
    assert 'id="apply-button"' not in page and "/apply/" not in page


def test_a_draft_item_has_no_guide(client, item_factory, tree):
    item = item_factory(tree.zwfw, publish=False)
    assert client.get(guide_url(item)).status_code == 404
    assert client.get(guide_url(item, v=1)).status_code == 404


def test_an_unknown_code_or_version_is_not_found(client, item_factory, tree):
    item = item_factory(tree.zwfw)
    assert client.get(reverse("catalogue:guide", args=["X" * 36])).status_code == 404
    assert client.get(guide_url(item, v=9)).status_code == 404
    assert client.get(guide_url(item, v="abc")).status_code == 404


def republish(item, **fields) -> ItemVersion:
    """Version 2 published, version 1 superseded (as the catalogue's publish would leave them)."""
    old = item.current
    ItemVersion.objects.filter(pk=old.pk).update(status=VersionStatus.SUPERSEDED)
    new = ItemVersion.objects.get(pk=old.pk)
    new.pk = None
    new._state.adding = True
    new.version = 2
    new.status = VersionStatus.PUBLISHED
    new.published_at = timezone.now()
    for key, value in fields.items():
        setattr(new, key, value)
    new.save()
    item.current = new
    item.save(update_fields=["current"])
    return new


def test_a_superseded_version_is_shown_with_the_history_banner(client, item_factory, tree):
    item = item_factory(tree.zwfw, name="旧名称事项")
    republish(item, name="新名称事项")
    current = client.get(guide_url(item)).content.decode()
    assert "新名称事项" in current and 'id="history-banner"' not in current
    old = client.get(guide_url(item, v=1)).content.decode()
    assert "旧名称事项" in old and 'id="history-banner"' in old and "此为历史版本" in old
    assert f'href="{guide_url(item)}"' in old


def test_a_draft_next_version_is_never_shown_by_number(client, item_factory, tree):
    item = item_factory(tree.zwfw)
    draft = ItemVersion.objects.get(pk=item.current_id)
    draft.pk = None
    draft._state.adding = True
    draft.version = 2
    draft.status = VersionStatus.DRAFT
    draft.name = "草稿中的名称"
    draft.save()
    assert client.get(guide_url(item, v=2)).status_code == 404
    assert "草稿中的名称" not in client.get(guide_url(item)).content.decode()


def test_history_version_offers_no_apply_button(client, item_factory, tree, fake_apply):
    item = item_factory(tree.zwfw)
    republish(item)
    assert 'id="apply-button"' in client.get(guide_url(item)).content.decode()
    assert 'id="apply-button"' not in client.get(guide_url(item, v=1)).content.decode()


def test_guide_has_breadcrumbs_headings_and_a_print_version(client, full_item):
    page = client.get(guide_url(full_item)).content.decode()
    assert 'aria-label="当前位置"' in page
    assert reverse("catalogue:services") in page
    assert reverse("catalogue:department", args=[full_item.organisation_id]) in page
    assert page.count("<h1") == 1 and 'id="sec-materials-h"' in page
    assert reverse("catalogue:guide-print", args=[full_item.implementation_code]) in page


def test_print_page_has_all_fields_a_qr_code_the_date_and_the_version(client, full_item):
    url = reverse("catalogue:guide-print", args=[full_item.implementation_code])
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<svg[^>]*class="guide-qr"', page)
    assert "http://testserver" + guide_url(full_item) in page
    assert timezone.localdate().isoformat() in page
    assert "第 1 版" in page
    for text in ("经营者身份证明", "工本费", "可以委托他人办理吗？", "营业执照", "0756-7654321"):
        assert text in page
    assert "site-header" not in page  # a document, not the portal shell


def test_print_page_of_a_draft_is_not_found(client, item_factory, tree):
    item = item_factory(tree.zwfw, publish=False)
    url = reverse("catalogue:guide-print", args=[item.implementation_code])
    assert client.get(url).status_code == 404


def test_blank_forms_and_samples_download_from_the_guide_without_signing_in(
    client, item_factory, tree, make_staff
):
    editor = make_staff(tree.zwfw, "catalogue-editor")
    blank = files.store(editor, "services.material", pdf_upload("空白表格.pdf"))
    sample = files.store(editor, "services.material", pdf_upload("样表.pdf"))
    item = item_factory(tree.zwfw, publish=False)
    Material.objects.filter(version__item=item, code="premises").update(
        blank_form=blank, sample=sample
    )
    publish(item)
    page = client.get(guide_url(item)).content.decode()
    row = re.search(r'<tr id="material-premises".*?</tr>', page, re.S).group(0)
    links = re.findall(r'href="([^"]+)"', row)
    assert len(links) == 2
    response = client.get(links[0])
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


def test_files_of_a_draft_are_never_served(client, item_factory, tree, make_staff):
    editor = make_staff(tree.zwfw, "catalogue-editor")
    blank = files.store(editor, "services.material", pdf_upload())
    item = item_factory(tree.zwfw, publish=False)
    Material.objects.filter(version__item=item, code="premises").update(blank_form=blank)
    url = reverse(
        "catalogue:guide-file",
        kwargs={"code": item.implementation_code, "material": "premises", "which": "blank_form"},
    )
    assert client.get(url).status_code == 404
    publish(item)
    assert client.get(url).status_code == 200
    bad = url.replace("blank_form", "form_schema")
    assert client.get(bad).status_code == 404
