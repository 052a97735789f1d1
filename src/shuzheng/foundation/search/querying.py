"""Reading the index: ranked matches, filtered through ``access.scope`` like every read."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils.safestring import SafeString

from shuzheng.foundation import access
from shuzheng.foundation.access.policy import _active, _capability, _facts, _rule
from shuzheng.foundation.search import analysis, backends, highlight
from shuzheng.foundation.search.backends import Alternative, Expression
from shuzheng.foundation.search.registry import IndexSpec, resolve, spec_for_label

SYNONYM_TTL_SECONDS = 60
MAX_ROUNDS = 6


@dataclass
class Hit:
    model: type[Model]
    pk: Any
    object: Model
    score: float
    title: SafeString
    snippet: SafeString

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@dataclass
class Results:
    text: str
    hits: list[Hit] = field(default_factory=list)
    relaxed: bool = False  # no document had every word: any-word matches, best first

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


def expression(parsed: analysis.ParsedQuery, op: str = "AND") -> Expression | None:
    groups = []
    for term in parsed.terms:
        group = [Alternative(tokens) for tokens in term.alternatives]
        if term.pinyin:
            group.append(Alternative([term.pinyin], pinyin=True))
        if term.prefix:
            group.append(Alternative([term.prefix], pinyin=True, prefix=True))
        groups.append(group)
    if not groups:
        return None
    extra = [Alternative([parsed.whole_pinyin], pinyin=True)] if parsed.whole_pinyin else None
    return Expression(groups, op=op, extra=extra)


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


def match(text: str, *, labels: list[str], where: str = "", params=None, limit=20, offset=0):
    """Ranked (document id, model label, object id, score) rows, no access filter: for
    benchmarks and for ``query``. Every word must match; when no document has them all,
    any word may (``relaxed``)."""
    parsed = analysis.parse_query(text, synonyms())
    rows, relaxed = _match(parsed, labels, where, params or [], limit, offset)
    return rows, relaxed


def _match(parsed, labels, where, params, limit, offset, relaxed=None):
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
        loose = expression(parsed, "OR")
        return backend.search(cursor, loose, where_sql, all_params, limit, offset), True


def query(user, text: str, *, models=None, limit: int = 20, offset: int = 0) -> Results:
    """Search what ``user`` may read, best first, with highlighted title and snippet.

    Each candidate passes the same ``access.scope(user, …, perm)`` as every selector (perm
    from the model's registration) and the registration's ``queryset``; candidates are
    fetched in growing batches until ``offset + limit`` readable hits are found, so a
    page is full whenever enough readable matches exist."""
    specs = resolve(models)
    results = Results(text=text)
    if not text or not text.strip() or not specs:
        return results
    parsed = analysis.parse_query(text, synonyms())
    where, params = _prefilter(user, specs)
    wanted = offset + limit
    allowed: list[tuple[tuple, Model]] = []
    cursor_at, batch, relaxed = 0, max(wanted * 2, 50), None
    for _round in range(MAX_ROUNDS):
        rows, relaxed = _match(
            parsed, [s.label for s in specs], where, params, batch, cursor_at, relaxed
        )
        allowed += _readable(user, rows)
        cursor_at += len(rows)
        if len(allowed) >= wanted or len(rows) < batch:
            break
        batch *= 2
    results.relaxed = bool(relaxed)
    page = allowed[offset:wanted]
    docs = _documents([row[0] for row, _obj in page])
    for (doc_id, _label, _oid, score), obj in page:
        doc = docs[doc_id]
        results.hits.append(
            Hit(
                model=type(obj),
                pk=obj.pk,
                object=obj,
                score=float(score),
                title=highlight.title(doc.title, parsed),
                snippet=highlight.snippet(doc.body or doc.keywords, parsed),
            )
        )
    return results


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
        readable = access.scope(user, spec.rows().filter(pk__in=ids), spec.perm)
        for obj in readable:
            objects[(label, str(obj.pk))] = obj
    return [(row, objects[(row[1], row[2])]) for row in rows if (row[1], row[2]) in objects]


def _documents(ids):
    from shuzheng.foundation.search.models import SearchDocument

    return SearchDocument.objects.in_bulk(ids)


def ids(user, model, text: str, *, limit: int = 200) -> list:
    """Primary keys of ``model`` rows matching ``text`` that ``user`` may read, best first —
    for a selector that adds its own filters and ordering (``rows.filter(pk__in=…)``)."""
    return [hit.pk for hit in query(user, text, models=[model], limit=limit)]
