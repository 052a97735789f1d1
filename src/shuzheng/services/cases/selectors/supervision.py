"""电子监察: timeliness statistics of 办件 per department and per item, for holders of
``cases.supervise`` within their organisation subtree.

Every figure is counted by the database (one GROUP BY per table, never a loop over cases):

- 收件 (received): cases submitted in the period; 补正率, 不予受理 are shares and counts of
  those (a case counts once however often it was sent back for correction);
- 办结 (concluded): cases concluded in the period; 按时办结率 = concluded not late /
  concluded; 平均用时 = mean ``working_days_used`` of those;
- 不予准予: cases concluded in the period with the result 不予 (``result = refused``);
- 当前超期 / 临期: cases whose promised clock runs (the workbench's definition, shared with
  its 已超期 / 即将超期 queues) and is past its deadline now / within
  ``WORKFLOW_APPROACHING_HOURS`` of it — these describe today, whatever the period (a
  paused clock, 特别程序, is neither).

The page, its CSV export and the API all read these functions and format with
:meth:`Figures.as_dict`, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.workflow.calendar import working_days_between
from shuzheng.services.cases.models import Case
from shuzheng.services.cases.selectors.workbench import CLOCK_RUNNING_STATES, approaching_lead
from shuzheng.services.catalogue.models import ServiceItem

CAPABILITY = "cases.supervise"
MAX_PERIOD_DAYS = 366
OVERDUE_LIMIT = 500


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    """统计期间: whole local days ``start`` … ``end`` (both included)."""

    start: dt.date
    end: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[first instant, first instant after) in the installation's time zone."""
        zone = timezone.get_current_timezone()
        first = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return first, after

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def this_month(today: dt.date | None = None) -> Period:
    """The default period: the first of this month up to today."""
    today = today or timezone.localdate()
    return Period(today.replace(day=1), today)


def parse_period(start: str | None, end: str | None, *, today: dt.date | None = None) -> Period:
    """The period asked for by ``from`` / ``to`` (ISO dates; either may be left out)."""
    default = this_month(today)
    errors: dict[str, str] = {}

    def read(name: str, text: str | None, fallback: dt.date) -> dt.date:
        if not (text or "").strip():
            return fallback
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            errors[name] = _("请输入有效日期，格式为 YYYY-MM-DD")
            return fallback

    first = read("from", start, default.start)
    last = read("to", end, default.end)
    if not errors:
        if first > last:
            errors["to"] = _("结束日期不能早于开始日期")
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            errors["to"] = _("统计期间不能超过 %(days)s 天") % {"days": MAX_PERIOD_DAYS}
    if errors:
        raise ValidationError(errors)
    return Period(first, last)


def filters(user, params) -> tuple[Period, Organisation | None]:
    """The period and organisation asked for in ``params`` (``from``, ``to``,
    ``organisation``) — the page, the CSV and the API read them alike; raises
    ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    try:
        period = parse_period(params.get("from"), params.get("to"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
        period = this_month()
    organisation = None
    if params.get("organisation"):
        try:
            organisation = organisation_for(user, params.get("organisation"))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return period, organisation


# --------------------------------------------------------------------------- scope


def supervisable_organisations(user):
    """The organisations whose cases ``user`` supervises (the subtrees of the grants)."""
    paths = access.org_paths(user, CAPABILITY)
    if not paths:
        return Organisation.objects.none()
    within = Q()
    for path in paths:
        within |= Q(path__startswith=path)
    return Organisation.objects.filter(within).order_by("path")


def organisation_for(user, pk) -> Organisation:
    """The organisation chosen in a filter, if ``user`` supervises it (else a field error)."""
    try:
        return supervisable_organisations(user).get(pk=int(pk))
    except (TypeError, ValueError, Organisation.DoesNotExist):
        raise ValidationError(
            {"organisation": _("请选择您有权监察的部门或区域")}, code="invalid"
        ) from None


def supervised_cases(user, *, organisation: Organisation | None = None):
    """Cases (drafts excluded) that ``user`` supervises, optionally one subtree of them."""
    cases = access.scope(user, Case.objects.exclude(state="draft"), CAPABILITY)
    if organisation is not None:
        cases = cases.filter(organisation__path__startswith=organisation.path)
    return cases


# --------------------------------------------------------------------------- figures

COUNTS = (
    "received",
    "corrected",
    "rejected",
    "concluded",
    "on_time",
    "days_sum",
    "days_n",
    "denied",
    "overdue",
    "approaching",
)


@dataclass
class Figures:
    """The counts of one group (department, item or the total) and the rates made of them."""

    key: int | None = None
    name: str = ""
    code: str = ""  # 实施编码 for items
    drill: bool = False  # a department row that can be opened for its own breakdown
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, row: dict) -> None:
        for name in COUNTS:
            self.counts[name] += row.get(name) or 0

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())

    @staticmethod
    def _percent(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率 (%): concluded within the promised time / concluded."""
        return self._percent(self.counts["on_time"], self.counts["concluded"])

    @property
    def correction_rate(self) -> float | None:
        """补正率 (%): received cases sent back for correction at least once / received."""
        return self._percent(self.counts["corrected"], self.counts["received"])

    @property
    def average_days(self) -> float | None:
        """平均用时 (working days) of the concluded cases."""
        n = self.counts["days_n"]
        return round(self.counts["days_sum"] / n, 1) if n else None

    def as_dict(self) -> dict:
        """The figures as the page, the CSV and the API show them."""
        c = self.counts
        return {
            "id": self.key,
            "name": self.name,
            **({"code": self.code} if self.code else {}),
            "received": c["received"],
            "concluded": c["concluded"],
            "on_time": c["on_time"],
            "on_time_rate": self.on_time_rate,
            "average_working_days": self.average_days,
            "overdue": c["overdue"],
            "approaching": c["approaching"],
            "corrected": c["corrected"],
            "correction_rate": self.correction_rate,
            "rejected": c["rejected"],
            "denied": c["denied"],
        }


