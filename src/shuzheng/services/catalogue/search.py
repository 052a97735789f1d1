"""办事搜索: finding a service item in the words a citizen uses.

The catalogue registers its items with ``foundation.search`` (``register()``, called from
``CatalogueConfig.ready()``): an item is a document while its current version is
published — title = the name (+ short name), keywords = the version's keywords, theme
names, the 基本目录 name and the department's names, body = 受理条件, material names
and Q&A. Saving the item (``current`` moves on publication) or its current version
(withdrawal) re-indexes it after commit.

What makes "生孩子要办什么" find 出生医学证明 is foundation.search's query side — filler
words dropped, the synonym table, pinyin and initials, Traditional folding, sound-alike and
look-alike corrections — fed with the catalogue's own synonym groups
(``data/synonyms.json``, loaded by :func:`load_synonyms`, ``manage.py search synonyms`` and
the demo). The portal's filters are index facets of each document (department and the bodies
above it, audience, themes, online depth, scope), so :func:`search_items` filters inside
the index query; it says, per hit, which words matched and how.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shuzheng.foundation import access, search
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.search import services as search_services
from shuzheng.foundation.search.analysis import fold
from shuzheng.foundation.search.querying import Match
from shuzheng.services.catalogue import selectors
from shuzheng.services.catalogue.models import (
    Audience,
    BasicItem,
    HandlingScope,
    ItemVersion,
    ServiceItem,
    Theme,
)

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.json"
MAX_QUERY = 100
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
AUDIENCES = ("person", "legal")
DEPTHS = (1, 2, 3, 4)


# --- the index -----------------------------------------------------------------------------


def _title(item: ServiceItem) -> str:
    version = item.current
    if version.short_name and version.short_name not in version.name:
        return f"{version.name} {version.short_name}"
    return version.name


def _keywords(item: ServiceItem) -> list[str]:
    version, org = item.current, item.organisation
    translated = [
        (texts or {}).get("name", "")
        for texts in (version.translations or {}).values()
        if isinstance(texts, dict)
    ]
    return [
        *(str(k) for k in (version.keywords or [])),
        *(theme.name for theme in version.themes.all()),
        item.basic.name,
        org.name,
        org.short_name,
        *(org.alt_names or []),
        version.entrusted_department,
        version.result_name,
        *translated,
    ]


def _body(item: ServiceItem) -> str:
    """受理条件, the materials still asked for, the Q&A — readable, as it is also the
    snippet shown under a hit."""
    version = item.current
    parts = [version.acceptance_conditions.strip()]
    materials = [m.name for m in version.materials.all() if not m.removed_rule]
    if materials:
        parts.append(_("申请材料：") + "、".join(materials))
    for qa in version.questions.all():
        parts.append(_("问：%(q)s 答：%(a)s") % {"q": qa.question, "a": qa.answer})
    return " ".join(p for p in parts if p)


# What a hit never shows: left out of the rows every search reads (the access step, the
# page's objects) — the application form alone is most of a version's bytes.
_NOT_SHOWN = (
    "current__form_schema",
    "current__form_ui",
    "current__legal_basis",
    "current__acceptance_conditions",
    "current__process",
    "current__handling_forms",
    "current__review_steps",
    "current__location",
    "current__office_hours",
    "current__change_note",
    "current__keywords",
    "basic__legal_basis",
    "organisation__sources",
    "organisation__note",
)


def listed_items() -> QuerySet[ServiceItem]:
    """Published items as search results show them (the registration's queryset)."""
    return selectors.published_items().defer(*_NOT_SHOWN)


def _facets(item: ServiceItem) -> list[str]:
    """What the portal filters on, as index facets (``Filters.facets`` asks for them): the
    implementing body and every body above it (a department's filter includes its
    branches), the audience, the themes, each depth up to the item's (depth ≥ n is one
    facet), the handling scope."""
    version, path = item.current, item.organisation.path
    ancestors = [path[: i + 1] for i, ch in enumerate(path) if ch == "/"]
    return [
        *(f"org:{p}" for p in ancestors),
        f"audience:{version.audience}",
        *(f"theme:{theme.code}" for theme in version.themes.all()),
        *(f"depth:{n}" for n in range(1, (version.online_depth or 0) + 1)),
        f"scope:{version.scope}",
    ]


def _for_indexing(items: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
    return (
        items.defer(None)
        .select_related("organisation", "basic", "current")
        .prefetch_related("current__themes", "current__materials", "current__questions")
    )


def _items_of_version(version: ItemVersion):
    return ServiceItem.objects.filter(current_id=version.pk).values_list("pk", flat=True)


def _items_of_theme(theme: Theme):
    return ServiceItem.objects.filter(current__themes=theme).values_list("pk", flat=True)


def _items_of_basic(basic: BasicItem):
    return ServiceItem.objects.filter(basic=basic).values_list("pk", flat=True)


def _items_of_organisation(org: Organisation):
    return ServiceItem.objects.filter(organisation=org).values_list("pk", flat=True)


def register() -> None:
    """Declare how service items are searched (called once, from the app's ``ready()``)."""
    search.register(
        ServiceItem,
        perm="catalogue.view",
        title=_title,
        keywords=_keywords,
        body=_body,
        public=True,
        org_path="organisation.path",
        queryset=listed_items,
        for_indexing=_for_indexing,
        facets=_facets,
        depends_on=[
            (ItemVersion, _items_of_version),
            (Theme, _items_of_theme),
            (BasicItem, _items_of_basic),
            (Organisation, _items_of_organisation),
        ],
    )
    search.synonym_file("catalogue", SYNONYMS_FILE)


def load_synonyms(actor=access.SYSTEM, *, channel: str | None = None):
    """Add the catalogue's synonym groups the table lacks (idempotent; edits in admin stay)."""
    groups = search_services.read_synonym_file(SYNONYMS_FILE)
    return search.load_synonyms(actor, groups, source="catalogue", channel=channel)


# --- filters -------------------------------------------------------------------------------


@dataclass
class Filters:
    """The portal's narrowing of a search (or, without words, a browse)."""

    department: Organisation | None = None
    audience: str = ""
    theme: Theme | None = None
    depth: int | None = None
    scope: str = ""

    def __bool__(self) -> bool:
        return bool(self.department or self.audience or self.theme or self.depth or self.scope)

    def as_params(self) -> dict[str, str]:
        """The filters as the page's query parameters (for links that keep them)."""
        params = {
            "dept": str(self.department.pk) if self.department else "",
            "audience": self.audience,
            "theme": self.theme.code if self.theme else "",
            "depth": str(self.depth or ""),
            "scope": self.scope,
        }
        return {k: v for k, v in params.items() if v}

    def facets(self) -> list[list[str]]:
        """The filters as index facets (see ``_facets``): AND of groups, OR within one."""
        groups = []
        if self.department:
            groups.append([f"org:{self.department.path}"])
        if self.audience:
            groups.append([f"audience:{self.audience}", f"audience:{Audience.BOTH}"])
        if self.theme:
            groups.append([f"theme:{self.theme.code}"])
        if self.depth:
            groups.append([f"depth:{self.depth}"])
        if self.scope:
            groups.append([f"scope:{self.scope}"])
        return groups

    def apply(self, items: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
        return selectors.filter_items(
            items,
            department=self.department,
            audience=self.audience or None,
            theme=self.theme.code if self.theme else None,
            depth=self.depth,
            scope=self.scope or None,
        )


def _int(value, name: str, errors: dict, *, low: int, high: int | None = None) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[name] = _("应为整数")
        return None
    if number < low or (high is not None and number > high):
        errors[name] = (
            _("应在 %(low)d 到 %(high)d 之间") % {"low": low, "high": high}
            if high is not None
            else _("不能小于 %(low)d") % {"low": low}
        )
        return None
    return number


def parse_filters(params) -> Filters:
    """Filters from request parameters (``dept`` or ``department`` = an organisation id,
    ``audience`` person / legal, ``theme`` a theme code, ``depth`` 1–4 = at least this
    在线办理深度, ``scope`` a 通办范围). Unknown values → ValidationError by field."""
    errors: dict[str, str] = {}
    filters = Filters()
    dept_key = "department" if params.get("department") not in (None, "") else "dept"
    dept = _int(params.get(dept_key), dept_key, errors, low=1)
    if dept is not None:
        filters.department = Organisation.objects.filter(pk=dept, is_active=True).first()
        if filters.department is None:
            errors[dept_key] = _("没有这个部门")
    audience = (params.get("audience") or "").strip()
    if audience == Audience.BOTH:
        audience = ""  # "both": no narrowing
    if audience and audience not in AUDIENCES:
        errors["audience"] = _("服务对象应为 person（个人）或 legal（法人）")
    filters.audience = audience if audience in AUDIENCES else ""
    code = (params.get("theme") or "").strip()
    if code:
        filters.theme = Theme.objects.filter(code=code).first()
        if filters.theme is None:
            errors["theme"] = _("没有这个主题")
    filters.depth = _int(params.get("depth"), "depth", errors, low=1, high=4)
    scope = (params.get("scope") or "").strip()
    if scope and scope not in HandlingScope.values:
        errors["scope"] = _("通办范围应为 %(values)s 之一") % {
            "values": "、".join(HandlingScope.values)
        }
    filters.scope = scope if scope in HandlingScope.values else ""
    if errors:
        raise ValidationError(errors)
    return filters


def parse_paging(params, *, default_limit: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """(limit, offset) from request parameters; limit 1–50."""
    errors: dict[str, str] = {}
    limit = _int(params.get("limit"), "limit", errors, low=1, high=MAX_LIMIT)
    offset = _int(params.get("offset"), "offset", errors, low=0, high=10_000)
    if errors:
        raise ValidationError(errors)
    return limit or default_limit, offset or 0


def parse_query(params) -> str:
    text = (params.get("q") or "").strip()
    if len(text) > MAX_QUERY:
        raise ValidationError({"q": _("搜索词不能超过 %(n)d 个字") % {"n": MAX_QUERY}})
    return text


def parse_request(params) -> tuple[str, Filters, int, int]:
    """(q, filters, limit, offset) of an API request; every bad field reported at once."""
    errors: dict = {}
    q, filters, (limit, offset) = "", Filters(), (DEFAULT_LIMIT, 0)
    try:
        q = parse_query(params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        filters = parse_filters(params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        limit, offset = parse_paging(params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return q, filters, limit, offset


# --- searching -----------------------------------------------------------------------------


@dataclass
class ItemHit:
    """One found item as the portal and the API show it."""

    item: ServiceItem
    name: SafeString  # the name in the reader's language, matches marked
    snippet: SafeString
    found: list[Match] = field(default_factory=list)
    shown_name: str = ""  # the name as displayed, unmarked

    @property
    def version(self) -> ItemVersion:
        return self.item.current

    @property
    def matches(self) -> list[Match]:
        """Which words matched and how; a title match that the displayed name does not
        show was in the 简称 (the index's title holds both)."""
        shown = fold(f"{self.shown_name} {self.version.name}")
        return [
            replace(m, field=str(_("简称")))
            if m.field == "title" and fold(m.word) not in shown
            else m
            for m in self.found
        ]

    @property
    def explanation(self) -> str:
        """Which words matched and how, e.g. "生孩子 → 同义词 出生；退休"."""
        return "；".join(dict.fromkeys(str(m) for m in self.matches))

    @property
    def explained(self) -> list[Match]:
        """The matches worth a line under the name: all but words found as typed in the
        displayed name, which its highlighting already shows."""
        return [m for m in self.matches if not (m.kind == "exact" and m.field == "title")]


@dataclass
class ItemResults:
    query: str
    filters: Filters
    hits: list[ItemHit]
    limit: int
    offset: int
    has_more: bool = False
    relaxed: bool = False
    suggestions: list[str] = field(default_factory=list)

    @property
    def browsing(self) -> bool:
        return not self.query

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.has_more else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset else None

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index):
        return self.hits[index]


def searchable_items(user, filters: Filters | None = None) -> QuerySet[ServiceItem]:
    """Published items ``user`` may read, narrowed by ``filters``."""
    items = access.scope(user, listed_items(), "catalogue.view")
    return filters.apply(items) if filters else items


def _language() -> str:
    from shuzheng.services.catalogue import localise

    return localise.language_of(get_language())


def _name(item: ServiceItem, language: str) -> str:
    from shuzheng.services.catalogue import localise

    return str(localise.localised(item.current, "name", language))


def search_items(
    user,
    text: str,
    filters: Filters | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> ItemResults:
    """Items matching ``text`` in citizen language, best first, within ``filters``; without
    words, the filtered items by name (browse). Nothing found → ``suggestions``: known words
    the query may have meant that do find something."""
    filters = filters or Filters()
    text = (text or "").strip()[:MAX_QUERY]
    language = _language()
    results = ItemResults(text, filters, [], limit, offset)
    if not text:
        items = searchable_items(user, filters).order_by("current__name", "pk")
        page = list(items[offset : offset + limit + 1])
        results.has_more = len(page) > limit
        results.hits = []
        for item in page[:limit]:
            name = _name(item, language)
            plain = mark_safe(escape(name))  # noqa: S308  (escaped)
            results.hits.append(ItemHit(item, plain, SafeString(""), shown_name=name))
        return results
    found = search.query(
        user, text, models=[ServiceItem], limit=limit, offset=offset, facets=filters.facets()
    )
    results.has_more, results.relaxed = found.has_more, found.relaxed
    results.hits = []
    for hit in found:
        name = _name(hit.object, language)
        results.hits.append(
            ItemHit(hit.object, found.highlight(name), hit.snippet, hit.matches, shown_name=name)
        )
    if not results.hits and not offset:
        results.suggestions = suggestions(user, text, filters)
    return results


def suggestions(user, text: str, filters: Filters | None = None, *, limit: int = 5) -> list[str]:
    """您是不是要找: known words close to ``text`` (synonym table, pinyin, look-alikes) that
    find at least one item under the same filters."""
    facets = filters.facets() if filters else None
    return [
        word
        for word in search.suggest(text, limit=limit * 2)
        if search.ids(user, ServiceItem, word, limit=1, facets=facets)
    ][:limit]


def departments() -> QuerySet[Organisation]:
    """Organisations that implement at least one published item (the department filter)."""
    return Organisation.objects.filter(
        pk__in=selectors.published_items().values("organisation")
    ).order_by("path")
