"""The staff's reads of 办件: the workbench queues and one case, both through
``access.scope(user, Case.objects, "cases.view")`` — a case a clerk may not see is neither
in a queue nor found by number (404).

Queues are one indexed query each, newest first with keyset pagination on the key
(``after``): ``case_queue`` (organisation, state, -id) serves the state queues, ``case_due``
(state, due_at) the deadline ones. Counts for the tabs are capped (``COUNT_CAP``), so a
department with a million cases pays for at most that many rows per tab.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.foundation import access
from shuzheng.services.cases.models import Case

# The states whose promised clock runs (特别程序 is paused; 补正 has not started it).
CLOCK_RUNNING_STATES = ("accepted", "review", "approved", "denied")

QUEUES = {
    "to_accept": gettext_lazy("待受理"),
    "to_review": gettext_lazy("待审查"),
    "to_conclude": gettext_lazy("待办结"),
    "to_deliver": gettext_lazy("待送达"),
    "approaching": gettext_lazy("即将超期"),
    "overdue": gettext_lazy("已超期"),
    "all": gettext_lazy("全部"),
}
STATE_QUEUES = {
    "to_accept": ("submitted",),
    "to_review": ("accepted", "review", "special"),
    "to_conclude": ("approved", "denied"),
    "to_deliver": ("concluded",),
}
COUNT_CAP = 1000
LIMIT_MAX = 200


def approaching_lead() -> dt.timedelta:
    return dt.timedelta(hours=settings.WORKFLOW_APPROACHING_HOURS)


def staff_cases(user) -> QuerySet[Case]:
    """Every case ``user`` may see as staff (drafts are the applicant's own, never here)."""
    return access.scope(user, Case.objects.all(), "cases.view").exclude(state="draft")


def _queue_filter(name: str, now: dt.datetime) -> Q:
    if name in STATE_QUEUES:
        states = STATE_QUEUES[name]
        return Q(state=states[0]) if len(states) == 1 else Q(state__in=states)
    running = Q(state__in=CLOCK_RUNNING_STATES, sla_state="running")
    if name == "approaching":
        return running & Q(due_at__gte=now, due_at__lte=now + approaching_lead())
    if name == "overdue":
        return running & Q(due_at__lt=now)
    if name == "all":
        return Q()
    raise ValidationError(
        {"queue": ValidationError(_("没有这个办件队列：%(name)s") % {"name": name}, "invalid")}
    )


# Queues whose rows are few and recent (open work): their keys are found by filtering first
# and sorting the matches, never by walking the primary key back through a million closed
# cases looking for rows that are not there (the last page of a short queue).
FILTER_FIRST = ("to_accept", "to_review", "to_conclude", "approaching", "overdue")

# What a queue row shows: nothing else is read (no ciphertext to decrypt, no form, no guide).
ROW_COLUMNS = (
    "number",
    "state",
    "review_step",
    "due_at",
    "sla_state",
    "submitted_at",
    "applicant_type",
    "applicant_name",
    "channel",
    "on_behalf",
    "item__implementation_code",
    "item_version__name",
    "item_version__review_steps",
    "organisation__name",
)


def organisation_ids(user) -> list[int]:
    """The organisations on whose subtrees ``user`` holds cases.view (the staff side of the
    case rule), as keys: one small query, kept on the user object for the request."""
    from shuzheng.foundation.identity.models import Organisation

    if user is access.SYSTEM:
        return list(Organisation.objects.values_list("pk", flat=True))
    paths = tuple(access.org_paths(user, "cases.view"))
    cached = getattr(user, "_cases_org_ids", None)
    if cached is not None and cached[0] == paths:
        return cached[1]
    ids = []
    if paths:
        within = Q()
        for root in paths:
            within |= Q(path__startswith=root)
        ids = list(Organisation.objects.filter(within).values_list("pk", flat=True))
    with contextlib.suppress(AttributeError):  # an actor object that takes no attributes
        user._cases_org_ids = (paths, ids)
    return ids


def queue(
    user,
    name: str,
    *,
    after: int | None = None,
    limit: int = 50,
    item=None,
    organisation=None,
    now: dt.datetime | None = None,
) -> list[Case]:
    """One page of a workbench queue (待受理, 待审查, 待办结, 待送达, 即将超期, 已超期,
    全部), newest first; ``after`` is the last key of the previous page. ``item`` (a
    实施清单 item or its key) and ``organisation`` (its subtree) narrow it.

    Two short queries: the page's keys from the ``case_queue`` / ``case_due`` indexes
    (organisation keys listed, so the planner sees how selective they are), then those rows
    through ``access.scope`` with only the columns a row shows."""
    now = now or timezone.now()
    condition = _queue_filter(name, now)
    orgs = organisation_ids(user)
    if organisation is not None:
        orgs = sorted(set(orgs) & set(_subtree(organisation).values_list("pk", flat=True)))
    if not orgs:
        return []
    keys = Case.objects.filter(condition, organisation_id__in=orgs)
    if name not in STATE_QUEUES or name == "to_deliver":
        keys = keys.exclude(state="draft")
    if item is not None:
        keys = keys.filter(item_id=getattr(item, "pk", item))
    if after is not None:
        keys = keys.filter(pk__lt=int(after))
    limit = max(1, min(int(limit), LIMIT_MAX))
    order = (F("id") + 0).desc() if name in FILTER_FIRST else "-pk"
    page = list(keys.order_by(order).values_list("pk", flat=True)[:limit])
    if not page:
        return []
    return list(
        staff_cases(user)
        .filter(pk__in=page)
        .select_related("item", "item_version", "organisation")
        .only(*ROW_COLUMNS)
        .order_by("-pk")
    )


def _subtree(organisation):
    from shuzheng.foundation.identity.models import Organisation

    if not isinstance(organisation, Organisation):
        organisation = Organisation.objects.filter(pk=organisation).first()
        if organisation is None:
            return Organisation.objects.none()
    return Organisation.objects.filter(path__startswith=organisation.path)


def queue_counts(user, *, now: dt.datetime | None = None) -> dict[str, int]:
    """How many cases wait in each queue (not ``all``), each count stopping at
    ``COUNT_CAP`` (a tab shows "1000+"): a bounded cost however large the department."""
    now = now or timezone.now()
    orgs = organisation_ids(user)
    counts = {}
    for name in QUEUES:
        if name == "all":
            continue
        if not orgs:
            counts[name] = 0
            continue
        rows = Case.objects.filter(_queue_filter(name, now), organisation_id__in=orgs)
        counts[name] = rows.order_by().values("pk")[:COUNT_CAP].count()
    return counts


def may_reveal(user, case: Case) -> bool:
    """Whether ``user`` may see ``case``'s personal numbers in clear (查看完整信息): the reveal
    capability on the case's organisation (the service checks it again and audits)."""
    return access.scope(user, Case.objects.filter(pk=case.pk), "identity.reveal_pii").exists()


def case_for_staff(user, number: str) -> Case:
    """One case by 办件编号, or Http404 when it does not exist or is out of the user's scope."""
    try:
        return (
            staff_cases(user)
            .select_related(
                "item",
                "item_version",
                "organisation",
                "workflow",
                "workflow__definition",
                "handler",
                "accepted_by",
                "person",
                "enterprise",
            )
            .get(number=number)
        )
    except (Case.DoesNotExist, ValueError):
        raise Http404(_("找不到该办件")) from None


def cases_by_numbers(user, numbers) -> list[Case]:
    """The cases of these 办件编号 the user may see (others are simply absent)."""
    return list(
        staff_cases(user)
        .filter(number__in=list(numbers))
        .select_related("item", "item_version", "organisation", "workflow", "workflow__definition")
    )


def _within(user, prefix: str = "") -> Q:
    """The organisation subtrees on which ``user`` holds cases.view, as a filter."""
    within = Q(pk__in=[])
    for root in access.org_paths(user, "cases.view"):
        within |= Q(**{f"{prefix}path__startswith": root})
    return within


def filter_items(user):
    """The 实施清单 items of the organisations the user handles (the queue's item filter)."""
    from shuzheng.services.catalogue.models import ServiceItem

    return (
        ServiceItem.objects.filter(_within(user, "organisation__"))
        .select_related("current", "basic")
        .order_by("implementation_code")[:500]
    )


def filter_organisations(user):
    """The organisations the user handles cases of (the queue's organisation filter)."""
    from shuzheng.foundation.identity.models import Organisation

    return Organisation.objects.filter(_within(user), is_active=True).order_by("path")[:500]


def is_approaching(case: Case, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        case.state in CLOCK_RUNNING_STATES
        and case.sla_state == "running"
        and case.due_at
        and now <= case.due_at <= now + approaching_lead()
    )


def is_overdue(case: Case, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        case.state in CLOCK_RUNNING_STATES
        and case.sla_state == "running"
        and case.due_at
        and case.due_at < now
    )


def current_step(case: Case) -> str:
    """当前环节: the 审查环节 name while in review, else the state's label."""
    if case.state == "review":
        steps = list(case.item_version.review_steps or []) or [_("审查")]
        return steps[min(case.review_step, len(steps) - 1)]
    return case.get_state_display()
