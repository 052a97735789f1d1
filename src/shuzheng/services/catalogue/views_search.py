"""办事搜索 page (``catalogue:search``): a plain GET form that htmx turns into live results.

Without JavaScript the form submits and the whole page comes back; with htmx every
keystroke (after a pause) and every filter change fetches only the results
(``_search_results.html``), and the address bar follows, so a result list can be shared.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shuzheng.services.catalogue import search
from shuzheng.services.catalogue.models import HandlingScope, OnlineDepth, Theme, ThemeAudience

PAGE_SIZE = 10
MAX_PAGE = 200


def _page_number(raw) -> int:
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def _link(q: str, params: dict, page: int = 1) -> str:
    query = {"q": q, **params} if q else dict(params)
    if page > 1:
        query["page"] = page
    return "?" + urlencode(query) if query else "?"


def _chips(q: str, filters: search.Filters) -> list[dict]:
    """The active filters, each with the link that removes it."""
    params = filters.as_params()
    labels = {
        "dept": filters.department.name if filters.department else "",
        "audience": {"person": _("个人办事"), "legal": _("法人办事")}.get(filters.audience, ""),
        "theme": filters.theme.name if filters.theme else "",
        "depth": _("在线办理深度不低于%(n)s级") % {"n": filters.depth} if filters.depth else "",
        "scope": str(HandlingScope(filters.scope).label) if filters.scope else "",
    }
    return [
        {
            "label": labels[key],
            "url": _link(q, {k: v for k, v in params.items() if k != key}),
        }
        for key in params
    ]


@require_GET
def search_page(request):
    """搜索办事事项: words in citizen language, filters, explanations, pages."""
    params = request.GET
    errors: dict[str, list[str]] = {}
    q = ""
    try:
        q = search.parse_query(params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        q = (params.get("q") or "").strip()[: search.MAX_QUERY]
    try:
        filters = search.parse_filters(params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        filters = search.Filters()
    page = _page_number(params.get("page"))
    results = search.search_items(
        request.user, q, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    kept = filters.as_params()
    context = {
        "q": q,
        "filters": filters,
        "results": results,
        "errors": errors,
        "chips": _chips(q, filters),
        "page": page,
        "first_rank": (page - 1) * PAGE_SIZE + 1,
        "previous_url": _link(q, kept, page - 1) if page > 1 else "",
        "next_url": _link(q, kept, page + 1) if results.has_more else "",
        "suggestion_links": [
            {"word": word, "url": _link(word, kept)} for word in results.suggestions
        ],
    }
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    if partial:
        return _render(request, "catalogue/_search_results.html", context)
    context.update(
        departments=search.departments(),
        person_themes=Theme.objects.filter(audience=ThemeAudience.PERSON),
        enterprise_themes=Theme.objects.filter(audience=ThemeAudience.ENTERPRISE),
        depths=[(value, label) for value, label in OnlineDepth.choices],
        scopes=HandlingScope.choices,
    )
    return _render(request, "catalogue/search.html", context)


def _render(request, template: str, context: dict):
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


urlpatterns = [path("services/search/", search_page, name="search")]
