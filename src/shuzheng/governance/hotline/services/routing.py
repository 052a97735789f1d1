"""智能分类与派单: the category and handling unit suggested for a work order's text, and why.

The classifier (``hotline.classify``) is trained on the platform's own labelled history —
orders whose category an operator confirmed or corrected (``category_confirmed``), and for the
unit, orders a unit signed for — and versioned in ``ClassifierModel``; one version is active.
A suggestion takes the model's category, then the handling unit by, in order:

1. the most specific active 派单规则 for the category (or an ancestor) and the place — a grid
   cell's rule before a district's before a city-wide one — whose ``min_confidence`` the
   category's confidence reaches (``by_location`` rules send the order to the district of the
   place: the first step of 三级派单, city → district → street);
2. the model's own unit prediction when it is confident enough
   (``HOTLINE_UNIT_MIN_CONFIDENCE``, default 0.6);
3. the category's 主管单位 (``default_unit``, inherited from the levels above).

Every suggestion says which applied and which words of the text drove the model. The
operator confirms or corrects it when dispatching; the correction is the next training row.
"""

from __future__ import annotations

import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, signals
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shuzheng.foundation import access, events
from shuzheng.foundation.identity.models import Organisation, OrgKind
from shuzheng.foundation.trust import audit
from shuzheng.governance.hotline.classify import model as classifier
from shuzheng.governance.hotline.models import Category, ClassifierModel, RoutingRule, WorkOrder

SEED = 20261130
CACHE_KEY = "hotline:classifier:active"
MIN_TRAINING_ROWS = 10
DISTRICT_KINDS = (OrgKind.DISTRICT, OrgKind.ZONE)


def _setting(name: str, default):
    return getattr(settings, name, default)


def unit_min_confidence() -> float:
    return float(_setting("HOTLINE_UNIT_MIN_CONFIDENCE", 0.6))


def category_min_confidence() -> float:
    """Below this the suggestion is shown as unsure (``confident`` False)."""
    return float(_setting("HOTLINE_CATEGORY_MIN_CONFIDENCE", 0.5))


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


# --------------------------------------------------------------------------- the active model


class LoadedModel:
    """An active classifier version, loaded once per process."""

    def __init__(self, version: int, model: classifier.Model, key: str):
        self.version = version
        self.model = model
        self.key = key


_loaded: dict = {"key": None, "model": None}
_lock = threading.Lock()


def _active_key() -> str:
    """Which version is active ("pk:version:trained-at", "" for none): from the cache,
    else one small query, cached for ``HOTLINE_MODEL_CHECK_SECONDS`` (default 30). Training
    and activation clear it, so this process (and others sharing the cache) switch at once."""
    key = cache.get(CACHE_KEY)
    if key is None:
        row = (
            ClassifierModel.objects.filter(active=True)
            .values_list("pk", "version", "created_at")
            .first()
        )
        key = f"{row[0]}:{row[1]}:{row[2].timestamp():.6f}" if row else ""
        cache.set(CACHE_KEY, key, int(_setting("HOTLINE_MODEL_CHECK_SECONDS", 30)))
    return key


def active_model() -> LoadedModel | None:
    """The active classifier, loaded from its archive once per process and version; None
    when no model has been trained (or activated)."""
    key = _active_key()
    if not key:
        return None
    current = _loaded["model"]
    if current is not None and _loaded["key"] == key:
        return current
    with _lock:
        if _loaded["model"] is not None and _loaded["key"] == key:
            return _loaded["model"]
        pk = int(key.split(":", 1)[0])
        row = ClassifierModel.objects.filter(pk=pk).values_list("version", "archive").first()
        if row is None:  # deleted meanwhile: look again next time
            cache.delete(CACHE_KEY)
            return None
        loaded = LoadedModel(row[0], classifier.loads(bytes(row[1])), key)
        _loaded.update(key=key, model=loaded)
        return loaded


def forget_model() -> None:
    """Drop the process's loaded model and the cached active version (after a change)."""
    cache.delete(CACHE_KEY)
    with _lock:
        _loaded.update(key=None, model=None)


