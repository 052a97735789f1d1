"""知识库 pages, the suggestion partial and the API: who sees which articles through every
path, the editor's refusals and field errors, the optimistic lock over HTTP, and no inline
script (CSP). Dates are far from today so that no test depends on the day it runs."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.search import querying
from shuzheng.governance.hotline import search as hotline_search
from shuzheng.governance.hotline.models import ArticleStatus, KnowledgeArticle
from shuzheng.governance.hotline.services import knowledge

LONG_AGO = dt.date(2000, 1, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registered():
    hotline_search.register()
    querying.forget_synonyms()
    yield
    querying.forget_synonyms()


@pytest.fixture
def kb(hl, make_staff, django_capture_on_commit_callbacks):
    """Four articles about 停水: offered+public, internal, a draft, an expired one; and one
    of the 12345 centre."""
    capture = django_capture_on_commit_callbacks

    def make(title, *, status="published", **kw):
        data = {
            "title": title,
            "question": "家里停水了怎么办",
            "answer": "请先查询是否计划停水；非计划停水可拨打 12345 报修。\n请说明具体地址。",
            "category": hl.garbage,
            "keywords": "停水、没水",
            "organisation": hl.chengguan,
            "valid_from": LONG_AGO,
        }
        data.update(kw)
        with capture(execute=True):
            article = knowledge.create(access.SYSTEM, **data)
            if status != "draft":
                knowledge.publish(access.SYSTEM, article, today=article.valid_from)
        return article

    hl.public = make("停水报修指引")
    hl.internal = make("停水内部转办口径", public=False)
    hl.draft = make("停水草稿", status="draft")
    hl.expired = make("停水旧口径", valid_until=dt.date(2001, 12, 31))
    hl.future = make("停水新口径", valid_from=dt.date(2999, 1, 1))
    hl.centre_article = make(
        "热线受理时间",
        organisation=hl.centre,
        keywords="热线",
        category=None,
        question="12345 几点有人接",
        answer="12345 热线全天 24 小时人工受理。",
    )
    hl.cg_admin = make_staff(hl.chengguan, "hotline-admin", name="城管知识库管理员")
    hl.capture = capture
    return hl


def login(client, user):
    client.force_login(user)
    return client


def no_inline_script(html: str) -> bool:
    scripts = re.findall(r"<script\b[^>]*>", html)
    return all("src=" in tag for tag in scripts) and not re.search(r"\son[a-z]+=", html)


# --- portal --------------------------------------------------------------------------------


def test_citizens_find_only_offered_public_articles(client, kb):
    page = client.get(reverse("hotline:kb-search"), {"q": "停水"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "报修指引" in html
    for hidden in ("停水内部转办口径", "停水草稿", "停水旧口径", "停水新口径"):
        assert hidden not in html
    assert no_inline_script(html)
    # the operator (hotline staff) also finds the internal one
    staff = login(client, kb.operator).get(reverse("hotline:kb-search"), {"q": "停水"})
    assert "内部转办口径" in staff.content.decode()


def test_the_search_page_answers_htmx_with_the_results_only(client, kb):
    page = client.get(
        reverse("hotline:kb-search"),
        {"q": "没水"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="kb-results",
    )
    html = page.content.decode()
    assert page.status_code == 200 and "<html" not in html
    assert "报修指引" in html


def test_an_article_page_is_refused_unless_offered(client, kb):
    url = lambda a: reverse("hotline:kb-article", args=[a.pk])  # noqa: E731
    assert client.get(url(kb.public)).status_code == 200
    for hidden in (kb.internal, kb.draft, kb.expired, kb.future):
        assert client.get(url(hidden)).status_code == 404, hidden.title
    login(client, kb.gb_handler)
    assert client.get(url(kb.internal)).status_code == 200
    assert client.get(url(kb.draft)).status_code == 404
    # its administrators preview it, marked as not offered
    preview = login(client, kb.cg_admin).get(url(kb.draft))
    assert preview.status_code == 200 and 'id="kb-preview"' in preview.content.decode()


def test_the_suggestion_partial_for_staff_and_citizens(client, kb):
    url = reverse("hotline:kb-suggest")
    anonymous = client.get(url, {"q": "我家停水了"}, HTTP_HX_REQUEST="true")
    html = anonymous.content.decode()
    assert anonymous.status_code == 200 and "<html" not in html
    assert "停水报修指引" in html and "内部转办" not in html
    assert "data-kb-answer" not in html  # citizens get a link, not the operator's button
    assert reverse("hotline:kb-article", args=[kb.public.pk]) in html
    staff = login(client, kb.operator).get(
        url, {"content": "我家停水了", "category": kb.garbage.pk}
    )
    html = staff.content.decode()
    assert "停水内部转办口径" in html
    assert f'data-kb-answer="kb-answer-{kb.public.pk}"' in html
    assert f'data-article="{kb.public.pk}"' in html
    assert f'id="kb-answer-{kb.public.pk}"' in html
    assert "停水草稿" not in html and "停水旧口径" not in html
    assert no_inline_script(html)
    empty = client.get(url, {"q": "火星移民"}).content.decode()
    assert "暂无相关条目" in empty
    assert "输入内容后" in client.get(url).content.decode()


def test_the_answer_script_is_a_static_file():
    from django.contrib.staticfiles import finders

    path = finders.find("hotline/kb.js")
    assert path
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    assert 'getElementById("answer")' in source and "data-kb-answer" in source


# --- workbench -----------------------------------------------------------------------------


def test_the_list_needs_manage_and_shows_the_own_subtree(client, kb):
    url = reverse("hotline:knowledge")
    assert client.get(url).status_code == 302  # sign in first
    assert login(client, kb.operator).get(url).status_code == 403
    page = login(client, kb.cg_admin).get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "停水草稿" in html and "热线受理时间" not in html
    drafts = client.get(url, {"status": "draft"}).content.decode()
    assert "停水草稿" in drafts and "停水报修指引" not in drafts
    expired = client.get(url, {"validity": "expired"}).content.decode()
    assert "停水旧口径" in expired and "停水报修指引" not in expired
    future = client.get(url, {"validity": "future"}).content.decode()
    assert "停水新口径" in future and "停水旧口径" not in future
    by_category = client.get(url, {"category": kb.social.pk}).content.decode()
    assert "停水报修指引" not in by_category
    assert no_inline_script(html)


def test_writing_an_article_through_the_editor(client, kb):
    login(client, kb.cg_admin)
    assert client.get(reverse("hotline:knowledge-new")).status_code == 200
    posted = {
        "title": "共享单车乱停放",
        "answer": "请拨打 12345 反映具体位置。",
        "organisation": kb.chengguan.pk,
        "category": kb.vending.pk,
        "keywords": "单车，乱停",
        "valid_from": "2026-01-01",
        "public": "on",
    }
    done = client.post(reverse("hotline:knowledge-new"), posted)
    article = KnowledgeArticle.objects.get(title="共享单车乱停放")
    assert done.status_code == 302 and done["Location"].endswith(
        reverse("hotline:knowledge-edit", args=[article.pk])
    )
    assert (
        article.status == ArticleStatus.DRAFT
        and article.public
        and article.keywords == "单车、乱停"
    )
    client.post(reverse("hotline:knowledge-publish", args=[article.pk]))
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED


def test_bad_input_in_the_editor_shows_field_errors(client, kb):
    login(client, kb.cg_admin)
    bad = client.post(
        reverse("hotline:knowledge-new"),
        {
            "title": "过期口径",
            "answer": "",
            "organisation": kb.chengguan.pk,
            "valid_from": "2026-06-01",
            "valid_until": "2026-05-01",
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 400
    assert 'id="kb-answer-error"' in html and 'id="kb-valid-until-error"' in html
    assert "失效日期不能早于生效日期" in html
    assert "过期口径" in html  # what was typed stays
    assert not KnowledgeArticle.objects.filter(title="过期口径").exists()
    # an organisation outside the administrator's subtree
    outside = client.post(
        reverse("hotline:knowledge-new"),
        {"title": "越权", "answer": "x", "organisation": kb.centre.pk, "valid_from": "2026-01-01"},
    )
    assert outside.status_code == 400 and 'id="kb-organisation-error"' in outside.content.decode()


def test_a_stale_form_is_a_conflict_over_http(client, kb):
    login(client, kb.cg_admin)
    url = reverse("hotline:knowledge-edit", args=[kb.public.pk])
    form = {
        "title": kb.public.title,
        "answer": "第一位编辑的口径",
        "organisation": kb.chengguan.pk,
        "valid_from": "2000-01-01",
        "public": "on",
        "version": "1",
    }
    assert client.post(url, form).status_code == 302
    stale = client.post(url, {**form, "answer": "第二位编辑的口径"})
    html = stale.content.decode()
    assert stale.status_code == 409 and 'id="kb-conflict"' in html
    missing = client.post(url, {k: v for k, v in form.items() if k != "version"})
    assert missing.status_code == 400 and "缺少版本号" in missing.content.decode()
    assert "第二位编辑的口径" in html  # kept for copying
    kb.public.refresh_from_db()
    assert kb.public.answer == "第一位编辑的口径" and kb.public.version == 2


def test_withdrawing_needs_a_reason_and_the_right_subtree(client, kb, make_staff):
    login(client, kb.cg_admin)
    page = client.get(reverse("hotline:knowledge-edit", args=[kb.public.pk]))
    assert page.status_code == 200 and 'id="kb-withdraw-form"' in page.content.decode()
    assert no_inline_script(page.content.decode())
    url = reverse("hotline:knowledge-withdraw", args=[kb.public.pk])
    client.post(url, {"reason": " "})
    kb.public.refresh_from_db()
    assert kb.public.status == ArticleStatus.PUBLISHED
    client.post(url, {"reason": "口径已更新"})
    kb.public.refresh_from_db()
    assert kb.public.status == ArticleStatus.WITHDRAWN
    # the centre's administrator may not reach the 城管局's articles at all
    login(client, make_staff(kb.centre, "hotline-admin"))
    edit = reverse("hotline:knowledge-edit", args=[kb.internal.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"title": "改", "version": "1"}).status_code == 404
    assert (
        client.post(
            reverse("hotline:knowledge-withdraw", args=[kb.internal.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    kb.internal.refresh_from_db()
    assert kb.internal.status == ArticleStatus.PUBLISHED and kb.internal.title == "停水内部转办口径"


# --- API -----------------------------------------------------------------------------------


def test_the_api_gives_offered_articles(api, api_for, kb):
    url = "/api/v1/hotline/knowledge/"
    body = api.get(url, {"q": "停水"}).json()
    assert [r["title"] for r in body["results"]] == ["停水报修指引"]
    first = body["results"][0]
    assert first["answer"].startswith("请先查询") and first["category"]["code"] == "010101"
    assert first["url"].endswith(reverse("hotline:kb-article", args=[kb.public.pk]))
    staff = api_for(kb.operator).get(url, {"q": "停水"}).json()
    assert {r["title"] for r in staff["results"]} == {"停水报修指引", "停水内部转办口径"}
    # a category's branch, by id or code; browsing without words
    assert api.get(url, {"q": "停水", "category_code": "02"}).json()["results"] == []
    assert len(api.get(url, {"category": kb.urban.pk}).json()["results"]) == 1
    everything = api.get(url).json()["results"]
    assert {r["title"] for r in everything} == {"停水报修指引", "热线受理时间"}


def test_the_api_reports_bad_parameters(api, kb):
    bad = api.get("/api/v1/hotline/knowledge/", {"q": "水" * 101, "limit": "0", "category": "abc"})
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"q", "limit", "category"}
