"""数据质量 use cases: the providing department keeps quality rules per 信息项 of its entries,
runs checks (by hand, or the daily sweep), and fixes or dismisses the problems found.

Who: ``dataquality.manage`` on the entry's provider (rules, runs) or on the issue's owner
(issues); the data authority holds it on the city and may run any check.

Issues of a new run supersede those of the last one, per (rule, record):

* a record that still fails keeps its open issue — relinked to the new run, message
  refreshed, first-found time kept — so a problem is never listed twice;
* an open issue whose record now passes (or no longer exists) becomes 已整改 by the run;
* a (rule, record) the owner marked 不属问题 is not raised again (it still counts in the
  score: change the rule if it is wrong);
* a rule that could not be checked this time (its item removed, its referenced entry
  withdrawn or no longer granted — ``by_rule[].note``) leaves its issues as they are;
* new issues are stored up to ``DATA_QUALITY_MAX_ISSUES_PER_RULE`` open issues per rule
  (default 200); the run's ``by_rule`` says when a rule was capped.

A run with new issues tells the provider's data administrators (``notifications``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.catalog.models import CatalogueEntry, EntryStatus
from shuzheng.data.quality import checker
from shuzheng.data.quality.models import (
    IssueStatus,
    QualityIssue,
    QualityRule,
    QualityRun,
    RuleKind,
    Severity,
)
from shuzheng.foundation import access, events, workflow
from shuzheng.foundation.trust import audit

log = logging.getLogger(__name__)

MANAGE = "dataquality.manage"
EDITABLE = ("item_code", "kind", "params", "severity", "description", "enabled")
PATTERN_MAX = 500
VALUES_MAX = 1000
VALUE_MAX = 200
MAX_AGE_DAYS_MAX = 3660
RESOLUTION_MAX = 2000
DESCRIPTION_MAX = QualityRule._meta.get_field("description").max_length
# which params each kind takes (anything else is refused)
PARAM_KEYS = {
    RuleKind.REQUIRED: (),
    RuleKind.PATTERN: ("pattern",),
    RuleKind.VALUE_SET: ("values",),
    RuleKind.RANGE: ("min", "max"),
    RuleKind.UNIQUE: (),
    RuleKind.REFERENCE: ("entry", "item"),
    RuleKind.TIMELINESS: ("max_age_days",),
    RuleKind.ID_NUMBER: ("type",),
}


def max_issues_per_rule() -> int:
    return int(getattr(settings, "DATA_QUALITY_MAX_ISSUES_PER_RULE", 200))


def irregular_days() -> int:
    """How often the sweep checks an entry updated 不定期."""
    return int(getattr(settings, "DATA_QUALITY_IRREGULAR_DAYS", 30))


# --------------------------------------------------------------------------- validation


class _Errors:
    def __init__(self):
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _number_or_date(value, data_type: str, field: str, errors: _Errors):
    """A range bound: a number for N/I/Y items, an ISO date (or datetime) for D/T items."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.add(field, _("应为数值或日期"), "invalid")
        return None
    if data_type in checker.DATE_TYPES:
        parsed = checker.as_moment(value, data_type) if isinstance(value, str) else None
        if parsed is None:
            errors.add(field, _("应为日期，格式 YYYY-MM-DD"), "invalid")
            return None
        return parsed
    parsed = checker.as_number(value)
    if parsed is None:
        errors.add(field, _("应为数值"), "invalid")
    return parsed


