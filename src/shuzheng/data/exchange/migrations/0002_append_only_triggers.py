"""The exchange log and its seals are append-only in the database too (as the audit tables:
a statement trigger on PostgreSQL refuses UPDATE and DELETE, a row trigger on SQLite refuses
UPDATE). Whatever gets past, the seal check reports."""

import importlib

from django.db import migrations

RunSQLOn = importlib.import_module(
    "shuzheng.foundation.trust.migrations.0002_append_only_triggers"
).RunSQLOn

TABLES = ("exchange_exchangelog", "exchange_exchangeseal")

PG_FORWARD = [
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION trust_audit_append_only();"
    for table in TABLES
]
PG_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES]
SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
    f"SELECT RAISE(ABORT, 'shuzheng: UPDATE on {table} refused: exchange log is append-only'); "
    f"END;"
    for table in TABLES
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_no_update;" for table in TABLES]


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial"), ("trust", "0002_append_only_triggers")]

    operations = [
        RunSQLOn("postgresql", PG_FORWARD, PG_REVERSE),
        RunSQLOn("sqlite", SQLITE_FORWARD, SQLITE_REVERSE),
    ]
