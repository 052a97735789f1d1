"""``manage.py hotline_retrain``: train a new classifier version on the labelled history,
activate it and print its held-out metrics.

    manage.py hotline_retrain [--holdout 0.2] [--seed 20261130] [--synthetic N]

``--synthetic N`` first writes N synthetic labelled orders (demo installations without a
history; idempotent). Run by the operator on the server, so it acts as the installation."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation import access
from shuzheng.governance.hotline import synthetic
from shuzheng.governance.hotline.services import routing


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class Command(BaseCommand):
    help = "Train, activate and report a new 12345 classifier version."

    def add_arguments(self, parser):
        parser.add_argument("--holdout", type=float, default=0.2, help="held-out share (0–1)")
        parser.add_argument("--seed", type=int, default=routing.SEED)
        parser.add_argument(
            "--synthetic", type=int, default=0, metavar="N", help="first load N synthetic orders"
        )

    def handle(self, *args, holdout, seed, synthetic: int, **options):
        if synthetic:
            created = synthetic_load(synthetic)
            self.stdout.write(f"Synthetic history: {created} new orders.")
        try:
            model = routing.train(access.SYSTEM, holdout=holdout, seed=seed)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        m = model.metrics
        out = self.stdout.write
        out(self.style.SUCCESS(f"Classifier v{model.version} trained and active."))
        out(
            f"  rows: {m['n_total']} (train {m['n_train']}, held-out {m['n_test']}), "
            f"features {m['features']}, categories {m['categories']}, units {m['units']}, "
            f"fit {m['fit_seconds']} s"
        )
        cat, unit = m.get("category") or {}, m.get("unit") or {}
        out(
            f"  category: top-1 {_pct(cat.get('top1'))}, top-3 {_pct(cat.get('top3'))} "
            f"(n={cat.get('n', 0)})"
        )
        out(
            f"  unit:     top-1 {_pct(unit.get('top1'))}, top-3 {_pct(unit.get('top3'))} "
            f"(n={unit.get('n', 0)})"
        )
        lat = m.get("latency_ms") or {}
        if lat.get("n"):
            out(
                f"  latency per text: mean {lat['mean']:.3f} ms, p50 {lat['p50']:.3f} ms, "
                f"p95 {lat['p95']:.3f} ms (n={lat['n']})"
            )
        for code, row in (m.get("level1") or {}).items():
            out(f"    {code} {row.get('name', '')}: top-1 {_pct(row['top1'])} (n={row['n']})")


def synthetic_load(n: int) -> int:
    return synthetic.load_history(access.SYSTEM, n=n)