def _switched() -> None:
    """The active version changed in this transaction: forget now (this process sees its
    own writes) and again after commit (a process that looked meanwhile saw the old one)."""
    forget_model()
    transaction.on_commit(forget_model)


# --------------------------------------------------------------------------- reference data

REFS_KEY = "hotline:routing:refs"
_refs: dict = {"token": None, "categories": {}, "rules": []}


def _reference_data() -> tuple[dict[str, Category], list[RoutingRule]]:
    """The active categories (by code, with their parents and units) and the active routing
    rules, loaded once per process and kept while the shared token lives: a save or delete
    of either drops it at once (signals below), another process reloads within
    ``HOTLINE_MODEL_CHECK_SECONDS``. A suggestion then costs no query
    (bench/hotline_classify.py: the two queries were 9.5 of its 12 ms)."""
    token = cache.get(REFS_KEY)
    if token is None:
        token = uuid.uuid4().hex
        cache.set(REFS_KEY, token, int(_setting("HOTLINE_MODEL_CHECK_SECONDS", 30)))
    if _refs["token"] != token:
        with _lock:
            if _refs["token"] != token:
                categories = {
                    c.code: c
                    for c in Category.objects.filter(is_active=True).select_related(
                        "parent__parent",
                        "default_unit",
                        "parent__default_unit",
                        "parent__parent__default_unit",
                    )
                }
                rules = list(
                    RoutingRule.objects.filter(active=True).select_related(
                        "unit", "district", "grid", "category"
                    )
                )
                _refs.update(token=token, categories=categories, rules=rules)
    return _refs["categories"], _refs["rules"]


def forget_reference_data(**_signal) -> None:
    """Categories or rules changed: reload them (here now, elsewhere within the TTL)."""
    cache.delete(REFS_KEY)
    _refs.update(token=None, categories={}, rules=[])


for _model in (Category, RoutingRule):
    signals.post_save.connect(forget_reference_data, sender=_model, dispatch_uid=f"refs-{_model}")
    signals.post_delete.connect(
        forget_reference_data, sender=_model, dispatch_uid=f"refs-del-{_model}"
    )


# --------------------------------------------------------------------------- suggest


def _empty(reason: str) -> dict:
    return {
        "model_version": None,
        "category": None,
        "alternatives": [],
        "unit": None,
        "rule": None,
        "confident": False,
        "words": [],
        "reasons": [reason],
    }


def _as(model, value):
    if value is None or isinstance(value, model):
        return value
    return model.objects.filter(pk=value).first()


def _path(category: Category) -> str:
    names = []
    node = category
    while node is not None:
        names.append(node.name)
        node = node.parent
    return " / ".join(reversed(names))


def _ancestors(category: Category) -> list[Category]:
    chain = []
    node = category
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def _category_dict(category: Category, confidence: float) -> dict:
    return {
        "id": category.pk,
        "code": category.code,
        "name": category.name,
        "path": _path(category),
        "confidence": round(confidence, 4),
    }


def _matching_rules(category: Category, district, grid) -> list[RoutingRule]:
    """Active rules of the category or an ancestor that fit the place, most specific first:
    grid, then district, then city-wide; a deeper category first; then priority."""
    chain = _ancestors(category)
    depth = {c.pk: c.level for c in chain}
    grid_id = getattr(grid, "pk", None)
    district_id = getattr(district, "pk", None)
    _categories, active = _reference_data()
    rules = [
        r
        for r in active
        if r.category_id in depth
        and (r.grid_id is None or r.grid_id == grid_id)
        and (r.district_id is None or r.district_id == district_id)
    ]
    rules.sort(
        key=lambda r: (
            r.grid_id is None,
            r.district_id is None,
            -depth.get(r.category_id, 0),
            r.priority,
            r.pk,
        )
    )
    return rules


def _rule_scope(rule: RoutingRule) -> str:
    if rule.grid_id:
        return _("%(category)s · 网格 %(grid)s") % {
            "category": rule.category.name,
            "grid": rule.grid.name,
        }
    if rule.district_id:
        return _("%(category)s · %(district)s") % {
            "category": rule.category.name,
            "district": rule.district.name,
        }
    return _("%(category)s · 全市") % {"category": rule.category.name}


