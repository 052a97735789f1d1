"""Reading the index: ranked matches, filtered through ``access.scope`` like every read."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import rjieba
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.access.policy import _active, _capability, _facts, _rule
from shuzheng.foundation.search import analysis, backends, highlight
from shuzheng.foundation.search.backends import Alternative, Expression
from shuzheng.foundation.search.registry import IndexSpec, resolve, spec_for_label

SYNONYM_TTL_SECONDS = 60
MAX_ROUNDS = 6
MAX_LEVEL_GROUPS = 20  # most word groups written in one level of a relaxed query
PER_WORD = 4  # a relaxed query of at most this many words looks each one up on its own
RERANK_WINDOW = 50  # top rows of the backend's ranking re-ranked by match quality
WITHIN_LIST = 500  # a ``within`` filter of at most this many rows is passed as their ids

KIND_LABELS = {
    analysis.EXACT: _("原词"),
    analysis.TRADITIONAL: _("繁体"),
    analysis.SYNONYM: _("同义词"),
    analysis.HOMOPHONE: _("同音"),
    analysis.TYPO: _("错字纠正"),
    analysis.PINYIN: _("拼音"),
    analysis.INITIALS: _("拼音首字母"),
}


FIELD_LABELS = {"title": _("标题"), "keywords": _("关键词"), "body": _("正文")}


@dataclass(frozen=True)
class Match:
    """Why a hit matched one word of the query: "生孩子 → 同义词 出生"."""

    query: str  # the word as the user typed it
    kind: str  # one of analysis.MATCH_KINDS
    word: str  # what the document has
    field: str  # title | keywords | body
    via: str = ""  # the corrected word ``word`` is a synonym of (居往证 → 居住证 → 暂住证)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    def __str__(self) -> str:
        if self.kind == analysis.EXACT:  # found as typed: say where, unless in the title
            if self.field == "title":
                return self.word
            return f"{self.query} → {FIELD_LABELS.get(self.field, self.field)}"
        if self.via and self.via != self.word:
            synonym = KIND_LABELS[analysis.SYNONYM]
            return f"{self.query} → {self.kind_label} {self.via} → {synonym} {self.word}"
        return f"{self.query} → {self.kind_label} {self.word}"

    def as_dict(self) -> dict:
        return {
            "query": self.query,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "word": self.word,
            "field": self.field,
            "via": self.via,
            "text": str(self),
        }


@dataclass
class Hit:
    model: type[Model]
    pk: Any
    object: Model
    score: float
    matches: list[Match] = field(default_factory=list)
    document: Any = field(default=None, repr=False)  # its SearchDocument (title, body …)
    parsed: analysis.ParsedQuery | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @cached_property
    def title(self) -> SafeString:
        """The indexed title with the matches marked (computed when first shown)."""
        return highlight.title(self.document.title, self.parsed)

    @cached_property
    def snippet(self) -> SafeString:
        return highlight.snippet(self.document.body or self.document.keywords, self.parsed)


@dataclass
class Results:
    text: str
    hits: list[Hit] = field(default_factory=list)
    relaxed: bool = False  # no document had every word: any-word matches, best first
    has_more: bool = False  # more readable hits follow this page
    parsed: analysis.ParsedQuery | None = None

    def highlight(self, text: str) -> SafeString:
        """``text`` (e.g. a field the index does not show) with this query's matches marked."""
        return highlight.title(text, self.parsed or analysis.ParsedQuery([]))

    def snippet(self, text: str, *, width: int = 120) -> SafeString:
        return highlight.snippet(text, self.parsed or analysis.ParsedQuery([]), width=width)

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index):
        return self.hits[index]


# --- synonyms ----------------------------------------------------------------------------

_synonyms: dict[str, Any] = {"at": 0.0, "map": None}


def synonyms() -> dict[str, set[str]]:
    """word → the other words of its groups (folded); cached per process, refreshed on
    edits in this process at once and in other processes within SYNONYM_TTL_SECONDS."""
    ttl = getattr(settings, "SEARCH_SYNONYM_TTL_SECONDS", SYNONYM_TTL_SECONDS)
    if _synonyms["map"] is None or time.monotonic() - _synonyms["at"] > ttl:
        from shuzheng.foundation.search.models import Synonym

        table: dict[str, set[str]] = defaultdict(set)
        for group in Synonym.objects.filter(is_active=True):
            words = list(dict.fromkeys(analysis.fold(w) for w in group.words()))
            for w in words:
                table[w].update(o for o in words if o != w)
        _synonyms.update(map=dict(table), at=time.monotonic())
    return _synonyms["map"]


