"""Write use cases of the service catalogue (事项编制): create an item, draft a new version,
edit the draft, submit it, review it (publish or return), withdraw (停用) an item.

A published version is never edited: the next one is drafted as a copy, reviewed by someone
other than its drafter and published, and the one before becomes superseded — so a running
case keeps the guide and form it was applied under. Every function owns its transaction,
its access check (``catalogue.edit`` / ``catalogue.review`` on the item's organisation
subtree), its audit record and its event. :func:`check_content` is the one validator of a
version's content; the import and the editing forms report through it too."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from shuzheng.foundation import access, events
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit
from shuzheng.services.catalogue.models import (
    Audience,
    BasicItem,
    CaseKind,
    Fee,
    HandlingScope,
    ItemType,
    ItemVersion,
    LimitUnit,
    Material,
    MaterialKind,
    MaterialSource,
    Necessity,
    OnlineDepth,
    Question,
    RemovalRule,
    ServiceItem,
    Theme,
    VersionStatus,
)

EDIT = "catalogue.edit"
REVIEW = "catalogue.review"

# The content of a version, by model field name (the interchange format uses the same names).
CONTENT_FIELDS = (
    "name",
    "short_name",
    "item_type",
    "implementer_nature",
    "entrusted_department",
    "legal_basis",
    "legal_limit",
    "legal_limit_unit",
    "promised_limit",
    "promised_limit_unit",
    "trips",
    "acceptance_conditions",
    "process",
    "handling_forms",
    "case_kind",
    "audience",
    "location",
    "office_hours",
    "consult_phone",
    "complaint_phone",
    "charged",
    "online_depth",
    "appointment",
    "express",
    "online_payment",
    "scope",
    "result_type",
    "result_name",
    "commitment",
    "review_steps",
    "keywords",
    "form_schema",
    "form_ui",
    "translations",
    "change_note",
)
TEXT_FIELDS = (
    "name",
    "short_name",
    "implementer_nature",
    "entrusted_department",
    "legal_basis",
    "acceptance_conditions",
    "location",
    "office_hours",
    "consult_phone",
    "complaint_phone",
    "result_type",
    "result_name",
    "change_note",
)
INT_FIELDS = ("legal_limit", "promised_limit", "trips")
BOOL_FIELDS = ("charged", "appointment", "express", "online_payment", "commitment")
LIST_FIELDS = ("process", "handling_forms", "review_steps", "keywords")
DICT_FIELDS = ("form_schema", "form_ui", "translations")
CHOICES = {
    "item_type": ItemType,
    "legal_limit_unit": LimitUnit,
    "promised_limit_unit": LimitUnit,
    "case_kind": CaseKind,
    "audience": Audience,
    "online_depth": OnlineDepth,
    "scope": HandlingScope,
}
REQUIRED_TEXT = ("name", "implementer_nature")

MATERIAL_FIELDS = (
    "code",
    "name",
    "kind",
    "necessity",
    "source",
    "issuing_department",
    "copies",
    "acceptance_standard",
    "notes",
    "basis",
    "removed_rule",
)
MATERIAL_CHOICES = {
    "kind": MaterialKind,
    "necessity": Necessity,
    "source": MaterialSource,
    "removed_rule": RemovalRule,
}
MATERIAL_DEFAULTS = {
    "source": MaterialSource.APPLICANT.value,
    "issuing_department": "",
    "copies": 1,
    "acceptance_standard": "",
    "notes": "",
    "basis": "",
    "removed_rule": "",
}
FEE_FIELDS = ("name", "standard", "basis", "reducible")
FEE_DEFAULTS = {"basis": "", "reducible": False}
QUESTION_FIELDS = ("question", "answer")

TRANSLATION_LANGUAGES = ("zh-hant", "pt", "en")
TRANSLATABLE_FIELDS = TEXT_FIELDS
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
FORM_WIDGETS = ("textarea", "select", "radio", "date")
FORM_UI_KEYS = ("order", "widgets", "help", "labels", "prefill")
PROPERTY_TYPES = ("string", "integer", "number", "boolean")
IMPLEMENTATION_CODE = re.compile(r"^[0-9A-Za-z]{36}$")
MATERIAL_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")


class OpenDraftExists(Exception):
    """The item already has a draft or a version in review (at most one at a time)."""

    http_status = 409  # the API answers 409 problem+json

    def __init__(self, version: ItemVersion):
        self.version = version
        super().__init__(
            _("该事项已有未发布的第 %(n)s 版（%(status)s），请在该版本上修改或等待审核完成")
            % {"n": version.version, "status": version.get_status_display()}
        )


def label(field: str) -> str:
    """The Chinese name of a version field (its ``verbose_name``)."""
    return str(ItemVersion._meta.get_field(field).verbose_name)


def _actor_user(actor):
    return None if actor is access.SYSTEM else actor


# --- content: defaults, reading, validation ----------------------------------------------


def default_content() -> dict:
    """A version's content with every field at its model default (blank text, empty lists)."""
    values = {}
    for name in CONTENT_FIELDS:
        field = ItemVersion._meta.get_field(name)
        values[name] = field.get_default() if field.has_default() else ""
    values["legal_limit"] = values["promised_limit"] = None
    return values