def _arms(period: Period, now: dt.datetime) -> list[tuple[Q, dict]]:
    """The three sets of cases that figures are counted over — received in the period,
    concluded in it, clock running now — each with its conditional aggregates.

    Each set is one range or state condition that an index serves (``submitted_at``,
    ``concluded_at``, ``case_due``), so a month of a million cases reads that month's rows;
    one query with the three OR-ed together makes PostgreSQL read the whole table."""
    start, after = period.bounds
    running = Q(state__in=CLOCK_RUNNING_STATES, sla_state="running", due_at__isnull=False)
    return [
        (
            Q(submitted_at__gte=start, submitted_at__lt=after),
            {
                "received": Count("pk"),
                "corrected": Count("pk", filter=Q(corrections__gt=0)),
                "rejected": Count("pk", filter=Q(state="rejected")),
            },
        ),
        (
            Q(concluded_at__gte=start, concluded_at__lt=after),
            {
                "concluded": Count("pk"),
                "on_time": Count("pk", filter=Q(overdue=False)),
                "days_sum": Sum("working_days_used"),
                "days_n": Count("working_days_used"),
                "denied": Count("pk", filter=Q(result="refused")),
            },
        ),
        (
            running,
            {
                "overdue": Count("pk", filter=Q(due_at__lt=now)),
                "approaching": Count(
                    "pk", filter=Q(due_at__gte=now, due_at__lte=now + approaching_lead())
                ),
            },
        ),
    ]


def _grouped(user, period: Period, organisation, now) -> list[dict]:
    """Counts per (organisation, item): one GROUP BY per set, merged by group (at most a
    few hundred aggregate rows, never the cases); departments and items both roll up from
    these rows, so a page pays for the three queries once."""
    cases = supervised_cases(user, organisation=organisation)
    merged: dict = {}
    by = ("organisation_id", "item_id")
    for condition, metrics in _arms(period, now):
        for row in cases.filter(condition).order_by().values(*by).annotate(**metrics):
            merged.setdefault((row[by[0]], row[by[1]]), {}).update(row)
    return list(merged.values())


@dataclass
class Report:
    """One supervision view: the total, and the rows it is broken down into."""

    period: Period
    organisation: Organisation | None
    total: Figures
    rows: list[Figures]


def breakdown(
    user, period: Period, *, organisation: Organisation | None = None, now=None
) -> tuple[Report, Report]:
    """The per-department and the per-item report from one set of queries (the page)."""
    rows = _grouped(user, period, organisation, now or timezone.now())
    return (
        departments(user, period, organisation=organisation, rows=rows),
        items(user, period, organisation=organisation, rows=rows),
    )


