"""Reading the 知识库: what operators are offered while they type, what citizens find on
the portal, and what administrators manage.

Who reads what: an article is *offered* (``suggest``, ``search``, the portal page) only
while it is published and valid on the day (``valid_from`` ≤ today ≤ ``valid_until``);
citizens and anonymous visitors see only ``public`` articles, staff of the hotline loop
(register / dispatch / handle / review / callback / manage) the internal 口径 too.
Administrators (``hotline.manage`` on the article's organisation subtree) see every
article of their subtree, drafts and withdrawn ones included (``manageable``).

Text search goes through ``foundation.search`` (segmentation, synonyms, pinyin, typos),
restricted to KnowledgeArticle and, inside the index query (``within``), to the rows the
reader may be offered — so ranking and paging see only those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import pgettext

from shuzheng.foundation import access
from shuzheng.foundation import search as index
from shuzheng.foundation.identity.models import Organisation
from shuzheng.governance.hotline.models import ArticleStatus, Category, KnowledgeArticle

READ = "hotline.knowledge"
MANAGE = "hotline.manage"
# holders of any of these (anywhere) read the internal (non-public) 口径 as well
STAFF_READERS = (
    "hotline.register",
    "hotline.dispatch",
    "hotline.handle",
    "hotline.review",
    "hotline.callback",
    "hotline.manage",
)
MAX_QUERY = 100
SUGGEST_POOL = 20  # candidates re-ordered by category before the first ``limit`` are kept
VALIDITY = ("valid", "expired", "future")


def _indexed() -> None:
    """The registration normally happens in ``HotlineConfig.ready()``; make sure of it
    (idempotent) so that a search never fails for want of it."""
    from shuzheng.foundation.search.registry import SPECS

    if KnowledgeArticle not in SPECS:
        from shuzheng.governance.hotline import search as registration

        registration.register()


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def sees_internal(user) -> bool:
    """Whether ``user`` is hotline staff who may read non-public articles."""
    return any(access.holds(user, perm) for perm in STAFF_READERS)


def valid_on(qs: QuerySet, today: dt.date) -> QuerySet:
    return qs.filter(valid_from__lte=today).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def offered(user, *, today: dt.date | None = None) -> QuerySet[KnowledgeArticle]:
    """The articles ``user`` may be offered today: published, valid, public unless staff."""
    rows = access.scope(user, KnowledgeArticle.objects.all(), READ)
    rows = valid_on(rows.filter(status=ArticleStatus.PUBLISHED), _today(today))
    if not sees_internal(user):
        rows = rows.filter(public=True)
    return rows.select_related("category", "organisation")


def _category_codes(category: Category | None) -> tuple[str, ...]:
    """The codes an article's category may have to count as "in" ``category``: the
    category itself and its ancestors (a level-2 article answers for its leaves)."""
    if category is None:
        return ()
    code = category.code
    return tuple(code[:n] for n in range(2, len(code) + 1, 2))


def _closeness(article: KnowledgeArticle, codes: tuple[str, ...]) -> int:
    """0: the same category, 1: an ancestor or descendant or sibling under the same
    level-2 category, 2: anything else."""
    if not codes or article.category is None:
        return 2
    code = article.category.code
    if code == codes[-1]:
        return 0
    if code in codes or code.startswith(codes[-1]):
        return 1
    if len(codes) >= 2 and code.startswith(codes[1]):
        return 1
    return 2


def _clean_text(text) -> str:
    return " ".join(str(text or "").split())[:MAX_QUERY]


def suggest(
    user, text: str, *, category: Category | None = None, limit: int = 5, today=None
) -> list[KnowledgeArticle]:
    """Articles answering ``text`` for ``user``, best first, those of ``category`` (and
    its branch) ahead of the others. Without words, the most used articles of the
    category. Fast enough for every keystroke (called on keyup, debounced): a few small
    queries, the ranking done by the index."""
    text = _clean_text(text)
    limit = max(1, min(int(limit), 20))
    rows = offered(user, today=today)
    if not text:
        if category is None:
            return []
        codes = _category_codes(category)
        return list(
            rows.filter(category__code__startswith=codes[-1]).order_by("-uses", "title")[:limit]
        )
    pool = max(limit * 3, SUGGEST_POOL) if category is not None else limit
    _indexed()
    found = index.query(
        user, text, models=[KnowledgeArticle], limit=pool, within=rows, explain=False
    )
    ranked = [hit.object for hit in found]  # rows of ``offered``; relations loaded
    if category is not None:
        codes = _category_codes(category)
        ranked = [
            a for _n, a in sorted(enumerate(ranked), key=lambda p: (_closeness(p[1], codes), p[0]))
        ]
    return ranked[:limit]


@dataclass
class ArticleHit:
    article: KnowledgeArticle
    title: SafeString  # matches marked, escaped
    snippet: SafeString
    explanation: str = ""


@dataclass
class ArticleResults:
    query: str
    hits: list[ArticleHit] = field(default_factory=list)
    limit: int = 20
    offset: int = 0
    has_more: bool = False
    relaxed: bool = False

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.has_more else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset else None

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


def search(
    user,
    text: str,
    *,
    category: Category | None = None,
    limit: int = 20,
    offset: int = 0,
    today=None,
) -> ArticleResults:
    """The portal's and the API's search: offered articles matching ``text`` (within
    ``category``'s branch when given), best first, titles and snippets highlighted; without
    words, the branch's (or all) offered articles, most used first."""
    text = _clean_text(text)
    limit = max(1, min(int(limit), 50))
    offset = max(0, int(offset))
    rows = offered(user, today=today)
    if category is not None:
        rows = rows.filter(category__code__startswith=category.code)
    results = ArticleResults(query=text, limit=limit, offset=offset)
    if not text:
        page = list(rows.order_by("-uses", "title", "pk")[offset : offset + limit + 1])
        results.has_more = len(page) > limit
        results.hits = [ArticleHit(a, escape(a.title), escape(a.question)) for a in page[:limit]]
        return results
    _indexed()
    found = index.query(
        user, text, models=[KnowledgeArticle], limit=limit, offset=offset, within=rows
    )
    results.has_more, results.relaxed = found.has_more, found.relaxed
    for hit in found:
        article = hit.object  # a row of ``offered`` (``within``); relations loaded
        results.hits.append(
            ArticleHit(
                article,
                found.highlight(article.title),
                found.snippet(f"{article.question} {article.answer}".strip()),
                pgettext("list separator", "、").join(dict.fromkeys(str(m) for m in hit.matches)),
            )
        )
    return results


def article(user, pk, *, today=None) -> KnowledgeArticle:
    """One article for reading: one the user may be offered today, or — for its
    administrators — any of theirs (a draft's preview). Otherwise 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    found = offered(user, today=today).filter(pk=pk).first()
    if found is None and access.holds(user, MANAGE):
        found = manageable(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def manageable(user) -> QuerySet[KnowledgeArticle]:
    """Every article of the organisations ``user`` manages (``hotline.manage`` subtree)."""
    return access.scope(
        user,
        KnowledgeArticle.objects.select_related("category", "organisation", "updated_by"),
        MANAGE,
    )


def managed_article(user, pk) -> KnowledgeArticle:
    """One article ``user`` may edit, or 404."""
    try:
        return manageable(user).get(pk=int(pk))
    except (KnowledgeArticle.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def managed_list(
    user,
    *,
    status: str | None = None,
    category: Category | None = None,
    validity: str | None = None,
    q: str | None = None,
    today=None,
) -> QuerySet[KnowledgeArticle]:
    """The workbench list: the user's manageable articles, filtered. ``validity``:
    "valid" (valid today), "expired" (ended before today), "future" (not yet valid)."""
    today = _today(today)
    rows = manageable(user)
    if status in ArticleStatus.values:
        rows = rows.filter(status=status)
    if category is not None:
        rows = rows.filter(category__code__startswith=category.code)
    if validity == "valid":
        rows = valid_on(rows, today)
    elif validity == "expired":
        rows = rows.filter(valid_until__lt=today)
    elif validity == "future":
        rows = rows.filter(valid_from__gt=today)
    text = _clean_text(q)
    if text:
        rows = rows.filter(
            Q(title__icontains=text) | Q(question__icontains=text) | Q(keywords__icontains=text)
        )
    return rows.order_by("-updated_at", "-pk")


def validity_of(article: KnowledgeArticle, today=None) -> str:
    """ "valid", "expired" or "future" on ``today``."""
    today = _today(today)
    if article.valid_from > today:
        return "future"
    if article.valid_until is not None and article.valid_until < today:
        return "expired"
    return "valid"


def categories(user, perm: str = READ) -> QuerySet[Category]:
    """Active categories (reference data) in code order, for pickers and filters."""
    return access.scope(user, Category.objects.filter(is_active=True), perm).order_by("code")


def organisations_for(user) -> QuerySet[Organisation]:
    """Organisations ``user`` may write articles for (the ``hotline.manage`` subtrees)."""
    paths = access.org_paths(user, MANAGE)
    if user is access.SYSTEM:
        return Organisation.objects.filter(is_active=True).order_by("path")
    if not paths:
        return Organisation.objects.none()
    within = Q()
    for path in paths:
        within |= Q(path__startswith=path)
    return Organisation.objects.filter(within, is_active=True).order_by("path")
