"""Benchmark: a full evaluation run through the job framework (issue 13).

Not a test: a script that prints a summary. Target: a run for the 20 zones of the registry
with 1,000 Monte-Carlo replications, **under 2 s end to end**: from the ministry's click
(``do_start_run``: the run and job rows written, the start audited, the task queued) to the
run computed and saved (state "done": results of every zone, hashes, the finish audited).

Method. A fresh ``BIANHE_HOME`` in a temporary directory (SQLite, the embedded default; or
``--database-url`` for a dedicated PostgreSQL database), filled by ``bianhe demo --no-serve``
(not timed: the demo statistics of 2019 to this year, the default scheme, the targets).
One ``bianhe worker`` process is started as ``bianhe serve`` starts it, and a first run is
made to warm it up (not timed). Then, ``--runs`` times, the ministry's demo administrator
starts an evaluation of the last full year with the default scheme, and the run's row is read
every 10 ms until it is done. Reported: medians (and each run) of ``queued`` and ``done``,
and, in this process, the median time of the computation alone (``evaluate()`` on the run's
stored snapshot: the engine's build, 1,000 replications, the audit) and of building the input
table from the fact table (``build_inputs``).

    .venv/bin/python bench/bench_evaluation.py              # 7 runs on SQLite
    .venv/bin/python bench/bench_evaluation.py --database-url postgres://…/bianhe_bench_eval
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--database-url", default="",
                        help="a dedicated PostgreSQL database (recreated); default: SQLite")
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(__file__))
    from benchdb import worker_home

    worker_home("bianhe-bench-evaluation-", args.database_url)
    subprocess.run([sys.executable, "-m", "bianhe.cli", "demo", "--no-serve"], check=True,
                   env=os.environ.copy(), stdout=subprocess.DEVNULL)
    import django

    django.setup()
    from django.utils import timezone

    from bianhe.accounts.models import User
    from bianhe.evaluation.actions import do_start_run
    from bianhe.evaluation.compute import evaluate, frame_of
    from bianhe.evaluation.inputs import build_inputs
    from bianhe.evaluation.models import EvaluationRun, RunState, Scheme
    from bianhe.evaluation.schemes import parse

    year = timezone.localdate().year - 1
    admin = User.objects.get(username="demo-admin")
    scheme = Scheme.objects.filter(code="border-zones").order_by("-version").first()
    worker = subprocess.Popen([sys.executable, "-m", "bianhe.cli", "worker"],
                              env=os.environ.copy(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)

    def one_run(deadline_s: float = 300) -> dict:
        start = time.perf_counter()
        run = do_start_run(admin, scheme, year, replications=args.replications,
                           label="bench")
        marks = {"queued": time.perf_counter() - start}
        while True:
            state = EvaluationRun.objects.filter(pk=run.pk).values_list("state", flat=True)[0]
            now = time.perf_counter() - start
            if state == RunState.DONE:
                marks["done"] = now
                return marks | {"run": run.pk}
            if state == RunState.FAILED or now > deadline_s:
                raise SystemExit(f"evaluation {run.pk} ended {state} after {now:.1f} s")
            time.sleep(0.01)

    try:
        one_run()  # warm-up: the worker's first run (imports, connections)
        load_before = os.getloadavg()[0]
        runs = [one_run() for _ in range(args.runs)]
        load_after = os.getloadavg()[0]
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    last = EvaluationRun.objects.get(pk=runs[-1]["run"])
    compute, inputs = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        evaluate(frame_of(last.inputs), last.spec, replications=last.replications,
                 seed=last.seed, min_coverage=last.min_coverage,
                 previous=last.inputs.get("previous"))
        compute.append(time.perf_counter() - start)
        start = time.perf_counter()
        build_inputs(parse(scheme.text), year)
        inputs.append(time.perf_counter() - start)

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"evaluation of {year}, {last.summary['zones']} zones, {last.summary['indicators']} "
          f"indicators, {args.replications} replications, database backend on {backend}: "
          f"{args.runs} runs; load {load_before:.2f} → {load_after:.2f}")
    for mark in ("queued", "done"):
        values = [run[mark] for run in runs]
        each = " · ".join(f"{v:.3f}" for v in values)
        print(f"  {mark:8s} median {statistics.median(values):.3f} s  ({each})")
    print(f"  in process: evaluate() median {statistics.median(compute):.3f} s, "
          f"build_inputs() median {statistics.median(inputs):.3f} s")
    done = statistics.median(run["done"] for run in runs)
    print(f"target < 2 s end to end: {'met' if done < 2 else 'missed'} ({done:.3f} s)")


if __name__ == "__main__":
    main()