def departments(
    user, period: Period, *, organisation: Organisation | None = None, now=None, rows=None
) -> Report:
    """Figures per department or area: one row per child of ``organisation`` (each covering
    its subtree) plus 本级 (cases taken in at the organisation itself); without an
    organisation, the same below the user's single supervised root, or one row per root."""
    by_org = (
        rows if rows is not None else _grouped(user, period, organisation, now or timezone.now())
    )
    if organisation is not None:
        roots = [organisation]
    else:
        paths = access.org_paths(user, CAPABILITY)
        roots = list(Organisation.objects.filter(path__in=paths).order_by("path"))
    groups: list[tuple[str, bool, Figures]] = []  # (path, exact, figures)
    if len(roots) == 1:
        root = roots[0]
        groups.append((root.path, True, Figures(root.pk, _("%(name)s（本级）") % {"name": root})))
        for child in root.children.order_by("sort_order", "path"):
            groups.append((child.path, False, Figures(child.pk, child.name, drill=True)))
    else:
        for root in roots:
            groups.append((root.path, False, Figures(root.pk, root.name, drill=True)))
    paths = dict(
        Organisation.objects.filter(pk__in=[r["organisation_id"] for r in by_org]).values_list(
            "pk", "path"
        )
    )
    total = Figures(name=_("合计"))
    for row in by_org:
        path = paths[row["organisation_id"]]
        total.add(row)
        for group_path, exact, figures in groups:
            if path == group_path if exact else path.startswith(group_path):
                figures.add(row)
                break
    shown = [figures for _path, _exact, figures in groups if not figures.empty]
    return Report(period, organisation, total, shown)


def items(
    user, period: Period, *, organisation: Organisation | None = None, now=None, rows=None
) -> Report:
    """Figures per 实施清单 item (most received first)."""
    grouped = (
        rows if rows is not None else _grouped(user, period, organisation, now or timezone.now())
    )
    by_item: dict[int, dict] = {}
    for row in grouped:  # an item is held by one organisation; fold defensively all the same
        merged = by_item.setdefault(row["item_id"], {"item_id": row["item_id"]})
        for name in COUNTS:
            merged[name] = (merged.get(name) or 0) + (row.get(name) or 0)
    by_item_rows = list(by_item.values())
    known = {
        item.pk: item
        for item in ServiceItem.objects.filter(pk__in=list(by_item))
        .select_related("current", "basic")
        .only("implementation_code", "current__name", "basic__name")
    }
    total = Figures(name=_("合计"))
    result = []
    for row in by_item_rows:
        item = known[row["item_id"]]
        name = item.current.name if item.current_id else item.basic.name
        figures = Figures(item.pk, name, code=item.implementation_code)
        figures.add(row)
        total.add(row)
        result.append(figures)
    result.sort(key=lambda f: (-f.counts["received"], -f.counts["concluded"], f.name))
    return Report(period, organisation, total, result)


def overdue_cases(
    user, *, organisation: Organisation | None = None, limit: int = 100, now=None
) -> list[Case]:
    """督办: open cases past their deadline now, longest overdue first."""
    now = now or timezone.now()
    cases = supervised_cases(user, organisation=organisation).filter(
        state__in=CLOCK_RUNNING_STATES, sla_state="running", due_at__lt=now
    )
    return list(
        cases.select_related("organisation", "item_version", "handler").order_by("due_at", "pk")[
            : max(1, min(limit, OVERDUE_LIMIT))
        ]
    )


def overdue_count(user, *, organisation: Organisation | None = None, now=None) -> int:
    now = now or timezone.now()
    return (
        supervised_cases(user, organisation=organisation)
        .filter(state__in=CLOCK_RUNNING_STATES, sla_state="running", due_at__lt=now)
        .count()
    )


def overdue_rows(cases, now=None) -> list[dict]:
    """The overdue list as shown (page, CSV and API): how late in working days, who has it."""
    today = timezone.localdate(now or timezone.now())
    return [
        {
            "number": case.number or "",
            "item": case.item_version.name,
            "organisation": case.organisation.name,
            "organisation_id": case.organisation_id,
            "state": case.state,
            "state_label": case.get_state_display(),
            "applicant": case.applicant_name,
            "handler": str(case.handler) if case.handler_id else "",
            "due_at": case.due_at,
            "overdue_working_days": max(0, working_days_between(case.due_at, today)),
        }
        for case in cases
    ]


def trend(user, period: Period, *, organisation: Organisation | None = None) -> dict:
    """Received and concluded per day of the period (for the trend chart)."""
    start, after = period.bounds
    zone = timezone.get_current_timezone()
    cases = supervised_cases(user, organisation=organisation)
    series = {}
    for name, column in (("received", "submitted_at"), ("concluded", "concluded_at")):
        per_day = (
            cases.filter(**{f"{column}__gte": start, f"{column}__lt": after})
            .order_by()
            .annotate(day=TruncDate(column, tzinfo=zone))
            .values("day")
            .annotate(n=Count("pk"))
        )
        series[name] = {_as_date(r["day"]): r["n"] for r in per_day}
    days = period.days
    return {
        "days": [d.isoformat() for d in days],
        "received": [series["received"].get(d, 0) for d in days],
        "concluded": [series["concluded"].get(d, 0) for d in days],
    }


def _as_date(value) -> dt.date:
    # SQLite hands back the truncated date as text
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