def _skipped_reason(rule: RoutingRule, confidence: float) -> str:
    return _("规则 #%(id)s（%(scope)s）未应用：置信度 %(confidence)s 低于 %(min)s") % {
        "id": rule.pk,
        "scope": _rule_scope(rule),
        "confidence": _percent(confidence),
        "min": _percent(rule.min_confidence),
    }


def suggest(text: str, *, district=None, grid=None) -> dict:
    """The suggested category (with up to three alternatives), handling unit and the reasons,
    for an order's text and place (``district``: an Organisation or its id; ``grid``: a
    GridCell or its id). Never raises for lack of a model: then the category and unit are
    None and the reason says so."""
    loaded = active_model()
    if loaded is None:
        return _empty(_("尚未训练分类模型"))
    if not (text or "").strip():
        result = _empty(_("诉求内容为空，无法分类"))
        result["model_version"] = loaded.version
        return result
    from shuzheng.governance.grid.models import GridCell

    grid = _as(GridCell, grid)
    district = _as(Organisation, district)
    if grid is not None and district is None:
        district = grid.district
    location = tuple(
        name
        for name in (
            district.name if district is not None else "",
            grid.street.name if grid is not None else "",
        )
        if name
    )
    prediction = loaded.model.predict(text, location=location, k=4)
    result = _empty("")
    result["reasons"] = []
    result["model_version"] = loaded.version
    reasons = result["reasons"]

    codes = [code for code, _p in prediction.category]
    categories, _rules = _reference_data()
    rows = {code: categories[code] for code in codes if code in categories}
    ranked = [(rows[code], p) for code, p in prediction.category if code in rows]
    if not ranked:
        reasons.append(
            _("模型 v%(version)s 未给出有效分类，请人工选择") % {"version": loaded.version}
        )
        return result
    category, confidence = ranked[0]
    result["category"] = _category_dict(category, confidence)
    result["alternatives"] = [_category_dict(c, p) for c, p in ranked[1:4]]
    result["confident"] = confidence >= category_min_confidence()
    words = prediction.words
    if category.code != prediction.category[0][0]:  # the model's first choice is inactive
        words = loaded.model.explain(text, category.code)
    result["words"] = [[word, weight] for word, weight in words[:8]]
    reasons.append(
        _("模型 v%(version)s 建议分类：%(path)s（置信度 %(confidence)s）")
        % {"version": loaded.version, "path": _path(category), "confidence": _percent(confidence)}
    )
    if result["words"]:
        reasons.append(
            _("关键词：%(words)s")
            % {"words": pgettext("list separator", "、").join(w for w, _x in result["words"])}
        )
    if not result["confident"]:
        reasons.append(
            _("置信度低于 %(threshold)s，请人工确认分类")
            % {"threshold": _percent(category_min_confidence())}
        )

    # 1. routing rules
    skipped = None
    for rule in _matching_rules(category, district, grid):
        if confidence < rule.min_confidence:
            skipped = skipped or rule
            continue
        if rule.by_location:
            if district is None or not district.is_active:
                continue
            unit = {"id": district.pk, "name": district.name, "source": "location"}
            target = _("%(unit)s（按属地派单）") % {"unit": district.name}
        else:
            if rule.unit is None or not rule.unit.is_active:
                continue
            unit = {"id": rule.unit.pk, "name": rule.unit.name, "source": "rule"}
            target = rule.unit.name
        if skipped is not None:
            reasons.append(_skipped_reason(skipped, confidence))
        result["unit"] = unit
        result["rule"] = rule.pk
        reasons.append(
            _("规则：%(scope)s → %(target)s（规则 #%(id)s，置信度 %(confidence)s ≥ %(min)s）")
            % {
                "scope": _rule_scope(rule),
                "target": target,
                "id": rule.pk,
                "confidence": _percent(confidence),
                "min": _percent(rule.min_confidence),
            }
        )
        return result
    if skipped is not None:
        reasons.append(_skipped_reason(skipped, confidence))

    # 2. the model's unit
    if prediction.unit:
        label, unit_confidence = prediction.unit[0]
        if unit_confidence >= unit_min_confidence() and label.isdigit():
            unit = Organisation.objects.filter(pk=int(label), is_active=True).first()
            if unit is not None:
                result["unit"] = {"id": unit.pk, "name": unit.name, "source": "model"}
                reasons.append(
                    _("模型建议承办单位：%(unit)s（置信度 %(confidence)s）")
                    % {"unit": unit.name, "confidence": _percent(unit_confidence)}
                )
                return result

    # 3. the category's unit
    for node in _ancestors(category):
        if node.default_unit is not None and node.default_unit.is_active:
            result["unit"] = {
                "id": node.default_unit.pk,
                "name": node.default_unit.name,
                "source": "category",
            }
            reasons.append(_("按分类主管单位：%(unit)s") % {"unit": node.default_unit.name})
            return result
    reasons.append(_("未能确定承办单位，请人工派单"))
    return result


