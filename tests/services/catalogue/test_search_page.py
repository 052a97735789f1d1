"""The 办事搜索 page: works as a plain form, answers htmx with the results only."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from tests.services.catalogue.test_search_index import build

pytestmark = pytest.mark.django_db
URL = "/services/search/"


@pytest.fixture
def cat(tree, django_capture_on_commit_callbacks):
    from shuzheng.foundation.search import querying

    yield build(tree, django_capture_on_commit_callbacks)
    querying.forget_synonyms()


def text(response) -> str:
    """The page's text without tags (names carry <mark> highlights)."""
    return re.sub(r"<[^>]+>", "", response.content.decode())


def guide_url(item):
    try:
        return reverse("catalogue:guide", kwargs={"code": item.implementation_code})
    except NoReverseMatch:
        return None


def test_the_url_name_is_catalogue_search():
    assert reverse("catalogue:search") == URL


def test_the_page_renders_the_form_and_the_results_without_javascript(client, cat):
    response = client.get(URL, {"q": "生孩子要办什么"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="get" role="search"' in html
    assert 'for="search-q"' in html and 'id="search-q"' in html  # labelled
    assert 'id="search-results" aria-live="polite"' in html
    assert "<!doctype html>" in html  # the whole page, extending web/base.html
    assert "出生医学证明签发" in text(response)
    assert "生孩子 → 同义词 出生" in html
    assert "<mark>出生</mark>" in html
    url = guide_url(cat.items["出生医学证明签发"])
    if url:
        assert f'href="{url}"' in html


def test_filter_selects_offer_departments_themes_depths_and_scopes(client, cat):
    html = client.get(URL).content.decode()
    for name in ("dept", "audience", "theme", "depth", "scope"):
        assert f'name="{name}"' in html
        assert f'for="filter-{"dept" if name == "dept" else name}"' in html
    assert "珠海市住房公积金管理中心" in html
    assert '<option value="birth"' in html
    assert '<option value="cross_border"' in html
    assert "珠海市" + "政务服务数据管理局" not in html  # no published items: not offered


def test_htmx_gets_only_the_results(client, cat):
    response = client.get(URL, {"q": "gjj tq"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<!doctype html>" not in html and "<form" not in html
    assert "住房公积金提取" in text(response)
    assert "gjj → 拼音首字母 公积金" in html
    assert response["Vary"].find("HX-Request") >= 0


def test_a_history_restore_gets_the_whole_page(client, cat):
    response = client.get(
        URL, {"q": "公积金"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<!doctype html>" in response.content.decode()


def test_badges_show_trips_depth_and_scope(client, cat):
    html = client.get(URL, {"q": "公积金提取"}).content.decode()
    assert "sz-badge-trips-0" in html
    assert "sz-badge-depth-4" in html
    assert "跨省通办" in html


def test_filters_apply_and_show_as_removable_chips(client, cat):
    police = cat.depts["公安局"]
    response = client.get(URL, {"q": "港澳", "dept": police.pk, "scope": "cross_border"})
    html = response.content.decode()
    assert "往来港澳通行证签注" in text(response)
    assert "居住证申领" not in text(response)
    assert 'class="list-inline mb-2 sz-filter-chips"' in html
    chips = re.findall(r'<a class="badge rounded-pill[^"]*" href="([^"]+)"', html)
    assert len(chips) == 2
    assert any("dept" not in c and "scope=cross_border" in c for c in chips)


def test_no_words_with_a_filter_browses(client, cat):
    html = client.get(URL, {"theme": "birth"}).content.decode()
    assert "全部事项" in html
    assert html.count('class="card mb-2 sz-search-hit"') == 3


def test_nothing_found_says_so_and_suggests(client, cat):
    html = client.get(URL, {"q": "身份证丢了"}).content.decode()
    assert "没有找到与“身份证丢了”相关的事项" in html
    assert "您是不是要找" in html
    assert "?q=%E8%BA%AB%E4%BB%BD%E8%AF%81" in html  # 身份证, as a link


def test_pages_link_to_each_other(client, cat):
    first = client.get(URL, {"q": "居民身份证"}).content.decode()
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get(URL, {"q": "居民身份证", "page": "2"}).content.decode()
    assert 'rel="prev"' in second
    assert "第 2 页" in second


def test_bad_filters_are_shown_not_crashed_on(client, cat):
    response = client.get(URL, {"q": "公积金", "depth": "9", "page": "abc"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "住房公积金提取" in text(response)  # the words still search, without the bad filter


def test_the_search_box_keeps_what_was_typed_escaped(client, cat):
    html = client.get(URL, {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
