"""派单规则与分类模型 (``hotline.manage``): the routing rules (category + district/grid → unit,
or 按属地派单) with their editor, the trained classifier versions with their held-out
metrics, a "retrain now" button and rolling back to an earlier version. Thin: parse, call
``services.routing``, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation, OrgKind
from shuzheng.foundation.web.views import require
from shuzheng.governance.hotline.models import Category, ClassifierModel
from shuzheng.governance.hotline.services import routing

MANAGE = "hotline.manage"
GRID_CHOICES_MAX = 500
UNIT_KINDS = (
    OrgKind.DEPARTMENT,
    OrgKind.DISTRICT,
    OrgKind.ZONE,
    OrgKind.STREET,
    OrgKind.TOWN,
    OrgKind.UNIT,
)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: list(v) for k, v in exc.message_dict.items()}
    return {"__all__": exc.messages}


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _choices(user) -> dict:
    from shuzheng.governance.grid.models import GridCell

    categories = access.scope(user, Category.objects.filter(is_active=True), MANAGE)
    grids = GridCell.objects.filter(is_active=True).order_by("code")
    return {
        "categories": [(c.pk, "\u3000" * (c.level - 1) + f"{c.code} {c.name}") for c in categories],
        "districts": Organisation.objects.filter(
            kind__in=routing.DISTRICT_KINDS, is_active=True
        ).order_by("path"),
        "units": [
            (o.pk, "\u3000" * max(o.depth - 1, 0) + o.name)
            for o in Organisation.objects.filter(kind__in=UNIT_KINDS, is_active=True).order_by(
                "path"
            )
        ],
        "grids": list(grids.values_list("code", "name")[:GRID_CHOICES_MAX]),
    }


def _posted(post) -> tuple[dict, dict]:
    """(service fields, form values as typed) from the rule form."""
    from shuzheng.governance.grid.models import GridCell

    values = {
        "category": post.get("category", ""),
        "district": post.get("district", ""),
        "grid": post.get("grid", "").strip(),
        "unit": post.get("unit", ""),
        "by_location": post.get("by_location") == "on",
        "min_confidence": post.get("min_confidence", "").strip(),
        "priority": post.get("priority", "").strip(),
        "active": post.get("active") == "on",
        "note": post.get("note", "").strip(),
    }
    fields = dict(values)
    for name in ("category", "district", "unit"):
        fields[name] = _int(values[name])
    for name in ("min_confidence", "priority"):
        if not values[name]:
            del fields[name]  # left blank: the rule's current value or the default
    if values["grid"]:
        cell = GridCell.objects.filter(code=values["grid"]).first()
        if cell is None:
            raise ValidationError(
                {"grid": _("没有编码为 %(code)s 的网格") % {"code": values["grid"]}}
            )
        fields["grid"] = cell
    else:
        fields["grid"] = None
    return fields, values


def _rule_values(rule) -> dict:
    if rule is None:
        return {"min_confidence": "0.8", "priority": "100", "active": True}
    return {
        "category": str(rule.category_id),
        "district": str(rule.district_id or ""),
        "grid": rule.grid.code if rule.grid_id else "",
        "unit": str(rule.unit_id or ""),
        "by_location": rule.by_location,
        "min_confidence": str(rule.min_confidence),
        "priority": str(rule.priority),
        "active": rule.active,
        "note": rule.note,
    }


def _model_row(model: ClassifierModel) -> dict:
    m = model.metrics or {}
    cat, unit, lat = m.get("category") or {}, m.get("unit") or {}, m.get("latency_ms") or {}
    return {
        "model": model,
        "n_train": m.get("n_train"),
        "n_test": m.get("n_test"),
        "category_top1": _pct(cat.get("top1")),
        "category_top3": _pct(cat.get("top3")),
        "unit_top1": _pct(unit.get("top1")),
        "unit_top3": _pct(unit.get("top3")),
        "latency": lat,
        "level1": [
            {
                "code": code,
                "name": row.get("name", code),
                "n": row.get("n"),
                "top1": _pct(row.get("top1")),
            }
            for code, row in (m.get("level1") or {}).items()
        ],
    }


@require(MANAGE)
def rules_page(request):
    """The rules (most specific first per category) and the classifier versions."""
    show = request.GET.get("show", "active")
    rows = routing.rules(request.user, active=None if show == "all" else True)
    versions = [_model_row(m) for m in routing.model_versions(request.user)]
    return render(
        request,
        "hotline/rules/page.html",
        {
            "rules": rows,
            "show": show,
            "versions": versions,
            "active_version": next((v for v in versions if v["model"].active), None),
            "unit_min_confidence": routing.unit_min_confidence(),
            "category_min_confidence": routing.category_min_confidence(),
        },
    )


def _edit(request, rule=None):
    values = _rule_values(rule)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            fields, values = _posted(request.POST)
            saved = routing.save_rule(request.user, rule, **fields)
        except ValidationError as exc:
            errors = _errors(exc)
            values = {
                **values,
                **{k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"},
            }
            values["by_location"] = request.POST.get("by_location") == "on"
            values["active"] = request.POST.get("active") == "on"
        else:
            messages.success(request, _("派单规则 #%(id)s 已保存") % {"id": saved.pk})
            return redirect("hotline:rules")
    return render(
        request,
        "hotline/rules/rule_form.html",
        {
            "rule": rule,
            "values": values,
            "errors": errors,
            "form_errors": errors.get("__all__", []),
            **_choices(request.user),
        },
        status=400 if errors else 200,
    )


@require(MANAGE)
def rule_new(request):
    return _edit(request)


@require(MANAGE)
def rule_edit(request, pk: int):
    return _edit(request, routing.rule(request.user, pk))


@require(MANAGE)
@require_POST
def rule_toggle(request, pk: int):
    """启用 / 停用 a rule."""
    rule = routing.rule(request.user, pk)
    routing.save_rule(request.user, rule, active=not rule.active)
    if rule.active:
        messages.success(request, _("派单规则 #%(id)s 已停用") % {"id": rule.pk})
    else:
        messages.success(request, _("派单规则 #%(id)s 已启用") % {"id": rule.pk})
    return redirect(reverse("hotline:rules") + ("?show=all" if rule.active else ""))


@require(MANAGE)
@require_POST
def retrain(request):
    """立即重新训练: a new version from the labelled history, active at once."""
    try:
        model = routing.train(request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        m = model.metrics
        messages.success(
            request,
            _(
                "分类模型 v%(version)s 已训练并启用：分类准确率 %(top1)s（前三 %(top3)s），承办单位准确率 %(unit)s（留出 %(n)s 条）"
            )
            % {
                "version": model.version,
                "top1": _pct((m.get("category") or {}).get("top1")),
                "top3": _pct((m.get("category") or {}).get("top3")),
                "unit": _pct((m.get("unit") or {}).get("top1")),
                "n": m.get("n_test", 0),
            },
        )
    return redirect("hotline:rules")


@require(MANAGE)
@require_POST
def activate_model(request, pk: int):
    """启用 an earlier (or later) version: suggestions use it from now on."""
    model = (
        access.scope(request.user, ClassifierModel.objects.defer("archive"), MANAGE)
        .filter(pk=pk)
        .first()
    )
    if model is None:
        from django.http import Http404

        raise Http404(_("没有这个模型版本"))
    routing.activate(request.user, model)
    messages.success(request, _("已启用分类模型 v%(version)s") % {"version": model.version})
    return redirect("hotline:rules")


urlpatterns = [
    path("workbench/hotline/rules/", rules_page, name="rules"),
    path("workbench/hotline/rules/new/", rule_new, name="rule-new"),
    path("workbench/hotline/rules/<int:pk>/", rule_edit, name="rule-edit"),
    path("workbench/hotline/rules/<int:pk>/toggle/", rule_toggle, name="rule-toggle"),
    path("workbench/hotline/rules/retrain/", retrain, name="rules-retrain"),
    path(
        "workbench/hotline/rules/models/<int:pk>/activate/", activate_model, name="model-activate"
    ),
]
