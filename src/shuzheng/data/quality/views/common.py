"""Shared bits of the data-quality pages: error mapping and the rule form's fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shuzheng.data.quality.models import RuleKind

VIEW = "dataquality.view"
MANAGE = "dataquality.manage"
CONFLICT = _("该质量规则已被他人修改，请刷新后重试")

# service field → rule-form field
FORM_FIELDS = {
    "params.pattern": "pattern",
    "params.values": "values",
    "params.min": "min",
    "params.max": "max",
    "params.entry": "ref_entry",
    "params.item": "ref_item",
    "params.max_age_days": "max_age_days",
    "params.type": "id_type",
}
# which form inputs each kind shows
KIND_FIELDS = {
    RuleKind.REQUIRED: (),
    RuleKind.PATTERN: ("pattern",),
    RuleKind.VALUE_SET: ("values",),
    RuleKind.RANGE: ("min", "max"),
    RuleKind.UNIQUE: (),
    RuleKind.REFERENCE: ("ref_entry", "ref_item"),
    RuleKind.TIMELINESS: ("max_age_days",),
    RuleKind.ID_NUMBER: ("id_type",),
}


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """Messages by form field (``__all__`` for those of no field)."""
    if not hasattr(exc, "error_dict"):
        return {"__all__": list(exc.messages)}
    out: dict[str, list[str]] = {}
    for name, messages in exc.message_dict.items():
        out.setdefault(FORM_FIELDS.get(name, name), []).extend(messages)
    return out


def split_values(raw: str) -> list[str]:
    """The value-set textarea: one value per line (commas and 、 also separate)."""
    import re

    return [v.strip() for v in re.split(r"[\r\n,，、;；]+", raw or "") if v.strip()]


def posted_rule(post) -> tuple[dict, dict]:
    """(service fields, form values as typed) from the rule form."""
    values = {
        key: (post.get(key) or "").strip()
        for key in (
            "kind",
            "item_code",
            "severity",
            "description",
            "pattern",
            "values",
            "min",
            "max",
            "ref_entry",
            "ref_item",
            "max_age_days",
            "id_type",
        )
    }
    values["pattern"] = post.get("pattern") or ""  # spaces may be part of the pattern
    values["enabled"] = post.get("enabled") == "on"
    kind = values["kind"]
    params: dict = {}
    if kind == RuleKind.PATTERN:
        params["pattern"] = values["pattern"]
    elif kind == RuleKind.VALUE_SET:
        params["values"] = split_values(values["values"])
    elif kind == RuleKind.RANGE:
        params.update({k: values[k] for k in ("min", "max") if values[k]})
    elif kind == RuleKind.REFERENCE:
        params.update(entry=values["ref_entry"], item=values["ref_item"])
    elif kind == RuleKind.TIMELINESS and values["max_age_days"]:
        params["max_age_days"] = values["max_age_days"]
    elif kind == RuleKind.ID_NUMBER and values["id_type"]:
        params["type"] = values["id_type"]
    fields = {
        "kind": kind,
        "item_code": values["item_code"],
        "severity": values["severity"] or "error",
        "description": values["description"],
        "params": params,
        "enabled": values["enabled"],
    }
    return fields, values


def rule_values(rule) -> dict:
    """The rule form's values for an existing rule (or the defaults of a new one)."""
    if rule is None:
        return {"severity": "error", "enabled": True}
    params = rule.params or {}
    return {
        "kind": rule.kind,
        "item_code": rule.item_code,
        "severity": rule.severity,
        "description": rule.description,
        "enabled": rule.enabled,
        "pattern": params.get("pattern", ""),
        "values": "\n".join(str(v) for v in params.get("values", [])),
        "min": params.get("min", ""),
        "max": params.get("max", ""),
        "ref_entry": params.get("entry", ""),
        "ref_item": params.get("item", ""),
        "max_age_days": params.get("max_age_days", ""),
        "id_type": params.get("type", "resident_id"),
    }


def params_text(rule) -> str:
    """A rule's parameters in one short line for the tables."""
    from django.utils.translation import gettext as t

    p = rule.params or {}
    kind = rule.kind
    if kind == RuleKind.PATTERN:
        return p.get("pattern", "")
    if kind == RuleKind.VALUE_SET:
        values = [str(v) for v in p.get("values", [])]
        shown = "、".join(values[:8])
        return shown + ("…" if len(values) > 8 else "")
    if kind == RuleKind.RANGE:
        return f"{p.get('min', '—')} ～ {p.get('max', '—')}"
    if kind == RuleKind.REFERENCE:
        return f"{p.get('entry', '')} · {p.get('item', '')}"
    if kind == RuleKind.TIMELINESS:
        days = p.get("max_age_days")
        return t("%(n)s 天内") % {"n": days} if days else t("按更新周期")
    if kind == RuleKind.ID_NUMBER:
        return t("统一社会信用代码") if p.get("type") == "uscc" else t("居民身份证")
    return ""
