"""Database-level guard for the audit tables.

PostgreSQL: a statement trigger refuses every UPDATE and DELETE on the three audit tables.
The one exception is ``audit.purge()``: it sets ``SET LOCAL shuzheng.audit_purge = 'on'``
for its own DELETE on trust_auditrecord (and resets it right after).

SQLite: a row trigger refuses UPDATE. DELETE is refused by the model layer only, because
Django's test-database flush empties tables with DELETE on SQLite (on PostgreSQL it uses
TRUNCATE, which these triggers leave alone; production grants the application role no
TRUNCATE on the audit tables). Whatever gets past either guard, ``audit.verify()`` reports.
"""

from django.db import migrations

TABLES = ("trust_auditrecord", "trust_auditanchor", "trust_auditpurge")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION trust_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'trust_auditrecord'
       AND coalesce(current_setting('shuzheng.audit_purge', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'shuzheng: % on % refused: audit tables are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

PG_FORWARD = [PG_FUNCTION] + [
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION trust_audit_append_only();"
    for table in TABLES
]
PG_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES] + [
    "DROP FUNCTION IF EXISTS trust_audit_append_only();"
]

SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
    f"SELECT RAISE(ABORT, 'shuzheng: UPDATE on {table} refused: audit tables are append-only'); "
    f"END;"
    for table in TABLES
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_no_update;" for table in TABLES]


class RunSQLOn(migrations.RunSQL):
    """RunSQL for one database vendor; a no-op on the others."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, kwargs.pop("sql"), kwargs.pop("reverse_sql")], kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("trust", "0001_initial")]

    operations = [
        RunSQLOn("postgresql", PG_FORWARD, PG_REVERSE),
        RunSQLOn("sqlite", SQLITE_FORWARD, SQLITE_REVERSE),
    ]