# --------------------------------------------------------------------------- training


def _require_manage(actor) -> None:
    if actor is not access.SYSTEM:
        access.require(actor, "hotline.manage")


def training_samples(*, limit: int | None = None) -> list[classifier.Sample]:
    """The labelled history: orders whose category was confirmed (the category label) and
    orders a unit signed for (the unit label), newest first up to ``HOTLINE_TRAIN_MAX_ROWS``
    (default 200,000). Merged followers repeat their master and are left out."""
    limit = limit or int(_setting("HOTLINE_TRAIN_MAX_ROWS", 200_000))
    rows = (
        WorkOrder.objects.filter(
            Q(category_confirmed=True, category__isnull=False, category__is_active=True)
            | Q(signed_at__isnull=False)
        )
        .exclude(state="merged")
        .order_by("-pk")
        .values_list(
            "pk",
            "title",
            "content",
            "category_confirmed",
            "category__code",
            "category__is_active",
            "signed_at",
            "unit_id",
            "district__name",
            "grid__street__name",
        )[:limit]
    )
    samples = []
    for pk, title, content, confirmed, code, active, signed, unit, district, street in rows:
        samples.append(
            classifier.Sample(
                text=f"{title}\n{content}",
                category=code if confirmed and code and active else None,
                unit=str(unit) if signed and unit else None,
                location=tuple(n for n in (district, street) if n),
                key=pk,
            )
        )
    samples.reverse()  # oldest first: the same history gives the same split
    return samples


