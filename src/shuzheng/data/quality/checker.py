"""The checker: evaluates an entry's enabled rules over the rows of the platform store and
says, per rule, how many checks it made and which records failed — nothing is written here
(``services.run_check`` stores the run and its issues).

Conventions (documented for the owners reading the scores):

* ``required`` counts one check per record; every other per-record rule checks only the
  records whose value is filled — an empty value is the ``required`` rule's business.
* ``unique``: the first record with a value passes, every later record with the same value
  fails (one issue per duplicate after the first).
* ``reference``: the referenced entry's values of its item are read once per run; only the
  provider's own entries or entries it holds an active sharing grant for (with that item)
  may be referenced — otherwise the rule is not checked and the run notes why.
* ``timeliness`` on an item: a date older than ``max_age_days`` (default: the entry's 更新周期)
  fails; without an item it is one entry-level check on the entry's ``data_updated_at``.
* ``id_number``: GB 11643 (居民身份证), or with ``{"type": "uscc"}`` GB 32100 (统一社会信用代码),
  through ``foundation.identity.validators``.

A failure carries a reason code and the record's position, never the value: messages name
the record (its store id) and the 信息项, because the value may be an ID number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.catalog import snapshot, store
from shuzheng.data.catalog.models import UPDATE_CYCLE_DAYS, CatalogueEntry, EntryStatus
from shuzheng.data.quality.models import RuleKind, Severity

NUMBER_TYPES = ("N", "I", "Y")
DATE_TYPES = ("D", "T")
WEIGHTS = {Severity.ERROR: Decimal(1), Severity.WARNING: Decimal("0.5")}
SKIP = object()  # the rule does not look at this record (an empty value)


# --------------------------------------------------------------------------- values


def filled(value) -> bool:
    return value is not None and str(value).strip() != ""


def text(value) -> str:
    return str(value).strip()


def as_number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(text(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def as_moment(value, data_type: str = "D"):
    """A date (``D``) or a naive local datetime (``T``) from a date / datetime or its ISO
    text (``2024-01-31``, ``20240131``, ``2024-01-31T08:00:00+08:00``); ``None`` if it is
    not one."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        raw = text(value) if value is not None else ""
        if not raw:
            return None
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            try:
                moment = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
            except ValueError:
                return None
    if timezone.is_aware(moment):
        moment = timezone.make_naive(moment, timezone.get_current_timezone())
    return moment.date() if data_type != "T" else moment


def cycle_days(entry: CatalogueEntry) -> int | None:
    """The entry's 更新周期 in days (``None``: 不定期)."""
    return UPDATE_CYCLE_DAYS.get(entry.update_cycle)


def items_by_code(entry: CatalogueEntry) -> dict[str, dict]:
    """The 信息项 rules may name: the published ones once the entry has been published,
    else the working copy (a draft's rules are written against what it will publish)."""
    if entry.published:
        return {item["code"]: item for item in snapshot.items_of(entry)}
    return {item.code: snapshot.item_dict(item) for item in entry.items.all()}


# --------------------------------------------------------------------------- results


@dataclass
class RuleResult:
    rule: object
    item_name: str = ""
    checks: int = 0
    note: str = ""  # why the rule could not be checked this time
    # record id (None: the entry itself) → (reason, message params), in record order
    failing: dict = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return len(self.failing)

    @property
    def weight(self) -> Decimal:
        return WEIGHTS.get(self.rule.severity, Decimal(1))

    def message(self, record_id) -> str:
        reason, params = self.failing[record_id]
        return describe(self.rule, self.item_name, reason, params)


@dataclass
class Result:
    records: int = 0
    rules: list[RuleResult] = field(default_factory=list)

    @property
    def checks(self) -> int:
        return sum(r.checks for r in self.rules)

    @property
    def failures(self) -> int:
        return sum(r.failures for r in self.rules)

    @property
    def score(self) -> Decimal | None:
        return score(self.rules)


