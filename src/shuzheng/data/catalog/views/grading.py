"""分级 pages: an editor proposes a level for an entry or one of its items (GB/T 43697:
impact object, degree, factors, basis); the grading reviewers' queue approves or rejects
with an opinion. 就高从严 and every other rule is the services'."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from shuzheng.data.catalog import selectors, services
from shuzheng.data.catalog.models import EntryStatus, GradingRecord
from shuzheng.data.catalog.views import forms
from shuzheng.data.catalog.views.catalog import _grading_rows, _own, label
from shuzheng.data.catalog.views.common import (
    EDIT,
    GRADING_CONFLICT,
    REVIEW_GRADING,
    apply_errors,
    staff_page,
)
from shuzheng.foundation import access, workflow

PAGE_SIZE = 30


def _propose_page(request, entry, form, *, status=200):
    return render(
        request,
        "datacatalog/grading/propose.html",
        {
            "entry": entry,
            "form": form,
            "grade_label": label("grade", entry.grade),
            "items": [
                {"item": i, "grade_label": label("grade", i.grade)}
                for i in entry.items.order_by("sort_order", "pk")
            ],
        },
        status=status,
    )


@staff_page(EDIT)
def propose(request, code: str):
    """定级建议 for an entry of the user's department or one of its items."""
    entry = _own(request, code)
    if entry.status == EntryStatus.WITHDRAWN:
        messages.error(request, _("已下线的目录不能定级"))
        return redirect("datacatalog:entry", code=code)
    initial = {"item_code": request.GET.get("item", "")}
    if request.method != "POST":
        return _propose_page(request, entry, forms.GradingForm(entry=entry, initial=initial))
    form = forms.GradingForm(request.POST, entry=entry)
    if form.is_valid():
        try:
            services.propose_grading(request.user, entry, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, {"status": "item_code"})
        else:
            messages.success(request, _("定级建议已提交，等待分级审核"))
            return redirect("datacatalog:entry", code=code)
    return _propose_page(request, entry, form, status=400)


def _queue_page(request, *, failed=None, failed_form=None, status=200):
    rows = selectors.grading_queue(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = []
    for row in _grading_rows(page):
        pk = row["record"].pk
        form = failed_form if pk == failed else forms.OpinionForm(prefix=f"g{pk}")
        items.append({**row, "form": form, "failed": pk == failed})
    return render(
        request,
        "datacatalog/grading/queue.html",
        {"page": page, "rows": items, "label": label},
        status=status,
    )


@staff_page(REVIEW_GRADING)
def queue(request):
    """分级审核: the proposals waiting for the user, oldest first."""
    return _queue_page(request)


@staff_page(REVIEW_GRADING)
def review(request, pk: int):
    """Approve or reject one proposal (``decision`` = approve | reject)."""
    if request.method != "POST":
        return redirect("datacatalog:grading")
    record = selectors.grading_queue(request.user).filter(pk=pk).first()
    if record is None:
        decided = GradingRecord.objects.filter(pk=pk)
        if access.scope(request.user, decided, REVIEW_GRADING).exists():
            messages.error(request, str(GRADING_CONFLICT))
            return redirect("datacatalog:grading")
        raise Http404(_("没有这条待审核的定级建议"))
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        raise Http404(_("没有这个审核结论"))
    form = forms.OpinionForm(request.POST, prefix=f"g{pk}")
    if form.is_valid():
        try:
            services.review_grading(
                request.user,
                record,
                approve=decision == "approve",
                opinion=form.cleaned_data["opinion"],
            )
        except workflow.Conflict:
            messages.error(request, str(GRADING_CONFLICT))
            return redirect("datacatalog:grading")
        except ValidationError as exc:
            apply_errors(form, exc, {"to_grade": None, "item_code": None})
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            done = _("已通过") if decision == "approve" else _("已驳回")
            messages.success(
                request,
                _("%(entry)s 的定级建议%(done)s") % {"entry": record.entry.code, "done": done},
            )
            return redirect("datacatalog:grading")
    return _queue_page(request, failed=pk, failed_form=form, status=400)


urlpatterns = [
    path("workbench/data/catalog/<entrycode:code>/grading/", propose, name="grading-propose"),
    path("workbench/data/grading/", queue, name="grading"),
    path("workbench/data/grading/<int:pk>/review/", review, name="grading-review"),
]