def train(actor, *, holdout: float = 0.2, seed: int = SEED) -> ClassifierModel:
    """Train a new classifier version on the labelled history, measure it on a stratified
    held-out split (``holdout`` of each category's orders, never seen in training), store the
    arrays and metrics, and make it the active version. Needs ``hotline.manage`` unless run by
    the system."""
    _require_manage(actor)
    if not 0 <= holdout < 1:
        raise ValidationError({"holdout": _("留出比例应在 0 与 1 之间")})
    samples = training_samples()
    labelled = [s for s in samples if s.category]
    if len(labelled) < MIN_TRAINING_ROWS or len({s.category for s in labelled}) < 2:
        raise ValidationError(
            _("已确认分类的工单太少（至少 %(n)s 条、2 个分类），无法训练分类模型")
            % {"n": MIN_TRAINING_ROWS}
        )
    strata = [s.category or f"unit:{s.unit}" for s in samples]
    train_rows, test_rows = classifier.split(strata, holdout, seed)
    train_set = [samples[i] for i in train_rows]
    test_set = [samples[i] for i in test_rows]
    started = time.perf_counter()
    fitted = classifier.fit(train_set, seed=seed)
    fit_seconds = time.perf_counter() - started
    figures = classifier.evaluate(fitted, test_set) if test_set else {}
    names = dict(Category.objects.filter(level=1).values_list("code", "name"))
    for code, row in (figures.get("level1") or {}).items():
        row["name"] = names.get(code, code)
    unit_names = dict(
        Organisation.objects.filter(pk__in={int(s.unit) for s in train_set if s.unit}).values_list(
            "pk", "name"
        )
    )
    label_counts: dict[str, int] = {}
    unit_counts: dict[str, int] = {}
    for s in train_set:
        if s.category:
            label_counts[s.category] = label_counts.get(s.category, 0) + 1
        if s.unit:
            name = unit_names.get(int(s.unit), s.unit)
            unit_counts[name] = unit_counts.get(name, 0) + 1
    metrics = {
        "holdout": holdout,
        "seed": seed,
        "n_total": len(samples),
        "n_train": len(train_set),
        "n_test": len(test_set),
        "category": figures.get("category", {}),
        "unit": figures.get("unit", {}),
        "level1": figures.get("level1", {}),
        "latency_ms": figures.get("latency_ms", {}),
        "features": len(fitted.vectoriser.vocabulary),
        "categories": len(label_counts),
        "units": len(unit_counts),
        "label_counts": dict(sorted(label_counts.items())),
        "unit_label_counts": dict(sorted(unit_counts.items(), key=lambda kv: -kv[1])),
        "fit_seconds": round(fit_seconds, 2),
        "calibration": {
            "category_scale": round(fitted.category.scale, 4) if fitted.category else None,
            "unit_scale": round(fitted.unit.scale, 4) if fitted.unit else None,
        },
    }
    archive = classifier.dumps(fitted)
    by = "system" if actor is access.SYSTEM else actor.get_username()
    for attempt in range(3):
        try:
            return _store(actor, archive, metrics, len(train_set), by)
        except IntegrityError:  # another training took the version number
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def _store(actor, archive: bytes, metrics: dict, trained_on: int, by: str) -> ClassifierModel:
    last = ClassifierModel.objects.select_for_update().order_by("-version").first()
    version = (last.version if last else 0) + 1
    ClassifierModel.objects.filter(active=True).update(active=False)
    model = ClassifierModel.objects.create(
        version=version,
        archive=archive,
        metrics=metrics,
        trained_on=trained_on,
        active=True,
        trained_by=by,
        created_at=timezone.now(),
    )
    audit.record(
        actor,
        "hotline.classifier.train",
        model,
        details={
            "version": version,
            "n_train": metrics["n_train"],
            "n_test": metrics["n_test"],
            "category_top1": metrics["category"].get("top1"),
            "unit_top1": metrics["unit"].get("top1"),
        },
    )
    events.publish("governance.classifier.trained", {"version": version})
    _switched()
    return model


@transaction.atomic
def activate(actor, model: ClassifierModel) -> ClassifierModel:
    """Make ``model`` the version suggestions use (e.g. roll back to an earlier one)."""
    _require_manage(actor)
    if actor is not access.SYSTEM:
        access.check(actor, model, "hotline.manage")
    model = ClassifierModel.objects.select_for_update().get(pk=model.pk)
    if not model.active:
        ClassifierModel.objects.filter(active=True).update(active=False)
        model.active = True
        model.save(update_fields=["active"])
        audit.record(
            actor, "hotline.classifier.activate", model, details={"version": model.version}
        )
        events.publish("governance.classifier.activated", {"version": model.version})
    _switched()
    return model


# --------------------------------------------------------------------------- rules

RULE_FIELDS = (
    "category",
    "district",
    "grid",
    "unit",
    "by_location",
    "min_confidence",
    "priority",
    "active",
    "note",
)


def _snapshot(rule: RoutingRule) -> dict:
    return {
        "category": rule.category_id,
        "district": rule.district_id,
        "grid": rule.grid_id,
        "unit": rule.unit_id,
        "by_location": rule.by_location,
        "min_confidence": rule.min_confidence,
        "priority": rule.priority,
        "active": rule.active,
        "note": rule.note,
    }


