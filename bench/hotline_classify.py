"""12345 classification: latency per text on one core of ``routing.suggest`` and of the bare
model's predict, against rjieba segmentation of the same texts, and the held-out accuracy
of a model trained on the synthetic set.

Run: ``.venv/bin/python bench/hotline_classify.py [--texts 2400] [--rounds 3] [--pg]``
(one JSON object on stdout, progress on stderr; ≈ 1–2 min).

One worker process on a throwaway SQLite installation (``--pg``: also on a throwaway
PostgreSQL database — ``suggest`` reads routing rules and categories), pinned to one CPU
(``sched_setaffinity``) with ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` /
``MKL_NUM_THREADS`` = 1, so NumPy / SciPy use one thread. Set-up: migrate, the Zhuhai demo
tree, the category tree (``load_categories``), the demo grid when there is a loader;
helper B's ``synthetic.orders()`` (default size and seed) loaded as confirmed, signed history
(``bench/hotline_data.labelled_history``) and ``routing.train(access.SYSTEM)`` — whose
metrics (held-out top-1 / top-3 for category and unit, n_train, n_test) are reported as they
come. A second synthetic set with another seed (``--texts`` orders, not trained on) gives
the texts to time and a second accuracy figure (top-1 / top-3 of ``suggest`` against its
labels).

Timed per text, ``--rounds`` rounds, the three sides interleaved in each round (after a
warm-up of 50 texts each), ``perf_counter_ns`` around the one call:

- baseline: ``list(rjieba.cut(text))`` — segmentation alone;
- the bare model: ``routing.active_model().model.predict(text, k=4)`` — features (OpenCC
  normalisation, rjieba, bigrams), TF-IDF, both heads' scores, the explaining words; no
  database;
- ``routing.suggest(text)`` — what intake and the operator screen call: the model, the
  categories and routing rules read from the database, the explanation (words and
  reasons). Text only (no district / grid).

Reported: p50 / p95 / p99 / mean µs per text over all rounds, and CPU µs per text
(``process_time`` over the round). Target (issue 6): ≤ 2 ms per text.
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

BENCH_DIR = Path(__file__).resolve().parent
TARGET_US = 2000
WARMUP = 50
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=2400, help="timed texts (≥ 2000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4242, help="seed of the timed set")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin (default: the last)")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.worker:
        print(json.dumps(worker(args), ensure_ascii=False, default=str))
        return
    sys.path.insert(0, str(BENCH_DIR))
    import harness

    results = []
    with harness.sigterm_as_interrupt():
        for vendor, env in harness.throwaway_databases(
            "hotline_classify", pg_url=args.pg_url, include_pg=args.pg
        ):
            log(f"{vendor}: training on the synthetic set, timing {args.texts} texts")
            command = [
                sys.executable, __file__, "--worker", vendor, "--texts", str(args.texts),
                "--rounds", str(args.rounds), "--seed", str(args.seed),
            ]  # fmt: skip
            if args.cpu is not None:
                command += ["--cpu", str(args.cpu)]
            results.append(harness.run_json_worker(command, {**env, **ONE_THREAD}, timeout=3600))
    print(
        json.dumps(
            {
                "benchmark": "hotline classification",
                "machine": f"{os.cpu_count()} CPU, {platform.platform()}",
                "python": platform.python_version(),
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
                "target_us_per_text": TARGET_US,
                "results": results,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


def stats_us(samples_ns: list[int]) -> dict:
    ordered = sorted(samples_ns)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000, 1)

    return {
        "p50": round(statistics.median(ordered) / 1000, 1),
        "p95": at(0.95),
        "p99": at(0.99),
        "mean": round(statistics.fmean(ordered) / 1000, 1),
        "n": len(ordered),
    }


def bare_predictor(routing):
    """text → Prediction on the active model's arrays, without rules, database or the
    suggestion's dict: ``routing.active_model().model.predict(text, k=4)`` (what ``suggest``
    calls first)."""
    loaded = routing.active_model()
    if loaded is None:
        raise RuntimeError("no active classifier model after training")
    model = loaded.model
    return lambda text: model.predict(text, k=4)


def prepare(*, texts: int, seed: int, history: int | None = None, grid: bool = True) -> dict:
    """The installation's reference data, the model trained on the synthetic set (its
    default size, or ``history`` orders), and the timed set (``texts`` orders of another
    seed). Returns {model, labelled, train_seconds, timed: [(text, category code)]}."""
    from shuzheng.foundation import access
    from shuzheng.governance.hotline import synthetic
    from shuzheng.governance.hotline.services import routing

    sys.path.insert(0, str(BENCH_DIR))
    import hotline_data

    orgs = hotline_data.organisations()
    hotline_data.categories(orgs)
    if grid:
        hotline_data.grid_cells()
    samples = synthetic.orders() if history is None else synthetic.orders(n=history)
    started = time.perf_counter()
    stored = hotline_data.labelled_history(samples)
    model = routing.train(access.SYSTEM)
    train_seconds = time.perf_counter() - started
    log(f"model v{model.version} trained on {stored} orders in {train_seconds:.1f} s")
    timed = [
        (f"{s.get('title', '')}\n{s['content']}", s.get("category"))
        for s in synthetic.orders(n=texts, seed=seed)
    ]
    return {
        "model": model,
        "labelled": stored,
        "train_seconds": round(train_seconds, 1),
        "timed": timed,
    }


def measure(timed: list[tuple[str, str]], rounds: int) -> dict:
    """Per-text latency of the three sides, interleaved per round; accuracy of suggest."""
    import rjieba

    from shuzheng.governance.hotline.services import routing

    predict = bare_predictor(routing)
    sides = {
        "rjieba_cut": lambda text: list(rjieba.cut(text)),
        "model_predict": predict,
        "suggest": lambda text: routing.suggest(text),
    }
    texts = [t for t, _ in timed]
    for call in sides.values():  # warm-up: caches, the model's arrays, the rule table
        for text in texts[:WARMUP]:
            call(text)
    samples: dict[str, list[int]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    clock = time.perf_counter_ns
    for r in range(rounds):
        order = list(sides)[r % len(sides) :] + list(sides)[: r % len(sides)]
        for name in order:
            call = sides[name]
            bucket = samples[name]
            cpu0 = time.process_time()
            for text in texts:
                t0 = clock()
                call(text)
                bucket.append(clock() - t0)
            cpu[name].append(1e6 * (time.process_time() - cpu0) / len(texts))
        log(
            f"round {r + 1}: "
            + ", ".join(f"{n} p50 {statistics.median(samples[n]) / 1000:.0f} µs" for n in sides)
        )
    out = {
        name: {**stats_us(samples[name]), "cpu_us_per_text": round(statistics.median(cpu[name]), 1)}
        for name in sides
    }
    top1 = top3 = 0
    labelled = 0
    for text, code in timed:
        if not code:
            continue
        labelled += 1
        suggestion = routing.suggest(text)
        best = (suggestion.get("category") or {}).get("code")
        codes = [best] + [a.get("code") for a in suggestion.get("alternatives") or []]
        top1 += best == code
        top3 += code in codes[:3]
    out["fresh_set_accuracy"] = {
        "n": labelled,
        "category_top1": round(top1 / labelled, 4) if labelled else None,
        "category_top3": round(top3 / labelled, 4) if labelled else None,
    }
    return out


def worker(args) -> dict:
    cores = sorted(os.sched_getaffinity(0))
    pinned = args.cpu if args.cpu is not None else cores[-1]
    os.sched_setaffinity(0, {pinned})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    prepared = prepare(texts=args.texts, seed=args.seed)
    model = prepared["model"]
    sys.path.insert(0, str(BENCH_DIR))
    import harness

    busy = harness.cpu_busy_percent(interval=2)
    harness.warn_if_busy(busy)
    measured = measure(prepared["timed"], args.rounds)
    return {
        "vendor": connection.vendor,
        "pinned_cpu": pinned,
        "background_cpu_pct": busy,
        "load_average": os.getloadavg(),
        "threads_env": {k: os.environ.get(k) for k in ONE_THREAD},
        "model_version": model.version,
        "labelled_history": prepared["labelled"],
        "train_seconds": prepared["train_seconds"],
        "train_metrics": model.metrics,
        "texts": len(prepared["timed"]),
        "rounds": args.rounds,
        "latency_us": measured,
        "target_met": measured["suggest"]["p50"] <= TARGET_US,
    }


if __name__ == "__main__":
    main()
