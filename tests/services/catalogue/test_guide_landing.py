"""办事服务 landing, theme and department pages, and the portal's entry to them: only
published items, grouped by life event, enterprise stage and department."""

import pytest
from django.urls import reverse
from django.utils import timezone

from shuzheng.services.catalogue.models import ItemVersion, Theme, VersionStatus

pytestmark = pytest.mark.django_db


def with_themes(item, *themes, publish=True, **fields):
    """Give an unpublished item's version themes (and fields), then publish it if asked."""
    version = item.versions.get()
    version.themes.add(*themes)
    ItemVersion.objects.filter(pk=version.pk).update(**fields)
    if publish:
        ItemVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.PUBLISHED, published_at=timezone.now()
        )
        item.current = version
        item.save(update_fields=["current"])
    return item


@pytest.fixture
def themes(db):
    return {
        "birth": Theme.objects.create(code="birth", name="出生", audience="person", sort_order=1),
        "kaiban": Theme.objects.create(code="kaiban", name="开办", audience="enterprise"),
        "empty": Theme.objects.create(code="retire", name="退休", audience="person"),
    }


@pytest.fixture
def items(item_factory, tree, themes):
    birth = with_themes(
        item_factory(tree.zwfw, name="出生医学证明办理", publish=False), themes["birth"]
    )
    shop = with_themes(
        item_factory(tree.xiangzhou, name="个体工商户设立登记", publish=False),
        themes["kaiban"],
        online_depth=3,
    )
    draft = with_themes(
        item_factory(tree.zwfw, name="尚未发布的事项", publish=False),
        themes["birth"],
        themes["kaiban"],
        publish=False,
    )
    withdrawn = item_factory(tree.zwfw, name="已停用的事项")
    ItemVersion.objects.filter(pk=withdrawn.current_id).update(status=VersionStatus.WITHDRAWN)
    return {"birth": birth, "shop": shop, "draft": draft, "withdrawn": withdrawn}


def test_landing_groups_published_items_by_theme_and_department(client, items, tree):
    page = client.get(reverse("catalogue:services")).content.decode()
    assert "个人办事" in page and "法人办事" in page
    assert reverse("catalogue:theme", args=["birth"]) in page
    assert reverse("catalogue:theme", args=["kaiban"]) in page
    assert reverse("catalogue:theme", args=["retire"]) not in page  # no published item
    assert reverse("catalogue:department", args=[tree.zwfw.pk]) in page
    assert reverse("catalogue:department", args=[tree.xiangzhou.pk]) in page
    assert "尚未发布的事项" not in page and "已停用的事项" not in page


def test_landing_counts_only_published_items_per_department(client, items, tree):
    page = client.get(reverse("catalogue:services")).content.decode()
    department = page[page.index('id="dept-h"') :]
    zwfw = department[department.index("珠海市政务服务数据管理局") :][:120]
    assert "1 项" in zwfw  # the birth item; not the draft, not the withdrawn one


def test_landing_lists_fully_online_items_under_an_honest_name(client, items):
    page = client.get(reverse("catalogue:services")).content.decode()
    section = page[page.index('id="full-online-h"') : page.index('id="dept-h"')]
    assert "全程网办事项" in page
    assert "出生医学证明办理" in section  # depth 4
    assert "个体工商户设立登记" not in section  # depth 3


def test_theme_page_lists_only_its_published_items_with_badges(client, items):
    page = client.get(reverse("catalogue:theme", args=["birth"])).content.decode()
    assert "出生医学证明办理" in page
    assert "个体工商户设立登记" not in page
    assert "尚未发布的事项" not in page
    assert "sz-badge-trips-0" in page
    assert reverse("catalogue:guide", args=[items["birth"].implementation_code]) in page


def test_unknown_theme_is_not_found(client, db):
    assert client.get(reverse("catalogue:theme", args=["nothing"])).status_code == 404


def test_department_page_lists_its_published_items(client, items, tree):
    page = client.get(reverse("catalogue:department", args=[tree.zwfw.pk])).content.decode()
    assert "出生医学证明办理" in page
    assert "个体工商户设立登记" not in page  # another department's
    assert "尚未发布的事项" not in page and "已停用的事项" not in page


def test_unknown_department_is_not_found(client, db):
    assert client.get(reverse("catalogue:department", args=[999999])).status_code == 404


def test_landing_in_traditional_chinese_converts_names(client, items):
    page = client.get(reverse("catalogue:services"), HTTP_ACCEPT_LANGUAGE="zh-MO").content
    page = page.decode()
    assert "出生醫學證明辦理" in page and "珠海市政務服務數據管理局" in page


def test_portal_home_leads_to_services_themes_and_full_online_items(client, items):
    page = client.get("/").content.decode()
    assert reverse("catalogue:services") in page
    assert reverse("catalogue:theme", args=["birth"]) in page
    assert "出生医学证明办理" in page
    assert "尚未发布的事项" not in page


def test_portal_search_box_goes_to_the_service_search_when_it_exists(client, items):
    from django.urls import NoReverseMatch

    page = client.get("/").content.decode()
    try:
        search = reverse("catalogue:search")
    except NoReverseMatch:
        assert 'id="services-search"' not in page
    else:
        assert f'action="{search}"' in page and 'id="services-search"' in page