def forget_synonyms(**_kwargs) -> None:
    _synonyms["map"] = None


# --- the expression ----------------------------------------------------------------------


def expression(
    parsed: analysis.ParsedQuery, op: str = "AND", *, at_least: int = 0, only: int | None = None
) -> Expression | None:
    """The backend expression of ``parsed``: every word (``AND``), any word (``OR``), any
    ``at_least`` of them, or (``only``) the one word of that index."""
    groups = []
    for n, term in enumerate(parsed.terms):
        if only is not None and n != only:
            continue
        group = [Alternative(tokens) for tokens in term.alternatives]
        if term.pinyin:
            group.append(Alternative([term.pinyin], pinyin=True))
        if term.prefix:
            group.append(Alternative([term.prefix], pinyin=True, prefix=True))
        groups.append(group)
    if not groups:
        return None
    extra = [Alternative([parsed.whole_pinyin], pinyin=True)] if parsed.whole_pinyin else None
    return Expression(groups, op=op, extra=extra, require=parsed.facets or None, at_least=at_least)


def facet_groups(facets) -> list[list[str]]:
    """``[["audience:person", "audience:both"], ["depth:3"]]`` (AND of groups, OR within
    one) as index tokens."""
    return [[analysis.facet_token(f) for f in group] for group in facets or () if group]