def content_of(version: ItemVersion) -> dict:
    """The editable content of a stored version, by field name."""
    return {name: getattr(version, name) for name in CONTENT_FIELDS}


def parts_of(version: ItemVersion) -> dict:
    """A version's materials, fees, questions and theme codes as plain data (file order)."""
    return {
        "themes": sorted_theme_codes(version.themes.values_list("code", flat=True)),
        "materials": [
            {name: getattr(m, name) for name in MATERIAL_FIELDS}
            for m in version.materials.order_by("sort_order", "pk")
        ],
        "fees": [
            {name: getattr(f, name) for name in FEE_FIELDS}
            for f in version.fees.order_by("sort_order", "pk")
        ],
        "questions": [
            {name: getattr(q, name) for name in QUESTION_FIELDS}
            for q in version.questions.order_by("sort_order", "pk")
        ],
    }


def sorted_theme_codes(codes) -> list[str]:
    """Theme codes in the themes' own order (audience, sort order, code)."""
    codes = set(codes)
    ordered = [c for c in Theme.objects.filter(code__in=codes).values_list("code", flat=True)]
    return ordered + sorted(codes - set(ordered))


def with_part_defaults(parts: dict) -> dict:
    """Fill the optional keys of materials and fees, so two spellings of one content compare
    equal (the interchange format may leave defaults out)."""
    return {
        "themes": list(parts.get("themes") or []),
        "materials": [
            {**MATERIAL_DEFAULTS, **m} if isinstance(m, dict) else m
            for m in parts.get("materials") or []
        ],
        "fees": [
            {**FEE_DEFAULTS, **f} if isinstance(f, dict) else f for f in parts.get("fees") or []
        ],
        "questions": list(parts.get("questions") or []),
    }


class Errors:
    """Field errors gathered across a whole version, raised together."""

    def __init__(self):
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def messages(self) -> list[tuple[str, str]]:
        return [(f, e.messages[0]) for f, errs in self.by_field.items() for e in errs]

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def check_content(
    values: dict,
    *,
    themes=(),
    materials=(),
    fees=(),
    questions=(),
    known_themes: set[str] | None = None,
) -> Errors:
    """Every rule a version's content obeys; returns the errors keyed by field name
    (``materials[2].removed_rule`` for a part). Nothing is written."""
    errors = Errors()
    for name in values:
        if name not in CONTENT_FIELDS:
            errors.add(name, _("未知字段：%(name)s") % {"name": name}, "unknown")
    _check_types(values, errors)
    if errors:
        return errors
    _check_limits(values, errors)
    _check_form(values.get("form_schema") or {}, values.get("form_ui") or {}, errors)
    _check_translations(values.get("translations") or {}, errors)
    _check_materials(materials, errors)
    _check_fees(fees, values, errors)
    _check_questions(questions, errors)
    _check_themes(themes, errors, known_themes)
    return errors


