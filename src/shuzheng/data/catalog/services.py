"""Write use cases of the government data catalogue (政务信息资源目录).

Who does what: the providing department's data administrator (``datacatalog.edit`` on the
provider) creates and edits entries, their 信息项 and grading proposals; the data authority
(``datacatalog.review`` / ``datacatalog.review_grading``, granted on the city) publishes,
returns and reviews gradings. Every use case is one transaction with its access check, its
audit record and, where others need to know, an event; a write names the ``revision`` its
author read, and a stale one raises ``workflow.Conflict`` (409 in the API) with nothing
written.

Lifecycle: 草稿 → 待审核 → 已发布; 待审核 → back to 草稿 (never published) or 修订中 (published)
with a reason; 已发布 → 修订中 → 待审核 → 已发布 (version + 1) while the last publication stays
what everyone else reads; any state → 已下线 unless an active sharing grant still uses it.
Only 草稿 and 修订中 are edited.

Rules (GB/T 21063, GB/T 43697, 《政务数据共享条例》):

* 信息资源代码 = ``{classification.code}/{seq:06d}``, the sequence per classification, given at
  creation (a concurrent creation that took the same number is retried with the next);
* 信息项: codes unique and slug-like; at most one query key; 字符型 needs a length; sensitive
  personal information is personal information; personal information is not 一般 1 级; an
  item delivered masked (一般 3 级 and above, or sensitive personal information) needs a
  脱敏方式 other than 不脱敏;
* 就高从严: an entry's level is the highest of its items, of the entries it is derived from
  (``sources``, their published level) and of its own approved entry-level grading; a proposal
  below that is refused; an approved change raises (or lowers) the entry and, transitively,
  every entry derived from it — working copy and published snapshot at once, so the gateway
  masks by the new level immediately. Every change is a ``GradingRecord``;
* 不予共享 needs its legal basis, 有条件共享 its condition, 有条件开放 its condition; 核心数据 is
  neither shared unconditionally nor opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.catalog import snapshot as snapshots
from shuzheng.data.catalog.models import (
    GRADE_RANK,
    CatalogueEntry,
    CatalogueKind,
    Classification,
    DataItem,
    DataType,
    EntryStatus,
    EntryVersion,
    Grade,
    GradingRecord,
    GradingStatus,
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
from shuzheng.foundation import access, events, search, workflow
from shuzheng.foundation.access.registry import CAPABILITIES
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit

VIEW = "datacatalog.view"
EDIT = "datacatalog.edit"
REVIEW = "datacatalog.review"
REVIEW_GRADING = "datacatalog.review_grading"

EDITABLE_STATES = (EntryStatus.DRAFT, EntryStatus.REVISING)
CODE_ATTEMPTS = 8
GRADING_FACTORS = ("领域", "群体", "区域", "精度", "规模", "深度", "覆盖度", "重要性")
CLASSIFICATIONS_FILE = Path(__file__).resolve().parent / "data" / "classifications.yaml"

# fields ``update_entry`` may change (the classification, and with it the code, is fixed)
ENTRY_FIELDS = (
    "name",
    "summary",
    "kind",
    "theme",
    "resource_format",
    "keywords",
    "update_cycle",
    "share_type",
    "share_condition",
    "share_method",
    "not_shared_basis",
    "open_type",
    "open_condition",
    "on_platform",
    "maintainer",
    "sources",
    "related",
)
ITEM_DEFAULTS = {
    "length": None,
    "description": "",
    "is_key": False,
    "personal": False,
    "sensitive_personal": False,
    "mask": MaskRule.NONE,
    "impact_object": "",
    "impact_degree": "",
    "grade_basis": "",
}
_KEYWORD_SPLIT = re.compile(r"[,，、;；\s]+")


# --------------------------------------------------------------------------- helpers


def _user(actor):
    """The user recorded as author / reviewer: acts that leave a name need a person."""
    if actor is access.SYSTEM or not getattr(actor, "pk", None):
        raise ValueError("catalogue acts that record a person need a user, not access.SYSTEM")
    return actor


def _may_edit_for(actor, provider: Organisation) -> bool:
    if actor is access.SYSTEM:
        return True
    return any(provider.path.startswith(p) for p in access.org_paths(actor, EDIT))


def may(actor, obj, perm: str) -> bool:
    """Whether ``actor`` may use ``perm`` on ``obj`` (for offering actions)."""
    try:
        access.check(actor, obj, perm)
    except PermissionDenied:
        return False
    return True


def _denied(perm: str) -> PermissionDenied:
    label = CAPABILITIES[perm].label
    return PermissionDenied(_("无权执行此操作：%(label)s") % {"label": label})


def _locked(entry: CatalogueEntry) -> CatalogueEntry:
    return (
        CatalogueEntry.objects.select_for_update().select_related("classification").get(pk=entry.pk)
    )


def _refresh(entry: CatalogueEntry, fresh: CatalogueEntry) -> CatalogueEntry:
    """Copy the saved state onto the caller's object, so it sees what was written."""
    for f in CatalogueEntry._meta.concrete_fields:
        setattr(entry, f.attname, getattr(fresh, f.attname))
    for cached in ("_prefetched_objects_cache",):
        entry.__dict__.pop(cached, None)
    return entry


def _check_revision(current: CatalogueEntry, revision) -> None:
    """The optimistic lock: only the revision the author read may be changed."""
    try:
        seen = int(revision)
    except (TypeError, ValueError):
        raise ValidationError(
            {"revision": ValidationError(_("缺少修订号，请刷新后重试"), code="required")}
        ) from None
    if seen != current.revision:
        raise workflow.Conflict(_("该目录已被他人修改，请刷新后重试"))


