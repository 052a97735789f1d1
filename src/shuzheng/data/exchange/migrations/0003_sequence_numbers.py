"""Sequence numbers of the exchange log and its seals on PostgreSQL (and the function the
gateway's one-statement write calls when the quota refuses).

``seq`` is a plain ``bigint`` primary key there (``SeqField``), which nothing fills in. The
gateway inserts rows from several processes at once, so the number comes from a database
sequence: the column default (the gateway's INSERT omits ``seq``) and, for an ORM insert
that sends ``NULL`` explicitly, a row trigger that draws from the same sequence. SQLite
needs nothing: an ``integer`` primary key is the rowid, assigned on insert.

Sequence numbers are handed out at INSERT, so rows may commit out of order; the sealing job
only seals rows older than ``DATA_EXCHANGE_SEAL_LAG_SECONDS`` for that reason.
"""

import importlib

from django.db import migrations

RunSQLOn = importlib.import_module(
    "shuzheng.foundation.trust.migrations.0002_append_only_triggers"
).RunSQLOn

TABLES = ("exchange_exchangelog", "exchange_exchangeseal")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION exchange_seq_default() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := nextval(TG_ARGV[0]::regclass);
    RETURN NEW;
END;
$$;
"""

# The gateway's write on PostgreSQL is one statement (quota UPSERT + log INSERT); when the
# UPSERT takes fewer than both windows it calls this, which aborts the statement with its own
# SQLSTATE (class 22, so a DataError) naming the windows that were taken.
PG_QUOTA_FUNCTION = """
CREATE OR REPLACE FUNCTION exchange_quota_refused(taken text) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '22Z29', MESSAGE = coalesce(taken, '');
END;
$$;
"""

# Quota counters are a few rows updated on every call: room on each page keeps the updates
# HOT (no new index entries) and lets page pruning remove the dead versions as it goes;
# vacuum runs after every thousand dead rows rather than after a fifth of the table.
PG_QUOTA_TABLE = (
    "ALTER TABLE exchange_quotacounter SET (fillfactor = 20, "
    "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, "
    "autovacuum_vacuum_cost_delay = 0);"
)
PG_QUOTA_TABLE_REVERSE = (
    "ALTER TABLE exchange_quotacounter RESET (fillfactor, autovacuum_vacuum_scale_factor, "
    "autovacuum_vacuum_threshold, autovacuum_vacuum_cost_delay);"
)

PG_FORWARD = [PG_FUNCTION, PG_QUOTA_FUNCTION, PG_QUOTA_TABLE]
PG_REVERSE = [
    PG_QUOTA_TABLE_REVERSE,
    "DROP FUNCTION IF EXISTS exchange_quota_refused(text);",
]
for _table in TABLES:
    PG_FORWARD += [
        f"CREATE SEQUENCE IF NOT EXISTS {_table}_seq_seq AS bigint OWNED BY {_table}.seq;",
        f"SELECT setval('{_table}_seq_seq', COALESCE((SELECT max(seq) FROM {_table}), 0) + 1, "
        f"false);",
        f"ALTER TABLE {_table} ALTER COLUMN seq SET DEFAULT nextval('{_table}_seq_seq');",
        f"CREATE TRIGGER {_table}_seq BEFORE INSERT ON {_table} FOR EACH ROW "
        f"WHEN (NEW.seq IS NULL) EXECUTE FUNCTION exchange_seq_default('{_table}_seq_seq');",
    ]
    PG_REVERSE += [
        f"DROP TRIGGER IF EXISTS {_table}_seq ON {_table};",
        f"ALTER TABLE {_table} ALTER COLUMN seq DROP DEFAULT;",
        f"DROP SEQUENCE IF EXISTS {_table}_seq_seq;",
    ]
PG_REVERSE.append("DROP FUNCTION IF EXISTS exchange_seq_default();")


class Migration(migrations.Migration):
    dependencies = [("exchange", "0002_append_only_triggers")]

    operations = [RunSQLOn("postgresql", PG_FORWARD, PG_REVERSE)]
