"""申请表: an item version's form (``form_schema`` JSON Schema + ``form_ui`` hints, see the
shared contract) — validation with one Chinese message per field, the widgets a page draws,
and prefill from the applicant's own record.

HTML posts strings; they are coerced to the schema's integer / number / boolean first, so
the browser and the API are validated by the same schema. A key that is not a property of
the schema (a tampered form) is an error of its own, never silently stored."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

PREFILL_SOURCES = (
    "applicant.name",
    "applicant.id_type",
    "applicant.id_number",
    "applicant.mobile",
    "enterprise.name",
    "enterprise.uscc",
    "enterprise.legal_representative",
    "enterprise.address",
)
WIDGETS = ("text", "textarea", "select", "radio", "date", "number", "checkbox")
_TRUE = {"true", "1", "on", "yes", "是", "y"}
_FALSE = {"false", "0", "off", "no", "否", "n"}
# When one field breaks several rules, the message about its kind comes first.
_ORDER = ("type", "enum", "format", "minLength", "maxLength", "pattern", "minimum", "maximum")


def properties(schema: dict) -> dict:
    return (schema or {}).get("properties") or {}


def title(schema: dict, name: str) -> str:
    return str(properties(schema).get(name, {}).get("title") or name)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _coerce(spec: dict, value):
    """An HTML string as the schema's type; what cannot be read stays as it is, so the
    schema reports the type error with the field's own label."""
    kind = spec.get("type")
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if not number.is_finite():
            return text
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "boolean":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return text
    return text


def _message(error, schema: dict, name: str) -> str:
    label = title(schema, name)
    rule, limit = error.validator, error.validator_value
    if rule == "type":
        kinds = {
            "integer": _("“%(label)s”应为整数"),
            "number": _("“%(label)s”应为数字"),
            "boolean": _("“%(label)s”应选择是或否"),
            "string": _("“%(label)s”应为文字"),
        }
        text = kinds.get(limit if isinstance(limit, str) else "", _("“%(label)s”填写有误"))
        return text % {"label": label}
    if rule == "enum":
        return _("请从选项中选择“%(label)s”") % {"label": label}
    if rule == "format" and limit == "date":
        return _("“%(label)s”应为日期，如 2026-01-31") % {"label": label}
    if rule == "minLength":
        return _("“%(label)s”至少填写 %(n)s 个字") % {"label": label, "n": limit}
    if rule == "maxLength":
        return _("“%(label)s”不能超过 %(n)s 个字") % {"label": label, "n": limit}
    if rule == "pattern":
        hint = properties(schema).get(name, {}).get("description")
        if hint:
            return _("“%(label)s”格式不正确：%(hint)s") % {"label": label, "hint": hint}
        return _("“%(label)s”格式不正确") % {"label": label}
    if rule in ("minimum", "exclusiveMinimum"):
        return _("“%(label)s”不能小于 %(n)s") % {"label": label, "n": limit}
    if rule in ("maximum", "exclusiveMaximum"):
        return _("“%(label)s”不能大于 %(n)s") % {"label": label, "n": limit}
    return _("“%(label)s”填写有误") % {"label": label}


def _rank(error) -> int:
    return _ORDER.index(error.validator) if error.validator in _ORDER else len(_ORDER)


