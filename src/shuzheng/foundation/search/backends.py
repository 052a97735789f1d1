"""The two index backends behind one shape, chosen by the database vendor.

A document's tokens go into four weighted fields: ``a`` / ``b`` / ``c`` hold the
segmented words of the fields whose boost ranks them as title / keywords / body text,
``py`` holds the pinyin forms. SQLite stores them in an FTS5 table (unicode61 over the
space-separated tokens, bm25 with column weights); PostgreSQL in a tsvector built here
from the same tokens (weights A / B / C / D, GIN index, ts_rank_cd). Tokens reach the
database already segmented, so neither backend's own parser decides what a word is.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

FIELDS = ("a", "b", "c", "py")
SQLITE_WEIGHTS = (10.0, 4.0, 1.0, 2.0)  # bm25 weights of a, b, c, py
PG_WEIGHTS = "{0.2, 0.1, 0.4, 1.0}"  # ts_rank_cd weights of D (py), C, B, A
RANK_CANDIDATES = 2000  # most matching rows ranked per query (and per tier on SQLite)


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
        text = "(" + f" {expr.op} ".join(groups) + ")"
        if expr.extra:
            text = "(" + " OR ".join([text, *(alt(a) for a in expr.extra)]) + ")"
        return text

    def search(self, cursor, expr: Expression, where: str, params: list, limit: int, offset: int):
        """Two tiers: matches in titles / keywords / pinyin first, ranked by bm25; then
        body-only matches, newest first. Ranking every row of a word that occurs in a fifth
        of all bodies is what made common queries slow (and FTS5 cannot rank a capped subset:
        a rowid filter turns the MATCH into one lookup per rowid)."""
        wanted = offset + limit
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        cursor.execute(
            f"SELECT d.id, d.model_label, d.object_id, bm25(search_fts, {weights}) AS score "  # noqa: S608
            "FROM search_fts JOIN search_searchdocument d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH %s AND ({where}) ORDER BY score LIMIT %s",
            [self.compile(expr, "a b"), *params, wanted],
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
            "UPDATE search_searchdocument SET search_vector = %s::tsvector WHERE id = %s",
            [(_tsvector(fields), pk) for pk, fields in rows],
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

        op = " & " if expr.op == "AND" else " | "
        groups = ["(" + " | ".join(alt(a) for a in g) + ")" for g in expr.groups]
        text = "(" + op.join(groups) + ")"
        if expr.extra:
            text = "(" + " | ".join([text, *(alt(a) for a in expr.extra)]) + ")"
        return text

    def search(self, cursor, expr: Expression, where: str, params: list, limit: int, offset: int):
        """Ranks at most RANK_CANDIDATES matching rows (see SQLiteBackend.search)."""
        sql = (
            "SELECT d.id, d.model_label, d.object_id, "  # noqa: S608  (placeholders only)
            f"ts_rank_cd('{PG_WEIGHTS}'::float4[], d.search_vector, q, 1) AS score "
            "FROM CAST(%s AS tsquery) q, LATERAL (SELECT * FROM search_searchdocument d "
            f"WHERE d.search_vector @@ q AND ({where}) LIMIT %s) d "
            "ORDER BY score DESC, d.id LIMIT %s OFFSET %s"
        )
        cursor.execute(sql, [self.compile(expr), *params, RANK_CANDIDATES, limit, offset])
        return list(cursor.fetchall())


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


_PG_WEIGHT = {"a": "A", "b": "B", "c": "C", "py": "D"}


def _tsvector(fields: dict[str, list[str]]) -> str:
    """A tsvector literal: every token with its position and its field's weight."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for name in FIELDS:
        weight = _PG_WEIGHT[name]
        for token in fields.get(name, ()):
            pos = min(pos + 1, 16383)
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
