"""Import and export of the data catalogue (目录导入导出).

Two file shapes carry the same data: the JSON interchange document ``shuzheng.datacatalog/1``
and a workbook laid out like the Guangdong provincial 政务信息资源目录 template — 「信息资源」
(one row per entry), 「信息项」 (one row per item, keyed by 信息资源代码) and 「填写说明」, with
Chinese headings and the Chinese labels of every choice (the codes are accepted too). A
workbook is read into the JSON shape and imported by the same code.

Import rules (one transaction, all or nothing):

* every row is checked first and every problem is reported with its place (sheet, row,
  column — or entry / item number and key for JSON) and a Chinese message; one problem and
  nothing is written;
* entries belong to the importing user's departments: a provider (found by 统一社会信用代码,
  else by exact name; a blank provider is the user's own organisation) outside the user's
  ``datacatalog.edit`` scope is an error;
* a 信息资源代码 of the official shape ``<分类码>/<6 位顺序码>`` is kept: unknown → a new draft
  with that code; an entry of the same provider → its working copy is replaced, but only while
  it is a draft or being revised (a published entry must first be opened for revision in the
  catalogue; one under review must be decided first); another provider's code is an error;
* any other non-empty code (e.g. ``新1``) is a reference local to the file: the entry gets the
  next code of its classification, and the report says which;
* 关联资源代码 / 来源资源代码 name entries already published in the catalogue (the services
  accept nothing else; an entry of the same file is still a draft);
* 就高从严: an entry's 数据级别, when given, may not be below its highest 信息项 nor below the
  highest of its 来源资源; a higher one needs 影响对象, 影响程度 and 定级依据 and becomes a
  定级建议 (``propose_grading``) for the grading reviewers — the draft's level is the items'
  until it is approved. Entry-level grading facts are otherwise not imported (levels change
  only by review);
* everything is written through the catalogue services (``create_entry`` / ``update_entry`` /
  ``propose_grading``), so their rules and audit apply; an error they raise becomes a problem
  at the entry's row (the items' own rules are checked per row first, with
  ``services.clean_items``). Entries with a kept code are created first, so the generated
  codes follow them. The import itself is audited as ``data.catalog.import``.

Exports take the entries a selector chose: their last publication (the visible catalogue) or,
with ``working``, the owner's working copy. Text that a spreadsheet would take for a formula
is written as text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shuzheng.data.catalog import services
from shuzheng.data.catalog.models import (
    GRADE_RANK,
    VISIBLE_STATES,
    CatalogueEntry,
    CatalogueKind,
    Classification,
    DataType,
    EntryStatus,
    Grade,
    ImpactDegree,
    ImpactObject,
    MaskRule,
    OpenType,
    ResourceFormat,
    ShareMethod,
    ShareType,
    UpdateCycle,
    highest,
)
from shuzheng.data.catalog.snapshot import ENTRY_KEYS, ITEM_KEYS, item_dict
from shuzheng.foundation import access, workflow
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit

FORMAT = "shuzheng.datacatalog/1"
EDIT = "datacatalog.edit"
OFFICIAL_CODE = re.compile(r"^(\d{1,9})/(\d{6})$")
ITEM_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
UPDATABLE = (EntryStatus.DRAFT, EntryStatus.REVISING)
MAX_ENTRIES = 5000
MAX_ITEMS = 500  # per entry

# --- the interchange document -----------------------------------------------------------

# keys of an entry besides ENTRY_KEYS (export-only keys are ignored on import)
ENTRY_EXTRA = ("classification", "provider", "maintainer", "related", "sources", "items")
EXPORT_ONLY = ("status", "version", "published_at", "data_updated_at")
CHOICES = {
    "kind": CatalogueKind,
    "resource_format": ResourceFormat,
    "update_cycle": UpdateCycle,
    "share_type": ShareType,
    "share_method": ShareMethod,
    "open_type": OpenType,
    "grade": Grade,
    "impact_object": ImpactObject,
    "impact_degree": ImpactDegree,
}
ITEM_CHOICES = {
    "data_type": DataType,
    "grade": Grade,
    "mask": MaskRule,
    "impact_object": ImpactObject,
    "impact_degree": ImpactDegree,
}
REQUIRED_ENTRY = (
    "name",
    "summary",
    "resource_format",
    "update_cycle",
    "share_type",
    "share_method",
    "open_type",
)
REQUIRED_ITEM = ("code", "name", "data_type", "grade")
GRADING_KEYS = ("impact_object", "impact_degree", "grade_basis")
TEXT_LIMITS = {"name": 200, "theme": 40}
ITEM_TEXT_LIMITS = {"name": 100, "description": 300}


def _org_ref(org: Organisation | None, name: str = "", uscc: str = "") -> dict:
    if org is not None:
        return {"uscc": org.uscc or "", "name": org.name}
    return {"uscc": uscc or "", "name": name or ""}


def entry_data(entry: CatalogueEntry, *, working: bool = False) -> dict | None:
    """One entry in the interchange shape: its last publication, or with ``working`` the
    owner's working copy (``None`` for an entry never published when not ``working``)."""
    if not working:
        pub = entry.published or {}
        if not pub:
            return None
        data = {key: pub.get(key) for key in ENTRY_KEYS}
        data.update(
            classification={
                "code": pub.get("classification", ""),
                "name": pub.get("classification_name", ""),
            },
            provider={"uscc": pub.get("provider_code") or "", "name": pub.get("provider_name")},
            maintainer={"uscc": "", "name": pub.get("maintainer_name") or ""},
            related=list(pub.get("related", [])),
            sources=list(pub.get("sources", [])),
            status=entry.status,
            version=pub.get("version", entry.version),
            published_at=pub.get("published_at"),
            items=[{key: item.get(key) for key in ITEM_KEYS} for item in pub.get("items", [])],
        )
        if entry.maintainer_id == pub.get("maintainer"):
            data["maintainer"] = _org_ref(entry.maintainer)
        return data
    data = {key: getattr(entry, key) for key in ENTRY_KEYS}
    data["keywords"] = list(data["keywords"] or [])
    data.update(
        classification={"code": entry.classification.code, "name": entry.classification.name},
        provider=_org_ref(entry.provider),
        maintainer=_org_ref(entry.maintainer),
        related=sorted(e.code for e in entry.related.all()),  # .all(): prefetched or not
        sources=sorted(e.code for e in entry.sources.all()),
        status=entry.status,
        version=entry.version,
        published_at=entry.published_at.isoformat() if entry.published_at else None,
        items=[
            item_dict(item)
            for item in sorted(entry.items.all(), key=lambda i: (i.sort_order, i.pk))
        ],
    )
    return data