def validate(schema: dict, ui: dict | None, data: dict, *, partial: bool = False) -> dict:
    """The cleaned form (blank values dropped, strings coerced), or ValidationError with one
    message per field. ``partial`` (a draft being saved) skips only the required check."""
    props = properties(schema)
    if not isinstance(data, dict):
        raise ValidationError({"form": ValidationError(_("申请表格式不正确"), code="invalid")})
    errors: dict[str, ValidationError] = {}
    clean: dict = {}
    for name, value in data.items():
        name = str(name)
        if name not in props:
            errors[name] = ValidationError(_("表单中不存在此项"), code="unknown_field")
        elif not _blank(value):
            clean[name] = _coerce(props[name], value)
    if not partial:
        for name in schema.get("required") or ():
            if name in props and name not in clean and name not in errors:
                errors[name] = ValidationError(
                    _("请填写“%(label)s”") % {"label": title(schema, name)}, code="required"
                )
    checked = {k: v for k, v in schema.items() if k not in ("required", "additionalProperties")}
    validator = Draft202012Validator(checked, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in sorted(validator.iter_errors(clean), key=_rank):
        name = str(error.path[0]) if error.path else ""
        if name and name not in errors:
            errors[name] = ValidationError(_message(error, schema, name), code=error.validator)
    if errors:
        raise ValidationError(errors)
    return clean


def _choices(spec: dict, ui: dict, name: str) -> list[tuple[str, str]]:
    labels = ((ui or {}).get("labels") or {}).get(name) or {}
    return [(str(v), str(labels.get(str(v), v))) for v in spec.get("enum") or ()]


def _widget(spec: dict, ui: dict, name: str) -> str:
    chosen = ((ui or {}).get("widgets") or {}).get(name)
    if chosen in WIDGETS:
        return chosen
    if spec.get("enum"):
        return "select"
    if spec.get("format") == "date":
        return "date"
    kind = spec.get("type")
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    return "text"


def field_order(schema: dict, ui: dict | None) -> list[str]:
    """The fields in the UI's order; properties the UI forgot to list follow, never lost."""
    props = properties(schema)
    listed = [n for n in ((ui or {}).get("order") or ()) if n in props]
    return listed + [n for n in props if n not in listed]


def fields_for(version, data: dict | None, errors: dict | None = None) -> list[dict]:
    """The widgets of ``version``'s form for a template: label, widget, value, required,
    help, choices (value, label), error, and the limits the browser can check too."""
    schema, ui = version.form_schema or {}, version.form_ui or {}
    data, errors = data or {}, errors or {}
    required = set(schema.get("required") or ())
    helps = (ui.get("help") or {}) if isinstance(ui, dict) else {}
    rows = []
    for name in field_order(schema, ui):
        spec = properties(schema)[name]
        value = data.get(name, "")
        widget = _widget(spec, ui, name)
        rows.append(
            {
                "name": name,
                "id": f"field-{name}",
                "label": str(spec.get("title") or name),
                "widget": widget,
                "type": spec.get("type", "string"),
                "value": "" if value is None else value,
                "checked": value is True,
                "required": name in required,
                "help": str(helps.get(name) or spec.get("description") or ""),
                "choices": _choices(spec, ui, name),
                "error": _first(errors.get(name)),
                "min": spec.get("minimum"),
                "max": spec.get("maximum"),
                "minlength": spec.get("minLength"),
                "maxlength": spec.get("maxLength"),
                "step": "1" if spec.get("type") == "integer" else "any",
            }
        )
    return rows


def _first(messages) -> str:
    if not messages:
        return ""
    if isinstance(messages, ValidationError):
        messages = messages.messages
    if isinstance(messages, (list, tuple)):
        return str(messages[0]) if messages else ""
    return str(messages)


def _source_value(source: str, person, enterprise) -> str | None:
    owner, _sep, attr = source.partition(".")
    if source not in PREFILL_SOURCES:
        return None
    record = person if owner == "applicant" else enterprise
    if record is None:
        return None
    value = getattr(record, attr, None)
    if value in (None, ""):
        return None
    if attr == "mobile" and str(value).startswith("+86"):
        return str(value)[3:]  # mainland numbers as people write them (11 digits)
    return str(value)


def prefill(ui: dict | None, *, person=None, enterprise=None, schema: dict | None = None) -> dict:
    """Values for the fields the UI maps to the applicant's own record (``applicant.*`` is
    the natural person filling in — the applicant or the enterprise's agent —
    ``enterprise.*`` the enterprise applied for); unknown sources and fields are ignored."""
    props = properties(schema) if schema is not None else None
    values = {}
    for name, source in ((ui or {}).get("prefill") or {}).items():
        if props is not None and (name not in props or props[name].get("type") != "string"):
            continue
        value = _source_value(str(source), person, enterprise)
        if value is None:
            continue
        if props is not None and not Draft202012Validator(props[name]).is_valid(value):
            continue  # a record the field does not accept: the applicant types it instead
        values[name] = value
    return values