def _bump(entry: CatalogueEntry, *fields: str) -> None:
    entry.revision += 1
    entry.updated_at = timezone.now()
    entry.save(update_fields=[*fields, "revision", "updated_at"])


def _require_state(entry: CatalogueEntry, states, message) -> None:
    if entry.status not in states:
        raise ValidationError({"status": ValidationError(message, code="invalid_state")})


def _event(kind: str, entry: CatalogueEntry, **extra) -> None:
    payload = {
        "entry": entry.pk,
        "code": entry.code,
        "provider": entry.provider_id,
        "status": entry.status,
        "version": entry.version,
        **extra,
    }
    events.publish(f"data.catalog.{kind}", payload, key=entry.code)


def grade_label(grade: str) -> str:
    return str(Grade(grade).label) if grade in Grade.values else str(grade)


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on", "是")
    return bool(value)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# --------------------------------------------------------------------------- codes


def next_code(classification: Classification) -> str:
    """The next free 信息资源代码 of ``classification``: its code, "/", and the six-digit
    sequence after the highest one used within it."""
    prefix = f"{classification.code}/"
    last = (
        CatalogueEntry.objects.filter(code__startswith=prefix)
        .annotate(_code_length=Length("code"))
        .filter(_code_length=len(prefix) + 6)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    tail = last[len(prefix) :] if last else ""
    seq = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{seq:06d}"


def _save_with_code(entry: CatalogueEntry) -> None:
    """Insert ``entry`` under the next code of its classification; the classification row
    is locked (PostgreSQL) and a number taken meanwhile (another process, SQLite) is
    retried with the next one."""
    Classification.objects.select_for_update().filter(pk=entry.classification_id).first()
    for attempt in range(CODE_ATTEMPTS):
        entry.code = next_code(entry.classification)
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
            return
        except IntegrityError:
            entry.pk = None
            if attempt == CODE_ATTEMPTS - 1:
                raise
            if CatalogueEntry.objects.filter(code=entry.code).exists():
                continue
            raise


# --------------------------------------------------------------------------- 信息项


def _item_label(n: int, item: Mapping) -> str:
    name, code = _text(item.get("name")), _text(item.get("code"))
    if name and code:
        return _("第 %(n)d 项「%(name)s」（%(code)s）") % {"n": n, "name": name, "code": code}
    return _("第 %(n)d 项「%(name)s」") % {"n": n, "name": name or code or "?"}


def clean_items(items) -> list[dict]:
    """The items as stored (keys of ``snapshot.ITEM_KEYS``), or ``ValidationError({"items":
    [...]})`` with every problem, each naming its item."""
    errors: list[str] = []
    cleaned: list[dict] = []
    seen: dict[str, int] = {}
    keys: list[str] = []
    allowed = set(snapshots.ITEM_KEYS)
    for n, raw in enumerate(items or (), start=1):
        if isinstance(raw, DataItem):
            raw = snapshots.item_dict(raw)
        if not isinstance(raw, Mapping):
            errors.append(_("第 %(n)d 项：格式不正确") % {"n": n})
            continue
        label = _item_label(n, raw)
        problems: list[str] = []
        unknown = sorted(set(raw) - allowed - {"sort_order"})
        if unknown:
            problems.append(_("没有这些属性：%(keys)s") % {"keys": ", ".join(unknown)})
        item = {**ITEM_DEFAULTS, **{k: raw[k] for k in snapshots.ITEM_KEYS if k in raw}}
        for key in ("code", "name", "description", "grade_basis"):
            item[key] = _text(item[key])
        for key in ("data_type", "grade", "mask", "impact_object", "impact_degree"):
            item[key] = _text(item.get(key))
        for key in ("is_key", "personal", "sensitive_personal"):
            item[key] = _bool(item[key])
        item["mask"] = item["mask"] or MaskRule.NONE
        code = item["code"]
        if not code:
            problems.append(_("缺少信息项标识"))
        else:
            try:
                validate_slug(code)
            except ValidationError:
                problems.append(_("信息项标识只能包含英文字母、数字、下划线或连字符"))
            if len(code) > 60:
                problems.append(_("信息项标识不能超过 60 个字符"))
            if code in seen:
                problems.append(
                    _("信息项标识 %(code)s 与第 %(m)d 项重复") % {"code": code, "m": seen[code]}
                )
            else:
                seen[code] = n
        if not item["name"]:
            problems.append(_("缺少信息项名称"))
        elif len(item["name"]) > 100:
            problems.append(_("信息项名称不能超过 100 个字"))
        if len(item["description"]) > 300:
            problems.append(_("说明不能超过 300 个字"))
        if item["data_type"] not in DataType.values:
            problems.append(_("数据类型不正确"))
        length = item["length"]
        if length in (None, ""):
            item["length"] = None
        else:
            try:
                item["length"] = int(str(length).strip())
            except ValueError:
                item["length"] = None
                problems.append(_("数据长度应为正整数"))
            else:
                if item["length"] <= 0:
                    problems.append(_("数据长度应为正整数"))
        if item["data_type"] == DataType.CHAR and item["length"] is None:
            problems.append(_("字符型信息项必须填写数据长度"))
        grade = item["grade"]
        if grade not in Grade.values:
            problems.append(_("数据级别不正确") if grade else _("缺少数据级别"))
        if item["mask"] not in MaskRule.values:
            problems.append(_("脱敏方式不正确"))
        if item["impact_object"] and item["impact_object"] not in ImpactObject.values:
            problems.append(_("影响对象不正确"))
        if item["impact_degree"] and item["impact_degree"] not in ImpactDegree.values:
            problems.append(_("影响程度不正确"))
        if item["sensitive_personal"] and not item["personal"]:
            problems.append(_("敏感个人信息也是个人信息，请同时勾选“个人信息”"))
        if item["personal"] and grade == Grade.GENERAL_1:
            problems.append(_("含个人信息的信息项不能定为一般数据（1级）"))
        masked = grade in Grade.values and GRADE_RANK[grade] >= GRADE_RANK[Grade.GENERAL_3]
        if item["mask"] == MaskRule.NONE and (masked or item["sensitive_personal"]):
            problems.append(
                _(
                    "一般数据（3级）及以上或敏感个人信息的信息项在未授权明文时脱敏提供，须指定脱敏方式"
                )
            )
        if item["is_key"]:
            keys.append(label)
        errors += [f"{label}：{p}" for p in problems]
        cleaned.append(item)
    if len(keys) > 1:
        errors.append(_("最多只能有一个查询主键，现为：%(items)s") % {"items": "、".join(keys)})
    if errors:
        raise ValidationError({"items": errors})
    return cleaned


def _write_items(entry: CatalogueEntry, items: list[dict]) -> None:
    """Make the working copy's items ``items`` (in order): an item keeps its row (and its
    grading history link) by code; an unchanged level keeps its reviewer and date."""
    before = {item.code: item for item in entry.items.all()}
    wanted = {item["code"] for item in items}
    entry.items.exclude(code__in=wanted).delete()
    entry.items.filter(is_key=True).update(is_key=False)  # the one-key constraint, midway
    for order, values in enumerate(items):
        old = before.get(values["code"])
        if old is None:
            DataItem.objects.create(entry=entry, sort_order=order, **values)
            continue
        if old.grade != values["grade"]:
            old.graded_by, old.graded_at = None, None
        for name, value in values.items():
            setattr(old, name, value)
        old.sort_order = order
        old.save()


# --------------------------------------------------------------------------- entries


def _choice(values: dict, errors: dict, name: str, choices, label: str) -> None:
    value = _text(values.get(name))
    values[name] = value
    if value not in choices.values:
        errors[name] = [
            _("请选择%(label)s") % {"label": label}
            if not value
            else _("%(label)s不正确") % {"label": label}
        ]


def _keywords(value) -> list[str]:
    if value is None:
        return []
    words = _KEYWORD_SPLIT.split(value) if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(w.strip() for w in words if w and w.strip()))