def export_json(entries, *, working: bool = False) -> dict:
    """The entries as one interchange document (see :func:`entry_data`). The caller chose
    the entries through a selector: the visible catalogue (published form) or the user's
    own department (``working``)."""
    rows = []
    for entry in entries:
        data = entry_data(entry, working=working)
        if data is not None:
            rows.append(data)
    return {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "working": working,
        "entries": rows,
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (``sheet`` — a worksheet, or ``entries`` /
    ``items`` in JSON —, ``row`` — the worksheet row or the 1-based entry/item number —,
    ``column`` — the heading or key) and what (``message``)."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(_("「%(s)s」") % {"s": self.sheet})
        if self.row:
            parts.append(_("第 %(r)s 行") % {"r": self.row})
        if self.column:
            parts.append(_("「%(c)s」列") % {"c": self.column})
        return "".join(parts) or _("文件")

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportReport:
    """What an import did — or, when ``problems`` is not empty, why it did nothing."""

    problems: list[Problem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    assigned: dict[str, str] = field(default_factory=dict)  # file reference → new code
    proposed: list[str] = field(default_factory=list)  # entries with a 定级建议 to review
    items: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.problems:
            n = len(self.problems)
            return ngettext(
                "发现 %(n)s 处问题，未导入任何内容", "发现 %(n)s 处问题，未导入任何内容", n
            ) % {"n": n}
        return _("新建草稿 %(c)s 条，更新工作稿 %(u)s 条，信息项 %(i)s 个") % {
            "c": len(self.created),
            "u": len(self.updated),
            "i": self.items,
        }

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "problems": [p.as_dict() for p in self.problems],
            "created": self.created,
            "updated": self.updated,
            "assigned": self.assigned,
            "proposed": self.proposed,
            "items": self.items,
        }


# --- where a problem is -----------------------------------------------------------------

ENTRY_SHEET = "信息资源"
ITEM_SHEET = "信息项"
README_SHEET = "填写说明"


class JsonLocator:
    """Places in a JSON document: ``entries`` row n (1-based) key; ``items`` of entry n."""

    def entry(self, index: int, key: str = "") -> dict:
        return {"sheet": "entries", "row": index + 1, "column": key}

    def item(self, index: int, item_index: int, key: str = "") -> dict:
        return {
            "sheet": f"entries[{index + 1}].items",
            "row": item_index + 1,
            "column": key,
        }

    def file(self) -> dict:
        return {}


class SheetLocator:
    """Places in a workbook: 「信息项」第 7 行「数据级别」列."""

    def __init__(self):
        self.entry_rows: dict[int, int] = {}
        self.item_rows: dict[tuple[int, int], int] = {}

    def entry(self, index: int, key: str = "") -> dict:
        return {
            "sheet": ENTRY_SHEET,
            "row": self.entry_rows.get(index),
            "column": ENTRY_HEADINGS.get(key, key),
        }

    def item(self, index: int, item_index: int, key: str = "") -> dict:
        return {
            "sheet": ITEM_SHEET,
            "row": self.item_rows.get((index, item_index)),
            "column": ITEM_HEADINGS.get(key, key),
        }

    def file(self) -> dict:
        return {}


# --- import -----------------------------------------------------------------------------


@dataclass
class _Planned:
    index: int
    values: dict  # the service's keyword arguments (without items)
    items: list[dict]
    code: str  # the code the entry will have ("" = next code of its classification)
    reference: str  # the code as written in the file
    existing: CatalogueEntry | None = None
    grade: str = ""  # a declared grade above the computed one
    grading: dict = field(default_factory=dict)  # impact object / degree / basis
    related: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    propose: bool = False  # the declared level is above the items': a 定级建议
    bad: bool = False  # its own rows have problems
    entry: CatalogueEntry | None = None


class _Checker:
    """Collects the problems of one import, each at its place."""

    def __init__(self, locator):
        self.locator = locator
        self.problems: list[Problem] = []
        self.bad: set[int] = set()  # entries (by index) with a problem

    def entry(self, index, key, message):
        self.bad.add(index)
        self.problems.append(Problem(message, **self.locator.entry(index, key)))

    def item(self, index, item_index, key, message):
        self.bad.add(index)
        self.problems.append(Problem(message, **self.locator.item(index, item_index, key)))

    def file(self, message):
        self.problems.append(Problem(message, **self.locator.file()))


def _labels(choices) -> dict:
    """value → Chinese label (files are in Chinese whatever the reader's language)."""
    with translation.override("zh-hans"):
        return {value: str(text) for value, text in choices.choices}


def _fold(text: str) -> str:
    """Labels compared without spaces and with ASCII brackets folded to full width."""
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）").replace(":", "：")


def _choice(choices, value) -> tuple[str | None, str]:
    """(code, "") for a code or a label of ``choices``; (None, message) otherwise."""
    text = str(value).strip()
    labels = _labels(choices)
    for stored, shown in labels.items():
        if text == stored or _fold(text) == _fold(shown):
            return stored, ""
    current = {str(label): value for value, label in choices.choices}
    if text in current:
        return current[text], ""
    return None, _("“%(v)s”不是有效选项（可选：%(o)s）") % {
        "v": text,
        "o": " / ".join(labels.values()),
    }


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    return "" if _blank(value) else str(value).strip()


def _as_bool(value) -> tuple[bool | None, str]:
    if isinstance(value, bool):
        return value, ""
    text = "" if _blank(value) else str(value).strip().lower()
    if text in ("", "否", "false", "0", "n", "no"):
        return False, ""
    if text in ("是", "true", "1", "y", "yes"):
        return True, ""
    return None, _("应填写“是”或“否”：%(v)s") % {"v": value}


SPLIT = re.compile(r"[；;，,、\n]")


def _as_list(value) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if not _blank(v)]
    return [p.strip() for p in SPLIT.split(str(value)) if p.strip()]


