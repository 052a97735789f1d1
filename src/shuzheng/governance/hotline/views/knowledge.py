"""知识库 pages: the workbench's list and editor (``hotline.manage``), the portal's search
and article pages (anyone, anonymous included), and the suggestion partial that the
operator screen and the portal's 我要反映 fetch while the text is typed (htmx,
``hx-trigger="keyup changed delay:400ms"``). Thin: parse, call the selector or service,
render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from shuzheng.foundation import access, workflow
from shuzheng.foundation.web.views import require
from shuzheng.governance.hotline.models import ArticleStatus, Category
from shuzheng.governance.hotline.selectors import knowledge as selectors
from shuzheng.governance.hotline.services import knowledge as services

PAGE_SIZE = 50
PORTAL_PAGE = 10
MANAGE = "hotline.manage"
CONFLICT = gettext_lazy(
    "该知识条目已被他人修改：请重新打开后再改（您填写的内容仍在下方，可先复制）"
)
VALIDITY_LABELS = {
    "valid": gettext_lazy("现行有效"),
    "expired": gettext_lazy("已失效"),
    "future": gettext_lazy("尚未生效"),
}
FIELDS = (
    "title",
    "question",
    "answer",
    "category",
    "keywords",
    "organisation",
    "basis",
    "valid_from",
    "valid_until",
)


# --------------------------------------------------------------------------- helpers


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _category(request_value, user, perm: str) -> Category | None:
    pk = _int(request_value)
    if pk is None:
        return None
    return selectors.categories(user, perm).filter(pk=pk).first()


def _category_choices(user, perm: str) -> list[tuple[int, str]]:
    """Every active category, indented by level, in code order (articles may sit on any
    level: a level-2 answer serves all its leaves)."""
    return [
        (c.pk, "\u3000" * (c.level - 1) + f"{c.code} {c.name}")
        for c in selectors.categories(user, perm)
    ]


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: list(v) for k, v in exc.message_dict.items()}
    return {"__all__": exc.messages}


def _posted(post) -> dict:
    """The editable fields as the service takes them (strings; the service converts)."""
    data = {name: post.get(name, "") for name in FIELDS}
    data["public"] = post.get("public") == "on"
    return data


def _values(article=None, posted=None) -> dict:
    """What the form shows: what was posted, else the article's fields, else defaults."""
    if posted is not None:
        return {**posted, "public": bool(posted.get("public"))}
    if article is None:
        return {"public": True, "valid_from": "", "category": "", "organisation": ""}
    return {
        "title": article.title,
        "question": article.question,
        "answer": article.answer,
        "category": article.category_id or "",
        "keywords": article.keywords,
        "organisation": article.organisation_id,
        "basis": article.basis,
        "valid_from": article.valid_from.isoformat(),
        "valid_until": article.valid_until.isoformat() if article.valid_until else "",
        "public": article.public,
    }


def _editor(request, *, article=None, posted=None, errors=None, conflict=False, status=200):
    user = request.user
    values = _values(article, posted)
    orgs = list(selectors.organisations_for(user))
    validity = selectors.validity_of(article) if article else ""
    if article is None and not values.get("organisation") and len(orgs) >= 1:
        values["organisation"] = orgs[0].pk
    return render(
        request,
        "hotline/knowledge/edit.html",
        {
            "article": article,
            "values": values,
            "selected_category": str(values.get("category") or ""),
            "selected_organisation": str(values.get("organisation") or ""),
            "errors": errors or {},
            "general_errors": (errors or {}).get("__all__", []),
            "conflict": conflict,
            "categories": _category_choices(user, MANAGE),
            "organisations": orgs,
            "validity": validity,
            "validity_label": VALIDITY_LABELS.get(validity, ""),
        },
        status=status,
    )


# --------------------------------------------------------------------------- workbench