def _entries(values, field: str, errors: dict, *, exclude=None) -> list[CatalogueEntry]:
    """Entries named by objects, ids or codes; a source or related resource must be one
    everyone can read (published or being revised)."""
    out: list[CatalogueEntry] = []
    wrong: list[str] = []
    for value in values or ():
        if isinstance(value, CatalogueEntry):
            found = CatalogueEntry.objects.filter(pk=value.pk).first()
        elif isinstance(value, int):
            found = CatalogueEntry.objects.filter(pk=value).first()
        else:
            found = CatalogueEntry.objects.filter(code=_text(value)).first()
        if found is None or not found.is_visible:
            wrong.append(str(getattr(value, "code", value)))
        elif exclude is not None and found.pk == exclude:
            errors.setdefault(field, []).append(_("不能引用条目自身"))
        elif found.pk not in {e.pk for e in out}:
            out.append(found)
    if wrong:
        errors.setdefault(field, []).append(
            _("没有这些已发布的目录：%(codes)s") % {"codes": ", ".join(wrong)}
        )
    return out


def _derives_from(entry_pk: int, sources: list[CatalogueEntry]) -> bool:
    """Whether one of ``sources`` is ``entry_pk`` or derived from it (a cycle)."""
    pending, seen = [s.pk for s in sources], set()
    while pending:
        pk = pending.pop()
        if pk == entry_pk:
            return True
        if pk in seen:
            continue
        seen.add(pk)
        pending += list(
            CatalogueEntry.sources.through.objects.filter(from_catalogueentry_id=pk).values_list(
                "to_catalogueentry_id", flat=True
            )
        )
    return False


def source_grade(source: CatalogueEntry) -> str:
    """The level a derived entry inherits from ``source``: its reviewed (published) level."""
    return (source.published or {}).get("grade") or source.grade


def _clean_entry(values: dict, grade: str, errors: dict) -> dict:
    """Check and normalise the entry's own fields (in place); problems go to ``errors``."""
    name = _text(values.get("name"))
    values["name"] = name
    if not name:
        errors["name"] = [_("请填写信息资源名称")]
    elif len(name) > 200:
        errors["name"] = [_("信息资源名称不能超过 200 个字")]
    values["summary"] = _text(values.get("summary"))
    if not values["summary"]:
        errors["summary"] = [_("请填写信息资源摘要")]
    _choice(values, errors, "kind", CatalogueKind, _("目录类别"))
    _choice(values, errors, "resource_format", ResourceFormat, _("信息资源格式"))
    _choice(values, errors, "update_cycle", UpdateCycle, _("更新周期"))
    _choice(values, errors, "share_type", ShareType, _("共享类型"))
    _choice(values, errors, "share_method", ShareMethod, _("共享方式"))
    _choice(values, errors, "open_type", OpenType, _("开放类型"))
    for key in ("theme", "share_condition", "not_shared_basis", "open_condition"):
        values[key] = _text(values.get(key))
    if len(values["theme"]) > 40:
        errors["theme"] = [_("主题不能超过 40 个字")]
    values["keywords"] = _keywords(values.get("keywords"))
    values["on_platform"] = _bool(values.get("on_platform", True))
    share, opened = values["share_type"], values["open_type"]
    if share == ShareType.NONE and not values["not_shared_basis"]:
        errors["not_shared_basis"] = [_("不予共享须写明法律、行政法规或政策依据")]
    if share == ShareType.CONDITIONAL and not values["share_condition"]:
        errors["share_condition"] = [_("有条件共享须写明共享条件")]
    if opened == OpenType.CONDITIONAL and not values["open_condition"]:
        errors["open_condition"] = [_("有条件开放须写明开放条件")]
    if grade == Grade.CORE:
        if share == ShareType.UNCONDITIONAL:
            errors.setdefault("share_type", []).append(_("核心数据不得无条件共享"))
        if opened != OpenType.NONE:
            errors.setdefault("open_type", []).append(_("核心数据不得开放"))
    return values


