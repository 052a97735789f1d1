"""The two index backends behind one shape, chosen by the database vendor.

A document's tokens go into four weighted fields: ``a`` / ``b`` / ``c`` hold the
segmented words of the fields whose boost ranks them as title / keywords / body text,
``py`` holds the pinyin forms. SQLite stores them in an FTS5 table (unicode61 over the
space-separated tokens, bm25 with column weights); PostgreSQL in a tsvector built here
from the same tokens (weights A / B / C / D, GIN index), plus a small "name" vector of the
a / b / py tokens only (its own GIN index) that ranking (ts_rank) reads. Tokens reach the
database already segmented, so neither backend's own parser decides what a word is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

FIELDS = ("a", "b", "c", "py")
SQLITE_WEIGHTS = (10.0, 4.0, 1.0, 2.0)  # bm25 weights of a, b, c, py
PG_WEIGHTS = "{0.2, 0.1, 0.4, 1.0}"  # ts_rank weights of D (py), C, B, A
RANK_CANDIDATES = 500  # most matching rows ranked per query and tier (the newest on SQLite)
RECENT_WINDOW = 2000  # PostgreSQL: newest rows the body tier looks at before its index …
SPARSE_ROWS = 2000  # … unless the planner expects at most this many matches


@dataclass
class Alternative:
    """Tokens that must all occur (in a text field), or one pinyin token."""

    tokens: list[str]
    pinyin: bool = False
    prefix: bool = False


# An expression: list (AND or OR, per ``op``) of groups; a group: list of Alternatives (OR).
@dataclass
class Expression:
    groups: list[list[Alternative]]
    op: str = "AND"
    extra: list[Alternative] | None = None  # OR-ed with the whole expression
    require: list[list[str]] | None = None  # facet tokens: AND of groups, OR within one
    at_least: int = 0  # with op "OR": at least this many groups (2 of 3: a b | a c | b c)


def _combine(parts: list[str], expr: Expression, and_op: str, or_op: str) -> str:
    """The groups' compiled ``parts`` joined as ``expr`` says: all, any, or any
    ``at_least`` of them — factored, (a & (b | c)) | (b & c) rather than a & b | a & c |
    b & c, the longest part first, so that it is written (and looked up) once."""

    def at_least(items: list[str], k: int) -> str:
        if k <= 1:
            return "(" + or_op.join(items) + ")" if len(items) > 1 else items[0]
        if k >= len(items):
            return "(" + and_op.join(items) + ")"
        first, rest = items[0], items[1:]
        with_first = "(" + first + and_op + at_least(rest, k - 1) + ")"
        return "(" + with_first + or_op + at_least(rest, k) + ")"

    if expr.op == "AND":
        return "(" + and_op.join(parts) + ")"
    return at_least(sorted(parts, key=len, reverse=True), max(expr.at_least, 1))


def combined_size(n: int, k: int) -> int:
    """How many word groups ``_combine`` writes for any ``k`` of ``n``: n for all or any;
    2 of 4: 9, 3 of 6: 34, 3 of 8: 83 (the unfactored OR of ANDs: 12, 60, 168)."""
    if k <= 1 or k >= n:
        return n
    return 1 + combined_size(n - 1, k - 1) + combined_size(n - 1, k)


class SQLiteBackend:
    vendor = "sqlite"

    def write(self, cursor, rows: list[tuple[int, dict[str, list[str]]]]) -> None:
        if not rows:
            return
        self.delete(cursor, [pk for pk, _ in rows])
        cursor.executemany(
            "INSERT INTO search_fts(rowid, a, b, c, py) VALUES (%s, %s, %s, %s, %s)",
            [(pk, *(" ".join(fields.get(f, ())) for f in FIELDS)) for pk, fields in rows],
        )

    def delete(self, cursor, ids: list[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM search_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608

    def delete_label(self, cursor, label: str) -> None:
        cursor.execute(
            "DELETE FROM search_fts WHERE rowid IN "
            "(SELECT id FROM search_searchdocument WHERE model_label = %s)",
            [label],
        )

    def compile(self, expr: Expression, columns: str = "a b c") -> str:
        def alt(a: Alternative) -> str:
            if a.pinyin:
                return "{py} : " + _quote(a.tokens[0]) + (" *" if a.prefix else "")
            inner = " AND ".join(_quote(t) for t in a.tokens)
            return "{" + columns + "} : (" + inner + ")"

        groups = ["(" + " OR ".join(alt(a) for a in g) + ")" for g in expr.groups]
        text = _combine(groups, expr, " AND ", " OR ")
        if expr.extra:
            text = "(" + " OR ".join([text, *(alt(a) for a in expr.extra)]) + ")"
        for group in expr.require or ():
            text += " AND (" + " OR ".join("{py} : " + _quote(t) for t in group) + ")"
        return text

    def tokens(self, cursor, ids: list[int], fields=FIELDS) -> dict[int, dict[str, set[str]]]:
        """The indexed tokens of each document, per field (to rank and explain a match)."""
        if not ids:
            return {}
        names = [f for f in FIELDS if f in fields]
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT rowid, {', '.join(names)} FROM search_fts "  # noqa: S608  (names above)
            f"WHERE rowid IN ({marks})",
            list(ids),
        )
        return {
            row[0]: {f: set((value or "").split()) for f, value in zip(names, row[1:], strict=True)}
            for row in cursor.fetchall()
        }

    def search(self, cursor, expr: Expression, where: str, params: list, limit: int, offset: int):
        """Two tiers: matches in titles / keywords / pinyin first, ranked by bm25 — the newest
        RANK_CANDIDATES of them; then body-only matches, newest first. bm25 costs about 2.5 µs
        per row ranked (and FTS5 computes it for every match before the ORDER BY can take the
        best): a word in 4,000 titles took 10 ms, a relaxed query's any-word match of 17,000
        rows 20–40 ms. FTS5 cannot rank a capped subset by rowid filter (that turns the MATCH
        into one lookup per rowid), but it stops a rowid-ordered scan at a LIMIT."""
        wanted = offset + limit
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        cursor.execute(
            "SELECT id, model_label, object_id, score FROM ("  # noqa: S608  (placeholders only)
            f"SELECT d.id, d.model_label, d.object_id, bm25(search_fts, {weights}) AS score "
            "FROM search_fts JOIN search_searchdocument d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH %s AND ({where}) ORDER BY search_fts.rowid DESC LIMIT %s"
            ") ORDER BY score, id DESC LIMIT %s",
            [self.compile(expr, "a b"), *params, RANK_CANDIDATES, wanted],
        )
        top = [(pk, label, oid, -score) for pk, label, oid, score in cursor.fetchall()]
        if len(top) < wanted:
            seen = {row[0] for row in top}
            cursor.execute(
                "SELECT d.id, d.model_label, d.object_id FROM search_fts "  # noqa: S608
                "JOIN search_searchdocument d ON d.id = search_fts.rowid "
                f"WHERE search_fts MATCH %s AND ({where}) ORDER BY search_fts.rowid DESC "
                "LIMIT %s",
                [self.compile(expr), *params, wanted + len(top)],
            )
            rest = [(pk, label, oid, 0.0) for pk, label, oid in cursor.fetchall() if pk not in seen]
            top += rest[: wanted - len(top)]
        return top[offset:wanted]


class PostgresBackend:
    vendor = "postgresql"

    def write(self, cursor, rows: list[tuple[int, dict[str, list[str]]]]) -> None:
        if not rows:
            return
        cursor.executemany(
            "UPDATE search_searchdocument SET search_vector = %s::tsvector, "
            "name_vector = %s::tsvector WHERE id = %s",
            [(_tsvector(fields), _tsvector(fields, NAME_FIELDS), pk) for pk, fields in rows],
        )

    def delete(self, cursor, ids: list[int]) -> None:
        """The vector lives on the document row: deleting the row deletes it."""

    def delete_label(self, cursor, label: str) -> None:
        """As ``delete``."""

    def compile(self, expr: Expression) -> str:
        # No weight labels in the query: a weight-restricted tsquery makes the GIN scan
        # recheck every candidate row. Pinyin lexemes are ASCII forms no Chinese word has.
        def alt(a: Alternative) -> str:
            if a.pinyin:
                return _lexeme(a.tokens[0]) + (":*" if a.prefix else "")
            inner = " & ".join(_lexeme(t) for t in a.tokens)
            return "(" + inner + ")"

        groups = ["(" + " | ".join(alt(a) for a in g) + ")" for g in expr.groups]
        text = _combine(groups, expr, " & ", " | ")
        if expr.extra:
            text = "(" + " | ".join([text, *(alt(a) for a in expr.extra)]) + ")"
        for group in expr.require or ():
            text += " & (" + " | ".join(_lexeme(t) for t in group) + ")"
        return text

    def tokens(self, cursor, ids: list[int], fields=FIELDS) -> dict[int, dict[str, set[str]]]:
        """The lexemes of each document's vector, per field (weight), to rank and explain a
        match; ``ts_filter`` keeps only the weights of ``fields``."""
        if not ids:
            return {}
        vector = "d.name_vector" if set(fields) <= set(NAME_FIELDS) else "d.search_vector"
        weights = "{" + ",".join(_PG_WEIGHT[f] for f in FIELDS if f in fields) + "}"
        cursor.execute(
            "SELECT d.id, u.lexeme, u.weights FROM search_searchdocument d CROSS JOIN LATERAL "  # noqa: S608
            f'unnest(ts_filter({vector}, %s::"char"[])) u WHERE d.id = ANY(%s)',
            [weights, list(ids)],
        )
        out: dict[int, dict[str, set[str]]] = {pk: {f: set() for f in fields} for pk in ids}
        for pk, lexeme, weights in cursor.fetchall():
            for weight in set(weights or ()):
                out[pk][_PG_FIELD[weight]].add(lexeme)
        return out

    def locate(self, cursor, ids: list[int], queries, *, body: bool):
        """Per document, per term: (where, alternative) as ``querying._locate`` computes it
        from tokens — here in the database, one CASE per term over the term's alternatives
        in the title (name vector, weight A), the names (A, B), the pinyin reading (D), then
        (``body``) the full vector. Fetching 50 documents' lexemes to do it in Python cost 3–9 ms."""
        if not ids:
            return {}
        cases, params = [], []
        for alternatives, spoken in queries:
            checks = [  # (vector, expression, code = where * 1000 + alternative + 2)
                (vector, expr, where * 1000 + n + 2)
                for where, vector in ((0, "x.title"), (1, "x.names"))
                for n, expr in enumerate(alternatives)
            ]
            if spoken is not None:
                checks.append(("d.name_vector", spoken, 1000 + 1))  # PINYIN_READING
            if body:
                checks += [("d.search_vector", e, 2000 + n + 2) for n, e in enumerate(alternatives)]
            whens = [f"WHEN {v} @@ CAST(%s AS tsquery) THEN {code}" for v, _e, code in checks]
            params += [self.compile(e) for _v, e, _code in checks]
            fallback = 3000 if body else 2000  # absent, or "in the body" (UNKNOWN)
            cases.append(f"CASE {' '.join(whens)} ELSE {fallback} END" if whens else str(fallback))
        cursor.execute(
            f"SELECT d.id, ARRAY[{', '.join(cases)}] FROM search_searchdocument d "  # noqa: S608
            "CROSS JOIN LATERAL (SELECT ts_filter(d.name_vector, '{a}') AS title, "
            "ts_filter(d.name_vector, '{a,b}') AS names) x "
            "WHERE d.id = ANY(%s)",
            [*params, list(ids)],
        )
        return {
            pk: [(code // 1000, code % 1000 - 2) for code in codes]
            for pk, codes in cursor.fetchall()
        }

    def search(self, cursor, expr: Expression, where: str, params: list, limit: int, offset: int):
        """Two tiers, as on SQLite: matches in the small name vector (titles, keywords,
        pinyin; its own GIN index) ranked by ts_rank, at most RANK_CANDIDATES of them; then
        body-only matches of the full vector, newest first. Ranking every match of the full
        vector with ts_rank_cd read and scored kilobytes of body lexemes per row: 120 ms for
        a word in 1,200 of 10,000 items; ts_rank_cd on the name vector still 30–50 ms for a
        query with many alternatives, ts_rank 5–9 ms (``querying._rerank`` orders the head
        by match quality anyway)."""
        wanted = offset + limit
        query = self.compile(expr)
        cursor.execute(
            "SELECT d.id, d.model_label, d.object_id, "  # noqa: S608  (placeholders only)
            f"ts_rank('{PG_WEIGHTS}'::float4[], d.name_vector, q, 1) AS score "
            "FROM CAST(%s AS tsquery) q, LATERAL (SELECT d.id, d.model_label, d.object_id, "
            "d.name_vector FROM search_searchdocument d "
            f"WHERE d.name_vector @@ q AND ({where}) LIMIT %s) d "
            "ORDER BY score DESC, d.id LIMIT %s",
            [query, *params, RANK_CANDIDATES, wanted],
        )
        top = list(cursor.fetchall())
        if len(top) < wanted:
            seen = {row[0] for row in top}
            rest = [
                row
                for row in self._newest(cursor, query, where, params, wanted + len(top))
                if row[0] not in seen
            ]
            top += rest[: wanted - len(top)]
        return top[offset:wanted]

    def _newest(self, cursor, query: str, where: str, params: list, limit: int) -> list:
        """The ``limit`` newest documents whose full vector matches: through the GIN index
        and a sort when the planner expects few matches (at most SPARSE_ROWS), else first
        among the newest RECENT_WINDOW rows (a backward primary-key scan, which common words
        fill at once), then through the index if those held too few. Left to itself, the
        planner took the backward scan for rarer words too and checked 22,000 rows for 100
        matches (30–110 ms); the index alone reads every match of a common word (劳动合同:
        9,000 rows, 20–60 ms)."""
        match = f"d.search_vector @@ CAST(%s AS tsquery) AND ({where})"
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_searchdocument d WHERE {match}",  # noqa: S608
            [query, *params],
        )
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        if plan[0]["Plan"]["Plan Rows"] > SPARSE_ROWS:
            cursor.execute(
                "SELECT d.id, d.model_label, d.object_id, 0.0 FROM (SELECT * FROM "  # noqa: S608
                f"search_searchdocument ORDER BY id DESC LIMIT %s) d WHERE {match} "
                "ORDER BY d.id DESC LIMIT %s",
                [RECENT_WINDOW, query, *params, limit],
            )
            rows = list(cursor.fetchall())
            if len(rows) >= limit:
                return rows
        cursor.execute(
            "SELECT d.id, d.model_label, d.object_id, 0.0 FROM search_searchdocument d "  # noqa: S608
            f"WHERE {match} ORDER BY d.id + 0 DESC LIMIT %s",  # + 0: not by the primary key
            [query, *params, limit],
        )
        return list(cursor.fetchall())


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


_PG_WEIGHT = {"a": "A", "b": "B", "c": "C", "py": "D"}
_PG_FIELD = {weight: name for name, weight in _PG_WEIGHT.items()}


NAME_FIELDS = ("a", "b", "py")  # the small vector: what names an object


def _tsvector(fields: dict[str, list[str]], names=FIELDS) -> str:
    """A tsvector literal: every token of the ``names`` fields with its position and its
    field's weight (positions as in the full vector, whichever fields are kept)."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for name in FIELDS:
        weight = _PG_WEIGHT[name]
        for token in fields.get(name, ()):
            pos = min(pos + 1, 16383)
            if name not in names:
                continue
            entries = positions.setdefault(token, [])
            if len(entries) < 256:
                entries.append(f"{pos}{weight}")
    return " ".join(f"{_lexeme(t)}:{','.join(p)}" for t, p in positions.items())


def current():
    """The backend of the default database."""
    vendor = connection.vendor
    if vendor == "sqlite":
        return SQLiteBackend()
    if vendor == "postgresql":
        return PostgresBackend()
    raise NotImplementedError(f"search has no backend for the {vendor} database")
