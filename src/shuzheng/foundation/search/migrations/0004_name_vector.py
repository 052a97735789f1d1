"""PostgreSQL: a small tsvector of each document's title, keyword and pinyin lexemes with its
own GIN index — the first tier of a search ranks this one, not the full vector with the body
(reversible; nothing on SQLite, whose FTS5 query already names its columns)."""

from django.db import migrations

FORWARD = [
    "ALTER TABLE search_searchdocument ADD COLUMN name_vector tsvector",
    "UPDATE search_searchdocument SET name_vector = ts_filter(search_vector, '{a,b,d}')",
    "CREATE INDEX search_doc_name_vector ON search_searchdocument USING GIN (name_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_name_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS name_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_seed_synonyms")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