def _core_conflict(entry: CatalogueEntry, grade: str) -> str | None:
    """Why ``entry`` cannot be ``grade`` with its share / open attributes (None: it can)."""
    if grade != Grade.CORE:
        return None
    if entry.share_type == ShareType.UNCONDITIONAL or entry.open_type != OpenType.NONE:
        return _(
            "%(code)s %(name)s 为无条件共享或开放，不能成为核心数据，请先修改其共享、开放属性"
        ) % {
            "code": entry.code,
            "name": entry.name,
        }
    return None


@transaction.atomic
def create_entry(
    actor,
    *,
    provider: Organisation,
    classification: Classification,
    name: str,
    summary: str,
    kind: str,
    resource_format: str,
    update_cycle: str,
    share_type: str,
    share_method: str,
    open_type: str,
    items: Iterable[Mapping] = (),
    maintainer: Organisation | None = None,
    theme: str = "",
    keywords=(),
    share_condition: str = "",
    not_shared_basis: str = "",
    open_condition: str = "",
    on_platform: bool = True,
    sources=(),
    related=(),
) -> CatalogueEntry:
    """编目: a new draft entry of ``provider`` (the actor edits its catalogue) with its
    items; code ``{classification}/{seq:06d}``; level = the highest of its items and
    sources."""
    if not _may_edit_for(actor, provider):
        raise _denied(EDIT)
    author = _user(actor)
    errors: dict = {}
    try:
        cleaned = clean_items(items)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = []
    source_rows = _entries(sources, "sources", errors)
    related_rows = _entries(related, "related", errors)
    grade = highest(*(i["grade"] for i in cleaned), *(source_grade(s) for s in source_rows))
    values = _clean_entry(
        {
            "name": name,
            "summary": summary,
            "kind": kind,
            "resource_format": resource_format,
            "update_cycle": update_cycle,
            "share_type": share_type,
            "share_method": share_method,
            "open_type": open_type,
            "theme": theme,
            "keywords": keywords,
            "share_condition": share_condition,
            "not_shared_basis": not_shared_basis,
            "open_condition": open_condition,
            "on_platform": on_platform,
        },
        grade,
        errors,
    )
    if not isinstance(classification, Classification):
        errors["classification"] = [_("请选择信息资源分类")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    entry = CatalogueEntry(
        classification=classification,
        provider=provider,
        provider_code=provider.uscc,
        maintainer=maintainer or provider,
        grade=grade,
        created_by=author,
        created_at=now,
        updated_at=now,
        **values,
    )
    _save_with_code(entry)
    _write_items(entry, cleaned)
    entry.sources.set(source_rows)
    entry.related.set(related_rows)
    audit.record(
        actor,
        "data.catalog.create",
        entry,
        details={"code": entry.code, "items": len(cleaned), "grade": grade},
    )
    _event("created", entry)
    return entry


def _entry_floor(entry: CatalogueEntry) -> str | None:
    """The entry's own approved level (the latest approved entry-level proposal), if any."""
    record = (
        GradingRecord.objects.filter(
            entry=entry, item__isnull=True, item_code="", status=GradingStatus.APPROVED
        )
        .exclude(impact_object="")
        .order_by("-reviewed_at", "-pk")
        .first()
    )
    return record.to_grade if record is not None else None


def working_grade(entry: CatalogueEntry, *, items=None, sources=None, floor=...) -> str:
    """就高从严 on the working copy: highest of items, sources and the approved floor."""
    if items is None:
        items = list(entry.items.values_list("grade", flat=True))
    if sources is None:
        sources = list(entry.sources.all())
    if floor is ...:
        floor = _entry_floor(entry)
    return highest(*items, *(source_grade(s) for s in sources), floor)


def published_grade(entry: CatalogueEntry, *, floor=...) -> str | None:
    """就高从严 on the published snapshot (None before the first publication)."""
    if not entry.published:
        return None
    if floor is ...:
        floor = _entry_floor(entry)
    items = [i.get("grade") for i in snapshots.items_of(entry)]
    return highest(*items, *(source_grade(s) for s in entry.sources.all()), floor)


def _editable(actor, entry: CatalogueEntry, revision) -> CatalogueEntry:
    access.check(actor, entry, EDIT)
    current = _locked(entry)
    _check_revision(current, revision)
    _require_state(current, EDITABLE_STATES, _("只有草稿或修订中的目录可以修改"))
    return current


@transaction.atomic
def update_entry(actor, entry: CatalogueEntry, *, revision, **fields) -> CatalogueEntry:
    """修改 the working copy: the fields given replace the entry's (``items`` too, when
    given); the level follows its items and sources."""
    current = _editable(actor, entry, revision)
    items = fields.pop("items", None)
    unknown = sorted(set(fields) - set(ENTRY_FIELDS))
    errors: dict = {name: [_("不能修改此项")] for name in unknown}
    values = {
        name: getattr(current, name)
        for name in ENTRY_FIELDS
        if name not in ("maintainer", "sources", "related")
    }
    values.update({k: v for k, v in fields.items() if k in values})
    cleaned = None
    if items is not None:
        try:
            cleaned = clean_items(items)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    source_rows = list(current.sources.all())
    if "sources" in fields:
        source_rows = _entries(fields["sources"], "sources", errors, exclude=current.pk)
        if source_rows and _derives_from(current.pk, source_rows):
            errors.setdefault("sources", []).append(_("来源资源不能是本条目派生出的目录"))
    related_rows = None
    if "related" in fields:
        related_rows = _entries(fields["related"], "related", errors, exclude=current.pk)
    item_grades = (
        [i["grade"] for i in cleaned]
        if cleaned is not None
        else list(current.items.values_list("grade", flat=True))
    )
    grade = working_grade(current, items=item_grades, sources=source_rows)
    values = _clean_entry(values, grade, errors)
    maintainer = fields.get("maintainer", current.maintainer)
    if not isinstance(maintainer, Organisation):
        errors["maintainer"] = [_("请选择元数据维护方")]
    if errors:
        raise ValidationError(errors)
    changed = sorted(
        name for name, value in values.items() if getattr(current, name) != value
    ) + sorted(n for n in ("sources", "related", "maintainer") if n in fields)
    for name, value in values.items():
        setattr(current, name, value)
    current.maintainer = maintainer
    before = current.grade
    current.grade = grade
    if cleaned is not None:
        _write_items(current, cleaned)
        changed.append("items")
    if "sources" in fields:
        current.sources.set(source_rows)
    if related_rows is not None:
        current.related.set(related_rows)
    _bump(current, *values, "maintainer", "grade")
    audit.record(
        actor,
        "data.catalog.update",
        current,
        details={"changed": changed, "grade": grade, "grade_before": before},
    )
    _event("updated", current, changed=changed)
    return _refresh(entry, current)


@transaction.atomic
def set_items(actor, entry: CatalogueEntry, items, *, revision) -> CatalogueEntry:
    """Replace the working copy's 信息项 (the whole list, in order)."""
    current = _editable(actor, entry, revision)
    cleaned = clean_items(items)
    grade = working_grade(current, items=[i["grade"] for i in cleaned])
    errors: dict = {}
    values = {name: getattr(current, name) for name in ENTRY_FIELDS[:-3]}
    _clean_entry(values, grade, errors)
    if errors:
        raise ValidationError(errors)
    before = current.grade
    _write_items(current, cleaned)
    current.grade = grade
    _bump(current, "grade")
    audit.record(
        actor,
        "data.catalog.items",
        current,
        details={"items": [i["code"] for i in cleaned], "grade": grade, "grade_before": before},
    )
    _event("updated", current, changed=["items"])
    return _refresh(entry, current)


# --------------------------------------------------------------------------- lifecycle


@transaction.atomic
def submit(actor, entry: CatalogueEntry, *, revision, note: str = "") -> CatalogueEntry:
    """提交审核: a complete draft or revision goes to the data authority."""
    current = _editable(actor, entry, revision)
    items = list(current.items.all())
    errors: dict = {}
    if not items:
        errors["items"] = [_("至少需要一个信息项")]
    else:
        try:
            clean_items(items)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    grade = working_grade(current)
    values = {name: getattr(current, name) for name in ENTRY_FIELDS[:-3]}
    _clean_entry(values, grade, errors)
    if errors:
        raise ValidationError(errors)
    current.grade = grade
    current.status = EntryStatus.REVIEWING
    _bump(current, "status", "grade")
    audit.record(
        actor,
        "data.catalog.submit",
        current,
        details={"note": _text(note)[:2000], "version": current.version},
    )
    _event("submitted", current)
    return _refresh(entry, current)


def _last_submission(entry: CatalogueEntry):
    """(submitter, note) of the entry's latest submission, from the audit trail."""
    from shuzheng.foundation.trust.models import AuditRecord

    row = (
        AuditRecord.objects.filter(
            action="data.catalog.submit",
            object_type=entry._meta.label_lower,
            object_id=str(entry.pk),
        )
        .order_by("-time", "-pk")
        .values("actor_id", "details")
        .first()
    )
    if row is None:
        return None, ""
    return row["actor_id"], (row["details"] or {}).get("note", "")


def _record_automatic(
    actor, entry: CatalogueEntry, *, before: str, after: str, basis: str, item=None, code=""
) -> GradingRecord:
    """An approved record of a level that changed by rule (就高从严) or with the publication
    review — the history shows it; it is not an entry-level assessment (no impact object),
    so it never becomes the entry's floor."""
    now = timezone.now()
    user = _user(actor)
    return GradingRecord.objects.create(
        entry=entry,
        item=item,
        item_code=code,
        from_grade=before or "",
        to_grade=after,
        impact_object="",  # the mark of a change by rule: no assessment of its own
        impact_degree="",
        basis=basis,
        status=GradingStatus.APPROVED,
        proposed_by=user,
        proposed_at=now,
        reviewed_by=user,
        reviewed_at=now,
    )


@transaction.atomic
def publish(actor, entry: CatalogueEntry, *, revision, note: str = "") -> CatalogueEntry:
    """审核发布: the working copy becomes version n + 1 — the snapshot everyone reads, an
    ``EntryVersion``, the search index, event ``data.catalog.published``. Levels that changed
    since the last publication are recorded as reviewed with it."""
    access.check(actor, entry, REVIEW)
    reviewer = _user(actor)
    current = _locked(entry)
    _check_revision(current, revision)
    _require_state(current, (EntryStatus.REVIEWING,), _("只有待审核的目录可以发布"))
    now = timezone.now()
    previous = {i["code"]: i.get("grade") for i in snapshots.items_of(current)}
    before_grade = (current.published or {}).get("grade", "")
    current.grade = working_grade(current)
    submitter_id, change_note = _last_submission(current)
    for item in current.items.all():
        if previous.get(item.code) != item.grade:
            _record_automatic(
                actor,
                current,
                before=previous.get(item.code, ""),
                after=item.grade,
                basis=item.grade_basis or _("随目录发布审核定级"),
                item=item,
                code=item.code,
            )
            item.graded_by, item.graded_at = reviewer, now
            item.save(update_fields=["graded_by", "graded_at"])
    if before_grade != current.grade:
        _record_automatic(
            actor,
            current,
            before=before_grade,
            after=current.grade,
            basis=_("就高从严：随目录发布审核，取信息项、来源资源与条目定级的最高级别"),
        )
        current.graded_by, current.graded_at = reviewer, now
    current.version += 1
    current.status = EntryStatus.PUBLISHED
    current.published_at = now
    current.review_note = _text(note)
    current.published = snapshots.snapshot(current, version=current.version, published_at=now)
    EntryVersion.objects.create(
        entry=current,
        version=current.version,
        snapshot=current.published,
        change_note=change_note,
        submitted_by_id=submitter_id,
        reviewed_by=reviewer,
        published_at=now,
    )
    _bump(
        current,
        "grade",
        "graded_by",
        "graded_at",
        "version",
        "status",
        "published_at",
        "review_note",
        "published",
    )
    changed = _cascade(actor, current, reason=current.code) if before_grade != current.grade else []
    search.reindex(current)
    audit.record(
        actor,
        "data.catalog.publish",
        current,
        details={
            "version": current.version,
            "grade": current.grade,
            "note": current.review_note[:2000],
            "derived_regraded": [e.code for e in changed],
        },
    )
    _event("published", current, grade=current.grade, share_type=current.share_type)
    return _refresh(entry, current)


@transaction.atomic
def return_for_changes(actor, entry: CatalogueEntry, *, revision, reason: str) -> CatalogueEntry:
    """退回修改 with the reason: back to 草稿, or 修订中 when a publication exists."""
    access.check(actor, entry, REVIEW)
    current = _locked(entry)
    _check_revision(current, revision)
    _require_state(current, (EntryStatus.REVIEWING,), _("只有待审核的目录可以退回"))
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": ValidationError(_("请填写退回理由"), code="required")})
    current.status = EntryStatus.REVISING if current.version else EntryStatus.DRAFT
    current.review_note = reason
    _bump(current, "status", "review_note")
    audit.record(actor, "data.catalog.return", current, details={"reason": reason[:2000]})
    _event("returned", current)
    return _refresh(entry, current)


@transaction.atomic
def revise(actor, entry: CatalogueEntry, *, revision) -> CatalogueEntry:
    """修订: a published entry is edited again; its publication stays readable."""
    access.check(actor, entry, EDIT)
    current = _locked(entry)
    _check_revision(current, revision)
    _require_state(current, (EntryStatus.PUBLISHED,), _("只有已发布的目录可以修订"))
    current.status = EntryStatus.REVISING
    _bump(current, "status")
    audit.record(actor, "data.catalog.revise", current, details={"version": current.version})
    _event("revising", current)
    return _refresh(entry, current)


def active_grants(entry: CatalogueEntry):
    """Sharing grants of ``entry`` in force now (a withdrawal must wait for them)."""
    from shuzheng.data.sharing.models import Grant, GrantStatus

    return Grant.objects.filter(
        entry=entry, status=GrantStatus.ACTIVE, valid_until__gt=timezone.now()
    )


@transaction.atomic
def withdraw(actor, entry: CatalogueEntry, *, revision, reason: str) -> CatalogueEntry:
    """下线 (the provider, or the data authority): no longer readable, requestable or
    callable — refused while a sharing grant of it is in force."""
    if not may(actor, entry, EDIT):
        access.check(actor, entry, REVIEW)
    current = _locked(entry)
    _check_revision(current, revision)
    if current.status == EntryStatus.WITHDRAWN:
        raise ValidationError({"status": ValidationError(_("该目录已下线"), code="invalid_state")})
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": ValidationError(_("请填写下线理由"), code="required")})
    grants = active_grants(current).count()
    if grants:
        raise ValidationError(
            {
                "status": ValidationError(
                    _("该目录仍有 %(n)d 项有效的共享授权，请先撤销授权再下线") % {"n": grants},
                    code="active_grants",
                )
            }
        )
    current.status = EntryStatus.WITHDRAWN
    current.review_note = reason
    _bump(current, "status", "review_note")
    search.reindex(current)
    audit.record(actor, "data.catalog.withdraw", current, details={"reason": reason[:2000]})
    _event("withdrawn", current)
    return _refresh(entry, current)


# --------------------------------------------------------------------------- grading


def _cascade(actor, entry: CatalogueEntry, *, reason: str, seen=None) -> list[CatalogueEntry]:
    """就高从严 downstream: every entry derived from ``entry`` (transitively) takes the new
    level of its sources, working copy and publication; returns those that changed."""
    seen = seen if seen is not None else {entry.pk}
    changed: list[CatalogueEntry] = []
    derived = (
        CatalogueEntry.objects.select_for_update()
        .filter(sources=entry)
        .exclude(status=EntryStatus.WITHDRAWN)
        .order_by("pk")
    )
    for other in derived:
        if other.pk in seen:
            continue
        seen.add(other.pk)
        if _regrade(
            actor, other, basis=_("就高从严：来源资源 %(code)s 的级别调整") % {"code": reason}
        ):
            changed.append(other)
            changed += _cascade(actor, other, reason=other.code, seen=seen)
    return changed


def _regrade(actor, entry: CatalogueEntry, *, basis: str) -> bool:
    """Recompute ``entry``'s level (working copy and publication) by 就高从严; record and
    save a change. Refused (ValidationError) when the new level is 核心 and the entry is
    shared unconditionally or open."""
    floor = _entry_floor(entry)
    working = working_grade(entry, floor=floor)
    published = published_grade(entry, floor=floor)
    old_published = (entry.published or {}).get("grade")
    changed_working = working != entry.grade
    changed_published = published is not None and published != old_published
    if not (changed_working or changed_published):
        return False
    problem = _core_conflict(entry, working) or (
        _core_conflict(entry, published) if published else None
    )
    if problem:
        raise ValidationError({"to_grade": ValidationError(problem, code="core_shared")})
    if changed_working:
        _record_automatic(actor, entry, before=entry.grade, after=working, basis=basis)
        entry.grade = working
    if changed_published:
        if not changed_working:
            _record_automatic(actor, entry, before=old_published, after=published, basis=basis)
        entry.published = {**entry.published, "grade": published}
    entry.graded_by, entry.graded_at = _user(actor), timezone.now()
    _bump(entry, "grade", "published", "graded_by", "graded_at")
    return True


@transaction.atomic
def propose_grading(
    actor,
    entry: CatalogueEntry,
    *,
    to_grade: str,
    impact_object: str,
    impact_degree: str,
    basis: str,
    item_code: str = "",
    factors=(),
) -> GradingRecord:
    """定级建议 for the entry (``item_code`` empty) or one of its items, to be reviewed.
    就高从严: an entry is never graded below its highest item or source."""
    access.check(actor, entry, EDIT)
    proposer = _user(actor)
    current = _locked(entry)
    errors: dict = {}
    to_grade, item_code = _text(to_grade), _text(item_code)
    if to_grade not in Grade.values:
        errors["to_grade"] = [_("请选择拟定级别")]
    if _text(impact_object) not in ImpactObject.values:
        errors["impact_object"] = [_("请选择影响对象")]
    if _text(impact_degree) not in ImpactDegree.values:
        errors["impact_degree"] = [_("请选择影响程度")]
    basis = _text(basis)
    if not basis:
        errors["basis"] = [_("请写明定级依据")]
    factors = [_text(f) for f in factors or () if _text(f)]
    bad = [f for f in factors if f not in GRADING_FACTORS]
    if bad:
        errors["factors"] = [_("定级要素应为：%(known)s") % {"known": "、".join(GRADING_FACTORS)}]
    if current.status == EntryStatus.WITHDRAWN:
        errors["status"] = [_("已下线的目录不能定级")]
    item = None
    if item_code:
        item = current.items.filter(code=item_code).first()
        # an item dropped from a revision is still published (and delivered) until then
        target = item or next(
            (i for i in snapshots.items_of(current) if i.get("code") == item_code), None
        )
        if target is None:
            errors["item_code"] = [_("没有这个信息项：%(code)s") % {"code": item_code}]
    if errors:
        raise ValidationError(errors)
    if item_code:
        from_grade = target.grade if item is not None else target.get("grade")
    else:
        from_grade = current.grade
    # An entry's first own assessment may confirm the level 就高从严 gave it (with its impact
    # object, degree and basis); afterwards, and for items, a proposal must change the level.
    if to_grade == from_grade and (item_code or _entry_floor(current) == to_grade):
        raise ValidationError({"to_grade": [_("拟定级别与现级别相同")]})
    if item_code:
        _check_item_grade(target, to_grade)
    else:
        _check_entry_grade(current, to_grade)
    pending = GradingRecord.objects.filter(
        entry=current, item_code=item_code, status=GradingStatus.PROPOSED
    )
    if pending.exists():
        raise ValidationError({"item_code": [_("已有待审核的定级建议，请等待审核结果")]})
    record = GradingRecord.objects.create(
        entry=current,
        item=item,
        item_code=item_code,
        from_grade=from_grade,
        to_grade=to_grade,
        impact_object=_text(impact_object),
        impact_degree=_text(impact_degree),
        factors=factors,
        basis=basis,
        proposed_by=proposer,
    )
    audit.record(
        actor,
        "data.catalog.grading.propose",
        record,
        details={"entry": current.code, "item": item_code, "from": from_grade, "to": to_grade},
    )
    events.publish(
        "data.catalog.grading_proposed",
        {"record": record.pk, "entry": current.pk, "code": current.code, "item": item_code},
        key=current.code,
    )
    return record


def _check_item_grade(item, grade: str) -> None:
    """An item's (a ``DataItem`` or a published item dict) new level must still suit it
    (personal info, masking)."""
    values = item if isinstance(item, Mapping) else snapshots.item_dict(item)
    probe = {key: values.get(key) for key in snapshots.ITEM_KEYS} | {"grade": grade}
    try:
        clean_items([probe])
    except ValidationError as exc:
        messages = [m.split("：", 1)[-1] for m in exc.message_dict.get("items", [])]
        raise ValidationError({"to_grade": messages}) from None


def _check_entry_grade(entry: CatalogueEntry, grade: str) -> None:
    """就高从严: not below the highest item or source; 核心 not shared unconditionally."""
    least = highest(
        *entry.items.values_list("grade", flat=True),
        *(i.get("grade") for i in snapshots.items_of(entry)),
        *(source_grade(s) for s in entry.sources.all()),
    )
    if GRADE_RANK[grade] < GRADE_RANK[least]:
        raise ValidationError(
            {
                "to_grade": ValidationError(
                    _("就高从严：条目级别不得低于其信息项或来源资源的最高级别“%(level)s”")
                    % {"level": grade_label(least)},
                    code="below_items",
                )
            }
        )
    problem = _core_conflict(entry, grade)
    if problem:
        raise ValidationError({"to_grade": ValidationError(problem, code="core_shared")})


@transaction.atomic
def review_grading(
    actor, record: GradingRecord, *, approve: bool, opinion: str = ""
) -> GradingRecord:
    """定级审核: an approved level applies at once — to the working copy and, for a
    published entry, to its publication (the gateway masks by it from the next call) — and
    to every entry derived from it (就高从严). A rejection needs an opinion."""
    access.check(actor, record, REVIEW_GRADING)
    reviewer = _user(actor)
    current = GradingRecord.objects.select_for_update().get(pk=record.pk)
    if current.status != GradingStatus.PROPOSED:
        raise workflow.Conflict(_("该定级建议已被审核，请刷新后重试"))
    opinion = _text(opinion)
    if not approve and not opinion:
        raise ValidationError(
            {"opinion": ValidationError(_("驳回须填写审核意见"), code="required")}
        )
    now = timezone.now()
    entry = _locked(current.entry)
    changed: list[CatalogueEntry] = []
    if approve:
        if current.item_code:
            item = entry.items.filter(code=current.item_code).first()
            if item is not None:
                _check_item_grade(item, current.to_grade)
                item.grade = current.to_grade
                item.impact_object = current.impact_object
                item.impact_degree = current.impact_degree
                item.grade_basis = current.basis
                item.graded_by, item.graded_at = reviewer, now
                item.save()
            published_items = snapshots.items_of(entry)
            shown = next((i for i in published_items if i.get("code") == current.item_code), None)
            if shown is not None:
                _check_item_grade(shown, current.to_grade)
                entry.published = {
                    **entry.published,
                    "items": [
                        {
                            **i,
                            "grade": current.to_grade,
                            "impact_object": current.impact_object,
                            "impact_degree": current.impact_degree,
                            "grade_basis": current.basis,
                        }
                        if i.get("code") == current.item_code
                        else i
                        for i in published_items
                    ],
                }
                entry.save(update_fields=["published"])
            elif item is None:
                raise ValidationError(
                    {"item_code": [_("该信息项已不存在：%(code)s") % {"code": current.item_code}]}
                )
        else:
            _check_entry_grade(entry, current.to_grade)
            entry.impact_object = current.impact_object
            entry.impact_degree = current.impact_degree
            entry.grade_basis = current.basis
            entry.save(update_fields=["impact_object", "impact_degree", "grade_basis"])
    current.status = GradingStatus.APPROVED if approve else GradingStatus.REJECTED
    current.reviewed_by, current.reviewed_at = reviewer, now
    current.review_opinion = opinion
    current.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_opinion"])
    if approve:
        before = (entry.published or {}).get("grade") or entry.grade
        old_working = entry.grade
        floor = _entry_floor(entry)
        entry.grade = working_grade(entry, floor=floor)
        grade_now = published_grade(entry, floor=floor)
        if current.item_code and (grade_now or entry.grade) != before:
            _record_automatic(
                actor,
                entry,
                before=before if grade_now else old_working,
                after=grade_now or entry.grade,
                basis=_("就高从严：信息项 %(code)s 的级别调整") % {"code": current.item_code},
            )
        problem = _core_conflict(entry, entry.grade) or (
            _core_conflict(entry, grade_now) if grade_now else None
        )
        if problem:
            raise ValidationError({"to_grade": ValidationError(problem, code="core_shared")})
        if grade_now is not None:
            entry.published = {**entry.published, "grade": grade_now}
        entry.graded_by, entry.graded_at = reviewer, now
        _bump(entry, "grade", "published", "graded_by", "graded_at")
        if (grade_now or entry.grade) != before:
            changed = _cascade(actor, entry, reason=entry.code)
        search.reindex(entry)
        for other in changed:
            search.reindex(other)
    audit.record(
        actor,
        "data.catalog.grading.review",
        current,
        details={
            "entry": entry.code,
            "item": current.item_code,
            "approved": bool(approve),
            "to": current.to_grade,
            "derived_regraded": [e.code for e in changed],
        },
    )
    events.publish(
        "data.catalog.regraded" if approve else "data.catalog.grading_rejected",
        {
            "record": current.pk,
            "entry": entry.pk,
            "code": entry.code,
            "item": current.item_code,
            "grade": entry.grade,
            "derived": [e.pk for e in changed],
        },
        key=entry.code,
    )
    return current


def is_automatic(record: GradingRecord) -> bool:
    """A record of a change by rule (就高从严, publication review) rather than a proposal."""
    return not record.impact_object and record.status == GradingStatus.APPROVED


# --------------------------------------------------------------------------- classifications


def load_classifications(path=None) -> int:
    """Load the classification tree (类 / 项 / 目 / 细目) from ``path`` (default: the shipped
    ``data/classifications.yaml``); idempotent: existing codes are updated in place.
    Returns the number of classifications created."""
    import yaml

    source = Path(path) if path else CLASSIFICATIONS_FILE
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    nodes = data.get("classifications", data) if isinstance(data, dict) else data
    created = 0

    def walk(rows, parent, kind):
        nonlocal created
        for order, row in enumerate(rows or (), start=1):
            code = str(row["code"]).strip()
            node_kind = row.get("kind") or kind
            if node_kind not in CatalogueKind.values:
                raise ValidationError(_("分类 %(code)s 的目录类别不正确") % {"code": code})
            obj, made = Classification.objects.update_or_create(
                code=code,
                defaults={
                    "name": str(row["name"]).strip(),
                    "parent": parent,
                    "kind": node_kind,
                    "sort_order": row.get("sort_order", order),
                },
            )
            created += int(made)
            walk(row.get("children"), obj, node_kind)

    with transaction.atomic():
        walk(nodes, None, None)
        if created:
            audit.record(
                access.SYSTEM,
                "data.catalog.classifications.load",
                "datacatalog.classification",
                details={"created": created, "file": source.name},
            )
    return created
