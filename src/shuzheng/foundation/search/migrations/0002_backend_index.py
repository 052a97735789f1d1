"""The backend half of the index, per database vendor (reversible).

SQLite: an FTS5 table over the pre-segmented tokens (rowid = SearchDocument.id); the
unicode61 tokenizer only splits on the spaces the segmenter put there.
PostgreSQL: a tsvector column on the document row with a GIN index; the vector is built
from the same tokens (weights A/B/C by field boost, D for pinyin), never by a parser.
"""

from django.db import migrations

SQL = {
    "sqlite": (
        [
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "a, b, c, py, tokenize = 'unicode61 remove_diacritics 2')",
        ],
        ["DROP TABLE IF EXISTS search_fts"],
    ),
    "postgresql": (
        [
            "ALTER TABLE search_searchdocument ADD COLUMN search_vector tsvector",
            "CREATE INDEX search_doc_vector ON search_searchdocument USING GIN (search_vector)",
        ],
        [
            "DROP INDEX IF EXISTS search_doc_vector",
            "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
        ],
    ),
}


def _run(which):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in SQL:
            raise RuntimeError(f"search: no full-text backend for {vendor}")
        for statement in SQL[vendor][which]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(_run(0), _run(1))]