def _may_provide(actor, org: Organisation) -> bool:
    if actor is access.SYSTEM:
        return True
    return any(org.path.startswith(p) for p in access.org_paths(actor, EDIT))


def _home(actor) -> Organisation | None:
    try:
        return actor.staff.organisation
    except Exception:  # noqa: BLE001 — no staff profile (SYSTEM, a citizen)
        return None


class _Orgs:
    """Organisations by 统一社会信用代码 and by exact name, looked up once per import."""

    def __init__(self):
        self.by_uscc: dict[str, Organisation | None] = {}
        self.by_name: dict[str, Organisation | None] = {}

    def uscc(self, code: str) -> Organisation | None:
        if code not in self.by_uscc:
            found = list(Organisation.objects.filter(uscc__iexact=code, is_active=True)[:2])
            self.by_uscc[code] = found[0] if len(found) == 1 else None
        return self.by_uscc[code]

    def name(self, name: str) -> Organisation | None:
        if name not in self.by_name:
            found = list(Organisation.objects.filter(name=name, is_active=True)[:2])
            self.by_name[name] = found[0] if len(found) == 1 else None
        return self.by_name[name]


def _ref(value) -> tuple[str, str]:
    """(uscc, name) of an organisation reference: a dict or a name."""
    if isinstance(value, dict):
        return _text(value.get("uscc")), _text(value.get("name"))
    return "", _text(value)


def _resolve_org(orgs: _Orgs, uscc: str, name: str) -> tuple[Organisation | None, str]:
    if uscc:
        org = orgs.uscc(uscc)
        if org is not None:
            if name and name != org.name:
                return None, _("提供方代码 %(c)s 属于“%(o)s”，与名称“%(n)s”不符") % {
                    "c": uscc,
                    "o": org.name,
                    "n": name,
                }
            return org, ""
        if not name:
            return None, _("找不到统一社会信用代码为 %(c)s 的机构") % {"c": uscc}
    org = orgs.name(name)
    if org is None:
        return None, _("找不到名称为“%(n)s”的机构（须与组织机构中的全称一致）") % {"n": name}
    return org, ""


def _classification(value) -> str:
    if isinstance(value, dict):
        return _text(value.get("code"))
    text = _text(value)
    return text.split()[0] if text else ""


ITEM_LABEL = re.compile(r"^第 \d+ 项[^：]*：")
# a catalogue rule's message → the column it is about
ITEM_MESSAGE_COLUMNS = (
    ("脱敏", "mask"),
    ("长度", "length"),
    ("敏感个人信息", "sensitive_personal"),
    ("个人信息", "personal"),
    ("级别", "grade"),
    ("标识", "code"),
    ("名称", "name"),
    ("数据类型", "data_type"),
)


def item_column(message: str) -> str:
    text = ITEM_LABEL.sub("", message)
    return next((key for word, key in ITEM_MESSAGE_COLUMNS if word in text), "")