def _check_types(values: dict, errors: Errors) -> None:
    for name in TEXT_FIELDS:
        value = values.get(name, "")
        if not isinstance(value, str):
            errors.add(name, _("%(label)s应为文本") % {"label": label(name)}, "type")
            continue
        limit = ItemVersion._meta.get_field(name).max_length
        if limit and len(value) > limit:
            errors.add(
                name,
                _("%(label)s不能超过 %(n)s 个字符") % {"label": label(name), "n": limit},
                "length",
            )
    for name in REQUIRED_TEXT:
        if isinstance(values.get(name), str) and not values[name].strip():
            errors.add(name, _("请填写%(label)s") % {"label": label(name)}, "required")
    for name in INT_FIELDS:
        value = values.get(name)
        if value is None and name != "trips":
            errors.add(name, _("请填写%(label)s") % {"label": label(name)}, "required")
        elif not _is_int(value) or value < 0:
            errors.add(name, _("%(label)s应为非负整数") % {"label": label(name)}, "type")
    for name in BOOL_FIELDS:
        if not isinstance(values.get(name, False), bool):
            errors.add(name, _("%(label)s应为“是”或“否”") % {"label": label(name)}, "type")
    for name in LIST_FIELDS:
        value = values.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            errors.add(name, _("%(label)s应为非空文本的列表") % {"label": label(name)}, "type")
    for name in DICT_FIELDS:
        if not isinstance(values.get(name, {}), dict):
            errors.add(name, _("%(label)s应为 JSON 对象") % {"label": label(name)}, "type")
    for name, choices in CHOICES.items():
        value = values.get(name)
        if value in (None, ""):
            errors.add(name, _("请选择%(label)s") % {"label": label(name)}, "required")
        elif value not in choices.values or isinstance(value, bool):
            errors.add(
                name,
                _("%(label)s不是有效选项：%(value)s") % {"label": label(name), "value": value},
                "choice",
            )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_limits(values: dict, errors: Errors) -> None:
    legal, promised = values["legal_limit"], values["promised_limit"]
    if legal <= 0:
        errors.add("legal_limit", _("法定办结时限应大于 0"), "min")
    if promised <= 0:
        errors.add("promised_limit", _("承诺办结时限应大于 0"), "min")
    if values["legal_limit_unit"] == values["promised_limit_unit"] and promised > legal:
        errors.add(
            "promised_limit",
            _("承诺办结时限（%(p)s）不能超过法定办结时限（%(l)s）") % {"p": promised, "l": legal},
            "exceeds_legal",
        )
    if values["trips"] > 0 and values["online_depth"] == OnlineDepth.FULL:
        errors.add("trips", _("全程网办（四级）的事项到办事现场次数应为 0"), "full_online")


def _check_form(schema: dict, ui: dict, errors: Errors) -> None:
    """The application form: a JSON Schema of the shared subset, and UI hints naming only its
    properties (the form renderer and the submit check rely on both)."""
    if not schema:
        if ui:
            errors.add(
                "form_ui", _("没有申请表单（JSON Schema）时不能设置表单界面提示"), "no_schema"
            )
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        errors.add("form_schema", _("不是有效的 JSON Schema：%(e)s") % {"e": exc.message}, "schema")
        return
    if schema.get("type") != "object":
        errors.add("form_schema", _("申请表单的 type 应为 object"), "schema_type")
    if schema.get("additionalProperties") is not False:
        errors.add(
            "form_schema", _("申请表单应设置 additionalProperties: false"), "schema_additional"
        )
    properties = schema.get("properties") or {}
    for name, spec in properties.items():
        if not isinstance(spec, dict) or spec.get("type") not in PROPERTY_TYPES:
            errors.add(
                "form_schema",
                _("表单字段 %(f)s 的类型应为 string、integer、number 或 boolean") % {"f": name},
                "property_type",
            )
        elif not isinstance(spec.get("title"), str) or not spec["title"].strip():
            errors.add("form_schema", _("表单字段 %(f)s 缺少标题（title）") % {"f": name}, "title")
        elif spec.get("format") not in (None, "date"):
            errors.add(
                "form_schema", _("表单字段 %(f)s 的 format 只能是 date") % {"f": name}, "format"
            )
    for name in schema.get("required") or []:
        if name not in properties:
            errors.add(
                "form_schema", _("必填字段 %(f)s 不在表单字段中") % {"f": name}, "required_unknown"
            )
    _check_ui(ui, properties, errors)