def _pattern_params(entry, item, params, errors: _Errors) -> dict:
    pattern = params.get("pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        errors.add("params.pattern", _("请填写正则表达式"), "required")
        return {}
    if len(pattern) > PATTERN_MAX:
        errors.add("params.pattern", _("不能超过 %(n)s 个字符") % {"n": PATTERN_MAX}, "max_length")
        return {}
    try:
        re.compile(pattern)
    except re.error as exc:
        errors.add("params.pattern", _("正则表达式有误：%(error)s") % {"error": exc}, "invalid")
        return {}
    return {"pattern": pattern}


def _value_set_params(entry, item, params, errors: _Errors) -> dict:
    values = params.get("values")
    if not isinstance(values, list | tuple) or not values:
        errors.add("params.values", _("请至少填写一个允许的取值"), "required")
        return {}
    if len(values) > VALUES_MAX:
        errors.add("params.values", _("取值不能超过 %(n)s 个") % {"n": VALUES_MAX}, "max_length")
        return {}
    texts = []
    for value in values:
        if value is None or isinstance(value, dict | list | tuple | bool):
            errors.add("params.values", _("取值应为文本或数值"), "invalid")
            return {}
        value = str(value).strip()
        if not value or len(value) > VALUE_MAX:
            errors.add(
                "params.values", _("每个取值应为 1–%(n)s 个字符") % {"n": VALUE_MAX}, "invalid"
            )
            return {}
        texts.append(value)
    return {"values": list(dict.fromkeys(texts))}


def _range_params(entry, item, params, errors: _Errors) -> dict:
    data_type = (item or {}).get("data_type", "")
    if item is not None and data_type not in checker.NUMBER_TYPES + checker.DATE_TYPES:
        errors.add("item_code", _("取值范围只适用于数值型或日期型信息项"), "invalid")
        return {}
    raw = {key: params.get(key) for key in ("min", "max")}
    if all(v in (None, "") for v in raw.values()):
        errors.add("params.min", _("请至少填写下限或上限"), "required")
        return {}
    low = _number_or_date(raw["min"], data_type, "params.min", errors)
    high = _number_or_date(raw["max"], data_type, "params.max", errors)
    if low is not None and high is not None and low > high:
        errors.add("params.max", _("上限不能小于下限"), "min_gt_max")
    return {
        key: value.strip() if isinstance(value, str) else value
        for key, value in raw.items()
        if value not in (None, "")
    }


def _reference_params(entry, item, params, errors: _Errors) -> dict:
    code = str(params.get("entry") or "").strip()
    ref_item = str(params.get("item") or "").strip()
    if not code:
        errors.add("params.entry", _("请填写参照目录的信息资源代码"), "required")
    if not ref_item:
        errors.add("params.item", _("请填写参照信息项"), "required")
    if not code:
        return {}
    ref = CatalogueEntry.objects.filter(code=code).first()
    if ref is None or ref.status == EntryStatus.WITHDRAWN:
        errors.add(
            "params.entry",
            _("没有信息资源代码为 %(code)s 的目录（或已下线）") % {"code": code},
            "invalid_choice",
        )
        return {}
    if not ref_item:
        return {}
    if ref_item not in checker.items_by_code(ref):
        errors.add(
            "params.item",
            _("目录 %(code)s 没有信息项 %(item)s") % {"code": code, "item": ref_item},
            "invalid_choice",
        )
        return {}
    if ref.pk == entry.pk and item is not None and ref_item == item.get("code"):
        errors.add("params.item", _("不能参照信息项自身"), "invalid")
        return {}
    if not checker.reference_allowed(entry, ref, ref_item):
        errors.add(
            "params.entry",
            _("只能参照本部门的目录，或本部门已获共享授权（含该信息项）的目录"),
            "not_granted",
        )
        return {}
    return {"entry": code, "item": ref_item}


def _timeliness_params(entry, item, params, errors: _Errors) -> dict:
    if item is not None and item.get("data_type") not in checker.DATE_TYPES:
        errors.add("item_code", _("及时性规则只适用于日期型信息项"), "invalid")
    raw = params.get("max_age_days")
    if raw in (None, ""):
        if checker.cycle_days(entry) is None:
            errors.add(
                "params.max_age_days",
                _("该目录的更新周期为不定期，请填写最长间隔天数"),
                "required",
            )
        return {}
    try:
        days = int(str(raw).strip())
    except (TypeError, ValueError):
        errors.add("params.max_age_days", _("应为整数"), "invalid")
        return {}
    if not 0 < days <= MAX_AGE_DAYS_MAX:
        errors.add(
            "params.max_age_days", _("应在 1 到 %(n)s 之间") % {"n": MAX_AGE_DAYS_MAX}, "invalid"
        )
        return {}
    return {"max_age_days": days}


ID_NUMBER_TYPES = ("resident_id", "uscc")


def _id_number_params(entry, item, params, errors: _Errors) -> dict:
    if item is not None and item.get("data_type") not in ("C", "M"):
        errors.add("item_code", _("证件号码校验只适用于字符型信息项"), "invalid")
    kind = params.get("type") or "resident_id"
    if kind not in ID_NUMBER_TYPES:
        errors.add(
            "params.type", _("应为 resident_id（居民身份证）或 uscc（统一社会信用代码）"), "invalid"
        )
        return {}
    return {"type": kind} if kind != "resident_id" else {}


PARAM_CLEANERS = {
    RuleKind.PATTERN: _pattern_params,
    RuleKind.VALUE_SET: _value_set_params,
    RuleKind.RANGE: _range_params,
    RuleKind.REFERENCE: _reference_params,
    RuleKind.TIMELINESS: _timeliness_params,
    RuleKind.ID_NUMBER: _id_number_params,
}


def _clean_params(entry, kind: str, item: dict | None, params, errors: _Errors) -> dict:
    """The kind's params checked (numbers or dates by the item's data type, a pattern that
    compiles, a referenced entry and item that exist …); unknown keys refused."""
    if params in (None, ""):
        params = {}
    if not isinstance(params, dict):
        errors.add("params", _("规则参数应为 JSON 对象"), "invalid")
        return {}
    unknown = sorted(set(params) - set(PARAM_KEYS.get(kind, ())))
    if unknown:
        errors.add(
            "params",
            _("该类规则不支持这些参数：%(keys)s") % {"keys": ", ".join(unknown)},
            "unknown",
        )
    cleaner = PARAM_CLEANERS.get(kind)
    return cleaner(entry, item, params, errors) if cleaner else {}


def clean_rule(entry: CatalogueEntry, data: dict, *, exclude: int | None = None) -> dict:
    """The rule's fields checked against the entry (its 信息项, the kind's params); every bad
    field reported at once, params by key (``params.pattern``, ``params.min`` …)."""
    errors = _Errors()
    kind = str(data.get("kind") or "")
    if kind not in RuleKind.values:
        errors.add("kind", _("请选择规则类型"), "invalid_choice")
    severity = str(data.get("severity") or Severity.ERROR)
    if severity not in Severity.values:
        errors.add("severity", _("严重程度应为错误或警告"), "invalid_choice")
    description = " ".join(str(data.get("description") or "").split())
    if len(description) > DESCRIPTION_MAX:
        errors.add("description", _("不能超过 %(n)s 个字") % {"n": DESCRIPTION_MAX}, "max_length")
    item_code = str(data.get("item_code") or "").strip()
    items = checker.items_by_code(entry)
    item = None
    if item_code:
        item = items.get(item_code)
        if item is None:
            errors.add(
                "item_code",
                _("目录没有信息项 %(code)s") % {"code": item_code},
                "invalid_choice",
            )
    elif kind and kind != RuleKind.TIMELINESS:
        errors.add("item_code", _("请选择信息项"), "required")
    params = _clean_params(entry, kind, item, data.get("params"), errors) if kind else {}
    enabled = data.get("enabled", True)
    if isinstance(enabled, str):
        enabled = enabled.strip().lower() in ("1", "true", "on", "yes")
    errors.raise_if_any()
    same = QualityRule.objects.filter(entry=entry, item_code=item_code, kind=kind, params=params)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        errors.add("kind", _("该信息项已有相同的规则"), "duplicate")
        errors.raise_if_any()
    return {
        "item_code": item_code,
        "kind": kind,
        "params": params,
        "severity": severity,
        "description": description,
        "enabled": bool(enabled),
    }


# --------------------------------------------------------------------------- rules


def _person(actor):
    return actor if getattr(actor, "pk", None) and actor is not access.SYSTEM else None


def _revision(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            {"revision": ValidationError(_("缺少修订号，请刷新后重试"), code="required")}
        ) from None


def _event(kind: str, rule: QualityRule) -> None:
    events.publish(
        f"data.quality.rule_{kind}",
        {"rule": rule.pk, "entry": rule.entry_id, "kind": rule.kind, "item": rule.item_code},
        key=str(rule.entry_id),
    )


@transaction.atomic
def create_rule(
    actor,
    *,
    entry: CatalogueEntry,
    kind: str,
    item_code: str = "",
    params: dict | None = None,
    severity: str = Severity.ERROR,
    description: str = "",
    enabled: bool = True,
) -> QualityRule:
    """新增质量规则 on one 信息项 (or, for timeliness, the entry itself)."""
    access.check(actor, entry, MANAGE)
    if entry.status == EntryStatus.WITHDRAWN:
        raise ValidationError({"entry": _("已下线的目录不能设置质量规则")})
    values = clean_rule(
        entry,
        {
            "kind": kind,
            "item_code": item_code,
            "params": params,
            "severity": severity,
            "description": description,
            "enabled": enabled,
        },
    )
    owner = _person(actor)
    rule = QualityRule.objects.create(
        entry=entry, created_by=owner or entry.created_by, revision=1, **values
    )
    audit.record(
        actor,
        "data.quality.rule.create",
        rule,
        details={"entry": entry.code, **{k: values[k] for k in ("kind", "item_code", "params")}},
    )
    _event("created", rule)
    return rule


def _locked(rule: QualityRule) -> QualityRule:
    return QualityRule.objects.select_for_update().select_related("entry").get(pk=rule.pk)


def _bump(current: QualityRule, seen: int) -> None:
    """The optimistic lock: only the revision the editor saw may be replaced."""
    if not QualityRule.objects.filter(pk=current.pk, revision=seen).update(
        revision=F("revision") + 1
    ):
        raise workflow.Conflict(_("该质量规则已被他人修改，请刷新后重试"))
    current.revision = seen + 1


def _refresh(rule: QualityRule, fresh: QualityRule) -> QualityRule:
    for f in QualityRule._meta.concrete_fields:
        setattr(rule, f.attname, getattr(fresh, f.attname))
    return rule


@transaction.atomic
def update_rule(actor, rule: QualityRule, *, revision, **fields) -> QualityRule:
    """修改质量规则: the fields given replace the rule's; ``revision`` is what the editor saw
    (someone saved in between → ``workflow.Conflict``, nothing written)."""
    access.check(actor, rule, MANAGE)
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise TypeError(f"unknown quality rule fields: {', '.join(unknown)}")
    seen = _revision(revision)
    current = _locked(rule)
    _bump(current, seen)  # a stale form is a conflict before it is anything else
    data = {name: getattr(current, name) for name in EDITABLE}
    data.update(fields)
    values = clean_rule(current.entry, data, exclude=current.pk)
    changed = sorted(n for n, v in values.items() if getattr(current, n) != v)
    for name, value in values.items():
        setattr(current, name, value)
    current.save(update_fields=[*EDITABLE])
    audit.record(
        actor,
        "data.quality.rule.update",
        current,
        details={"entry": current.entry.code, "revision": current.revision, "changed": changed},
    )
    _event("updated", current)
    return _refresh(rule, current)


def set_rule_enabled(actor, rule: QualityRule, *, enabled: bool, revision) -> QualityRule:
    """启用 / 停用 a rule (a stopped rule is not checked; its open issues stay as they are)."""
    return update_rule(actor, rule, revision=revision, enabled=bool(enabled))


@transaction.atomic
def delete_rule(actor, rule: QualityRule, *, revision) -> None:
    """删除质量规则 with its issues (past runs keep their figures in ``by_rule``). Prefer
    停用 to keep the problem history."""
    access.check(actor, rule, MANAGE)
    seen = _revision(revision)
    current = _locked(rule)
    _bump(current, seen)
    details = {
        "entry": current.entry.code,
        "kind": current.kind,
        "item_code": current.item_code,
        "issues": current.issues.count(),
    }
    audit.record(actor, "data.quality.rule.delete", current, details=details)
    events.publish(
        "data.quality.rule_deleted",
        {"rule": current.pk, "entry": current.entry_id},
        key=str(current.entry_id),
    )
    current.delete()


# --------------------------------------------------------------------------- runs


def _by_rule(outcome: checker.RuleResult, **counts) -> dict:
    rule = outcome.rule
    return {
        "rule": rule.pk,
        "kind": rule.kind,
        "item_code": rule.item_code,
        "item_name": outcome.item_name,
        "severity": rule.severity,
        "checks": outcome.checks,
        "failures": outcome.failures,
        "note": outcome.note,
        **counts,
    }


def _supersede(run: QualityRun, outcome: checker.RuleResult, now, cap: int) -> dict:
    """Apply this run's verdict for one rule to the issues (see the module docstring);
    returns the counts for ``by_rule``."""
    rule = outcome.rule
    if outcome.note:  # not checked this time: its problems stay as they are
        still_open = QualityIssue.objects.filter(rule=rule, status=IssueStatus.OPEN).count()
        return {"new": 0, "open": still_open, "fixed": 0, "capped": False, "not_stored": 0}
    open_issues = {
        issue.record_id: issue
        for issue in QualityIssue.objects.filter(rule=rule, status=IssueStatus.OPEN).order_by("pk")
    }
    still, gone = [], []
    for record_id, issue in open_issues.items():
        if record_id in outcome.failing:
            issue.run = run
            issue.message = outcome.message(record_id)
            still.append(issue)
        else:
            gone.append(issue.pk)
    if still:
        QualityIssue.objects.bulk_update(still, ["run", "message"], batch_size=500)
    if gone:
        QualityIssue.objects.filter(pk__in=gone).update(
            status=IssueStatus.FIXED,
            resolved_at=now,
            resolution=_("复查通过（%(at)s 的质量检查）")
            % {"at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")},
        )
    dismissed = set(
        QualityIssue.objects.filter(rule=rule, status=IssueStatus.DISMISSED).values_list(
            "record_id", flat=True
        )
    )
    candidates = [r for r in outcome.failing if r not in open_issues and r not in dismissed]
    room = max(0, cap - len(still))
    new = [
        QualityIssue(
            run=run,
            entry_id=run.entry_id,
            owner_id=run.entry.provider_id,
            rule=rule,
            record_id=record_id,
            item_code=rule.item_code,
            message=outcome.message(record_id),
            created_at=now,
        )
        for record_id in candidates[:room]
    ]
    QualityIssue.objects.bulk_create(new, batch_size=500)
    return {
        "new": len(new),
        "open": len(still) + len(new),
        "fixed": len(gone),
        "capped": len(candidates) > room,
        "not_stored": max(0, len(candidates) - room),
    }