@require(MANAGE)
def manage_list(request):
    """知识库管理: the articles of the user's subtrees, by status, category and validity."""
    user = request.user
    status = request.GET.get("status", "")
    validity = request.GET.get("validity", "")
    q = (request.GET.get("q") or "").strip()[: selectors.MAX_QUERY]
    category = _category(request.GET.get("category"), user, MANAGE)
    rows = selectors.managed_list(
        user,
        status=status or None,
        category=category,
        validity=validity or None,
        q=q,
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {
        k: v
        for k, v in (
            ("q", q),
            ("status", status),
            ("category", category.pk if category else ""),
            ("validity", validity),
        )
        if v
    }
    return render(
        request,
        "hotline/knowledge/list.html",
        {
            "page": page,
            "rows": [
                {
                    "article": a,
                    "validity": selectors.validity_of(a),
                    "validity_label": VALIDITY_LABELS[selectors.validity_of(a)],
                }
                for a in page
            ],
            "q": q,
            "status": status,
            "validity": validity,
            "selected_category": str(category.pk) if category else "",
            "statuses": ArticleStatus.choices,
            "validities": list(VALIDITY_LABELS.items()),
            "categories": _category_choices(user, MANAGE),
            "query": urlencode(filters),
        },
    )


@require(MANAGE)
def manage_new(request):
    """新增知识条目 (a draft; published from its page)."""
    if request.method != "POST":
        return _editor(request)
    posted = _posted(request.POST)
    try:
        article = services.create(request.user, **posted)
    except ValidationError as exc:
        return _editor(request, posted=posted, errors=_errors(exc), status=400)
    messages.success(request, _("已保存为草稿：%(title)s") % {"title": article.title})
    return redirect("hotline:knowledge-edit", pk=article.pk)


@require(MANAGE)
def manage_edit(request, pk: int):
    """修改知识条目: the version the editor saw travels with the form (optimistic lock)."""
    article = selectors.managed_article(request.user, pk)
    if request.method != "POST":
        return _editor(request, article=article)
    posted = _posted(request.POST)
    try:
        services.update(request.user, article, version=request.POST.get("version"), **posted)
    except workflow.Conflict:
        messages.error(request, str(CONFLICT))
        return _editor(request, article=article, posted=posted, conflict=True, status=409)
    except ValidationError as exc:
        return _editor(request, article=article, posted=posted, errors=_errors(exc), status=400)
    messages.success(request, _("已保存"))
    return redirect("hotline:knowledge-edit", pk=article.pk)


@require_POST
@require(MANAGE)
def manage_publish(request, pk: int):
    article = selectors.managed_article(request.user, pk)
    try:
        services.publish(request.user, article)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("已发布：%(title)s") % {"title": article.title})
    return redirect("hotline:knowledge-edit", pk=article.pk)


@require_POST
@require(MANAGE)
def manage_withdraw(request, pk: int):
    article = selectors.managed_article(request.user, pk)
    try:
        services.withdraw(request.user, article, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("已下架：%(title)s") % {"title": article.title})
    return redirect("hotline:knowledge-edit", pk=article.pk)


# --------------------------------------------------------------------------- portal


@require_GET
def kb_search(request):
    """热线知识库 (portal): search in the citizen's words, or browse by category."""
    user = request.user
    q = (request.GET.get("q") or "").strip()[: selectors.MAX_QUERY]
    category = _category(request.GET.get("category"), user, selectors.READ)
    offset = max(_int(request.GET.get("offset")) or 0, 0)
    results = selectors.search(user, q, category=category, limit=PORTAL_PAGE, offset=offset)
    kept = {k: v for k, v in (("q", q), ("category", category.pk if category else "")) if v}
    context = {
        "q": q,
        "results": results,
        "category": category,
        "selected_category": str(category.pk) if category else "",
        "level_one": [c for c in selectors.categories(user) if c.level == 1],
        "next_url": "?" + urlencode({**kept, "offset": results.next_offset})
        if results.next_offset is not None
        else "",
        "previous_url": "?" + urlencode({**kept, "offset": results.previous_offset})
        if results.previous_offset is not None
        else "",
    }
    template = (
        "hotline/knowledge/_results.html"
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "kb-results"
        else "hotline/knowledge/search.html"
    )
    return render(request, template, context)


@require_GET
def kb_article(request, pk: int):
    """One answer, for anyone it is offered to (its administrators also see a draft)."""
    user = request.user
    article = selectors.article(user, pk)
    validity = selectors.validity_of(article)
    offered = article.status == ArticleStatus.PUBLISHED and validity == "valid"
    can_edit = access.holds(user, MANAGE) and selectors.manageable(user).filter(pk=pk).exists()
    return render(
        request,
        "hotline/knowledge/article.html",
        {
            "article": article,
            "offered": offered,
            "validity_label": VALIDITY_LABELS[validity],
            "can_edit": can_edit,
        },
    )


@require_GET
def kb_suggest(request):
    """知识库建议 (htmx partial): ``q`` (or ``content``) and ``category`` (an id). Staff get a
    "use this answer" button (static ``hotline/kb.js`` fills ``#answer``); citizens a link."""
    user = request.user
    text = request.GET.get("q") or request.GET.get("content") or ""
    category = _category(request.GET.get("category"), user, selectors.READ)
    articles = selectors.suggest(user, text, category=category, limit=5)
    response = render(
        request,
        "hotline/knowledge/_suggest.html",
        {
            "articles": articles,
            "asked": bool(text.strip()) or category is not None,
            "staff": selectors.sees_internal(user),
            "search_url": reverse("hotline:kb-search") + "?" + urlencode({"q": text.strip()[:100]})
            if text.strip()
            else reverse("hotline:kb-search"),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("workbench/hotline/knowledge/", manage_list, name="knowledge"),
    path("workbench/hotline/knowledge/new/", manage_new, name="knowledge-new"),
    path("workbench/hotline/knowledge/<int:pk>/", manage_edit, name="knowledge-edit"),
    path(
        "workbench/hotline/knowledge/<int:pk>/publish/",
        manage_publish,
        name="knowledge-publish",
    ),
    path(
        "workbench/hotline/knowledge/<int:pk>/withdraw/",
        manage_withdraw,
        name="knowledge-withdraw",
    ),
    path("hotline/knowledge/", kb_search, name="kb-search"),
    path("hotline/knowledge/suggest/", kb_suggest, name="kb-suggest"),
    path("hotline/knowledge/<int:pk>/", kb_article, name="kb-article"),
]
