"""Reading the government data catalogue.

Who reads what: the *publication* of a visible entry (published, or being revised — the
last publication stays readable) is a city-wide reference: anyone holding
``datacatalog.view`` anywhere reads it. Working copies (drafts, revisions, entries under
review, withdrawn ones) belong to the provider: ``datacatalog.edit`` on the provider
(``own_entries``). The data authority reads what it reviews (``datacatalog.review`` on the
provider's subtree). Everything else is 404.

Text search goes through ``foundation.search`` (segmentation, synonyms, pinyin), inside
the rows the reader may see (``within``), with facets for the filters.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from shuzheng.data.catalog import search as registration
from shuzheng.data.catalog.models import (
    VISIBLE_STATES,
    CatalogueEntry,
    Classification,
    EntryStatus,
    EntryVersion,
    GradingRecord,
    GradingStatus,
    OpenType,
)
from shuzheng.foundation import access
from shuzheng.foundation import search as index

VIEW = "datacatalog.view"
EDIT = "datacatalog.edit"
REVIEW = "datacatalog.review"
REVIEW_GRADING = "datacatalog.review_grading"
MAX_QUERY = 100
MAX_LIMIT = 100


def _rows() -> QuerySet[CatalogueEntry]:
    return CatalogueEntry.objects.select_related("provider", "classification", "maintainer")


def own_entries(user) -> QuerySet[CatalogueEntry]:
    """Entries whose working copy ``user`` edits (``datacatalog.edit`` on the provider)."""
    return access.scope(user, _rows(), EDIT)


def reviewable_entries(user) -> QuerySet[CatalogueEntry]:
    """Entries ``user`` reviews (``datacatalog.review``), any state but 草稿."""
    return access.scope(user, _rows(), REVIEW).exclude(status=EntryStatus.DRAFT)


def visible_entries(user) -> QuerySet[CatalogueEntry]:
    """Published / revising entries for holders of ``datacatalog.view``, plus the user's
    own working copies."""
    own = own_entries(user).values("pk")
    if access.holds(user, VIEW):
        return _rows().filter(Q(status__in=VISIBLE_STATES) | Q(pk__in=own))
    return _rows().filter(pk__in=own)


def readable_entries(user) -> QuerySet[CatalogueEntry]:
    """Every entry ``user`` may open: visible, own, or under the user's review."""
    reviewed = reviewable_entries(user).values("pk")
    return visible_entries(user) | _rows().filter(pk__in=reviewed)


def get_entry(user, code: str) -> CatalogueEntry:
    """One entry by its 信息资源代码 (404 when ``user`` may not read it)."""
    entry = readable_entries(user).filter(code=code).first()
    if entry is None:
        raise Http404(code)
    return entry


def sees_working_copy(user, entry: CatalogueEntry) -> bool:
    """Owners (``datacatalog.edit``) and reviewers read the working copy; everyone else the
    publication."""
    if own_entries(user).filter(pk=entry.pk).exists():
        return True
    return reviewable_entries(user).filter(pk=entry.pk).exists()


def published_form(entry: CatalogueEntry) -> dict | None:
    """What non-owners read: the last publication (None while never published or withdrawn)."""
    if entry.status not in VISIBLE_STATES or not entry.published:
        return None
    return entry.published


def review_queue(user) -> QuerySet[CatalogueEntry]:
    """Entries waiting for ``user``'s review, oldest change first."""
    return (
        access.scope(user, _rows(), REVIEW)
        .filter(status=EntryStatus.REVIEWING)
        .order_by("updated_at", "pk")
    )


def grading_queue(user) -> QuerySet[GradingRecord]:
    """Grading proposals waiting for ``user``'s review, oldest first."""
    rows = GradingRecord.objects.select_related("entry", "entry__provider", "item", "proposed_by")
    return (
        access.scope(user, rows, REVIEW_GRADING)
        .filter(status=GradingStatus.PROPOSED)
        .order_by("proposed_at", "pk")
    )


def grading_records(user) -> QuerySet[GradingRecord]:
    """Grading records ``user`` may read: of the provider's own entries (``datacatalog.edit``)
    or under the user's grading review."""
    rows = GradingRecord.objects.select_related("entry", "proposed_by", "reviewed_by")
    mine = access.scope(user, rows, EDIT).values("pk")
    reviewed = access.scope(user, rows, REVIEW_GRADING).values("pk")
    return rows.filter(Q(pk__in=mine) | Q(pk__in=reviewed))


def gradings(user, entry: CatalogueEntry) -> QuerySet[GradingRecord]:
    """The grading history of ``entry`` (owners and grading reviewers), newest first."""
    return grading_records(user).filter(entry=entry).order_by("-proposed_at", "-pk")


def versions(user, entry: CatalogueEntry) -> QuerySet[EntryVersion]:
    """Publications of ``entry`` (anyone who may read it), newest first."""
    if not readable_entries(user).filter(pk=entry.pk).exists():
        return EntryVersion.objects.none()
    return (
        EntryVersion.objects.filter(entry=entry).select_related("reviewed_by").order_by("-version")
    )


def classifications() -> QuerySet[Classification]:
    return Classification.objects.select_related("parent").order_by("code")


def filtered(
    rows: QuerySet[CatalogueEntry],
    *,
    provider=None,
    kind: str = "",
    share_type: str = "",
    grade: str = "",
    update_cycle: str = "",
    status: str = "",
    classification: str = "",
) -> QuerySet[CatalogueEntry]:
    """The list filters, applied to the fields everyone reads (a revising entry's
    attributes are its working copy's, close enough for a list)."""
    if provider:
        rows = rows.filter(provider_id=getattr(provider, "pk", provider))
    if kind:
        rows = rows.filter(kind=kind)
    if share_type:
        rows = rows.filter(share_type=share_type)
    if grade:
        rows = rows.filter(grade=grade)
    if update_cycle:
        rows = rows.filter(update_cycle=update_cycle)
    if status:
        rows = rows.filter(status=status)
    if classification:
        rows = rows.filter(classification__code__startswith=classification)
    return rows


def _facet_groups(facets: dict | None) -> list[list[str]]:
    groups = []
    for name, value in (facets or {}).items():
        if value in (None, "", (), []):
            continue
        values = value if isinstance(value, list | tuple | set) else [value]
        values = [getattr(v, "pk", v) for v in values]
        groups.append([registration.facet(name, v) for v in values])
    return groups


def search(user, text: str, *, facets: dict | None = None, limit: int = 20, offset: int = 0):
    """Visible entries matching ``text`` (Chinese, pinyin, initials, synonyms), best first,
    as ``foundation.search`` Results (``hit.object`` is the entry). ``facets``: ``{"provider":
    id, "kind": …, "share_type": …, "grade": …, "update_cycle": …, "open_type": …}`` (a list
    for any of them). Holders of ``datacatalog.view`` search every visible entry, others only
    the open ones; drafts are never in the index."""
    registration.ensure_registered()
    text = " ".join(str(text or "").split())[:MAX_QUERY]
    limit = max(1, min(int(limit), MAX_LIMIT))
    within = None  # the index holds visible entries only: a holder of VIEW reads them all
    if not access.holds(user, VIEW):
        # the publication's open type: a revision's working copy is not what is open
        within = CatalogueEntry.objects.filter(
            status__in=VISIBLE_STATES,
            published__open_type__in=[OpenType.UNCONDITIONAL, OpenType.CONDITIONAL],
        )
    return index.query(
        user,
        text,
        models=[CatalogueEntry],
        limit=limit,
        offset=max(0, int(offset)),
        within=within,
        facets=_facet_groups(facets),
    )
