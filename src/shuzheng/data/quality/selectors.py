"""Reads of data quality — every query starts from ``access.scope`` with
``dataquality.view`` (or ``manage`` where the caller is about to act):

* rules, runs and issues of the entries a user may see;
* scorecards: per dataset (latest score, the trend of the last runs, failures by rule,
  open issues), per department (average of its datasets' latest scores, open issues, the
  worst datasets) and the ranking of departments (city-wide for the data authority).

An entry out of scope is a 404, never a 403: its existence is not confirmed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from shuzheng.data.catalog.models import CatalogueEntry, EntryStatus
from shuzheng.data.quality.models import IssueStatus, QualityIssue, QualityRule, QualityRun
from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation

VIEW = "dataquality.view"
MANAGE = "dataquality.manage"
TREND_RUNS = 10
WORST_SHOWN = 3
LIMIT_MAX = 200


def may(user, obj, perm: str) -> bool:
    from django.core.exceptions import PermissionDenied

    try:
        access.check(user, obj, perm)
    except PermissionDenied:
        return False
    return True


# --------------------------------------------------------------------------- entries


def entries(user, perm: str = VIEW) -> QuerySet:
    """Entries whose quality ``user`` may see (not withdrawn)."""
    return access.scope(
        user, CatalogueEntry.objects.exclude(status=EntryStatus.WITHDRAWN), perm
    ).select_related("provider")


def entry(user, pk, perm: str = VIEW) -> CatalogueEntry:
    found = entries(user, perm).filter(pk=_pk(pk)).first()
    if found is None:
        raise Http404
    return found


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def with_latest(queryset: QuerySet) -> QuerySet:
    """Entries annotated with their latest run (``latest_score``, ``latest_at``,
    ``latest_run``), their open issues and whether they have rules."""
    last = QualityRun.objects.filter(entry=OuterRef("pk")).order_by("-started_at", "-pk")
    open_issues = (
        QualityIssue.objects.filter(entry=OuterRef("pk"), status=IssueStatus.OPEN)
        .order_by()
        .values("entry")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        latest_score=Subquery(last.values("score")[:1]),
        latest_at=Subquery(last.values("started_at")[:1]),
        latest_run=Subquery(last.values("pk")[:1]),
        open_issues=Subquery(open_issues[:1]),
        has_rules=Exists(QualityRule.objects.filter(entry=OuterRef("pk"))),
    )


def datasets(user, *, provider=None, q: str = "", checked_only=False, limit=LIMIT_MAX):
    """The datasets on the scorecard: entries in scope with their latest score, the lowest
    scores first, unchecked ones last."""
    rows = with_latest(entries(user))
    if provider is not None:
        rows = rows.filter(provider=provider)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if checked_only:
        rows = rows.filter(Exists(QualityRun.objects.filter(entry=OuterRef("pk"))))
    rows = rows.order_by(F("latest_score").asc(nulls_last=True), "code")
    return settle(rows[: max(1, min(limit, LIMIT_MAX))])


def settle(rows) -> list:
    """The rows with ``latest_score`` to two places (SQLite hands a subquery's decimal back
    as a float's digits)."""
    rows = list(rows)
    for row in rows:
        if row.latest_score is not None:
            row.latest_score = Decimal(row.latest_score).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
    return rows


# --------------------------------------------------------------------------- rules, runs, issues


def rules(user, entry=None, perm: str = VIEW) -> QuerySet:
    rows = access.scope(user, QualityRule.objects.all(), perm)
    if entry is not None:
        rows = rows.filter(entry=entry)
    return rows.select_related("entry").order_by("item_code", "pk")


def rule(user, pk, perm: str = VIEW) -> QualityRule:
    found = rules(user, perm=perm).filter(pk=_pk(pk)).first()
    if found is None:
        raise Http404
    return found


def runs(user, *, entry=None, after=None, limit=50) -> list[QualityRun]:
    rows = access.scope(user, QualityRun.objects.all(), VIEW).select_related(
        "entry", "triggered_by"
    )
    if entry is not None:
        rows = rows.filter(entry=entry)
    if after:
        rows = rows.filter(pk__lt=after)
    return list(rows.order_by("-pk")[: max(1, min(limit, LIMIT_MAX))])


def run(user, pk) -> QualityRun:
    found = (
        access.scope(user, QualityRun.objects.all(), VIEW)
        .select_related("entry", "entry__provider", "triggered_by")
        .filter(pk=_pk(pk))
        .first()
    )
    if found is None:
        raise Http404
    return found


def issues(
    user,
    *,
    entry=None,
    status: str | None = IssueStatus.OPEN,
    rule=None,
    run=None,
    owner=None,
    after=None,
    limit=50,
    perm: str = VIEW,
) -> list[QualityIssue]:
    """Problems, newest first (keyset by ``after``): open ones unless ``status`` says
    otherwise (``None``: all)."""
    rows = access.scope(user, QualityIssue.objects.all(), perm).select_related(
        "entry", "rule", "owner", "resolved_by"
    )
    if entry is not None:
        rows = rows.filter(entry=entry)
    if status:
        rows = rows.filter(status=status)
    if rule is not None:
        rows = rows.filter(rule=rule)
    if run is not None:
        rows = rows.filter(run=run)
    if owner is not None:
        rows = rows.filter(owner=owner)
    if after:
        rows = rows.filter(pk__lt=after)
    return list(rows.order_by("-pk")[: max(1, min(limit, LIMIT_MAX))])


def issue(user, pk, perm: str = VIEW) -> QualityIssue:
    found = (
        access.scope(user, QualityIssue.objects.all(), perm)
        .select_related("entry", "rule", "owner", "resolved_by", "run")
        .filter(pk=_pk(pk))
        .first()
    )
    if found is None:
        raise Http404
    return found


def open_issue_count(user) -> int:
    return access.scope(user, QualityIssue.objects.filter(status=IssueStatus.OPEN), VIEW).count()


# --------------------------------------------------------------------------- scorecards


def dataset_scorecard(user, entry: CatalogueEntry, *, trend_runs: int = TREND_RUNS) -> dict:
    """One dataset: the latest run, the scores of the last runs (oldest first), failures
    by rule of the latest run (with the rule as it is now), open issues."""
    recent = runs(user, entry=entry, limit=trend_runs)
    latest = recent[0] if recent else None
    rule_rows = {r.pk: r for r in rules(user, entry)}
    by_rule = []
    for row in (latest.by_rule if latest else []) or []:
        current = rule_rows.get(row.get("rule"))
        by_rule.append(
            {
                **row,
                "rule_obj": current,
                "description": current.description if current else "",
                "rate": _rate(row.get("failures", 0), row.get("checks", 0)),
            }
        )
    by_rule.sort(key=lambda r: (-(r.get("failures") or 0), r.get("rule") or 0))
    open_issues = access.scope(
        user, QualityIssue.objects.filter(entry=entry, status=IssueStatus.OPEN), VIEW
    ).count()
    return {
        "entry": entry,
        "latest": latest,
        "score": latest.score if latest else None,
        "trend": [{"at": r.started_at, "score": r.score, "run": r.pk} for r in reversed(recent)],
        "by_rule": by_rule,
        "open_issues": open_issues,
        "rules": len(rule_rows),
    }


def _rate(failures: int, checks: int) -> Decimal | None:
    if not checks:
        return None
    return (Decimal(100) * Decimal(failures) / Decimal(checks)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _average(scores: list[Decimal]) -> Decimal | None:
    if not scores:
        return None
    return (sum(scores, Decimal(0)) / Decimal(len(scores))).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _cards(rows) -> list[dict]:
    by_org: dict[int, dict] = {}
    for row in rows:
        card = by_org.setdefault(
            row.provider_id,
            {
                "organisation": row.provider,
                "datasets": 0,
                "checked": 0,
                "open_issues": 0,
                "scores": [],
                "entries": [],
            },
        )
        card["datasets"] += 1
        card["open_issues"] += row.open_issues or 0
        if row.latest_score is not None:
            card["checked"] += 1
            card["scores"].append(row.latest_score)
            card["entries"].append(row)
    cards = []
    for card in by_org.values():
        card["average"] = _average(card.pop("scores"))
        checked = card.pop("entries")
        card["worst"] = sorted(checked, key=lambda e: (e.latest_score, e.code))[:WORST_SHOWN]
        cards.append(card)
    return cards


def _quality_entries(user) -> QuerySet:
    """Entries in scope that take part in quality (a rule or a run)."""
    return with_latest(entries(user)).filter(
        Exists(QualityRule.objects.filter(entry=OuterRef("pk")))
        | Exists(QualityRun.objects.filter(entry=OuterRef("pk")))
    )


def department_ranking(user) -> list[dict]:
    """Departments by the average latest score of their checked datasets, best first
    (departments with no checked dataset last); each with its open issues and worst
    datasets. For the data authority this is the city-wide ranking."""
    cards = _cards(settle(_quality_entries(user)))
    cards.sort(
        key=lambda c: (
            c["average"] is None,
            -(c["average"] or 0),
            c["organisation"].name,
        )
    )
    for rank, card in enumerate(cards, start=1):
        card["rank"] = rank if card["average"] is not None else None
    return cards


def department_scorecard(user, organisation: Organisation) -> dict:
    """One department: average of its datasets' latest scores, open issues, worst
    datasets, and every dataset of it in scope."""
    rows = settle(_quality_entries(user).filter(provider=organisation).order_by("code"))
    if not rows and not entries(user).filter(provider=organisation).exists():
        raise Http404
    cards = _cards(rows)
    card = (
        cards[0]
        if cards
        else {
            "organisation": organisation,
            "datasets": 0,
            "checked": 0,
            "open_issues": 0,
            "average": None,
            "worst": [],
        }
    )
    card["rows"] = sorted(rows, key=lambda e: (e.latest_score is None, e.latest_score or 0, e.code))
    return card


def organisation(user, pk) -> Organisation:
    """A providing department whose datasets ``user`` may see."""
    found = Organisation.objects.filter(pk=_pk(pk)).first()
    if found is None or not entries(user).filter(provider=found).exists():
        raise Http404
    return found


def sees_many_departments(user) -> bool:
    """Whether the user's quality scope spans more than one providing department (the
    data authority): the home page then leads with the ranking."""
    return entries(user).values("provider").distinct().count() > 1