def _check_ui(ui: dict, properties: dict, errors: Errors) -> None:
    def unknown(field) -> bool:
        if field in properties:
            return False
        errors.add(
            "form_ui",
            _("表单界面提示中的字段 %(f)s 不在申请表单中") % {"f": field},
            "unknown_field",
        )
        return True

    for key in ui:
        if key not in FORM_UI_KEYS:
            errors.add("form_ui", _("未知的表单界面提示：%(k)s") % {"k": key}, "unknown_key")
    order = ui.get("order", [])
    if not isinstance(order, list):
        errors.add("form_ui", _("order 应为字段名列表"), "type")
        order = []
    for field in order:
        unknown(field)
    for key in ("widgets", "help", "labels", "prefill"):
        if not isinstance(ui.get(key, {}), dict):
            errors.add("form_ui", _("%(k)s 应为 JSON 对象") % {"k": key}, "type")
    for field, widget in (ui.get("widgets") or {}).items():
        if not unknown(field) and widget not in FORM_WIDGETS:
            errors.add(
                "form_ui",
                _("字段 %(f)s 的控件 %(w)s 不受支持") % {"f": field, "w": widget},
                "widget",
            )
    for field in ui.get("help") or {}:
        unknown(field)
    for field, names in (ui.get("labels") or {}).items():
        if not unknown(field) and not isinstance(names, dict):
            errors.add("form_ui", _("字段 %(f)s 的选项名称应为 JSON 对象") % {"f": field}, "type")
    for field, source in (ui.get("prefill") or {}).items():
        if not unknown(field) and source not in PREFILL_SOURCES:
            errors.add(
                "form_ui",
                _("字段 %(f)s 的预填来源 %(s)s 不受支持") % {"f": field, "s": source},
                "prefill",
            )


def _check_translations(translations: dict, errors: Errors) -> None:
    """Translations follow the layout ``localise`` reads: text fields by name, list fields as
    lists of text, materials by code, fees and questions by position."""
    from shuzheng.services.catalogue import localise

    parts = {
        "materials": localise.MATERIAL_TEXT_FIELDS,
        "fees": localise.FEE_TEXT_FIELDS,
        "questions": localise.QUESTION_TEXT_FIELDS,
    }
    for language, fields in translations.items():
        if language not in TRANSLATION_LANGUAGES:
            errors.add(
                "translations",
                _("不支持的译文语言：%(l)s（可用 zh-hant、pt、en）") % {"l": language},
                "language",
            )
            continue
        if not isinstance(fields, dict):
            errors.add("translations", _("%(l)s 的译文应为 JSON 对象") % {"l": language}, "type")
            continue
        for name, value in fields.items():
            where = {"l": language, "f": name}
            if name in TRANSLATABLE_FIELDS:
                ok = isinstance(value, str)
            elif name in localise.VERSION_LIST_FIELDS:
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            elif name in parts:
                rows = list(value.values()) if isinstance(value, dict) else value
                ok = (name == "materials") == isinstance(value, dict) and all(
                    isinstance(row, dict)
                    and set(row) <= set(parts[name])
                    and all(isinstance(v, str) for v in row.values())
                    for row in (rows if isinstance(rows, list) else [None])
                )
            else:
                errors.add(
                    "translations", _("%(l)s 译文中的字段 %(f)s 不可翻译或不存在") % where, "field"
                )
                continue
            if not ok:
                errors.add("translations", _("%(l)s 译文 %(f)s 的格式不正确") % where, "type")


def _check_rows(rows, kind: str, allowed, required, errors: Errors) -> list[dict]:
    if not isinstance(rows, list | tuple):
        errors.add(kind, _("应为列表"), "type")
        return []
    good = []
    for i, row in enumerate(rows):
        at = f"{kind}[{i}]"
        if not isinstance(row, dict):
            errors.add(at, _("应为 JSON 对象"), "type")
            continue
        for key in row:
            if key not in allowed:
                errors.add(f"{at}.{key}", _("未知字段：%(name)s") % {"name": key}, "unknown")
        for key in required:
            value = row.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.add(f"{at}.{key}", _("此项必填"), "required")
        good.append((i, row))
    return good