def run_check(actor, entry: CatalogueEntry, *, now=None) -> QualityRun:
    """发起质量检查: evaluate the entry's enabled rules over its stored rows, record the run
    and its score, supersede the last run's issues, tell the owner about new ones. The rows
    are read before the writing transaction; the run, its issues, the audit record and the
    events are written together."""
    access.check(actor, entry, MANAGE)
    rules = list(entry.quality_rules.filter(enabled=True).order_by("pk"))
    if not rules:
        raise ValidationError({"rules": _("该目录还没有启用的质量规则")})
    started = now or timezone.now()
    clock = time.monotonic()
    result = checker.check(entry, rules, now=started)
    finished = started + dt.timedelta(seconds=time.monotonic() - clock)
    cap = max_issues_per_rule()
    with transaction.atomic():
        # one run at a time per entry: the supersede step reads what the last run left
        CatalogueEntry.objects.select_for_update().filter(pk=entry.pk).first()
        run = QualityRun.objects.create(
            entry=entry,
            started_at=started,
            finished_at=finished,
            records_checked=result.records,
            checks=result.checks,
            failures=result.failures,
            score=result.score,
            triggered_by=_person(actor),
        )
        run.entry = entry
        by_rule = [_by_rule(o, **_supersede(run, o, started, cap)) for o in result.rules]
        run.by_rule = by_rule
        run.save(update_fields=["by_rule"])
        new = sum(r["new"] for r in by_rule)
        open_total = sum(r["open"] for r in by_rule)
        fixed = sum(r["fixed"] for r in by_rule)
        summary = {
            "entry": entry.code,
            "records": result.records,
            "checks": result.checks,
            "failures": result.failures,
            "score": str(run.score) if run.score is not None else None,
            "new_issues": new,
            "open_issues": open_total,
            "fixed_issues": fixed,
            "capped_rules": [r["rule"] for r in by_rule if r["capped"]],
        }
        audit.record(actor, "data.quality.run", run, details=summary)
        payload = {
            "entry": entry.pk,
            "run": run.pk,
            "owner": entry.provider_id,
            "score": summary["score"],
            "checks": result.checks,
            "failures": result.failures,
            "new_issues": new,
            "open_issues": open_total,
            "fixed_issues": fixed,
            "scheduled": _person(actor) is None,
        }
        events.publish("data.quality.checked", payload, key=str(entry.pk))
        if new:
            events.publish("data.quality.issues_found", payload, key=str(entry.pk))
    return run


