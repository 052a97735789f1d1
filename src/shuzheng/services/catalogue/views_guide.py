"""办事服务 on the portal: the landing (个人办事 by life event, 法人办事 by stage, by department),
theme and department lists, one item's 办事指南 and its printable A4 version. Public pages
(``catalogue.view`` is public); items are read only through the catalogue selectors, so a
draft is never shown, and content comes through ``localise`` in the reader's language."""

from __future__ import annotations

import segno
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from shuzheng.foundation.files import selectors as files
from shuzheng.foundation.identity import selectors as identity
from shuzheng.foundation.identity.models import Organisation
from shuzheng.services.catalogue import localise, selectors
from shuzheng.services.catalogue.models import (
    ExerciseLevel,
    OnlineDepth,
    Theme,
    VersionStatus,
)
from shuzheng.services.catalogue.templatetags.catalogue_tags import badges, theme_groups

PAGE_SIZE = 50
FULL_ONLINE_SHOWN = 12


def url_or_none(name: str, **kwargs) -> str | None:
    """A page of another package (e.g. ``cases:apply``) only when it is mounted — a missing
    page means no button, never a broken link."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _language() -> str:
    return localise.language_of(get_language())


def _requested_version(request) -> int | None:
    raw = (request.GET.get("v") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return int(raw)


def _guide_context(request, code: str) -> dict:
    """Everything the guide and its print version show, from one published or superseded
    version (``?v=N`` for an earlier one)."""
    number = _requested_version(request)
    version = selectors.version_for_guide(code, version=number)
    item = version.item
    language = _language()
    guide = localise.localised_version(version, language)
    is_history = version.pk != item.current_id or version.status != VersionStatus.PUBLISHED
    query = f"?v={version.version}" if is_history else ""
    guide_url = reverse("catalogue:guide", kwargs={"code": code})
    levels = []
    for value in item.basic.exercise_levels or []:
        try:
            levels.append(ExerciseLevel(value).label)
        except ValueError:
            levels.append(value)
    online = version.online_depth >= OnlineDepth.ONLINE
    for material in guide.materials:
        material.blank_form_url = _file_url(code, version, material, "blank_form")
        material.sample_url = _file_url(code, version, material, "sample")
    return {
        "guide": guide,
        "version": version,
        "item": item,
        "basic": item.basic,
        "language": language,
        "legal_basis": guide.legal_basis or localise.in_language(item.basic.legal_basis, language),
        "exercise_levels": levels,
        "badges": badges(version),
        "is_history": is_history,
        "guide_url": guide_url,
        "current_url": guide_url if is_history else None,
        "print_url": reverse("catalogue:guide-print", kwargs={"code": code}) + query,
        "apply_url": url_or_none("cases:apply", code=code) if online and not is_history else None,
        "online": online,
        "result_sample_url": _file_url(code, version, None, "result_sample"),
        "department_url": reverse("catalogue:department", kwargs={"pk": item.organisation_id}),
    }


GUIDE_FILES = {"blank_form", "sample", "result_sample"}


def _file_url(code: str, version, material, which: str) -> str | None:
    """Where the guide's blank form / sample / result sample downloads, when there is one."""
    row = material if material is not None else version
    if not getattr(row, f"{which}_id", None):
        return None
    kwargs = {"code": code, "which": which, "material": material.code if material else "-"}
    url = reverse("catalogue:guide-file", kwargs=kwargs)
    return url if version.pk == version.item.current_id else f"{url}?v={version.version}"


@require_GET
def guide_file(request, code: str, material: str, which: str):
    """空白表格 / 示例样表 / 审批结果样本 of a published (or superseded) guide: public like the
    guide itself, reached through the same selector, so a draft's files are never served."""
    if which not in GUIDE_FILES:
        raise Http404
    version = selectors.version_for_guide(code, version=_requested_version(request))
    if which == "result_sample":
        stored = version.result_sample if material == "-" else None
    else:
        row = next((m for m in version.materials.all() if m.code == material), None)
        stored = getattr(row, which) if row is not None else None
    if stored is None or not stored.available:
        raise Http404
    response = FileResponse(
        files.open_content(stored),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )
    response["Content-Length"] = str(stored.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def guide(request, code: str):
    """办事指南: every field of the item's version, grouped as the national guides do."""
    return render(request, "catalogue/guide.html", _guide_context(request, code))


@require_GET
def guide_print(request, code: str):
    """The guide as one A4 document, with a QR code back to the online guide."""
    context = _guide_context(request, code)
    target = request.build_absolute_uri(context["guide_url"])  # always the latest guide
    context["qr_svg"] = segno.make(target, error="m").svg_inline(
        scale=3, border=2, svgclass="guide-qr", title=target
    )
    context["qr_target"] = target
    context["printed_on"] = timezone.localdate()
    return render(request, "catalogue/guide_print.html", context)


def _cards(items) -> list:
    return list(items.select_related("current", "organisation"))


@require_GET
def services_home(request):
    """办事服务: by life event, by enterprise stage, by department; 全程网办事项."""
    language = _language()
    published = selectors.published_items()
    departments = [
        {
            "pk": row["organisation"],
            "name": localise.in_language(row["organisation__name"], language),
            "count": row["n"],
        }
        for row in published.order_by()
        .values("organisation", "organisation__name", "organisation__path")
        .annotate(n=Count("pk"))
        .order_by("organisation__path")
    ]
    full_online = published.filter(current__online_depth=OnlineDepth.FULL).order_by(
        "current__name", "pk"
    )[:FULL_ONLINE_SHOWN]
    return render(
        request,
        "catalogue/services_home.html",
        {
            "groups": theme_groups(),
            "departments": departments,
            "full_online": _cards(full_online),
            "total": published.count(),
        },
    )


def _list_page(request, items, *, title: str, lead: str = ""):
    page = Paginator(
        items.select_related("current", "organisation").order_by("current__name", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "catalogue/item_list.html",
        {"page": page, "title": title, "lead": lead},
    )


@require_GET
def theme(request, code: str):
    """One 主题: a life event's or an enterprise stage's published items."""
    chosen = get_object_or_404(Theme, code=code)
    items = selectors.published_items().filter(current__themes=chosen).distinct()
    return _list_page(
        request,
        items,
        title=localise.in_language(chosen.name, _language()),
        lead=chosen.get_audience_display(),
    )


@require_GET
def department(request, pk: int):
    """One implementing body's published items."""
    try:
        org = identity.organisation(request.user, pk)
    except Organisation.DoesNotExist:
        raise Http404 from None
    items = selectors.published_items().filter(organisation=org)
    return _list_page(request, items, title=localise.in_language(org.name, _language()))


urlpatterns = [
    path("services/", services_home, name="services"),
    path("services/themes/<slug:code>/", theme, name="theme"),
    path("services/departments/<int:pk>/", department, name="department"),
    path("services/<str:code>/", guide, name="guide"),
    path("services/<str:code>/print/", guide_print, name="guide-print"),
    path("services/<str:code>/files/<str:material>/<str:which>/", guide_file, name="guide-file"),
]
