"""Audit trail: cost of a chained append against a plain insert, and verification speed.

Run: ``.venv/bin/python bench/bench_audit.py`` (prints one JSON object; progress on stderr).

(a) Append. ``audit.record()`` — actor snapshot, chain lock + head read, SM3 over the
canonical record, INSERT — against a plain insert of the same values into a table of
exactly the same shape (cloned columns, primary key and indexes; its seq comes from a
counter in Python, nothing is read or hashed), measured in the same run, rounds
interleaved. Two plain inserts: through the ORM (``Model.save()``, what every other row
of a business transaction costs: ``ratio``, the target's baseline) and through the same
driver-level INSERT that ``record()`` itself uses (``ratio_vs_plain_sql``: the pure cost
of chaining). One record per transaction (the realistic case: each business transaction
writes its own record) and batches of records in one transaction. Target ratio >= 0.9.

(b) Verification: ``audit.verify()`` over N generated records (bulk inserted with the
chain computed in Python, anchors sealed every 10,000 records); records per minute,
target >= 1,000,000.

Each database is a throwaway one: SQLite in a temporary SHUZHENG_VAR_DIR (migrated here);
PostgreSQL as a database created with ``createdb``-style SQL on the local server
(``--pg-url``, default postgres://postgres@127.0.0.1:5432) and dropped afterwards. Each
database runs in a worker process of its own (the settings read the environment once).
Rates are wall-clock: a PostgreSQL insert is mostly waiting for the server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

import harness

REPO_ROOT = Path(__file__).resolve().parents[1]
SRC = REPO_ROOT / "src"
TARGET_RATIO = 0.9
TARGET_VERIFY_PER_MIN = 1_000_000
ANCHOR_EVERY = 10_000


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per metric")
    parser.add_argument("--singles", type=int, default=600, help="one-record transactions/round")
    parser.add_argument("--batch", type=int, default=100, help="records per batch transaction")
    parser.add_argument("--batches", type=int, default=10, help="batch transactions per round")
    parser.add_argument("--verify-records", type=int, default=1_000_000, help="SQLite chain size")
    parser.add_argument(
        "--pg-verify-records", type=int, default=1_000_000, help="PostgreSQL chain size (0: skip)"
    )
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_worker(vendor: str, args: argparse.Namespace, env: dict) -> dict:
    verify = args.verify_records if vendor == "sqlite" else args.pg_verify_records
    return harness.run_json_worker([
        sys.executable, __file__, "--worker", vendor, "--rounds", str(args.rounds),
        "--singles", str(args.singles), "--batch", str(args.batch),
        "--batches", str(args.batches), "--verify-records", str(verify),
    ], env)  # fmt: skip


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    report: dict = {
        "benchmark": "audit trail",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": os.getloadavg()[0],
        "targets": {
            "append_ratio_vs_plain_insert": TARGET_RATIO,
            "verify_records_per_min": TARGET_VERIFY_PER_MIN,
        },
    }
    for vendor, env in harness.throwaway_databases(
        "audit", pg_url=args.pg_url, include_pg=not args.no_pg
    ):
        log(f"{vendor} worker")
        report[vendor] = run_worker(vendor, args, env)
    report["meets_targets"] = {
        vendor: {
            "append_one_per_transaction": data["append"]["one_per_transaction"]["ratio"]
            >= TARGET_RATIO,
            **(
                {"verify": data["verify"]["records_per_min"] >= TARGET_VERIFY_PER_MIN}
                if data.get("verify")
                else {}
            ),
        }
        for vendor, data in report.items()
        if vendor in ("sqlite", "postgresql")
    }
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------- worker


def worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from shuzheng.foundation.trust import keys

    keys.init(Path(settings.KEYS_DIR))
    keys.forget()
    call_command("migrate", verbosity=0, interactive=False)
    result = {
        "database": connection.vendor,
        "server_version": _server_version(connection),
        "append": bench_append(args),
    }
    if args.verify_records:
        result["verify"] = bench_verify(args.verify_records)
    print(json.dumps(result))


def _server_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        return cursor.fetchone()[0]


def plain_model():
    """A model with AuditRecord's columns, primary key and indexes, in its own table."""
    from django.db import connection, models

    from shuzheng.foundation.trust.models import AuditRecord

    attrs = {"__module__": __name__}
    for f in AuditRecord._meta.local_fields:
        clone = f.clone()
        attrs[f.name] = clone
    attrs["Meta"] = type(
        "Meta",
        (),
        {
            "app_label": "trust",
            "db_table": "bench_plainrecord",
            "indexes": [
                models.Index(
                    fields=["action"],
                    name="bench_plain_action_idx",
                    opclasses=["varchar_pattern_ops"],
                ),
                models.Index(fields=["object_type", "object_id"], name="bench_plain_object_idx"),
            ],
        },
    )
    model = type("BenchPlainRecord", (models.Model,), attrs)
    with connection.schema_editor() as editor:
        editor.create_model(model)
    return model