def _check_items(rows, index, check: _Checker) -> list[dict]:
    if not isinstance(rows, list):
        check.entry(index, "items", _("信息项应为列表"))
        return []
    if len(rows) > MAX_ITEMS:
        check.entry(index, "items", _("信息项不能超过 %(n)s 个") % {"n": MAX_ITEMS})
        return []
    items, seen, keys = [], {}, []
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            check.item(index, n, "", _("信息项应为对象"))
            continue
        count = len(check.problems)
        for key in row:
            if key not in ITEM_KEYS:
                check.item(index, n, key, _("未知的字段"))
        item = {}
        for key in REQUIRED_ITEM:
            if _blank(row.get(key)):
                check.item(index, n, key, _("必填"))
        code = _text(row.get("code"))
        if code and not ITEM_CODE.match(code):
            check.item(
                index, n, "code", _("信息项标识只能由字母、数字、下划线和连字符组成（≤60 位）")
            )
        elif code in seen:
            check.item(
                index,
                n,
                "code",
                _("信息项标识 %(c)s 重复（第 %(m)s 项已使用）") % {"c": code, "m": seen[code] + 1},
            )
        elif code:
            seen[code] = n
        item["code"] = code
        for key, limit in ITEM_TEXT_LIMITS.items():
            item[key] = _text(row.get(key))
            if len(item[key]) > limit:
                check.item(index, n, key, _("不能超过 %(n)s 个字") % {"n": limit})
        item["grade_basis"] = _text(row.get("grade_basis"))
        for key, choices in ITEM_CHOICES.items():
            value = row.get(key)
            if _blank(value):
                item[key] = MaskRule.NONE.value if key == "mask" else ""
                continue
            item[key], message = _choice(choices, value)
            if message:
                check.item(index, n, key, message)
        length = row.get("length")
        if isinstance(length, float) and length.is_integer():
            length = int(length)
        if _blank(length):
            item["length"] = None
        elif isinstance(length, int) and not isinstance(length, bool) and length > 0:
            item["length"] = length
        elif isinstance(length, str) and length.strip().isdigit() and int(length) > 0:
            item["length"] = int(length.strip())
        else:
            check.item(index, n, "length", _("长度应为正整数：%(v)s") % {"v": length})
            item["length"] = None
        for key in ("is_key", "personal", "sensitive_personal"):
            item[key], message = _as_bool(row.get(key))
            if message:
                check.item(index, n, key, message)
        if len(check.problems) == count:
            # the catalogue's own rules for one item (length of 字符型, masking by level …)
            try:
                services.clean_items([item])
            except ValidationError as exc:
                for message in exc.message_dict.get("items", exc.messages):
                    check.item(index, n, item_column(message), ITEM_LABEL.sub("", message))
        if item["is_key"]:
            keys.append(n)
        items.append(item)
    for n in keys[1:]:
        check.item(index, n, "is_key", _("每个信息资源最多一个查询主键"))
    return items


