"""The rule editor of a dataset (``dataquality.manage``): add, edit, enable / disable,
delete. The revision the editor saw travels with the form (optimistic lock)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuzheng.data.quality import checker, selectors, services
from shuzheng.data.quality.models import RuleKind, Severity
from shuzheng.data.quality.views.common import (
    CONFLICT,
    KIND_FIELDS,
    MANAGE,
    errors_of,
    posted_rule,
    rule_values,
)
from shuzheng.foundation import workflow
from shuzheng.foundation.web.views import require


def _form(request, entry, *, rule=None, values=None, errors=None, status=200):
    items = list(checker.items_by_code(entry).values())
    return render(
        request,
        "dataquality/rule_form.html",
        {
            "entry": entry,
            "rule": rule,
            "values": values if values is not None else rule_values(rule),
            "errors": errors or {},
            "form_errors": (errors or {}).get("__all__", []),
            "items": items,
            "kinds": RuleKind.choices,
            "severities": Severity.choices,
            "kind_fields": {k: list(v) for k, v in KIND_FIELDS.items()},
            "cycle_days": checker.cycle_days(entry),
        },
        status=status,
    )


@require(MANAGE)
def rule_new(request, pk: int):
    entry = selectors.entry(request.user, pk, MANAGE)
    if request.method != "POST":
        return _form(request, entry)
    fields, values = posted_rule(request.POST)
    try:
        services.create_rule(request.user, entry=entry, **fields)
    except ValidationError as exc:
        return _form(request, entry, values=values, errors=errors_of(exc), status=400)
    messages.success(request, _("质量规则已添加"))
    return redirect("dataquality:entry", pk=entry.pk)


@require(MANAGE)
def rule_edit(request, pk: int):
    rule = selectors.rule(request.user, pk, MANAGE)
    entry = rule.entry
    if request.method != "POST":
        return _form(request, entry, rule=rule)
    fields, values = posted_rule(request.POST)
    try:
        services.update_rule(request.user, rule, revision=request.POST.get("revision"), **fields)
    except workflow.Conflict:
        messages.error(request, str(CONFLICT))
        return _form(request, entry, rule=rule, values=values, status=409)
    except ValidationError as exc:
        return _form(request, entry, rule=rule, values=values, errors=errors_of(exc), status=400)
    messages.success(request, _("质量规则已保存"))
    return redirect("dataquality:entry", pk=entry.pk)


@require_POST
@require(MANAGE)
def rule_toggle(request, pk: int):
    """启用 / 停用."""
    rule = selectors.rule(request.user, pk, MANAGE)
    try:
        services.set_rule_enabled(
            request.user, rule, enabled=not rule.enabled, revision=request.POST.get("revision")
        )
    except workflow.Conflict:
        messages.error(request, str(CONFLICT))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("规则已启用") if rule.enabled else _("规则已停用"))
    return redirect("dataquality:entry", pk=rule.entry_id)


@require_POST
@require(MANAGE)
def rule_delete(request, pk: int):
    rule = selectors.rule(request.user, pk, MANAGE)
    entry_pk = rule.entry_id
    try:
        services.delete_rule(request.user, rule, revision=request.POST.get("revision"))
    except workflow.Conflict:
        messages.error(request, str(CONFLICT))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("质量规则已删除"))
    return redirect("dataquality:entry", pk=entry_pk)


urlpatterns = [
    path("workbench/data/quality/entries/<int:pk>/rules/new/", rule_new, name="rule-new"),
    path("workbench/data/quality/rules/<int:pk>/", rule_edit, name="rule-edit"),
    path("workbench/data/quality/rules/<int:pk>/toggle/", rule_toggle, name="rule-toggle"),
    path("workbench/data/quality/rules/<int:pk>/delete/", rule_delete, name="rule-delete"),
]