def _check_materials(materials, errors: Errors) -> None:
    seen: dict[str, int] = {}
    for i, row in _check_rows(
        materials, "materials", MATERIAL_FIELDS, ("code", "name", "kind", "necessity"), errors
    ):
        at = f"materials[{i}]"
        code = row.get("code")
        if isinstance(code, str) and code:
            if not MATERIAL_CODE.match(code):
                errors.add(f"{at}.code", _("材料代码只能由字母、数字、- 和 _ 组成（至多 40 个）"))
            elif code in seen:
                errors.add(
                    f"{at}.code",
                    _("材料代码 %(c)s 与第 %(n)s 项重复") % {"c": code, "n": seen[code] + 1},
                    "duplicate",
                )
            else:
                seen[code] = i
        for key, choices in MATERIAL_CHOICES.items():
            value = row.get(key, MATERIAL_DEFAULTS.get(key))
            if value in (None, "") and key in ("kind", "necessity"):
                continue  # reported as required
            if value not in (*choices.values, "" if key == "removed_rule" else None):
                message = (
                    _("未知的取消依据：%(v)s")
                    if key == "removed_rule"
                    else _("不是有效选项：%(v)s")
                )
                errors.add(f"{at}.{key}", message % {"v": value}, "choice")
        for key in ("issuing_department", "acceptance_standard", "notes", "basis"):
            if not isinstance(row.get(key, ""), str):
                errors.add(f"{at}.{key}", _("应为文本"), "type")
        name = row.get("name")
        if isinstance(name, str) and len(name) > 200:
            errors.add(f"{at}.name", _("不能超过 200 个字符"), "length")
        copies = row.get("copies", 1)
        if not _is_int(copies) or copies < 1:
            errors.add(f"{at}.copies", _("份数应为正整数"), "min")


def _check_fees(fees, values: dict, errors: Errors) -> None:
    rows = _check_rows(fees, "fees", FEE_FIELDS, ("name", "standard"), errors)
    for i, row in rows:
        if not isinstance(row.get("reducible", False), bool):
            errors.add(f"fees[{i}].reducible", _("应为“是”或“否”"), "type")
        if not isinstance(row.get("basis", ""), str):
            errors.add(f"fees[{i}].basis", _("应为文本"), "type")
    if values.get("charged") and not fees:
        errors.add("fees", _("收费事项须列明收费项目"), "required")
    if not values.get("charged") and fees:
        errors.add("fees", _("不收费的事项不应列出收费项目（请将“是否收费”设为是）"), "not_charged")


def _check_questions(questions, errors: Errors) -> None:
    _check_rows(questions, "questions", QUESTION_FIELDS, ("question", "answer"), errors)


def _check_themes(themes, errors: Errors, known: set[str] | None) -> None:
    if not isinstance(themes, list | tuple) or not all(isinstance(t, str) for t in themes):
        errors.add("themes", _("主题分类应为主题代码的列表"), "type")
        return
    if known is None:
        known = set(Theme.objects.filter(code__in=themes).values_list("code", flat=True))
    missing = [t for t in themes if t not in known]
    if missing:
        errors.add(
            "themes", _("未知的主题分类：%(codes)s") % {"codes": "、".join(missing)}, "unknown"
        )


# --- writing a version's content ---------------------------------------------------------


def _write(version: ItemVersion, values: dict, *, themes, materials, fees, questions) -> None:
    """Store validated content on an open version; ``None`` parts are left as they are."""
    for name, value in values.items():
        setattr(version, name, value)
    version.save()
    if materials is not None:
        files = {m.code: (m.blank_form_id, m.sample_id) for m in version.materials.all()}
        version.materials.all().delete()
        Material.objects.bulk_create(
            [
                Material(
                    version=version,
                    sort_order=i,
                    blank_form_id=files.get(row["code"], (None, None))[0],
                    sample_id=files.get(row["code"], (None, None))[1],
                    **{**MATERIAL_DEFAULTS, **row},
                )
                for i, row in enumerate(materials)
            ]
        )
    if fees is not None:
        version.fees.all().delete()
        Fee.objects.bulk_create(
            [
                Fee(version=version, sort_order=i, **{**FEE_DEFAULTS, **r})
                for i, r in enumerate(fees)
            ]
        )
    if questions is not None:
        version.questions.all().delete()
        Question.objects.bulk_create(
            [Question(version=version, sort_order=i, **r) for i, r in enumerate(questions)]
        )
    if themes is not None:
        version.themes.set(Theme.objects.filter(code__in=themes))