def _prefilter(user, specs: list[IndexSpec]) -> tuple[str, list]:
    """SQL narrowing the candidates by the access hints — an optimisation only. Rows it
    lets through still pass ``access.scope``; it must merely not hide readable rows."""
    clauses, params = [], []
    for spec in specs:
        cap = _capability(spec.perm)
        if cap.public or user is access.SYSTEM:
            clauses.append("d.model_label = %s")
            params.append(spec.label)
            continue
        if not _active(user):
            continue
        rule = _rule(spec.model)
        paths = access.org_paths(user, spec.perm)
        delegated = cap.delegable and rule.enterprise and _facts(user)["enterprises"].get(spec.perm)
        if (paths and rule.org is None) or delegated or spec.org_path is None:
            clauses.append("d.model_label = %s")  # the hint cannot tell: scope decides
            params.append(spec.label)
            continue
        ors, local = ["d.access_hint = 'public'"], [spec.label]
        for path in paths:
            ors.append("d.access_hint LIKE %s ESCAPE '\\'")
            local.append(path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        if cap.self_service and rule.owner:
            owned = spec.model._default_manager.filter(**{rule.owner: user})
            owned_ids = [str(pk) for pk in owned.values_list("pk", flat=True)[:500]]
            if owned_ids:
                ors.append("d.object_id IN (" + ", ".join(["%s"] * len(owned_ids)) + ")")
                local += owned_ids
        clauses.append("(d.model_label = %s AND (" + " OR ".join(ors) + "))")
        params += local
    if not clauses:
        return "1 = 0", []
    return " OR ".join(clauses), params


def match(
    text: str, *, labels: list[str], where: str = "", params=None, limit=20, offset=0, facets=None
):
    """Ranked (document id, model label, object id, score) rows, no access filter: for
    benchmarks and for ``query``. Every word must match; when no document has them all,
    any word may (``relaxed``); every facet group must (see ``query``)."""
    parsed = analysis.parse_query(text, synonyms())
    parsed.facets = facet_groups(facets)
    rows, relaxed, _located = _match(parsed, labels, where, params or [], limit, offset)
    return rows, relaxed


def _match(parsed, labels, where, params, limit, offset, relaxed=None):
    """(rows, relaxed, where their words are). The first RERANK_WINDOW rows of the
    backend's ranking are re-ranked by how well they match (``_rerank``) — always the same
    window, whatever the page, so pages never overlap or skip."""
    if offset >= RERANK_WINDOW:
        return (*_search(parsed, labels, where, params, limit, offset, relaxed), {})
    rows, relaxed = _search(
        parsed, labels, where, params, max(offset + limit, RERANK_WINDOW), 0, relaxed
    )
    rows, located = _rerank(parsed, rows, relaxed)
    return rows[offset : offset + limit], relaxed, located


def _search(parsed, labels, where, params, limit, offset, relaxed=None):
    strict = expression(parsed, "AND")
    if strict is None:
        return [], False
    backend = backends.current()
    marks = ", ".join(["%s"] * len(labels))
    where_sql = f"d.model_label IN ({marks})" + (f" AND ({where})" if where else "")
    all_params = [*labels, *params]
    with connection.cursor() as cursor:
        if relaxed is not True:
            rows = backend.search(cursor, strict, where_sql, all_params, limit, offset)
            if rows or relaxed is False or len(parsed.terms) == 1:
                return rows, False
            if offset and backend.search(cursor, strict, where_sql, all_params, 1, 0):
                return rows, False  # past the end of the strict results
        return _relaxed(backend, cursor, parsed, where_sql, all_params, limit, offset), True


def _relaxed(backend, cursor, parsed, where, params, limit, offset) -> list:
    """No document has every word: documents with all but one of them first, then all but
    two …, then any one word. Each level is a selective query; the any-word match of a
    whole query ranked up to 17,000 rows for a page of documents that mostly had one
    common word (查询) and none of the rest. A level whose expression would write word
    groups more than MAX_LEVEL_GROUPS times is skipped (of six words: all but one and any
    two; of seven or more, none). Any one word: for a short query each word on its own,
    merged by score, so that one common word's many matches cannot crowd out a rarer
    word's; for a longer one (more than PER_WORD words) a single query, whose score adds
    up the words a document has."""
    wanted = offset + limit
    rows: list = []
    seen: set = set()

    def add(found):
        for row in found:
            if row[0] not in seen:
                seen.add(row[0])
                rows.append(row)

    n = len(parsed.terms)
    for k in range(n - 1, 1, -1):
        if backends.combined_size(n, k) > MAX_LEVEL_GROUPS:
            continue
        loose = expression(parsed, "OR", at_least=k)
        add(backend.search(cursor, loose, where, params, wanted + len(rows), 0))
        if len(rows) >= wanted:
            return rows[offset:wanted]
    if n > PER_WORD:
        add(backend.search(cursor, expression(parsed, "OR"), where, params, wanted + len(rows), 0))
        return rows[offset:wanted]
    single = []  # merged by score, ties in the query's word order
    for i in range(n):
        one = expression(parsed, "OR", only=i)  # (with the whole query's pinyin, if any)
        found = backend.search(cursor, one, where, params, wanted + len(rows), 0)
        single += [(-float(row[3] or 0), i, j, row) for j, row in enumerate(found)]
    add(row for *_key, row in sorted(single, key=lambda item: item[:3]))
    return rows[offset:wanted]


# Where a document has a word of the query: (where, alternative). where — TITLE, KEYWORDS
# (keywords, or the pinyin column), BODY, ABSENT; alternative — the index of the term's
# first alternative found there, PINYIN_READING for a match through the pinyin column,
# UNKNOWN when a strict match was not found in the names (so it is in the body, but the
# names alone cannot say through which alternative).
TITLE, KEYWORDS, BODY, ABSENT = 0, 1, 2, 3
PINYIN_READING, UNKNOWN = -1, -2
Location = tuple[int, int]


def _rerank(parsed: analysis.ParsedQuery, rows: list, relaxed: bool) -> tuple[list, dict]:
    """The head of the backend's ranking re-ordered: more of the query's words matched
    first, then more of them in the title, then closer matches (the word itself before a
    synonym or a sound-alike, those before a synonym of a corrected word), then the
    backend's score. bm25 alone lets a rare synonym piece in a long title outrank the word
    itself in a short one (营业执照遗失补领 below an item whose keywords merely mention
    营业执照). Returns the rows and where each document has each word (``_locate``), which
    the explanations reuse; the body is looked at only when relaxed (only then may a
    document lack a word)."""
    head, tail = rows[:RERANK_WINDOW], rows[RERANK_WINDOW:]
    if len(head) < 2:
        return rows, {}
    located = _locations(parsed, [row[0] for row in head], body=relaxed)

    def key(numbered):
        n, row = numbered
        locations = located.get(row[0]) or [(ABSENT, UNKNOWN)] * len(parsed.terms)
        found = [(t, loc) for t, loc in zip(parsed.terms, locations, strict=True) if loc[0] < 3]
        in_title = sum(1 for _t, loc in found if loc[0] == TITLE)
        closeness = sum(_closeness(term, loc[1]) for term, loc in found)
        return (-len(found), -in_title, closeness, -float(row[3] or 0), n)

    return [row for _n, row in sorted(enumerate(head), key=key)] + tail, located


def _closeness(term: analysis.Term, alternative: int) -> int:
    """0: the word itself, 1: a synonym, sound-alike, pinyin reading or correction, 2: a
    synonym of a correction."""
    if alternative < 0:
        return 1
    kind, _word, via = term.reasons[alternative]
    if kind in (analysis.EXACT, analysis.TRADITIONAL):
        return 0
    return 2 if via else 1


def _locations(parsed: analysis.ParsedQuery, ids: list[int], *, body: bool):
    """{document id: [Location per term]} — in the database where the backend can
    (PostgreSQL: fetching 50 documents' lexemes cost 3–9 ms), else from their tokens."""
    if not ids or not parsed.terms:
        return {}
    backend = backends.current()
    if hasattr(backend, "locate"):
        with connection.cursor() as cursor:
            return backend.locate(cursor, ids, _location_queries(parsed), body=body)
    fields = backends.FIELDS if body else ("a", "b", "py")
    tokens = _tokens(ids, fields)
    return {
        pk: [_locate(term, tokens.get(pk, {}), body=body) for term in parsed.terms] for pk in ids
    }


def _location_queries(parsed: analysis.ParsedQuery):
    """Per term: (an expression per alternative, the pinyin expression or None)."""
    out = []
    for term in parsed.terms:
        spoken = []
        if term.pinyin:
            spoken.append(Alternative([term.pinyin], pinyin=True))
        if term.prefix:
            spoken.append(Alternative([term.prefix], pinyin=True, prefix=True))
        out.append(
            (
                [Expression([[Alternative(tokens)]]) for tokens in term.alternatives],
                Expression([spoken]) if spoken else None,
            )
        )
    return out


def _locate(term: analysis.Term, fields: dict[str, set[str]], *, body: bool) -> Location:
    """Where ``fields`` (a document's tokens) have ``term``: its first alternative in the
    title, else in the keywords, else its pinyin reading, else (``body``) its first
    alternative in the body; without ``body``, UNKNOWN in the body."""
    title = fields.get("a", set())
    named = title | fields.get("b", set())
    for where, tokens in ((TITLE, title), (KEYWORDS, named)):
        for n, alternative in enumerate(term.alternatives):
            if all(t in tokens for t in alternative):
                return where, n
    spoken = fields.get("py", set())
    if (term.pinyin and term.pinyin in spoken) or (
        term.prefix and any(t.startswith(term.prefix) for t in spoken)
    ):
        return KEYWORDS, PINYIN_READING
    if not body:
        return BODY, UNKNOWN
    everything = named | fields.get("c", set())
    for n, alternative in enumerate(term.alternatives):
        if all(t in everything for t in alternative):
            return BODY, n
    return ABSENT, UNKNOWN


def query(
    user,
    text: str,
    *,
    models=None,
    limit: int = 20,
    offset: int = 0,
    within: QuerySet | None = None,
    facets=None,
    explain: bool = True,
) -> Results:
    """Search what ``user`` may read, best first, with highlighted title and snippet and,
    per hit, which words matched and how (``Hit.matches``).

    Each candidate passes the same ``access.scope(user, …, perm)`` as every selector (perm
    from the model's registration) and the registration's ``queryset``; candidates are
    fetched in growing batches until ``offset + limit`` readable hits are found, so a
    page is full whenever enough readable matches exist. ``within``: a queryset of one of
    the models — only its rows are candidates (a selector's filters, applied inside the
    index query so that ranking and paging see them). ``facets``: groups of facet values
    the documents must have (``register(facets=…)``) — AND of the groups, OR within one,
    e.g. ``[["audience:person", "audience:both"], ["depth:3"]]``; tokens in the index, so
    filtering costs the index lookup only."""
    specs = resolve(models)
    results = Results(text=text)
    if not text or not text.strip() or not specs:
        return results
    parsed = analysis.parse_query(text, synonyms())
    parsed.facets = facet_groups(facets)
    results.parsed = parsed
    where, params = _prefilter(user, specs)
    if within is not None:
        within_sql, within_params = _within(within)
        where, params = f"({where}) AND {within_sql}", [*params, *within_params]
    wanted = offset + limit
    allowed: list[tuple[tuple, Model]] = []
    cursor_at, batch, relaxed = 0, max(wanted * 2, RERANK_WINDOW), None
    located: dict[int, list[Location]] = {}
    for _round in range(MAX_ROUNDS):
        rows, relaxed, known = _match(
            parsed, [s.label for s in specs], where, params, batch, cursor_at, relaxed
        )
        located.update(known)
        pending = rows
        while pending and len(allowed) <= wanted:  # read only as many objects as needed
            need = wanted + 1 - len(allowed)
            allowed += _readable(user, pending[:need])
            pending = pending[need:]
        cursor_at += len(rows)
        if len(allowed) > wanted or len(rows) < batch:
            break
        batch *= 2
    results.relaxed = bool(relaxed)
    results.has_more = len(allowed) > wanted
    page = allowed[offset:wanted]
    objects = {(row[1], row[2]): obj for row, obj in page}
    page = [row for row, _obj in page]
    doc_ids = [row[0] for row in page]
    docs = _documents(doc_ids)
    if explain:  # the re-ranking located most words; the body only where still needed
        unsure = [
            pk
            for pk in doc_ids
            if pk not in located or any(loc[1] == UNKNOWN for loc in located[pk])
        ]
        located.update(_locations(parsed, unsure, body=True))
    for doc_id, label, object_id, score in page:
        doc, obj = docs[doc_id], objects[(label, object_id)]
        results.hits.append(
            Hit(
                model=type(obj),
                pk=obj.pk,
                object=obj,
                score=float(score),
                matches=explain_match(parsed, doc, located.get(doc_id, ())) if explain else [],
                document=doc,
                parsed=parsed,
            )
        )
    return results


def _within(queryset: QuerySet) -> tuple[str, list]:
    """SQL keeping the documents of ``queryset``'s model to its rows (others untouched).

    A selective filter (at most WITHIN_LIST rows, e.g. one department's items) becomes a
    list of ids: the document index finds them directly, where testing the filter on every
    match of a common word walked the whole table on PostgreSQL (40 ms). A broad one, with
    an integer primary key, becomes a correlated EXISTS — one primary-key probe per
    candidate, where ``IN (SELECT …)`` built the whole id list for every statement; other
    keys compare as text."""
    spec = resolve([queryset.model])[0]
    queryset = queryset.order_by()
    try:
        few = [str(pk) for pk in queryset.values_list("pk", flat=True)[: WITHIN_LIST + 1]]
    except EmptyResultSet:  # .none() or an empty IN list: no row of that model
        few = []
    if len(few) <= WITHIN_LIST:
        if not few:
            return "d.model_label <> %s", [spec.label]
        marks = ", ".join(["%s"] * len(few))
        return f"(d.model_label <> %s OR d.object_id IN ({marks}))", [spec.label, *few]
    pk = queryset.model._meta.pk
    if pk.get_internal_type() in ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField"):
        kind = "BIGINT" if connection.vendor == "postgresql" else "INTEGER"
        cast = RawSQL(f"CAST(d.object_id AS {kind})", [])  # noqa: S611  (no input in it)
        sql, params = queryset.filter(pk=cast).values("pk").query.sql_with_params()
        return f"(d.model_label <> %s OR EXISTS ({sql}))", [spec.label, *params]
    ids = queryset.annotate(_search_oid=Cast("pk", output_field=CharField())).values_list(
        "_search_oid", flat=True
    )
    sql, params = ids.query.sql_with_params()
    return f"(d.model_label <> %s OR d.object_id IN ({sql}))", [spec.label, *params]


def _tokens(doc_ids: list[int], fields=backends.FIELDS) -> dict[int, dict[str, set[str]]]:
    with connection.cursor() as cursor:
        return backends.current().tokens(cursor, doc_ids, fields)


def explain_match(parsed: analysis.ParsedQuery, doc, located) -> list[Match]:
    """Which words of ``parsed`` the document ``doc`` (a SearchDocument) matched, and how,
    from where they were located (``_locations``)."""
    names = {TITLE: "title", KEYWORDS: "keywords", BODY: "body"}
    found: list[Match] = []
    for term, (where, alternative) in zip(parsed.terms, located, strict=False):
        if where == ABSENT or alternative == UNKNOWN:
            continue
        if alternative >= 0:
            kind, word, via = term.reasons[alternative]
            found.append(Match(term.shown, kind, word, names[where], via))
            continue
        # through the pinyin column: find the word that reads so
        word, initials = _spoken_word(doc, term.pinyin or term.prefix, prefix=not term.pinyin)
        if term.pinyin:
            kind = analysis.EXACT if word == term.word else analysis.HOMOPHONE
        else:
            kind = analysis.INITIALS if initials else analysis.PINYIN
        field_name = "title" if word and word in doc.title else "keywords"
        found.append(Match(term.shown, kind, word or term.word, field_name))
    if not found and parsed.whole_pinyin:
        word, _initials = _spoken_word(doc, parsed.whole_pinyin, prefix=False)
        if word:
            typed = "".join(t.shown for t in parsed.terms)
            found.append(Match(typed, analysis.HOMOPHONE, word, "title"))
    return found


def _spoken_word(doc, form: str, *, prefix: bool) -> tuple[str, bool]:
    """The word of the document's title or keywords that reads ``form`` (in full pinyin or
    initials; the start of it when ``prefix``), as written there, and whether the initials
    matched."""
    text = f"{doc.title} {doc.keywords}"[:2000]
    folded = analysis.fold_aligned(text)
    spans = [
        (start, end)
        for token, start, end in rjieba.tokenize(folded, mode="search")
        if analysis.has_cjk(token)
    ]
    precise = [(a, b) for t, a, b in rjieba.tokenize(folded) if analysis.has_cjk(t)]
    spans += [(a[0], b[1]) for a, b in zip(precise, precise[1:], strict=False) if a[1] == b[0]]
    best = None
    for start, end in spans:
        full, initials = analysis.pinyin(folded[start:end])
        for candidate, is_initials in ((full, False), (initials, True)):
            if candidate == form or (prefix and candidate.startswith(form)):
                score = (candidate == form, -(end - start) if prefix else end - start)
                if best is None or score > best[0]:
                    best = (score, text[start:end], is_initials and full != form)
    if best is None:
        return "", False
    return best[1], best[2]


def suggest(text: str, *, limit: int = 5) -> list[str]:
    """Known words (the synonym table's) that a query which found nothing may have meant:
    words sharing most of a query word's characters, or read as a word typed in pinyin —
    for a "did you mean" line. Words the query already searched for are left out."""
    table = synonyms()
    parsed = analysis.parse_query(text, table)
    searched = {w for term in parsed.terms for _kind, w, _via in term.reasons}
    searched |= {term.word for term in parsed.terms}
    found: list[tuple[float, int, str]] = []
    for term in parsed.terms:
        if analysis.is_latin(term.word):
            for w in table:
                full, initials = analysis.pinyin(w)
                if full.startswith(term.word) or initials.startswith(term.word):
                    found.append((-1.0, len(w), w))
        elif analysis.has_cjk(term.word) and len(term.word) >= 2:
            chars = set(term.word)
            for w in table:
                shared = len(chars & set(w))
                if shared >= 2 or (shared and len(term.word) == 2):
                    found.append((-shared / max(len(w), len(term.word)), len(w), w))
    ordered = [w for _score, _n, w in sorted(found) if w not in searched]
    return list(dict.fromkeys(ordered))[:limit]


def _readable(user, rows) -> list[tuple[tuple, Model]]:
    """The rows whose object ``user`` may read, in rank order, each with its object."""
    by_label: dict[str, list] = defaultdict(list)
    for row in rows:
        by_label[row[1]].append(row[2])
    objects: dict[tuple[str, str], Model] = {}
    for label, ids in by_label.items():
        spec = spec_for_label(label)
        if spec is None:
            continue
        for obj in access.scope(user, spec.rows().filter(pk__in=ids), spec.perm):
            objects[(label, str(obj.pk))] = obj
    return [(row, objects[(row[1], row[2])]) for row in rows if (row[1], row[2]) in objects]


def _documents(ids):
    from shuzheng.foundation.search.models import SearchDocument

    return SearchDocument.objects.only("title", "body", "keywords").in_bulk(ids)


def ids(
    user, model, text: str, *, limit: int = 200, within: QuerySet | None = None, facets=None
) -> list:
    """Primary keys of ``model`` rows matching ``text`` that ``user`` may read, best first —
    for a selector that adds its own filters and ordering (``rows.filter(pk__in=…)``)."""
    found = query(
        user, text, models=[model], limit=limit, within=within, facets=facets, explain=False
    )
    return [hit.pk for hit in found]