def bench_append(args: argparse.Namespace) -> dict:
    from django.db import connection, transaction
    from django.test import RequestFactory
    from django.utils import timezone

    from shuzheng.foundation.identity.models import User
    from shuzheng.foundation.trust import audit

    plain = plain_model()
    actor = User.objects.create_user("bench-clerk", password=secrets.token_urlsafe())
    request = RequestFactory().post(
        "/workbench/cases/1/accept/", REMOTE_ADDR="10.20.30.40", HTTP_USER_AGENT="Mozilla/5.0"
    )
    details = {"before": audit.digest("state:submitted"), "after": audit.digest("state:accepted")}
    fake_hash = secrets.token_hex(32)
    counter = {"seq": 0, "case": 0}
    columns = [f.column for f in plain._meta.concrete_fields]
    mark = "?" if connection.vendor == "sqlite" else "%s"
    insert_sql = (
        f"INSERT INTO {plain._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    details_field = plain._meta.get_field("details")

    def values():
        counter["seq"] += 1
        counter["case"] += 1
        return [
            counter["seq"],
            timezone.now(),
            actor.pk,
            actor.username,
            None,
            "",
            "10.20.30.40",
            "web",
            "Mozilla/5.0",
            "services.case.accept",
            "services.case",
            str(counter["case"]),
            "success",
            dict(details),
            fake_hash,
            fake_hash,
        ]

    def plain_orm():
        plain(*values()).save(force_insert=True)

    def plain_sql():
        # the same driver-level path that audit.record() uses for its INSERT
        row = values()
        row[1] = connection.ops.adapt_datetimefield_value(row[1])
        row[13] = details_field.get_db_prep_save(row[13], connection)
        with connection.wrap_database_errors:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(insert_sql, row)
            finally:
                cursor.close()

    def audit_one():
        counter["case"] += 1
        audit.record(
            actor,
            "services.case.accept",
            ("services.case", counter["case"]),
            details=details,
            request=request,
        )

    def singles(fn):
        def run():
            for _ in range(args.singles):
                with transaction.atomic():
                    fn()
            return args.singles

        return run

    def batches(fn):
        def run():
            for _ in range(args.batches):
                with transaction.atomic():
                    for _ in range(args.batch):
                        fn()
            return args.batches * args.batch

        return run

    sides = {"plain_orm": plain_orm, "plain_sql": plain_sql, "audit": audit_one}
    for fn in sides.values():  # warm-up: caches, compiled paths, first pages of the tables
        singles(fn)()
    return {
        "one_per_transaction": interleaved(
            {name: singles(fn) for name, fn in sides.items()}, args.rounds
        ),
        f"batches_of_{args.batch}": interleaved(
            {name: batches(fn) for name, fn in sides.items()}, args.rounds
        ),
    }


def interleaved(runs: dict, rounds: int) -> dict:
    """Median rates over rounds; the order of the sides rotates from round to round."""
    rates: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for i in range(rounds):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            started = time.perf_counter()
            n = runs[name]()
            rates[name].append(n / (time.perf_counter() - started))
    median = {name: statistics.median(values) for name, values in rates.items()}
    audit_rate = median["audit"]
    return {
        "plain_orm_insert_per_s": round(median["plain_orm"], 1),
        "plain_sql_insert_per_s": round(median["plain_sql"], 1),
        "audit_record_per_s": round(audit_rate, 1),
        "ratio": round(audit_rate / median["plain_orm"], 3),
        "ratio_vs_plain_sql": round(audit_rate / median["plain_sql"], 3),
        "rounds": rounds,
    }


def bench_verify(n: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from shuzheng.foundation.trust import audit, keys
    from shuzheng.foundation.trust.models import AuditAnchor, AuditRecord

    with connection.cursor() as cursor:  # start from an empty chain
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE trust_auditrecord, trust_auditanchor, trust_auditpurge")
        else:
            cursor.execute("DELETE FROM trust_auditrecord")
            cursor.execute("DELETE FROM trust_auditanchor")
    key = keys.signing_key()
    columns = [*audit.HASHED_FIELDS, "hash"]
    columns[columns.index("actor_id")] = "actor_id"
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {AuditRecord._meta.db_table} ({', '.join(columns)}) VALUES ({placeholders})"
    adapt_time = connection.ops.adapt_datetimefield_value
    base = timezone.now() - timezone.timedelta(days=1)
    prev = audit.GENESIS_HASH
    started = time.perf_counter()
    batch = []
    first_of_anchor = 1
    for seq in range(1, n + 1):
        when = base + timezone.timedelta(microseconds=seq * 50)
        details = {"before": f"{seq:064x}", "after": f"{seq + 1:064x}"}
        fields = (
            seq,
            when,
            1000 + seq % 50,
            f"clerk{seq % 50}",
            10 + seq % 7,
            "case-handler,window-clerk",
            f"10.0.{seq % 250}.{seq % 200}",
            "web",
            "Mozilla/5.0 (X11; Linux x86_64)",
            "services.case.accept",
            "services.case",
            str(seq),
            "success",
            details,
            prev,
        )
        digest = audit.record_hash(*fields)
        row = list(fields)
        row[1] = adapt_time(when)
        row[13] = json.dumps(details)
        row.append(digest)
        batch.append(row)
        prev = digest
        if len(batch) == 10_000 or seq == n:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch = []
        if seq % ANCHOR_EVERY == 0 or seq == n:
            signed_at = timezone.now()
            AuditAnchor.objects.create(
                first_seq=first_of_anchor,
                head_seq=seq,
                head_hash=prev,
                signed_at=signed_at,
                key_id=key.key_id,
                signature=key.sign(
                    audit.anchor_message(first_of_anchor, seq, prev, signed_at, key.key_id)
                ).hex(),
            )
            first_of_anchor = seq + 1
    generated = time.perf_counter() - started
    log(f"{connection.vendor}: generated {n} chained records in {generated:.1f} s")
    with contextlib.suppress(Exception), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE trust_auditrecord")
    report = audit.verify()
    if not report.ok or report.checked != n:
        raise SystemExit(f"verification of the generated chain failed: {report}")
    return {
        "records": n,
        "anchors": report.anchors_checked,
        "seconds": round(report.seconds, 2),
        "records_per_min": round(n / report.seconds * 60),
        "generate_seconds": round(generated, 1),
    }


if __name__ == "__main__":
    ARGS = parse_args()
    if ARGS.worker:
        worker(ARGS)
    else:
        main(ARGS)