def _copy_parts(source: ItemVersion, target: ItemVersion) -> None:
    """Copy a version's parts row by row, files included (a new draft starts as the last)."""
    for model in (Material, Fee, Question):
        rows = list(model.objects.filter(version=source).order_by("sort_order", "pk"))
        for row in rows:
            row.pk = None
            row.version = target
            row._state.adding = True
        model.objects.bulk_create(rows)
    target.themes.set(source.themes.all())


def _locked_open(version: ItemVersion, status: str, message: str) -> ItemVersion:
    fresh = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
    if fresh.status != status:
        raise ValidationError(message, code="status")
    return fresh


# --- use cases ---------------------------------------------------------------------------


@transaction.atomic
def create_item(
    actor,
    *,
    basic: BasicItem,
    organisation: Organisation,
    implementation_code: str,
    themes=(),
    materials=(),
    fees=(),
    questions=(),
    **version_fields,
) -> ServiceItem:
    """新增实施清单事项: the item and its first draft (version 1), not yet published."""
    access.check(actor, organisation, EDIT)
    errors = Errors()
    code = (implementation_code or "").strip()
    if not IMPLEMENTATION_CODE.match(code):
        errors.add("implementation_code", _("实施编码应为 36 位字母或数字"), "format")
    elif ServiceItem.objects.filter(implementation_code=code).exists():
        errors.add("implementation_code", _("该实施编码已存在"), "duplicate")
    values = default_content()
    values.update(name=basic.name, item_type=basic.item_type, legal_basis=basic.legal_basis)
    values.update(version_fields)
    parts = with_part_defaults(
        {"themes": themes, "materials": materials, "fees": fees, "questions": questions}
    )
    content = check_content(values, **parts)
    for field, errs in content.by_field.items():
        errors.by_field.setdefault(field, []).extend(errs)
    errors.raise_if_any()
    item = ServiceItem.objects.create(
        implementation_code=code, basic=basic, organisation=organisation
    )
    version = ItemVersion(item=item, version=1, created_by=_actor_user(actor))
    _write(version, values, **parts)
    audit.record(
        actor, "catalogue.item.create", item, details={"code": code, "basic": basic.basic_code}
    )
    events.publish("catalogue.item.drafted", {"code": code, "version": 1}, key=code)
    return item