def score(results: list[RuleResult]) -> Decimal | None:
    """100 × (1 − weighted failures / checks): an error counts 1, a warning 0.5; no checks,
    no score."""
    checks = sum(r.checks for r in results)
    if not checks:
        return None
    weighted = sum((r.weight * r.failures for r in results), Decimal(0))
    value = Decimal(100) * (Decimal(1) - weighted / Decimal(checks))
    return max(value, Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- messages

# the validators' error codes an ID-number failure is reported by (their messages may
# quote digits of the number, so they are never shown)
ID_PROBLEMS = frozenset({"checksum", "length", "format", "birth_date", "region"})


def _problem(reason: str, params: dict) -> str:
    """What is wrong, without the value."""
    problems = {
        "empty": _("为空"),
        "pattern": _("不符合格式要求"),
        "value_set": _("不在规定的值域内"),
        "below": _("小于下限 %(min)s"),
        "above": _("大于上限 %(max)s"),
        "not_number": _("不是有效的数值"),
        "not_date": _("不是有效的日期"),
        "duplicate": _("与第 %(first)s 条记录重复"),
        "reference": _("在参照目录 %(entry)s 的“%(ref_item)s”中不存在"),
        "stale": _("距今已超过 %(days)s 天"),
        "checksum": _("校验位错误"),
        "length": _("位数错误"),
        "format": _("含有非法字符或格式错误"),
        "birth_date": _("出生日期无效"),
        "region": _("地区代码无效"),
    }
    return problems.get(reason, _("不符合规则")) % params


def describe(rule, item_name: str, reason: str, params: dict) -> str:
    """The issue's message: the record's position and store id, the 信息项 and what is wrong
    (e.g. "第 3 条记录（存储编号 41）公民身份号码 校验位错误") — never the value."""
    if reason == "entry_stale":
        return _("数据最近更新于 %(at)s，已超过 %(days)s 天未更新") % params
    if reason == "entry_empty":
        return _("平台库中尚无数据更新记录（应每 %(days)s 天更新）") % params
    message = _("第 %(n)s 条记录（存储编号 %(id)s）%(item)s %(problem)s") % {
        "n": params["n"],
        "id": params["id"],
        "item": item_name or rule.item_code,
        "problem": _problem(reason, params),
    }
    return message[:300]


# --------------------------------------------------------------------------- evaluators

# evaluator(value, n) → None (pass), SKIP, or (reason, params)
Evaluator = Callable[[object, int], object]


def _required(rule, item, ctx) -> Evaluator:
    return lambda value, n: None if filled(value) else ("empty", {})


def _pattern(rule, item, ctx) -> Evaluator:
    compiled = re.compile(rule.params.get("pattern", ""))

    def evaluate(value, n):
        if not filled(value):
            return SKIP
        return None if compiled.fullmatch(text(value)) else ("pattern", {})

    return evaluate


def _value_set(rule, item, ctx) -> Evaluator:
    allowed = {text(v) for v in rule.params.get("values", [])}

    def evaluate(value, n):
        if not filled(value):
            return SKIP
        return None if text(value) in allowed else ("value_set", {})

    return evaluate


def _range(rule, item, ctx) -> Evaluator:
    data_type = item.get("data_type", "N")
    low, high = rule.params.get("min"), rule.params.get("max")
    if data_type in DATE_TYPES:
        parse, bad = (lambda v: as_moment(v, data_type)), "not_date"
    else:
        parse, bad = as_number, "not_number"
    low_v = parse(low) if filled(low) else None
    high_v = parse(high) if filled(high) else None
    shown = {"min": low if filled(low) else "—", "max": high if filled(high) else "—"}

    def evaluate(value, n):
        if not filled(value):
            return SKIP
        got = parse(value)
        if got is None:
            return bad, {}
        if low_v is not None and got < low_v:
            return "below", shown
        if high_v is not None and got > high_v:
            return "above", shown
        return None

    return evaluate


def _unique(rule, item, ctx) -> Evaluator:
    first: dict[str, int] = {}

    def evaluate(value, n):
        if not filled(value):
            return SKIP
        key = text(value)
        if key in first:
            return "duplicate", {"first": first[key]}
        first[key] = n
        return None

    return evaluate


def _reference(rule, item, ctx) -> Evaluator:
    code, ref_item = rule.params.get("entry", ""), rule.params.get("item", "")
    values, label = ctx.reference_values(ctx.reference(code, ref_item), ref_item)

    def evaluate(value, n):
        if not filled(value):
            return SKIP
        if text(value) in values:
            return None
        return "reference", {"entry": code, "ref_item": label}

    return evaluate


def _timeliness(rule, item, ctx) -> Evaluator:
    days = max_age_days(rule, ctx.entry)
    data_type = item.get("data_type", "D")
    today = timezone.localtime(ctx.now).date()

    def evaluate(value, n):
        if not filled(value) or days is None:
            return SKIP
        moment = as_moment(value, data_type)
        if moment is None:
            return "not_date", {}
        day = moment.date() if isinstance(moment, dt.datetime) else moment
        return ("stale", {"days": days}) if (today - day).days > days else None

    return evaluate


def _id_number(rule, item, ctx) -> Evaluator:
    from shuzheng.foundation.identity.validators import normalize_resident_id, normalize_uscc

    normalize = (
        normalize_uscc if (rule.params or {}).get("type") == "uscc" else normalize_resident_id
    )

    def evaluate(value, n):
        if not filled(value):
            return SKIP
        try:
            normalize(text(value))
        except ValidationError as exc:
            code = exc.code if exc.code in ID_PROBLEMS else "format"
            return code, {}
        return None

    return evaluate


EVALUATORS = {
    RuleKind.REQUIRED: _required,
    RuleKind.PATTERN: _pattern,
    RuleKind.VALUE_SET: _value_set,
    RuleKind.RANGE: _range,
    RuleKind.UNIQUE: _unique,
    RuleKind.REFERENCE: _reference,
    RuleKind.TIMELINESS: _timeliness,
    RuleKind.ID_NUMBER: _id_number,
}


def reference_allowed(entry: CatalogueEntry, ref: CatalogueEntry, item_code: str, at=None) -> bool:
    """A reference rule reads another entry's values, and its issues tell which records are
    missing there: allowed on the provider's own entries, or on an entry the provider holds
    an active sharing grant for that includes the item — otherwise the check would answer
    "is this person in that department's data?" without a grant."""
    if ref.provider_id == entry.provider_id:
        return True
    from shuzheng.data.sharing.services import active_grant

    grant = active_grant(entry.provider_id, ref.pk, at)
    return grant is not None and item_code in (grant.fields or [])


def max_age_days(rule, entry: CatalogueEntry) -> int | None:
    """A timeliness rule's limit: its own ``max_age_days``, else the entry's 更新周期."""
    given = (rule.params or {}).get("max_age_days")
    if given not in (None, ""):
        return int(given)
    return cycle_days(entry)


class _Context:
    def __init__(self, entry: CatalogueEntry, now):
        self.entry = entry
        self.now = now
        self._allowed: dict[tuple[str, str], CatalogueEntry | None] = {}
        self._references: dict[tuple[int, str], tuple[set, str]] = {}

    def reference(self, code: str, item_code: str):
        """The referenced entry when this entry may still be checked against it (it exists,
        is not withdrawn, has the item, and ``reference_allowed``), else ``None``."""
        key = (code, item_code)
        if key not in self._allowed:
            ref = CatalogueEntry.objects.filter(code=code).first()
            usable = (
                ref is not None
                and ref.status != EntryStatus.WITHDRAWN
                and item_code in items_by_code(ref)
                and reference_allowed(self.entry, ref, item_code, self.now)
            )
            self._allowed[key] = ref if usable else None
        return self._allowed[key]

    def reference_values(self, ref: CatalogueEntry, item_code: str) -> tuple[set[str], str]:
        """The referenced entry's filled values of ``item_code`` (read once per run) and
        the item's name."""
        key = (ref.pk, item_code)
        if key not in self._references:
            values: set[str] = set()
            label = items_by_code(ref).get(item_code, {}).get("name") or item_code
            for _id, row in store.iterate(ref.pk):
                value = row.get(item_code)
                if filled(value):
                    values.add(text(value))
            self._references[key] = (values, label)
        return self._references[key]


def check(entry: CatalogueEntry, rules, *, now=None) -> Result:
    """Evaluate ``rules`` (the entry's enabled rules) over every stored row of ``entry``."""
    now = now or timezone.now()
    ctx = _Context(entry, now)
    items = items_by_code(entry)
    result = Result()
    per_record: list[tuple[RuleResult, Evaluator]] = []
    for rule in rules:
        item = items.get(rule.item_code, {})
        outcome = RuleResult(rule=rule, item_name=item.get("name", ""))
        result.rules.append(outcome)
        if rule.kind == RuleKind.TIMELINESS and not rule.item_code:
            _entry_timeliness(outcome, entry, now)
            continue
        if rule.item_code and not item:
            outcome.note = "item_missing"  # removed since the rule was written
            continue
        if (
            rule.kind == RuleKind.REFERENCE
            and ctx.reference(rule.params.get("entry", ""), rule.params.get("item", "")) is None
        ):
            outcome.note = "reference_unavailable"  # gone, withdrawn or no longer granted
            continue
        per_record.append((outcome, EVALUATORS[rule.kind](rule, item, ctx)))
    for n, (record_id, row) in enumerate(store.iterate(entry.pk), start=1):
        result.records = n
        for outcome, evaluate in per_record:
            verdict = evaluate(row.get(outcome.rule.item_code), n)
            if verdict is SKIP:
                continue
            outcome.checks += 1
            if verdict is not None:
                reason, params = verdict
                outcome.failing[record_id] = (reason, {"n": n, "id": record_id, **params})
    return result


def _entry_timeliness(outcome: RuleResult, entry: CatalogueEntry, now) -> None:
    """One entry-level check: the platform store was updated within the limit."""
    days = max_age_days(outcome.rule, entry)
    if days is None:
        return  # 不定期 and no limit given: nothing to hold the entry to
    outcome.checks = 1
    updated = entry.data_updated_at
    if updated is None:
        outcome.failing[None] = ("entry_empty", {"days": days})
    elif now - updated > dt.timedelta(days=days):
        at = timezone.localtime(updated).strftime("%Y-%m-%d %H:%M")
        outcome.failing[None] = ("entry_stale", {"days": days, "at": at})