@transaction.atomic
def save_rule(actor, rule: RoutingRule | None = None, **fields) -> RoutingRule:
    """Create a 派单规则 (``rule`` None) or change one — the fields given replace the rule's;
    ``active=False`` deactivates it. A rule needs a category and either a unit or
    ``by_location``; a grid cell must lie in the rule's district (which it implies when
    none is given). Needs ``hotline.manage``."""
    from shuzheng.governance.grid.models import GridCell

    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")
    _require_manage(actor)
    if rule is not None:
        if actor is not access.SYSTEM:
            access.check(actor, rule, "hotline.manage")
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    target = rule or RoutingRule()
    before = _snapshot(target) if rule is not None else None
    errors: dict[str, str] = {}

    def resolve(name, model):
        if name not in fields:
            return getattr(target, name)
        value = fields[name]
        if value in (None, ""):
            return None
        found = _as(model, value)
        if found is None:
            errors[name] = _("所选对象不存在")
        return found

    category = resolve("category", Category)
    district = resolve("district", Organisation)
    grid = resolve("grid", GridCell)
    unit = resolve("unit", Organisation)
    by_location = bool(fields.get("by_location", target.by_location))
    if category is None and "category" not in errors:
        errors["category"] = _("请选择诉求分类")
    elif category is not None and not category.is_active:
        errors["category"] = _("该分类已停用")
    if district is not None and district.kind not in DISTRICT_KINDS:
        errors["district"] = _("请选择区或合作区")
    if grid is not None:
        if district is None:
            district = grid.district
        elif grid.district_id != district.pk:
            errors["grid"] = _("所选网格不在该区内")
    if by_location and unit is not None:
        errors["unit"] = _("按属地派单时不能同时指定承办单位")
    elif not by_location and unit is None and "unit" not in errors:
        errors["unit"] = _("请选择承办单位，或选择“按属地派单”")
    elif unit is not None and not unit.is_active:
        errors["unit"] = _("该单位已停用")
    min_confidence = fields.get("min_confidence", target.min_confidence)
    try:
        min_confidence = float(min_confidence)
        if not 0 <= min_confidence <= 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["min_confidence"] = _("最低置信度应为 0 到 1 之间的数")
    priority = fields.get("priority", target.priority)
    try:
        priority = int(priority)
        if not 0 <= priority <= 32767:
            raise ValueError
    except (TypeError, ValueError):
        errors["priority"] = _("优先级应为 0 到 32767 之间的整数")
    note = str(fields.get("note", target.note) or "")
    if len(note) > 200:
        errors["note"] = _("说明不能超过 200 字")
    if errors:
        raise ValidationError(errors)
    target.category = category
    target.district = district
    target.grid = grid
    target.unit = unit
    target.by_location = by_location
    target.min_confidence = min_confidence
    target.priority = priority
    target.active = bool(fields.get("active", target.active if rule is not None else True))
    target.note = note
    target.updated_at = timezone.now()
    target.save()
    after = _snapshot(target)
    changed = {k: [before[k], v] for k, v in after.items() if before[k] != v} if before else after
    audit.record(
        actor,
        "hotline.rule.create" if before is None else "hotline.rule.update",
        target,
        details={"changed": changed},
    )
    events.publish("governance.rule.saved", {"rule": target.pk})
    return target


def default_rules(actor, *, min_confidence: float = 0.8) -> int:
    """属地派单 rules (``by_location``) for the leaves handled where they happen (``local`` in
    the category file) that have no rule yet; returns how many were created."""
    from shuzheng.governance.hotline.services.categories import local_codes

    _require_manage(actor)
    created = 0
    have = set(RoutingRule.objects.values_list("category__code", flat=True))
    for category in Category.objects.filter(code__in=local_codes(), is_active=True):
        if category.code in have:
            continue
        save_rule(
            actor,
            category=category,
            by_location=True,
            min_confidence=min_confidence,
            priority=100,
            note=_("属地处置：派至事发地所在区，由区下派街道/镇"),
        )
        created += 1
    return created


# --------------------------------------------------------------------------- reads


def rules(user, *, active=None):
    """The 派单规则 ``user`` may manage, most specific first per category."""
    qs = access.scope(user, RoutingRule.objects.all(), "hotline.manage")
    if active is not None:
        qs = qs.filter(active=active)
    return qs.select_related("category", "district", "grid", "unit").order_by(
        "category__code", "grid_id", "district_id", "priority", "pk"
    )


def rule(user, pk) -> RoutingRule:
    from django.http import Http404

    found = rules(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("没有这条派单规则"))
    return found


def model_versions(user, *, limit: int = 20):
    """Trained classifier versions, newest first (without their archives)."""
    qs = access.scope(user, ClassifierModel.objects.all(), "hotline.manage")
    return qs.defer("archive").order_by("-version")[:limit]