def _plan(actor, data, check: _Checker) -> list[_Planned]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        check.file(_("不是政务数据目录交换文件（format 应为 %(f)s）") % {"f": FORMAT})
        return []
    rows = data.get("entries")
    if not isinstance(rows, list):
        check.file(_("entries 应为列表"))
        return []
    if len(rows) > MAX_ENTRIES:
        check.file(_("一次最多导入 %(n)s 条信息资源") % {"n": MAX_ENTRIES})
        return []
    orgs = _Orgs()
    home = _home(actor)
    classifications = {c.code: c for c in Classification.objects.all()}
    codes_in_file: dict[str, int] = {}
    planned: list[_Planned] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            check.entry(index, "", _("信息资源应为对象"))
            continue
        allowed = {*ENTRY_KEYS, *ENTRY_EXTRA, *EXPORT_ONLY}
        for key in row:
            if key not in allowed:
                check.entry(index, key, _("未知的字段"))
        values: dict = {}
        for key in REQUIRED_ENTRY:
            if _blank(row.get(key)):
                check.entry(index, key, _("必填"))
        for key in ("name", "theme", "summary", "share_condition", "not_shared_basis"):
            values[key] = _text(row.get(key))
        values["open_condition"] = _text(row.get("open_condition"))
        values["grade_basis"] = _text(row.get("grade_basis"))
        for key, limit in TEXT_LIMITS.items():
            if len(values[key]) > limit:
                check.entry(index, key, _("不能超过 %(n)s 个字") % {"n": limit})
        for key, choices in CHOICES.items():
            value = row.get(key)
            if _blank(value):
                values[key] = ""
                continue
            values[key], message = _choice(choices, value)
            if message:
                check.entry(index, key, message)
        values["keywords"] = _as_list(row.get("keywords"))
        on_platform = row.get("on_platform")
        values["on_platform"], message = (
            (True, "") if _blank(on_platform) else _as_bool(on_platform)
        )
        if message:
            check.entry(index, "on_platform", message)
        # classification
        class_code = _classification(row.get("classification"))
        classification = classifications.get(class_code)
        if not class_code:
            check.entry(index, "classification", _("必填"))
        elif classification is None:
            check.entry(index, "classification", _("未知的信息资源分类：%(c)s") % {"c": class_code})
        values["classification"] = classification
        if not values["kind"] and classification is not None:
            values["kind"] = classification.kind
        # provider and maintainer
        uscc, name = _ref(row.get("provider"))
        uscc = uscc or _text(row.get("provider_code"))
        if not uscc and not name:
            provider = home
            if provider is None:
                check.entry(index, "provider", _("必填"))
        else:
            provider, message = _resolve_org(orgs, uscc, name)
            if message:
                check.entry(index, "provider" if name else "provider_code", message)
        if provider is not None and not _may_provide(actor, provider):
            check.entry(
                index,
                "provider",
                _("只能导入本部门的目录：“%(o)s”不在您的编制范围内") % {"o": provider.name},
            )
            provider = None
        values["provider"] = provider
        m_uscc, m_name = _ref(row.get("maintainer"))
        maintainer = None
        if m_uscc or m_name:
            maintainer, message = _resolve_org(orgs, m_uscc, m_name)
            if message:
                check.entry(index, "maintainer", message)
        values["maintainer"] = maintainer
        # code
        reference = _text(row.get("code"))
        code, existing = "", None
        if not reference:
            check.entry(index, "code", _("必填（新条目可填写临时编号，如“新1”）"))
        elif reference in codes_in_file:
            check.entry(
                index,
                "code",
                _("信息资源代码 %(c)s 重复（第 %(m)s 条已使用）")
                % {"c": reference, "m": codes_in_file[reference] + 1},
            )
        else:
            codes_in_file[reference] = index
            official = OFFICIAL_CODE.match(reference)
            if official:
                code = reference
                if classification is not None and official.group(1) != classification.code:
                    check.entry(
                        index,
                        "code",
                        _("信息资源代码应以其分类码 %(c)s/ 开头") % {"c": classification.code},
                    )
                existing = CatalogueEntry.objects.filter(code=reference).first()
                if existing is not None:
                    if provider is not None and existing.provider_id != provider.pk:
                        check.entry(
                            index,
                            "code",
                            _("信息资源代码 %(c)s 已被“%(o)s”使用")
                            % {"c": reference, "o": existing.provider.name},
                        )
                    elif existing.status not in UPDATABLE:
                        check.entry(
                            index,
                            "code",
                            _(
                                "信息资源 %(c)s 当前为“%(s)s”，只有草稿或修订中的条目可以导入"
                                "覆盖（已发布的条目请先在目录中发起修订）"
                            )
                            % {"c": reference, "s": existing.get_status_display()},
                        )
        # items and 就高从严
        items = _check_items(row.get("items", []), index, check)
        for n, item in enumerate(items):
            item["sort_order"] = n
        plan = _Planned(
            index=index,
            values=values,
            items=items,
            code=code,
            reference=reference,
            existing=existing,
            related=_as_list(row.get("related")),
            sources=_as_list(row.get("sources")),
        )
        plan.grade = values.pop("grade")
        plan.grading = {key: values.pop(key) for key in GRADING_KEYS}
        planned.append(plan)
    if not rows:
        check.file(_("文件中没有信息资源"))
    _check_links(actor, planned, check)
    for plan in planned:
        plan.bad = plan.index in check.bad
    return planned


def _check_links(actor, planned: list[_Planned], check: _Checker) -> None:
    """关联资源 and 来源资源 name entries already published in the catalogue (the services
    accept only those); 就高从严 against the items and the sources' published levels; a
    level above them needs the grading facts (it becomes a 定级建议)."""
    wanted = {c for p in planned for c in (*p.related, *p.sources)}
    known = {
        e.code: e for e in CatalogueEntry.objects.filter(code__in=wanted, status__in=VISIBLE_STATES)
    }
    labels = _labels(Grade)
    for plan in planned:
        for key in ("related", "sources"):
            for code in getattr(plan, key):
                if code == plan.reference:
                    check.entry(plan.index, key, _("不能引用自身"))
                elif code not in known:
                    check.entry(plan.index, key, _("找不到已发布的信息资源 %(c)s") % {"c": code})
        source_grades = [
            (known[c].published or {}).get("grade") or known[c].grade
            for c in plan.sources
            if c in known
        ]
        floor = highest(*[i.get("grade") for i in plan.items if i.get("grade")], *source_grades)
        if not plan.grade:
            continue
        if GRADE_RANK[plan.grade] < GRADE_RANK[floor]:
            check.entry(
                plan.index,
                "grade",
                _("就高从严：条目级别“%(g)s”低于其信息项或来源资源的最高级别“%(f)s”")
                % {"g": labels[plan.grade], "f": labels[floor]},
            )
        elif GRADE_RANK[plan.grade] > GRADE_RANK[floor]:
            plan.propose = True
            for key in GRADING_KEYS:
                if not plan.grading.get(key):
                    check.entry(
                        plan.index,
                        key,
                        _(
                            "条目级别“%(g)s”高于其信息项的最高级别“%(f)s”，须填写影响对象、"
                            "影响程度和定级依据（导入后作为定级建议送审）"
                        )
                        % {"g": labels[plan.grade], "f": labels[floor]},
                    )