def due_entries(now=None) -> list[CatalogueEntry]:
    """Entries the sweep should check now: not withdrawn, with an enabled rule, and never
    checked or last checked at least their 更新周期 ago (in local calendar days; a day for
    实时 / 每日, ``DATA_QUALITY_IRREGULAR_DAYS`` for 不定期)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    enabled = QualityRule.objects.filter(entry=OuterRef("pk"), enabled=True)
    candidates = (
        CatalogueEntry.objects.exclude(status=EntryStatus.WITHDRAWN)
        .filter(Exists(enabled))
        .annotate(last_run=Max("quality_runs__started_at"))
        .select_related("provider")
        .order_by("pk")
    )
    due = []
    for entry in candidates:
        days = checker.cycle_days(entry) or irregular_days()
        if (
            entry.last_run is None
            or (today - timezone.localtime(entry.last_run).date()).days >= days
        ):
            due.append(entry)
    return due


def run_due(now=None) -> int:
    """The scheduled sweep: check every due entry as the system; one entry's failure is
    logged and does not stop the others. Returns how many runs were made."""
    made = 0
    for entry in due_entries(now):
        try:
            run_check(access.SYSTEM, entry, now=now)
        except Exception:  # noqa: BLE001 — keep sweeping; the log says which entry failed
            log.exception("data quality check of entry %s failed", entry.code)
            continue
        made += 1
    return made


# --------------------------------------------------------------------------- issues

RESOLVED_STATES = (IssueStatus.FIXED, IssueStatus.DISMISSED)


@transaction.atomic
def resolve_issue(
    actor, issue: QualityIssue, *, status: str, resolution: str = "", revision=None
) -> QualityIssue:
    """整改 (已整改) or 不属问题: an open issue is closed with what was done or why it is
    not a problem (the reason is required for 不属问题). An issue closed meanwhile — by
    someone else or by a re-run — answers ``workflow.Conflict``. (``revision`` is accepted
    for symmetry with the other writes: an issue's only version is its status.)"""
    access.check(actor, issue, MANAGE)
    errors = _Errors()
    if status not in RESOLVED_STATES:
        errors.add("status", _("请选择已整改或不属问题"), "invalid_choice")
    resolution = str(resolution or "").strip()
    if status == IssueStatus.DISMISSED and not resolution:
        errors.add("resolution", _("请说明不属问题的理由"), "required")
    if len(resolution) > RESOLUTION_MAX:
        errors.add("resolution", _("不能超过 %(n)s 个字") % {"n": RESOLUTION_MAX}, "max_length")
    errors.raise_if_any()
    current = QualityIssue.objects.select_for_update().get(pk=issue.pk)
    if current.status != IssueStatus.OPEN:
        raise workflow.Conflict(_("该问题已被处理，请刷新后查看"))
    current.status = status
    current.resolution = resolution
    current.resolved_by = _person(actor)
    current.resolved_at = timezone.now()
    current.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    audit.record(
        actor,
        "data.quality.issue.resolve",
        current,
        details={"entry": current.entry_id, "rule": current.rule_id, "status": status},
    )
    events.publish(
        "data.quality.issue_resolved",
        {"issue": current.pk, "entry": current.entry_id, "status": status},
        key=str(current.entry_id),
    )
    for f in ("status", "resolution", "resolved_by_id", "resolved_at"):
        setattr(issue, f, getattr(current, f))
    return issue
