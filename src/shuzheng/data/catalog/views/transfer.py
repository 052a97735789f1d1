"""目录导入导出 pages: upload a provincial workbook or a JSON document (a report of every bad
row, or what was created), download the visible catalogue or the department's working copies
as either, and the empty template."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.catalog import selectors, transfer
from shuzheng.data.catalog.models import VISIBLE_STATES
from shuzheng.data.catalog.views import forms
from shuzheng.data.catalog.views.catalog import _filters
from shuzheng.data.catalog.views.common import EDIT, VIEW, staff_page
from shuzheng.foundation import access

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_bytes() -> int:
    """DATA_CATALOG_IMPORT_MAX_BYTES: the largest import file (default 5 MB)."""
    return int(getattr(settings, "DATA_CATALOG_IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def max_export() -> int:
    """DATA_CATALOG_EXPORT_MAX_ENTRIES: entries in one download (default 20 000)."""
    return int(getattr(settings, "DATA_CATALOG_EXPORT_MAX_ENTRIES", 20000))


def _page(request, form, *, report=None, status=200):
    return render(
        request,
        "datacatalog/transfer/import.html",
        {
            "form": form,
            "report": report,
            "max_mb": round(max_bytes() / 1024 / 1024, 1),
            "headings": [h for h, _k, _t, required in transfer.ENTRY_COLUMNS if required],
            "item_headings": [h for h, _k, _t, required in transfer.ITEM_COLUMNS if required],
        },
        status=status,
    )


@staff_page(EDIT)
def import_page(request):
    """导入目录: all or nothing; the report lists every problem by sheet, row and column."""
    if request.method != "POST":
        return _page(request, forms.ImportForm())
    form = forms.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > max_bytes():
        form.add_error(
            "file", _("文件不能超过 %(mb)s MB") % {"mb": round(max_bytes() / 1024 / 1024, 1)}
        )
        return _page(request, form, status=400)
    name = upload.name or ""
    if not name.lower().endswith((".xlsx", ".json")):
        form.add_error("file", _("只能导入 .xlsx 或 .json 文件"))
        return _page(request, form, status=400)
    report = transfer.import_file(request.user, name, upload.read())
    if not report.ok:
        return _page(request, forms.ImportForm(), report=report, status=400)
    messages.success(request, report.summary())
    return _page(request, forms.ImportForm(), report=report)


@staff_page(VIEW)
def export(request, fmt: str):
    """下载目录: ``scope=catalog`` (default) — the visible catalogue as published, with the
    list's filters; ``scope=own`` — the working copies of the user's departments."""
    user = request.user
    if fmt not in ("xlsx", "json"):
        return HttpResponse(status=404)
    scope = request.GET.get("scope") or "catalog"
    filters = _filters(request)
    if scope == "own":
        access.require(user, EDIT)
        rows = selectors.filtered(selectors.own_entries(user), **filters).prefetch_related(
            "items", "related", "sources"
        )
        working = True
    else:
        filters.pop("status", None)
        rows = selectors.filtered(
            selectors.visible_entries(user).filter(status__in=VISIBLE_STATES), **filters
        )
        working = False
    rows = rows.order_by("code")[: max_export()]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"datacatalog-{scope}-{stamp}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(transfer.export_xlsx(rows, working=working), content_type=XLSX)
    else:
        body = transfer.dumps(transfer.export_json(rows, working=working))
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_page(VIEW)
def template(request):
    """The empty provincial workbook with drop-downs and 填写说明."""
    response = HttpResponse(transfer.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="datacatalog-template.xlsx"'
    return response


urlpatterns = [
    path("workbench/data/catalog/import/", import_page, name="import"),
    path("workbench/data/catalog/export.<str:fmt>", export, name="export"),
    path("workbench/data/catalog/template.xlsx", template, name="template"),
]
