"""Workflow transitions per second, as a ratio to plain row updates, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/bench_workflow.py [--instances 400] [--no-pg]`` (one JSON
object on stdout, progress on stderr).

A transition through the engine (``workflow.transition``: revision and state checks, the
access check on the subject, required fields, the optimistic-lock UPDATE, the SLA clock on
the work calendar, an append-only history row, the audit record, the outbox event) is
compared with the baseline measured in the same run on the same rows: a plain
``UPDATE … SET state = …`` of the instance in its own transaction — what a hand-written
state change without any of the above costs. Each instance takes two transitions
(accept: starts a 5-working-day clock; finish: stops it). Rounds are interleaved.

Each database is a throwaway one (SQLite in a temporary SHUZHENG_VAR_DIR; PostgreSQL a
database created on the local server and dropped afterwards), in a worker process of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=400, help="instances per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    import harness

    results = []
    for vendor, env in harness.throwaway_databases(
        "workflow", pg_url=args.pg_url, include_pg=not args.no_pg
    ):
        log(f"{vendor}: migrating and measuring")
        results.append(
            harness.run_json_worker(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    vendor,
                    "--instances",
                    str(args.instances),
                    "--rounds",
                    str(args.rounds),
                ],
                env,
            )
        )
    print(
        json.dumps(
            {
                "benchmark": "workflow transitions",
                "machine": f"{os.cpu_count()} CPU, {platform.platform()}",
                "python": platform.python_version(),
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
                "results": results,
            },
            ensure_ascii=False,
        )
    )


def worker(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seedcalendar", "--years", "2026", "2027", verbosity=0)
    from django.db import connection, transaction

    from shuzheng.foundation import access, workflow
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role
    from shuzheng.foundation.identity import services as identity
    from shuzheng.foundation.identity.models import OrgKind
    from shuzheng.foundation.workflow import services
    from shuzheng.foundation.workflow.models import WorkflowInstance

    spec = {
        "code": "bench.review",
        "name": "基准审核",
        "initial": "submitted",
        "view_permission": "identity.view_organisation",
        "states": {"submitted": {}, "accepted": {}, "done": {"final": True}},
        "transitions": [
            {
                "name": "accept",
                "from": ["submitted"],
                "to": "accepted",
                "permission": "identity.manage_organisation",
                "require": ["opinion"],
                "sla": "start",
                "limit": "5 working_days",
            },
            {
                "name": "finish",
                "from": ["accepted"],
                "to": "done",
                "permission": "identity.manage_organisation",
                "sla": "stop",
            },
        ],
    }
    services.save_definition(access.SYSTEM, spec)
    city = identity.create_organisation(
        access.SYSTEM, parent=None, name="珠海市", kind=OrgKind.CITY, division_code="440400"
    )
    staff = identity.create_staff(
        access.SYSTEM, organisation=city, username="bench", display_name="基准", password=None
    )
    access_services.grant_role(
        access.SYSTEM,
        user=staff.user,
        role=Role.objects.get(code="system-admin"),
        organisation=city,
    )
    actor = staff.user

    def subjects(n, tag):
        return [
            identity.create_organisation(
                access.SYSTEM, parent=city, name=f"{tag}{i}", kind=OrgKind.DEPARTMENT
            )
            for i in range(n)
        ]

    engine_rates, plain_rates = [], []
    for r in range(args.rounds):
        orgs = subjects(args.instances, f"e{r}-")
        instances = [workflow.start(access.SYSTEM, o, "bench.review") for o in orgs]
        started = time.perf_counter()
        for inst in instances:
            inst = workflow.transition(actor, inst, "accept", opinion="受理")
            workflow.transition(actor, inst, "finish")
        engine_rates.append(2 * len(instances) / (time.perf_counter() - started))

        orgs = subjects(args.instances, f"p{r}-")
        plain = [workflow.start(access.SYSTEM, o, "bench.review") for o in orgs]
        started = time.perf_counter()
        for inst in plain:
            for state in ("accepted", "done"):
                with transaction.atomic():
                    WorkflowInstance.objects.filter(pk=inst.pk).update(state=state)
        plain_rates.append(2 * len(plain) / (time.perf_counter() - started))
    engine, plain = statistics.median(engine_rates), statistics.median(plain_rates)
    return {
        "vendor": connection.vendor,
        "instances_per_round": args.instances,
        "rounds": args.rounds,
        "engine_transitions_per_s": round(engine, 1),
        "plain_updates_per_s": round(plain, 1),
        "ratio": round(engine / plain, 3),
        "engine_rounds": [round(x, 1) for x in engine_rates],
        "plain_rounds": [round(x, 1) for x in plain_rates],
    }


if __name__ == "__main__":
    main()