def _service_problems(exc: ValidationError, plan: _Planned, check: _Checker) -> None:
    """A service's refusal, at the entry's row and the column of the field it names."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            target = key if key in (*ENTRY_KEYS, *ENTRY_EXTRA, *GRADING_KEYS) else ""
            if key == "to_grade":
                target = "grade"
            for message in (m for e in errors for m in e.messages):
                check.entry(plan.index, target, message)
    else:
        for message in exc.messages:
            check.entry(plan.index, "", message)


def _apply(actor, plan: _Planned, report: ImportReport) -> None:
    values = {k: v for k, v in plan.values.items() if k != "maintainer" or v is not None}
    values.update(related=plan.related, sources=plan.sources)
    if plan.existing is None:
        entry = services.create_entry(actor, items=plan.items, **values)
        if plan.code and entry.code != plan.code:
            # the code the file gives (checked free and of this classification) is kept
            CatalogueEntry.objects.filter(pk=entry.pk).update(code=plan.code)
            entry.code = plan.code
        if not plan.code:
            report.assigned[plan.reference] = entry.code
        report.created.append(entry.code)
    else:
        fields = {k: v for k, v in values.items() if k not in ("provider", "classification")}
        entry = services.update_entry(
            actor, plan.existing, revision=plan.existing.revision, items=plan.items, **fields
        )
        report.updated.append(entry.code)
    if plan.propose and plan.grade != entry.grade:
        services.propose_grading(
            actor,
            entry,
            to_grade=plan.grade,
            impact_object=plan.grading["impact_object"],
            impact_degree=plan.grading["impact_degree"],
            basis=plan.grading["grade_basis"],
        )
        report.proposed.append(entry.code)
    plan.entry = entry
    report.items += len(plan.items)


def _import(actor, data, locator) -> ImportReport:
    access.require(actor, EDIT)
    if actor is access.SYSTEM:
        raise ValueError("an import creates drafts in a person's name: pass a user")
    check = _Checker(locator)
    planned = _plan(actor, data, check)
    report = ImportReport()
    if not planned:
        return ImportReport(problems=sorted(check.problems, key=_place))
    # entries with a given code first: the others then take the codes after them
    order = sorted(planned, key=lambda p: (not p.code, p.index))
    with transaction.atomic():
        for plan in order:
            if plan.bad:
                continue  # its own rows are wrong: reported, not tried
            try:
                with transaction.atomic():
                    _apply(actor, plan, report)
            except ValidationError as exc:
                _service_problems(exc, plan, check)
            except PermissionDenied as exc:
                check.entry(plan.index, "provider", str(exc))
            except workflow.Conflict as exc:
                check.entry(plan.index, "code", str(exc))
        if check.problems:
            transaction.set_rollback(True)
            problems = sorted(check.problems, key=_place)
            return ImportReport(problems=problems)
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        audit.record(
            actor,
            "data.catalog.import",
            None,
            details={
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "created": report.created,
                "updated": report.updated,
                "assigned": report.assigned,
                "proposed": report.proposed,
                "items": report.items,
            },
        )
    report.created.sort()
    report.updated.sort()
    return report


def _place(problem: Problem):
    """Workbook problems by sheet and row; a JSON document's stay in the order found."""
    order = {ENTRY_SHEET: 0, ITEM_SHEET: 1}
    if problem.sheet not in order:
        return (2, 0)
    return (order[problem.sheet], problem.row or 0)


