"""Reads of the service catalogue. The public ones show only published content (a draft is
never reachable from the portal or the public API); the editors' ones start from
``access.scope`` on ``catalogue.edit`` / ``catalogue.review``, so a list and a detail agree."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation
from shuzheng.services.catalogue.models import (
    Audience,
    ItemVersion,
    Material,
    ServiceItem,
    VersionStatus,
)

GUIDE_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)
OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
# ?audience=person lists items for natural persons, including those serving both.
AUDIENCES = {
    "person": (Audience.PERSON, Audience.BOTH),
    "legal": (Audience.LEGAL, Audience.BOTH),
    "enterprise": (Audience.LEGAL, Audience.BOTH),
}


def published_items() -> QuerySet[ServiceItem]:
    """Items applicants can use today: those whose ``current`` version is published."""
    return ServiceItem.objects.filter(current__status=VersionStatus.PUBLISHED).select_related(
        "current", "organisation", "basic"
    )


def item_by_code(code: str) -> ServiceItem:
    """A listed item by its 实施编码; unknown, never published or withdrawn → 404."""
    try:
        return published_items().get(implementation_code=code)
    except ServiceItem.DoesNotExist:
        raise Http404 from None


def _with_parts(queryset: QuerySet[ItemVersion]) -> QuerySet[ItemVersion]:
    return queryset.select_related("item__organisation", "item__basic").prefetch_related(
        Prefetch("materials", queryset=Material.objects.order_by("sort_order", "pk")),
        "fees",
        "questions",
        "themes",
    )


def version_for_guide(code: str, version: int | None = None) -> ItemVersion:
    """The version a 办事指南 shows: the current one, or an older published one by number
    (superseded versions stay readable for cases applied under them); drafts never."""
    item = item_by_code(code)
    versions = _with_parts(ItemVersion.objects.filter(item=item, status__in=GUIDE_STATUSES))
    try:
        if version is None:
            return versions.get(pk=item.current_id)
        return versions.get(version=version)
    except (ItemVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def guide_versions(code: str) -> QuerySet[ItemVersion]:
    """The published history of a listed item (newest first), for a version switcher."""
    item = item_by_code(code)
    return ItemVersion.objects.filter(item=item, status__in=GUIDE_STATUSES).order_by("-version")


def filter_items(
    queryset: QuerySet[ServiceItem],
    *,
    department=None,
    audience: str | None = None,
    theme: str | None = None,
    depth: int | None = None,
    scope: str | None = None,
) -> QuerySet[ServiceItem]:
    """Narrow a queryset of items by their current version (the portal's and the API's
    filters). ``department``: an Organisation or its pk, its whole subtree; ``audience``:
    person / legal (``both`` items match either); ``theme``: a theme code; ``depth``: at
    least this 在线办理深度; ``scope``: one 通办范围 value."""
    if department not in (None, ""):
        if not isinstance(department, Organisation):
            department = Organisation.objects.filter(pk=int(department)).first()
        if department is None:
            return queryset.none()
        queryset = queryset.filter(organisation__path__startswith=department.path)
    if audience:
        queryset = queryset.filter(current__audience__in=AUDIENCES.get(audience, (audience,)))
    if theme:
        queryset = queryset.filter(current__themes__code=theme)
    if depth not in (None, ""):
        queryset = queryset.filter(current__online_depth__gte=int(depth))
    if scope:
        queryset = queryset.filter(current__scope=scope)
    return queryset


# --- editors ----------------------------------------------------------------------------


def items_for_editor(user) -> QuerySet[ServiceItem]:
    """The items of the editor's organisation subtrees (事项管理), published or not."""
    return access.scope(user, ServiceItem.objects.all(), "catalogue.edit").select_related(
        "current", "organisation", "basic"
    )


def item_for_editor(user, code: str) -> ServiceItem:
    try:
        return items_for_editor(user).get(implementation_code=code)
    except ServiceItem.DoesNotExist:
        raise Http404 from None


def open_drafts(user) -> QuerySet[ItemVersion]:
    """Drafts and versions awaiting review that the user may edit or review."""
    versions = ItemVersion.objects.filter(status__in=OPEN_STATUSES)
    editable = access.scope(user, versions, "catalogue.edit")
    reviewable = access.scope(user, versions, "catalogue.review")
    return (
        ItemVersion.objects.filter(
            Q(pk__in=editable.values("pk")) | Q(pk__in=reviewable.values("pk"))
        )
        .select_related("item__organisation", "item__basic", "created_by")
        .order_by("-pk")
    )


def draft_for_editor(user, pk) -> ItemVersion:
    """One open version by id, with its parts; out of scope or not open → 404."""
    try:
        return _with_parts(open_drafts(user)).get(pk=int(pk))
    except (ItemVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def versions_for_editor(user, item: ServiceItem) -> QuerySet[ItemVersion]:
    """Every version of an item the editor may see (drafts included), newest first."""
    versions = access.scope(user, ItemVersion.objects.filter(item=item), "catalogue.edit")
    return versions.select_related("created_by", "reviewed_by", "submitted_by").order_by("-version")


def version_for_editor(user, item: ServiceItem, number) -> ItemVersion:
    try:
        return _with_parts(versions_for_editor(user, item)).get(version=int(number))
    except (ItemVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def open_draft_of(item: ServiceItem) -> ItemVersion | None:
    """The item's draft or version in review, if any (at most one: a DB constraint)."""
    return ItemVersion.objects.filter(item=item, status__in=OPEN_STATUSES).first()