@transaction.atomic
def new_draft(actor, item: ServiceItem) -> ItemVersion:
    """起草新版本: a copy of the current published version (materials, fees, Q&A, themes
    included) as version N+1; refused while another draft or review is open."""
    access.check(actor, item, EDIT)
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    open_version = ItemVersion.objects.filter(
        item=item, status__in=(VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
    ).first()
    if open_version is not None:
        raise OpenDraftExists(open_version)
    source = item.current or item.versions.order_by("-version").first()
    number = (item.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    draft = ItemVersion(
        item=item,
        version=number,
        status=VersionStatus.DRAFT,
        created_by=_actor_user(actor),
        **{name: value for name, value in content_of(source).items() if name != "change_note"},
    )
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:  # a concurrent draft won the race (item_one_open_draft)
        raise OpenDraftExists(
            ItemVersion.objects.filter(item=item, status__in=("draft", "in_review")).first()
            or draft
        ) from None
    _copy_parts(source, draft)
    audit.record(
        actor,
        "catalogue.version.draft",
        draft,
        details={"code": item.implementation_code, "version": number, "from": source.version},
    )
    events.publish(
        "catalogue.item.drafted",
        {"code": item.implementation_code, "version": number},
        key=item.implementation_code,
    )
    return draft


@transaction.atomic
def update_draft(
    actor,
    version: ItemVersion,
    *,
    fields: dict,
    materials=None,
    fees=None,
    questions=None,
    themes=None,
) -> ItemVersion:
    """修改草稿: only a draft changes; the whole content is checked before anything is written.
    ``materials`` / ``fees`` / ``questions`` / ``themes`` given = replaced by that list."""
    access.check(actor, version, EDIT)
    version = _locked_open(
        version, VersionStatus.DRAFT, _("只有草稿可以修改；待审核或已发布的版本不能修改")
    )
    values = content_of(version)
    values.update(fields)
    current = parts_of(version)
    given = {"themes": themes, "materials": materials, "fees": fees, "questions": questions}
    parts = with_part_defaults({k: current[k] if v is None else v for k, v in given.items()})
    check_content(values, **parts).raise_if_any()
    changed = sorted(name for name in fields if fields[name] != getattr(version, name))
    _write(
        version,
        {name: values[name] for name in fields},
        **{k: (parts[k] if v is not None else None) for k, v in given.items()},
    )
    audit.record(
        actor,
        "catalogue.version.update",
        version,
        details={
            "code": version.item.implementation_code,
            "version": version.version,
            "fields": changed,
            "parts": sorted(k for k, v in given.items() if v is not None),
        },
    )
    return version


@transaction.atomic
def submit_for_review(actor, version: ItemVersion) -> ItemVersion:
    """提交审核: the draft, complete and valid, waits for a reviewer."""
    access.check(actor, version, EDIT)
    version = _locked_open(version, VersionStatus.DRAFT, _("只有草稿可以提交审核"))
    check_content(content_of(version), **parts_of(version)).raise_if_any()
    version.status = VersionStatus.IN_REVIEW
    version.submitted_at = timezone.now()
    version.submitted_by = _actor_user(actor)
    version.save(update_fields=["status", "submitted_at", "submitted_by"])
    code = version.item.implementation_code
    audit.record(
        actor, "catalogue.version.submit", version, details={"code": code, "v": version.version}
    )
    events.publish(
        "catalogue.version.submitted", {"code": code, "version": version.version}, key=code
    )
    return version


@transaction.atomic
def review(actor, version: ItemVersion, *, approve: bool, opinion: str = "") -> ItemVersion:
    """审核: approve = publish (the previous version is superseded, the item's ``current``
    moves on); return = back to draft with a required opinion. Nobody reviews a version they
    drafted or submitted (审核与起草职责分离) — except the installation itself."""
    access.check(actor, version, REVIEW)
    version = _locked_open(version, VersionStatus.IN_REVIEW, _("该版本不在待审核状态"))
    if actor is not access.SYSTEM and actor.pk in (version.created_by_id, version.submitted_by_id):
        raise PermissionDenied(_("不能审核本人起草或提交的版本（审核与起草职责分离）"))
    opinion = (opinion or "").strip()
    if not approve and not opinion:
        raise ValidationError({"opinion": ValidationError(_("退回修改须填写审核意见"), "required")})
    item = ServiceItem.objects.select_for_update().get(pk=version.item_id)
    code = item.implementation_code
    version.reviewed_by = _actor_user(actor)
    version.review_opinion = opinion
    if not approve:
        version.status = VersionStatus.DRAFT
        version.save(update_fields=["status", "reviewed_by", "review_opinion"])
        audit.record(
            actor, "catalogue.version.return", version, details={"code": code, "v": version.version}
        )
        events.publish(
            "catalogue.version.returned", {"code": code, "version": version.version}, key=code
        )
        return version
    previous = item.current
    if previous is not None and previous.status == VersionStatus.PUBLISHED:
        previous.status = VersionStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "reviewed_by", "review_opinion", "published_at"])
    item.current = version
    item.save(update_fields=["current"])
    audit.record(
        actor,
        "catalogue.version.publish",
        version,
        details={
            "code": code,
            "v": version.version,
            "superseded": previous.version if previous else None,
        },
    )
    events.publish("catalogue.item.published", {"code": code, "version": version.version}, key=code)
    return version


@transaction.atomic
def withdraw_item(actor, item: ServiceItem, *, reason: str) -> ServiceItem:
    """停用: the current version is withdrawn and the item leaves the catalogue; running cases
    keep their version; a later draft can be published to list it again."""
    access.check(actor, item, REVIEW)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("请填写停用原因"), "required")})
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    current = item.current
    if current is None or current.status != VersionStatus.PUBLISHED:
        raise ValidationError(_("该事项当前没有已发布的版本"), code="status")
    current.status = VersionStatus.WITHDRAWN
    current.save(update_fields=["status"])
    item.current = None
    item.save(update_fields=["current"])
    code = item.implementation_code
    audit.record(
        actor,
        "catalogue.item.withdraw",
        item,
        details={"code": code, "v": current.version, "reason": reason[:200]},
    )
    events.publish("catalogue.item.withdrawn", {"code": code, "version": current.version}, key=code)
    return item