def import_json(actor, data) -> ImportReport:
    """导入 an interchange document (a dict, or JSON text/bytes)."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
        except (UnicodeDecodeError, ValueError) as exc:
            access.require(actor, EDIT)
            return ImportReport(problems=[Problem(_("不是有效的 JSON 文件：%(e)s") % {"e": exc})])
    return _import(actor, data, JsonLocator())


# --- the workbook -----------------------------------------------------------------------

# (heading, key, kind, required): kind is "text", "int", "bool", "list", "classification",
# "date" (export only), or a choices class whose Chinese labels the cell holds.
ENTRY_COLUMNS = [
    ("信息资源分类", "classification", "classification", True),
    ("信息资源名称", "name", "text", True),
    ("信息资源代码", "code", "text", True),
    ("提供方", "provider", "text", True),
    ("提供方代码", "provider_code", "text", True),
    ("元数据维护方", "maintainer", "text", False),
    ("目录类别", "kind", CatalogueKind, False),
    ("主题", "theme", "text", False),
    ("摘要", "summary", "text", True),
    ("格式", "resource_format", ResourceFormat, True),
    ("关键字", "keywords", "list", True),
    ("更新周期", "update_cycle", UpdateCycle, True),
    ("共享类型", "share_type", ShareType, True),
    ("共享条件", "share_condition", "text", True),
    ("共享方式", "share_method", ShareMethod, True),
    ("不予共享依据", "not_shared_basis", "text", False),
    ("开放类型", "open_type", OpenType, True),
    ("开放条件", "open_condition", "text", True),
    ("已汇聚到共享平台", "on_platform", "bool", False),
    ("数据级别", "grade", Grade, True),
    ("影响对象", "impact_object", ImpactObject, False),
    ("影响程度", "impact_degree", ImpactDegree, False),
    ("定级依据", "grade_basis", "text", False),
    ("发布日期", "published_at", "date", False),
    ("版本", "version", "int", False),
    ("关联资源代码", "related", "list", False),
    ("来源资源代码", "sources", "list", False),
]
ITEM_COLUMNS = [
    ("信息资源代码", "entry", "text", True),
    ("信息项名称", "name", "text", True),
    ("信息项标识", "code", "text", True),
    ("数据类型", "data_type", DataType, True),
    ("长度", "length", "int", True),
    ("说明", "description", "text", False),
    ("数据级别", "grade", Grade, True),
    ("是否个人信息", "personal", "bool", True),
    ("是否敏感个人信息", "sensitive_personal", "bool", True),
    ("脱敏方式", "mask", MaskRule, True),
    ("是否主键", "is_key", "bool", True),
    ("影响对象", "impact_object", ImpactObject, False),
    ("影响程度", "impact_degree", ImpactDegree, False),
    ("定级依据", "grade_basis", "text", False),
]
ENTRY_HEADINGS = {key: heading for heading, key, _k, _r in ENTRY_COLUMNS}
ENTRY_HEADINGS["items"] = ITEM_SHEET
ITEM_HEADINGS = {key: heading for heading, key, _k, _r in ITEM_COLUMNS}
EXPORT_ONLY_COLUMNS = {"published_at", "version"}
SEPARATOR = "；"
FORMULA_STARTS = ("=", "+", "-", "@")


def _cell_out(kind, value):
    if kind == "bool":
        return "是" if value else "否"
    if kind == "list":
        return SEPARATOR.join(value or [])
    if kind == "date":
        return value[:10] if value else ""
    if isinstance(kind, type):
        return _labels(kind).get(value, value) if value not in (None, "") else ""
    return value if value is not None else ""


def _entry_row(entry: dict) -> dict:
    classification = entry.get("classification") or {}
    provider = entry.get("provider") or {}
    maintainer = entry.get("maintainer") or {}
    row = dict(entry)
    row["classification"] = " ".join(
        x for x in (classification.get("code"), classification.get("name")) if x
    )
    row["provider"] = provider.get("name") or ""
    row["provider_code"] = entry.get("provider_code") or provider.get("uscc") or ""
    row["maintainer"] = (
        maintainer.get("name") if maintainer.get("name") != provider.get("name") else ""
    )
    return row


def to_xlsx(data: dict) -> bytes:
    """An interchange document as the provincial workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    required_fill = PatternFill("solid", fgColor="FFF2CC")

    def sheet(title, columns, rows, first=False):
        ws = book.active if first else book.create_sheet()
        ws.title = title
        ws.append([heading for heading, _k, _t, _r in columns])
        for cell, (_h, _k, _t, required) in zip(ws[1], columns, strict=True):
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if required:
                cell.fill = required_fill
        for number, row in enumerate(rows, start=2):
            for column, (_h, key, kind, _r) in enumerate(columns, start=1):
                value = _cell_out(kind, row.get(key))
                cell = ws.cell(row=number, column=column, value=value)
                if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"  # text that looks like a formula stays text
        ws.freeze_panes = "B2"
        last = max(len(rows) + 500, 1000)
        for index, (heading, _key, kind, _r) in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=index).column_letter
            ws.column_dimensions[letter].width = max(12, min(40, len(heading) * 2 + 4))
            options = None
            if isinstance(kind, type):
                options = ",".join(_labels(kind).values())
            elif kind == "bool":
                options = "是,否"
            if options:
                rule = DataValidation(
                    type="list", formula1=f'"{options}"', allow_blank=True, showErrorMessage=True
                )
                rule.error = _("请从下拉列表中选择")
                rule.add(f"{letter}2:{letter}{last}")
                ws.add_data_validation(rule)
        return ws

    entry_rows, item_rows = [], []
    for entry in data.get("entries", []):
        entry_rows.append(_entry_row(entry))
        item_rows += [{"entry": entry.get("code"), **item} for item in entry.get("items", [])]
    sheet(ENTRY_SHEET, ENTRY_COLUMNS, entry_rows, first=True)
    sheet(ITEM_SHEET, ITEM_COLUMNS, item_rows)
    notes = book.create_sheet(README_SHEET)
    for line in readme():
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def readme() -> list[str]:
    """The explanation sheet (Chinese, like the workbook)."""
    lines = [
        f"政务信息资源目录 — 导入导出模板（数政 {FORMAT}）",
        "",
        "「信息资源」每行一条信息资源；「信息项」每行一个信息项，以“信息资源代码”对应信息资源，"
        "行的先后即信息项的顺序。黄色表头为必填列，其余列可以删去。",
        "信息资源分类：填写分类码（如 101），其后可加空格和分类名称。",
        "信息资源代码：已有代码（分类码/6 位顺序码，如 101/000012）导入时保留；"
        "新条目可填写临时编号（如“新1”），导入后由系统按分类生成代码。",
        "提供方、提供方代码：本部门的全称与统一社会信用代码（按代码查找，无代码时按全称）；"
        "只能导入本部门的目录，两列均留空时为导入人所在部门。导入的条目均为草稿，须提交审核后发布。",
        "代码已存在且为本部门草稿或修订中的条目：以文件内容替换其工作稿；已发布的条目请先发起修订。",
        "关键字、关联资源代码、来源资源代码：多个值用全角分号“；”分隔。",
        "数据级别（就高从严）：条目级别不得低于其信息项和来源资源的最高级别；可以留空，由系统取最高级别。",
        "是否类的列填写“是”或“否”。发布日期、版本两列仅供查看，导入时忽略。",
        "导入时先检查全部行：任何一行有误都不会导入，错误按工作表、行号和列名列出。",
        "",
        "各列可选的值（也可填写括号内的代码）：",
    ]
    for heading, _key, kind, _r in (*ENTRY_COLUMNS, *ITEM_COLUMNS):
        if isinstance(kind, type):
            options = " / ".join(f"{label}（{value}）" for value, label in _labels(kind).items())
            lines.append(f"{heading}：{options}")
    return list(dict.fromkeys(lines))


