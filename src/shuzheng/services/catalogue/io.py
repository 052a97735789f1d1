"""Export and import of the service catalogue between installations (配置导入导出).

Two file shapes carry the same data: the JSON interchange format ``shuzheng.catalogue/1``
and an Excel workbook laid out like the Guangdong provincial 事项实施清单 template (one row
per item on 「事项基本信息」, materials / fees / Q&A on their own sheets keyed by 实施编码,
Chinese labels for enumerations, the form definition as a JSON cell). An Excel file is read
into the JSON shape and imported by the same code.

An import checks every row first and reports every problem by place (sheet, row, column —
or item and field for JSON) in Chinese; one bad row and nothing is written. An item already
present gets a new draft only when its content differs, so importing a file twice changes
nothing the second time. Only the installation itself (``access.SYSTEM``: demo loading,
installation) may import straight to published; editors' imports become drafts to review.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import io
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit
from shuzheng.services.catalogue import selectors, services
from shuzheng.services.catalogue.models import (
    Audience,
    BasicItem,
    CaseKind,
    ExerciseLevel,
    HandlingScope,
    ItemType,
    ItemVersion,
    LimitUnit,
    MaterialKind,
    MaterialSource,
    Necessity,
    OnlineDepth,
    RemovalRule,
    ServiceItem,
    Theme,
    ThemeAudience,
    VersionStatus,
)

FORMAT = "shuzheng.catalogue/1"
PARTS = ("themes", "materials", "fees", "questions")
THEME_KEYS = ("code", "name", "audience", "sort_order")
BASIC_KEYS = ("basic_code", "name", "item_type", "legal_basis", "exercise_levels", "version")
BASIC_OPTIONAL = ("is_active", "effective_date", "cancel_date")
ITEM_KEYS = ("implementation_code", "basic_code", "organisation", "version")
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
BASIC_CODE = re.compile(r"^[0-9A-Za-z]{12}$")


class ImportFailed(ValidationError):
    """The file was refused as a whole; ``problems`` says where and why, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(self.problems, code="import")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    drafted: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    themes_created: int = 0
    basic_items_created: int = 0

    @property
    def changed(self) -> int:
        """Items the import created or gave new content (0 on a repeated import)."""
        return len(self.created) + len(self.drafted)

    def summary(self) -> str:
        return _("新增事项 %(c)s 个，生成或更新草稿 %(d)s 个，发布 %(p)s 个，内容未变 %(u)s 个") % {
            "c": len(self.created),
            "d": len(self.drafted),
            "p": len(self.published),
            "u": len(self.unchanged),
        }


# --- export ------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def version_dict(version: ItemVersion) -> dict:
    """One version's content and parts in the interchange shape (parts prefetched or not)."""
    data = {name: _plain(getattr(version, name)) for name in services.CONTENT_FIELDS}
    data["themes"] = [t.code for t in version.themes.all()]
    data["materials"] = [
        {name: _plain(getattr(m, name)) for name in services.MATERIAL_FIELDS}
        for m in version.materials.all()
    ]
    data["fees"] = [
        {name: getattr(f, name) for name in services.FEE_FIELDS} for f in version.fees.all()
    ]
    data["questions"] = [
        {name: getattr(q, name) for name in services.QUESTION_FIELDS}
        for q in version.questions.all()
    ]
    return data


def theme_dict(theme: Theme) -> dict:
    return {
        "code": theme.code,
        "name": theme.name,
        "audience": theme.audience,
        "sort_order": theme.sort_order,
    }


def basic_dict(basic: BasicItem) -> dict:
    data = {name: _plain(getattr(basic, name)) for name in BASIC_KEYS}
    if not basic.is_active:
        data["is_active"] = False
    for name in ("effective_date", "cancel_date"):
        if getattr(basic, name):
            data[name] = getattr(basic, name).isoformat()
    return data