def export_xlsx(entries, *, working: bool = False) -> bytes:
    """The entries as the provincial workbook (see :func:`export_json`)."""
    return to_xlsx(export_json(entries, working=working))


def template_xlsx() -> bytes:
    """The empty workbook: headings, drop-downs for the choice columns, 填写说明."""
    return to_xlsx({"format": FORMAT, "entries": []})


def _cell_in(kind, value):
    """A cell as an interchange value (choices stay as written: the import checks them)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date().isoformat()
    if isinstance(value, dt.date):
        value = value.isoformat()
    if kind == "list":
        return _as_list(value)
    if isinstance(value, str):
        value = value.strip()
    return value


def _read_sheet(book, title, columns, check: _Checker) -> tuple[list[dict], bool]:
    """The rows of one sheet as dicts by key (with "_row"); False when its headings are wrong."""
    if title not in book.sheetnames:
        check.problems.append(Problem(_("缺少此工作表"), sheet=title))
        return [], False
    rows = book[title].iter_rows(values_only=True)
    header = next(rows, None) or ()
    known = {heading: (key, kind) for heading, key, kind, _r in columns}
    positions, ok = {}, True
    for index, text in enumerate(header):
        text = str(text).strip() if text is not None else ""
        if not text:
            continue
        if text not in known:
            check.problems.append(
                Problem(_("未知的列“%(c)s”") % {"c": text}, sheet=title, row=1, column=text)
            )
            ok = False
        elif known[text][0] in positions:
            check.problems.append(Problem(_("重复的列"), sheet=title, row=1, column=text))
            ok = False
        else:
            positions[known[text][0]] = (index, known[text][1])
    for heading, key, _kind, required in columns:
        if required and key not in positions:
            check.problems.append(Problem(_("缺少此列"), sheet=title, row=1, column=heading))
            ok = False
    if not ok:
        return [], False
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(_blank(v) for v in values):
            continue
        row = {"_row": number}
        for key, (index, kind) in positions.items():
            row[key] = _cell_in(kind, values[index] if index < len(values) else None)
        out.append(row)
    return out, True


def read_xlsx(content: bytes, check: _Checker) -> dict | None:
    """A workbook as an interchange document (``None`` when its sheets or columns are wrong);
    ``check.locator`` learns where each entry and item came from."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError):
        check.file(_("不是有效的 Excel 工作簿（.xlsx）"))
        return None
    locator: SheetLocator = check.locator
    entry_rows, entries_ok = _read_sheet(book, ENTRY_SHEET, ENTRY_COLUMNS, check)
    item_rows, items_ok = _read_sheet(book, ITEM_SHEET, ITEM_COLUMNS, check)
    book.close()
    if not (entries_ok and items_ok):
        return None
    entries, by_code = [], {}
    for row in entry_rows:
        number = row.pop("_row")
        for key in EXPORT_ONLY_COLUMNS:
            row.pop(key, None)
        provider = _text(row.pop("provider", ""))
        row["provider"] = {"uscc": _text(row.get("provider_code")), "name": provider}
        maintainer = _text(row.pop("maintainer", ""))
        if maintainer:
            row["maintainer"] = {"uscc": "", "name": maintainer}
        for key in ("classification", "code"):
            row[key] = _text(row.get(key))
        row["items"] = []
        locator.entry_rows[len(entries)] = number
        code = row["code"]
        if code and code not in by_code:
            by_code[code] = len(entries)
        entries.append(row)
    for row in item_rows:
        number = row.pop("_row")
        code = _text(row.pop("entry", ""))
        index = by_code.get(code)
        if index is None:
            check.problems.append(
                Problem(
                    _("「%(s)s」中没有信息资源代码 %(c)s") % {"s": ENTRY_SHEET, "c": code or "—"},
                    sheet=ITEM_SHEET,
                    row=number,
                    column=ITEM_HEADINGS["entry"],
                )
            )
            continue
        items = entries[index]["items"]
        locator.item_rows[(index, len(items))] = number
        items.append(row)
    return {"format": FORMAT, "entries": entries}


def import_xlsx(actor, fileobj) -> ImportReport:
    """导入 a provincial workbook (a file object or bytes): the headings are checked first —
    a missing or unknown column is reported and nothing else is read —, then every row."""
    access.require(actor, EDIT)
    content = fileobj if isinstance(fileobj, bytes) else fileobj.read()
    check = _Checker(SheetLocator())
    data = read_xlsx(content, check)
    if data is None or check.problems:
        # problems of the item rows' links are reported with every other row problem
        if data is not None:
            more = _Checker(check.locator)
            _plan(actor, data, more)
            check.problems += more.problems
        return ImportReport(problems=sorted(check.problems, key=_place))
    return _import(actor, data, check.locator)


def import_file(actor, name: str, content: bytes) -> ImportReport:
    """An uploaded file: a workbook (by its name or its first bytes) or a JSON document."""
    if name.lower().endswith(".xlsx") or content[:2] == b"PK":
        return import_xlsx(actor, content)
    return import_json(actor, content)