def export_catalogue(
    actor, *, department: Organisation | None = None, drafts=False, mine=False
) -> dict:
    """The catalogue as one interchange document: every theme, the basic items, and each
    listed item's current published version — or, with ``drafts``, the editor's open draft
    where there is one. ``drafts`` or ``mine``: only items in the actor's ``catalogue.edit``
    scope (the published catalogue itself is public)."""
    items = selectors.published_items()
    if drafts or mine:
        items = selectors.items_for_editor(actor)
    if department is not None:
        items = items.filter(organisation__path__startswith=department.path)
    items = list(items.order_by("implementation_code"))
    chosen: list[tuple[ServiceItem, ItemVersion]] = []
    open_versions = {}
    if drafts:
        open_versions = {
            v.item_id: v
            for v in ItemVersion.objects.filter(item__in=items, status__in=selectors.OPEN_STATUSES)
        }
    for item in items:
        version = open_versions.get(item.pk) or (
            item.current if item.current and item.current.status == "published" else None
        )
        if version is not None:
            chosen.append((item, version))
    prefetch_related_objects([v for _i, v in chosen], "themes", "materials", "fees", "questions")
    basics = BasicItem.objects.all()
    if department is not None:
        basics = basics.filter(pk__in={item.basic_id for item, _v in chosen})
    return {
        "format": FORMAT,
        "themes": [theme_dict(t) for t in Theme.objects.all()],
        "basic_items": [basic_dict(b) for b in basics.order_by("basic_code")],
        "items": [
            {
                "implementation_code": item.implementation_code,
                "basic_code": item.basic.basic_code,
                "organisation": item.organisation.name,
                "version": version_dict(version),
            }
            for item, version in chosen
        ],
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- where a problem is ------------------------------------------------------------------

PART_LABELS = {
    "materials": gettext_lazy("申请材料"),
    "fees": gettext_lazy("收费项目"),
    "questions": gettext_lazy("常见问题"),
}
PART_FIELD_LABELS = {
    "code": gettext_lazy("材料代码"),
    "name": gettext_lazy("名称"),
    "kind": gettext_lazy("材料类型"),
    "necessity": gettext_lazy("必要性"),
    "source": gettext_lazy("来源渠道"),
    "issuing_department": gettext_lazy("核发部门"),
    "copies": gettext_lazy("份数"),
    "acceptance_standard": gettext_lazy("受理标准"),
    "notes": gettext_lazy("填报须知"),
    "basis": gettext_lazy("依据"),
    "removed_rule": gettext_lazy("取消依据（五个一律取消）"),
    "standard": gettext_lazy("收费标准"),
    "reducible": gettext_lazy("是否允许减免"),
    "question": gettext_lazy("问题"),
    "answer": gettext_lazy("解答"),
}
ITEM_FIELD_LABELS = {
    "implementation_code": gettext_lazy("实施编码"),
    "basic_code": gettext_lazy("基本编码"),
    "organisation": gettext_lazy("实施主体"),
    "version": gettext_lazy("版本内容"),
    "themes": gettext_lazy("主题分类"),
    "materials": gettext_lazy("申请材料"),
    "fees": gettext_lazy("收费项目"),
    "questions": gettext_lazy("常见问题"),
}
PART_PATH = re.compile(r"^(materials|fees|questions)\[(\d+)\](?:\.(\w+))?$")


def field_label(name: str) -> str:
    if name in ITEM_FIELD_LABELS:
        return str(ITEM_FIELD_LABELS[name])
    if name in services.CONTENT_FIELDS:
        return services.label(name)
    return name


class JsonLocator:
    """Places in a JSON document, named for a person: 第 3 个事项（实施编码 名称）· 字段."""

    def __init__(self, data):
        self.data = data if isinstance(data, dict) else {}

    def file(self) -> str:
        return _("文件")

    def theme(self, index: int, name: str | None = None) -> str:
        where = _("主题分类第 %(n)s 项") % {"n": index + 1}
        return f"{where} · {name}" if name else where

    def basic(self, index: int, name: str | None = None) -> str:
        where = _("基本目录第 %(n)s 项") % {"n": index + 1}
        return f"{where} · {field_label(name)}" if name else where

    def item(self, index: int, path: str | None = None) -> str:
        try:
            row = self.data["items"][index]
            code = row.get("implementation_code") or ""
            name = (row.get("version") or {}).get("name") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            code = name = ""
        where = _("第 %(n)s 个事项（%(what)s）") % {
            "n": index + 1,
            "what": " ".join(str(x) for x in (code, name) if x) or "—",
        }
        if not path:
            return where
        part = PART_PATH.match(path)
        if part:
            kind, n, key = part.groups()
            where += " · " + _("%(part)s第 %(n)s 项") % {"part": PART_LABELS[kind], "n": int(n) + 1}
            return f"{where} · {PART_FIELD_LABELS.get(key, key)}" if key else where
        return f"{where} · {field_label(path)}"


def _say(where: str, message: str) -> str:
    return f"{where}：{message}"


# --- import ------------------------------------------------------------------------------


@dataclass
class _PlannedItem:
    index: int
    code: str
    basic_code: str
    organisation: Organisation
    values: dict
    parts: dict
    action: str  # create | unchanged | new_draft | update_open | publish_open
    item: ServiceItem | None = None
    open_version: ItemVersion | None = None


def _normalised(values: dict, parts: dict) -> dict:
    """Content and parts in one comparable shape (defaults filled, themes as a set)."""
    content = {name: _plain(values.get(name)) for name in services.CONTENT_FIELDS}
    parts = services.with_part_defaults(parts)
    return {
        **content,
        "themes": sorted(parts["themes"]),
        "materials": parts["materials"],
        "fees": parts["fees"],
        "questions": parts["questions"],
    }


def _stored(version: ItemVersion | None) -> dict | None:
    if version is None:
        return None
    data = version_dict(version)
    return _normalised(data, {k: data[k] for k in PARTS})


@transaction.atomic
def import_catalogue(actor, data, *, publish: bool = False, locator=None) -> ImportResult:
    """导入: themes, basic items and items of an interchange document, all or nothing."""
    if publish and actor is not access.SYSTEM:
        raise PermissionDenied(
            _("只有系统初始化（安装、演示数据）可以导入并直接发布；请导入为草稿后送审")
        )
    access.require(actor, services.EDIT)
    locator = locator or JsonLocator(data)
    problems: list[str] = []
    themes, basics, planned = _plan(actor, data, locator, problems, publish=publish)
    if problems:
        raise ImportFailed(problems)
    result = ImportResult()
    result.themes_created = _apply_themes(actor, themes)
    result.basic_items_created = _apply_basics(actor, basics)
    for plan in planned:
        try:
            _apply_item(actor, plan, result, publish=publish)
        except ValidationError as exc:
            for path, messages in _error_items(exc):
                problems.extend(_say(locator.item(plan.index, path), m) for m in messages)
    if problems:
        raise ImportFailed(problems)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    audit.record(
        actor,
        "catalogue.import",
        None,
        details={
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "items": len(planned),
            "created": len(result.created),
            "drafted": len(result.drafted),
            "published": len(result.published),
            "publish": publish,
        },
    )
    return result


def _error_items(exc: ValidationError):
    if hasattr(exc, "error_dict"):
        return [
            (path, [m for e in errs for m in e.messages]) for path, errs in exc.error_dict.items()
        ]
    return [(None, exc.messages)]


def _rows(data: dict, key: str, where: str, problems: list[str]) -> list:
    rows = data.get(key, [])
    if not isinstance(rows, list):
        problems.append(_say(where, _("%(key)s 应为列表") % {"key": key}))
        return []
    return rows


def _plan(actor, data, locator, problems: list[str], *, publish: bool):
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        problems.append(
            _say(locator.file(), _("不是事项目录交换文件（format 应为 %(f)s）") % {"f": FORMAT})
        )
        return [], [], []
    themes = _plan_themes(_rows(data, "themes", locator.file(), problems), locator, problems)
    basics = _plan_basics(_rows(data, "basic_items", locator.file(), problems), locator, problems)
    known_themes = set(Theme.objects.values_list("code", flat=True)) | {t["code"] for t in themes}
    known_basics = set(BasicItem.objects.values_list("basic_code", flat=True)) | {
        b["basic_code"] for b in basics
    }
    planned = []
    seen: dict[str, int] = {}
    for index, row in enumerate(_rows(data, "items", locator.file(), problems)):
        plan = _plan_item(
            actor, index, row, locator, problems, known_themes, known_basics, seen, publish
        )
        if plan is not None:
            planned.append(plan)
    return themes, basics, planned


def _unknown_keys(row: dict, allowed, where, problems) -> None:
    for key in row:
        if key not in allowed:
            problems.append(_say(where, _("未知字段：%(name)s") % {"name": key}))


def _plan_themes(rows, locator, problems) -> list[dict]:
    good, seen = [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(_say(locator.theme(i), _("应为 JSON 对象")))
            continue
        _unknown_keys(row, THEME_KEYS, locator.theme(i), problems)
        bad = False
        code, name = row.get("code"), row.get("name")
        if not isinstance(code, str) or not SLUG.match(code):
            problems.append(
                _say(locator.theme(i, _("主题代码")), _("应为字母、数字、- 或 _（至多 40 个）"))
            )
            bad = True
        elif code in seen:
            problems.append(
                _say(locator.theme(i, _("主题代码")), _("主题代码 %(c)s 重复") % {"c": code})
            )
            bad = True
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            problems.append(
                _say(locator.theme(i, _("主题名称")), _("请填写主题名称（至多 40 字）"))
            )
            bad = True
        if row.get("audience") not in ThemeAudience.values:
            problems.append(
                _say(
                    locator.theme(i, _("适用对象")),
                    _("不是有效选项：%(v)s") % {"v": row.get("audience")},
                )
            )
            bad = True
        order = row.get("sort_order", 0)
        if not services._is_int(order) or not 0 <= order <= 32767:
            problems.append(_say(locator.theme(i, _("排序")), _("应为 0–32767 的整数")))
            bad = True
        if not bad:
            seen.add(code)
            good.append(
                {"code": code, "name": name, "audience": row["audience"], "sort_order": order}
            )
    return good


def _plan_basics(rows, locator, problems) -> list[dict]:
    good, seen = [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(_say(locator.basic(i), _("应为 JSON 对象")))
            continue
        _unknown_keys(row, (*BASIC_KEYS, *BASIC_OPTIONAL), locator.basic(i), problems)
        before = len(problems)
        code = row.get("basic_code")
        if not isinstance(code, str) or not BASIC_CODE.match(code):
            problems.append(_say(locator.basic(i, "basic_code"), _("基本编码应为 12 位字母或数字")))
        elif code in seen:
            problems.append(
                _say(locator.basic(i, "basic_code"), _("基本编码 %(c)s 重复") % {"c": code})
            )
        name = row.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems.append(_say(locator.basic(i, "name"), _("请填写事项名称（至多 200 字）")))
        if row.get("item_type") not in ItemType.values:
            problems.append(
                _say(
                    locator.basic(i, "item_type"),
                    _("不是有效选项：%(v)s") % {"v": row.get("item_type")},
                )
            )
        if not isinstance(row.get("legal_basis", ""), str):
            problems.append(_say(locator.basic(i, "legal_basis"), _("应为文本")))
        levels = row.get("exercise_levels", [])
        if not isinstance(levels, list) or any(lv not in ExerciseLevel.values for lv in levels):
            problems.append(
                _say(
                    locator.basic(i, _("行使层级")),
                    _("行使层级应为以下值的列表：%(v)s") % {"v": "、".join(ExerciseLevel.values)},
                )
            )
        version = row.get("version", "1")
        if not isinstance(version, str) or not version or len(version) > 20:
            problems.append(_say(locator.basic(i, _("版本")), _("版本应为至多 20 字的文本")))
        if not isinstance(row.get("is_active", True), bool):
            problems.append(_say(locator.basic(i, _("在用")), _("应为“是”或“否”")))
        dates = {}
        for name_ in ("effective_date", "cancel_date"):
            value = row.get(name_)
            try:
                dates[name_] = dt.date.fromisoformat(value) if value else None
            except (TypeError, ValueError):
                problems.append(_say(locator.basic(i, name_), _("日期应为 YYYY-MM-DD")))
        if len(problems) == before:
            seen.add(code)
            good.append(
                {
                    "basic_code": code,
                    "name": name,
                    "item_type": row["item_type"],
                    "legal_basis": row.get("legal_basis", ""),
                    "exercise_levels": levels,
                    "version": version,
                    "is_active": row.get("is_active", True),
                    **dates,
                }
            )
    return good


def _organisation(name, where, problems) -> Organisation | None:
    if not isinstance(name, str) or not name.strip():
        problems.append(_say(where, _("请填写实施主体（机构全称）")))
        return None
    matches = list(Organisation.objects.filter(name=name, is_active=True)[:2])
    if not matches:
        problems.append(_say(where, _("找不到名为“%(n)s”的机构") % {"n": name}))
        return None
    if len(matches) > 1:
        problems.append(_say(where, _("有多个名为“%(n)s”的机构，无法确定实施主体") % {"n": name}))
        return None
    return matches[0]


def _plan_item(actor, index, row, locator, problems, known_themes, known_basics, seen, publish):
    at = lambda path=None: locator.item(index, path)  # noqa: E731
    if not isinstance(row, dict):
        problems.append(_say(at(), _("应为 JSON 对象")))
        return None
    before = len(problems)
    _unknown_keys(row, ITEM_KEYS, at(), problems)
    code = row.get("implementation_code")
    if not isinstance(code, str) or not services.IMPLEMENTATION_CODE.match(code):
        problems.append(_say(at("implementation_code"), _("实施编码应为 36 位字母或数字")))
        code = None
    elif code in seen:
        problems.append(
            _say(
                at("implementation_code"),
                _("实施编码与第 %(n)s 个事项重复") % {"n": seen[code] + 1},
            )
        )
    else:
        seen[code] = index
    basic_code = row.get("basic_code")
    if basic_code not in known_basics:
        problems.append(
            _say(at("basic_code"), _("基本目录中没有基本编码 %(c)s") % {"c": basic_code})
        )
    org = _organisation(row.get("organisation"), at("organisation"), problems)
    if org is not None and actor is not access.SYSTEM:
        try:
            access.check(actor, org, services.EDIT)
        except PermissionDenied:
            problems.append(
                _say(at("organisation"), _("实施主体“%(n)s”不在您的编制范围内") % {"n": org.name})
            )
    version = row.get("version")
    if not isinstance(version, dict):
        problems.append(_say(at("version"), _("应为 JSON 对象")))
        return None
    parts = {key: version.get(key, []) for key in PARTS}
    values = services.default_content()
    basic = BasicItem.objects.filter(basic_code=basic_code).first() if basic_code else None
    if basic is not None:
        values.update(name=basic.name, item_type=basic.item_type, legal_basis=basic.legal_basis)
    values.update({k: v for k, v in version.items() if k not in PARTS})
    errors = services.check_content(values, **parts, known_themes=known_themes)
    for path, message in errors.messages():
        problems.append(_say(at(path), message))
    if len(problems) > before or code is None:
        return None
    parts = services.with_part_defaults(parts)
    plan = _PlannedItem(index, code, basic_code, org, values, parts, "create")
    _decide(plan, at, problems, publish)
    return plan


def _decide(plan: _PlannedItem, at, problems, publish: bool) -> None:
    """What an import does to an item already present: nothing when its content is the same."""
    item = (
        ServiceItem.objects.filter(implementation_code=plan.code)
        .select_related("organisation", "basic", "current")
        .first()
    )
    if item is None:
        return
    plan.item = item
    if item.organisation_id != plan.organisation.pk:
        problems.append(
            _say(
                at("organisation"),
                _("该事项已存在，实施主体为“%(n)s”，不能在导入中更换")
                % {"n": item.organisation.name},
            )
        )
    if item.basic.basic_code != plan.basic_code:
        problems.append(
            _say(
                at("basic_code"),
                _("该事项已存在，基本编码为 %(c)s，不能更换") % {"c": item.basic.basic_code},
            )
        )
    target = _normalised(plan.values, plan.parts)
    current = item.current if item.current and item.current.status == "published" else None
    open_version = selectors.open_draft_of(item)
    plan.open_version = open_version
    if publish:
        if current is not None and _stored(current) == target:
            plan.action = "unchanged"
        elif open_version is not None and _stored(open_version) == target:
            plan.action = "publish_open"
        elif open_version is not None and open_version.status == VersionStatus.IN_REVIEW:
            problems.append(_say(at(), _("该事项有待审核的版本且内容不同，请先审核或退回")))
        else:
            plan.action = "update_open" if open_version is not None else "new_draft"
        return
    base = open_version or current or item.versions.order_by("-version").first()
    if _stored(base) == target:
        plan.action = "unchanged"
    elif open_version is not None and open_version.status == VersionStatus.IN_REVIEW:
        problems.append(_say(at(), _("该事项有待审核的版本且内容不同，请先审核或退回")))
    else:
        plan.action = "update_open" if open_version is not None else "new_draft"


def _apply_themes(actor, rows: list[dict]) -> int:
    created = 0
    for row in rows:
        theme = Theme.objects.filter(code=row["code"]).first()
        if theme is None:
            Theme.objects.create(**row)
            created += 1
        elif actor is access.SYSTEM and theme_dict(theme) != row:
            Theme.objects.filter(pk=theme.pk).update(**row)
    return created


def _apply_basics(actor, rows: list[dict]) -> int:
    created = 0
    for row in rows:
        basic = BasicItem.objects.filter(basic_code=row["basic_code"]).first()
        if basic is None:
            BasicItem.objects.create(**row)
            created += 1
        elif actor is access.SYSTEM:
            BasicItem.objects.filter(pk=basic.pk).update(**row)
    return created


def _apply_item(actor, plan: _PlannedItem, result: ImportResult, *, publish: bool) -> None:
    if plan.action == "unchanged":
        result.unchanged.append(plan.code)
        return
    if plan.action == "create":
        item = services.create_item(
            actor,
            basic=BasicItem.objects.get(basic_code=plan.basic_code),
            organisation=plan.organisation,
            implementation_code=plan.code,
            **plan.values,
            **plan.parts,
        )
        draft = item.versions.get()
        result.created.append(plan.code)
    elif plan.action == "publish_open":
        draft = plan.open_version
    else:
        draft = plan.open_version
        if plan.action == "new_draft":
            draft = services.new_draft(actor, plan.item)
        draft = services.update_draft(actor, draft, fields=plan.values, **plan.parts)
        result.drafted.append(plan.code)
    if publish:
        if draft.status == VersionStatus.DRAFT:
            draft = services.submit_for_review(actor, draft)
        services.review(actor, draft, approve=True, opinion=_("导入发布"))
        result.published.append(plan.code)


# --- Excel workbook ----------------------------------------------------------------------

MAIN = "事项基本信息"
MATERIALS = "申请材料"
FEES = "收费项目"
QUESTIONS = "常见问题"
THEMES = "主题分类"
BASICS = "基本目录"
README = "说明"
CODE_HEADER = "实施编码"
SEPARATOR = "；"
SPLIT = re.compile(r"[；;\n]")

# (column header, key, kind): kind is "text", "int", "bool", "list", "json", "themes",
# or a choices class whose Chinese labels the cell holds.
MAIN_COLUMNS = [
    ("实施编码", "implementation_code", "text"),
    ("基本编码", "basic_code", "text"),
    ("事项名称", "name", "text"),
    ("事项类型", "item_type", ItemType),
    ("实施主体", "organisation", "text"),
    ("设定依据", "legal_basis", "text"),
    ("法定办结时限", "legal_limit", "int"),
    ("法定时限单位", "legal_limit_unit", LimitUnit),
    ("承诺办结时限", "promised_limit", "int"),
    ("承诺时限单位", "promised_limit_unit", LimitUnit),
    ("到办事现场次数", "trips", "int"),
    ("办件类型", "case_kind", CaseKind),
    ("服务对象", "audience", Audience),
    ("在线办理深度", "online_depth", OnlineDepth),
    ("通办范围", "scope", HandlingScope),
    ("是否收费", "charged", "bool"),
    ("受理条件", "acceptance_conditions", "text"),
    ("办理地点", "location", "text"),
    ("办理时间", "office_hours", "text"),
    ("咨询电话", "consult_phone", "text"),
    ("监督投诉电话", "complaint_phone", "text"),
    ("审批结果名称", "result_name", "text"),
    ("主题分类", "themes", "themes"),
    ("事项简称", "short_name", "text"),
    ("实施主体性质", "implementer_nature", "text"),
    ("委托部门", "entrusted_department", "text"),
    ("办理流程", "process", "list"),
    ("办理形式", "handling_forms", "list"),
    ("支持预约办理", "appointment", "bool"),
    ("支持物流快递", "express", "bool"),
    ("支持网上支付", "online_payment", "bool"),
    ("审批结果类型", "result_type", "text"),
    ("告知承诺制", "commitment", "bool"),
    ("审查环节", "review_steps", "list"),
    ("检索关键词", "keywords", "list"),
    ("申请表单（JSON Schema）", "form_schema", "json"),
    ("表单界面提示（JSON）", "form_ui", "json"),
    ("译文（JSON）", "translations", "json"),
    ("修订说明", "change_note", "text"),
]
MATERIAL_COLUMNS = [
    ("实施编码", "implementation_code", "text"),
    ("材料代码", "code", "text"),
    ("材料名称", "name", "text"),
    ("材料类型", "kind", MaterialKind),
    ("必要性", "necessity", Necessity),
    ("来源渠道", "source", MaterialSource),
    ("核发部门", "issuing_department", "text"),
    ("份数", "copies", "int"),
    ("受理标准", "acceptance_standard", "text"),
    ("填报须知", "notes", "text"),
    ("依据", "basis", "text"),
    ("取消依据（五个一律取消）", "removed_rule", RemovalRule),
]
FEE_COLUMNS = [
    ("实施编码", "implementation_code", "text"),
    ("收费项目名称", "name", "text"),
    ("收费标准", "standard", "text"),
    ("收费依据", "basis", "text"),
    ("是否允许减免", "reducible", "bool"),
]
QUESTION_COLUMNS = [
    ("实施编码", "implementation_code", "text"),
    ("问题", "question", "text"),
    ("解答", "answer", "text"),
]
THEME_COLUMNS = [
    ("主题代码", "code", "text"),
    ("主题名称", "name", "text"),
    ("适用对象", "audience", ThemeAudience),
    ("排序", "sort_order", "int"),
]
BASIC_COLUMNS = [
    ("基本编码", "basic_code", "text"),
    ("事项名称", "name", "text"),
    ("事项类型", "item_type", ItemType),
    ("设定依据", "legal_basis", "text"),
    ("行使层级", "exercise_levels", ExerciseLevel),
    ("版本", "version", "text"),
    ("在用", "is_active", "bool"),
    ("生效日期", "effective_date", "date"),
    ("取消日期", "cancel_date", "date"),
]
PART_SHEETS = {"materials": (MATERIALS, MATERIAL_COLUMNS), "fees": (FEES, FEE_COLUMNS)}
PART_SHEETS["questions"] = (QUESTIONS, QUESTION_COLUMNS)
LIST_OF_CHOICES = {"exercise_levels"}


def _labels(choices) -> dict:
    """value → Chinese label (the workbook is in Chinese whatever the reader's language)."""
    with translation.override("zh-hans"):
        return {value: str(text) for value, text in choices.choices}


def _cell_out(kind, key, value, theme_names):
    if kind == "bool":
        return "是" if value else "否"
    if kind == "list":
        return SEPARATOR.join(value)
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, sort_keys=False) if value else ""
    if kind == "themes":
        return SEPARATOR.join(theme_names.get(code, code) for code in value)
    if kind == "date":
        return dt.date.fromisoformat(value) if value else None
    if isinstance(kind, type):
        labels = _labels(kind)
        if key in LIST_OF_CHOICES:
            return SEPARATOR.join(labels.get(v, v) for v in value)
        return labels.get(value, value) if value not in (None, "") else ""
    return value


def to_xlsx(data: dict) -> bytes:
    """The interchange document as a workbook (事项实施清单 layout)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    names = [t["name"] for t in data.get("themes", [])]
    theme_names = {
        t["code"]: t["name"] for t in data.get("themes", []) if names.count(t["name"]) == 1
    }

    def sheet(title, columns, rows, first=False):
        ws = book.active if first else book.create_sheet()
        ws.title = title
        ws.append([header for header, _k, _t in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in rows:
            ws.append(
                [_cell_out(kind, key, row.get(key), theme_names) for _h, key, kind in columns]
            )
        ws.freeze_panes = "B2"
        for index, (header, _key, kind) in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=index).column_letter
            ws.column_dimensions[letter].width = max(12, min(40, len(header) * 2 + 4))
            if isinstance(kind, type) and _key not in LIST_OF_CHOICES:
                options = '"' + ",".join(_labels(kind).values()) + '"'
                rule = DataValidation(type="list", formula1=options, allow_blank=True)
                rule.add(f"{letter}2:{letter}{max(len(rows) + 200, 1000)}")
                ws.add_data_validation(rule)
        return ws

    main_rows, material_rows, fee_rows, question_rows = [], [], [], []
    for item in data.get("items", []):
        version = item["version"]
        code = item["implementation_code"]
        main_rows.append(
            {
                **services.default_content(),
                **version,
                **{k: item[k] for k in ITEM_KEYS if k != "version"},
            }
        )
        material_rows += [{"implementation_code": code, **m} for m in version.get("materials", [])]
        fee_rows += [{"implementation_code": code, **f} for f in version.get("fees", [])]
        question_rows += [{"implementation_code": code, **q} for q in version.get("questions", [])]
    material_rows = [{**services.MATERIAL_DEFAULTS, **m} for m in material_rows]
    fee_rows = [{**services.FEE_DEFAULTS, **f} for f in fee_rows]
    sheet(MAIN, MAIN_COLUMNS, main_rows, first=True)
    sheet(MATERIALS, MATERIAL_COLUMNS, material_rows)
    sheet(FEES, FEE_COLUMNS, fee_rows)
    sheet(QUESTIONS, QUESTION_COLUMNS, question_rows)
    sheet(THEMES, THEME_COLUMNS, data.get("themes", []))
    basic_rows = [{"is_active": True, **b} for b in data.get("basic_items", [])]
    sheet(BASICS, BASIC_COLUMNS, basic_rows)
    notes = book.create_sheet(README)
    for line in _readme():
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _readme() -> list[str]:
    lines = [
        "政务服务事项实施清单 — 导入导出模板（数政 shuzheng.catalogue/1）",
        "",
        "「事项基本信息」每行一个事项；「申请材料」「收费项目」「常见问题」每行一条，以“实施编码”对应事项，"
        "行的先后即显示顺序。「主题分类」「基本目录」列出事项引用的主题和基本目录事项。",
        "实施主体填写机构全称（与组织机构中的名称完全一致）。",
        "多个值（办理流程、办理形式、审查环节、检索关键词、主题分类、行使层级）用全角分号“；”分隔。",
        "是否类的列填写“是”或“否”。申请表单、表单界面提示、译文三列填写 JSON。",
        "导入时先检查全部行：任何一行有误都不会导入，错误按工作表、行号和列名列出。"
        "已存在的事项只有内容变化时才生成新的草稿版本，须经审核后发布。",
        "",
        "各列可选的值：",
    ]
    for header, _key, kind in (*MAIN_COLUMNS, *MATERIAL_COLUMNS, *THEME_COLUMNS, *BASIC_COLUMNS):
        if isinstance(kind, type):
            lines.append(f"{header}：" + " / ".join(_labels(kind).values()))
    return list(dict.fromkeys(lines))


class SheetLocator:
    """Places in a workbook: 「申请材料」第 7 行「取消依据（五个一律取消）」列."""

    def __init__(self):
        self.item_rows: dict[int, int] = {}
        self.part_rows: dict[tuple[str, int, int], int] = {}
        self.theme_rows: dict[int, int] = {}
        self.basic_rows: dict[int, int] = {}

    @staticmethod
    def cell(sheet: str, row: int | None, column: str | None = None) -> str:
        where = _("「%(s)s」") % {"s": sheet}
        if row:
            where += _("第 %(r)s 行") % {"r": row}
        if column:
            where += _("「%(c)s」列") % {"c": column}
        return where

    def file(self) -> str:
        return _("工作簿")

    def theme(self, index, name=None) -> str:
        return self.cell(THEMES, self.theme_rows.get(index), name)

    def basic(self, index, name=None) -> str:
        headers = {key: header for header, key, _k in BASIC_COLUMNS}
        return self.cell(BASICS, self.basic_rows.get(index), headers.get(name, name))

    def item(self, index, path=None) -> str:
        part = PART_PATH.match(path or "")
        if part:
            kind, n, key = part.groups()
            sheet, columns = PART_SHEETS[kind]
            headers = {k: header for header, k, _t in columns}
            return self.cell(sheet, self.part_rows.get((kind, index, int(n))), headers.get(key))
        headers = {key: header for header, key, _k in MAIN_COLUMNS}
        column = headers.get(path) or (field_label(path) if path and path != "version" else None)
        return self.cell(MAIN, self.item_rows.get(index), column)


def _cell_in(kind, key, value, where, problems, theme_codes):
    """One cell's text as the interchange value; a problem (and None) when it cannot be."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and kind != "date":
        value = value.date().isoformat()
    blank = value is None or (isinstance(value, str) and not value.strip())
    if kind == "text":
        return None if blank else str(value)  # blank: the field's default
    if kind == "int":
        if blank:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if services._is_int(value):
            return value
        problems.append(_say(where, _("应为整数：%(v)s") % {"v": value}))
        return None
    if kind == "bool":
        text = "" if blank else str(value).strip().lower()
        if text in ("", "否", "false", "0", "n", "no"):
            return False
        if text in ("是", "true", "1", "y", "yes"):
            return True
        problems.append(_say(where, _("应填写“是”或“否”：%(v)s") % {"v": value}))
        return False
    if kind in ("list", "themes") or key in LIST_OF_CHOICES:
        parts = [] if blank else [p.strip() for p in SPLIT.split(str(value)) if p.strip()]
        if kind == "themes":
            out = []
            for name in parts:
                code = theme_codes.get(name)
                if code is None:
                    problems.append(_say(where, _("未知的主题分类：%(v)s") % {"v": name}))
                else:
                    out.append(code)
            return out
        if key in LIST_OF_CHOICES:
            return [_choice(kind, p, where, problems) for p in parts]
        return parts
    if kind == "json":
        if blank:
            return {}
        try:
            return json.loads(str(value))
        except ValueError as exc:
            problems.append(_say(where, _("不是有效的 JSON：%(e)s") % {"e": exc}))
            return {}
    if kind == "date":
        if blank:
            return None
        if isinstance(value, dt.datetime | dt.date):
            return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            problems.append(_say(where, _("日期应为 YYYY-MM-DD：%(v)s") % {"v": value}))
            return None
    if blank:
        return None
    return _choice(kind, value, where, problems)


def _choice(choices, value, where, problems):
    labels = _labels(choices)
    text = str(value).strip()
    for stored, shown in labels.items():
        if text in (shown, str(stored)):
            return stored
    if choices is OnlineDepth:  # "四级" for "四级：全程网办"
        for stored, shown in labels.items():
            if shown.split("：")[0] == text:
                return stored
    problems.append(
        _say(
            where,
            _("“%(v)s”不是有效选项（可选：%(o)s）") % {"v": text, "o": " / ".join(labels.values())},
        )
    )
    return None


def _read_sheet(book, title, columns, problems, *, required=True):
    """The rows of one sheet as dicts by key, each with its row number ("_row")."""
    if title not in book.sheetnames:
        if required:
            problems.append(_say(SheetLocator.cell(title, None), _("缺少此工作表")))
        return []
    ws = book[title]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions = {}
    for index, text in enumerate(header):
        text = str(text).strip() if text is not None else ""
        for head, key, kind in columns:
            if text == head:
                positions[key] = (index, head, kind)
    if (
        "implementation_code" in {k for _h, k, _t in columns}
        and "implementation_code" not in positions
    ):
        problems.append(_say(SheetLocator.cell(title, 1), _("缺少“实施编码”列")))
        return []
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(
            v is None or (isinstance(v, str) and not v.strip()) for v in values
        ):
            continue
        row = {"_row": number, "_raw": {}}
        for key, (index, head, kind) in positions.items():
            row["_raw"][key] = (values[index] if index < len(values) else None, head, kind)
        out.append(row)
    return out


def read_xlsx(content: bytes) -> tuple[dict, SheetLocator]:
    """A workbook as an interchange document, with where each row came from."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise ImportFailed([_("不是有效的 Excel 工作簿（.xlsx）")]) from None
    problems: list[str] = []
    locator = SheetLocator()

    def convert(row, sheet):
        out = {}
        for key, (value, head, kind) in row["_raw"].items():
            where = SheetLocator.cell(sheet, row["_row"], head)
            value = _cell_in(kind, key, value, where, problems, theme_codes)
            if value is not None:  # a blank cell takes the field's default
                out[key] = value
        return out

    theme_codes: dict[str, str] = {}
    themes = []
    for row in _read_sheet(book, THEMES, THEME_COLUMNS, problems, required=False):
        locator.theme_rows[len(themes)] = row["_row"]
        themes.append(convert(row, THEMES))
    existing = list(Theme.objects.values_list("code", "name"))
    file_pairs = [(t.get("code"), t.get("name")) for t in themes]
    names = [n for _c, n in {*existing, *file_pairs}]
    for code, name in [*existing, *file_pairs]:
        theme_codes[code] = code
        if names.count(name) == 1:
            theme_codes.setdefault(name, code)
    basics = []
    for row in _read_sheet(book, BASICS, BASIC_COLUMNS, problems, required=False):
        locator.basic_rows[len(basics)] = row["_row"]
        basic = convert(row, BASICS)
        if basic.get("is_active", True) is True:
            basic.pop("is_active", None)
        for name in ("effective_date", "cancel_date"):
            if not basic.get(name):
                basic.pop(name, None)
        basics.append(basic)
    items, by_code = [], {}
    for row in _read_sheet(book, MAIN, MAIN_COLUMNS, problems):
        values = convert(row, MAIN)
        code = values.pop("implementation_code", "")
        item = {
            "implementation_code": code,
            "basic_code": values.pop("basic_code", ""),
            "organisation": values.pop("organisation", ""),
            "version": {**values, "materials": [], "fees": [], "questions": []},
        }
        locator.item_rows[len(items)] = row["_row"]
        by_code.setdefault(code, len(items))
        items.append(item)
    for kind, (sheet, columns) in PART_SHEETS.items():
        for row in _read_sheet(book, sheet, columns, problems, required=False):
            values = convert(row, sheet)
            code = values.pop("implementation_code", "")
            index = by_code.get(code)
            if index is None:
                problems.append(
                    _say(
                        SheetLocator.cell(sheet, row["_row"], CODE_HEADER),
                        _("「%(main)s」中没有实施编码 %(c)s") % {"main": MAIN, "c": code or "—"},
                    )
                )
                continue
            rows = items[index]["version"][kind]
            locator.part_rows[(kind, index, len(rows))] = row["_row"]
            rows.append(values)
    if problems:
        raise ImportFailed(problems)
    data = {"format": FORMAT, "themes": themes, "basic_items": basics, "items": items}
    return data, locator


def read_file(name: str, content: bytes) -> tuple[dict, object]:
    """A JSON or Excel import file (by its name, else by its first bytes) → (data, locator)."""
    if name.lower().endswith(".xlsx") or content[:2] == b"PK":
        return read_xlsx(content)
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ImportFailed([_("不是有效的 JSON 文件：%(e)s") % {"e": exc}]) from None
    return data, JsonLocator(data)
