"""Benchmark: the overhead of a background job on the database backend (issue 12).

Not a test: a script that prints a summary. Target: from the click (the job row created and
its task queued) to its progress visible in the job's page, **under 1 s**.

Method. A fresh ``BIANHE_HOME`` in a temporary directory (SQLite, the embedded default; or
``--database-url`` for a dedicated PostgreSQL database), migrated, with one administrator (not
timed). One ``bianhe worker`` process is started as ``bianhe serve`` starts it, and a first
job is run to warm it up (not timed). Then, ``--runs`` times: ``do_start_job`` queues a
diagnostic job (``jobs.probe``: ``--steps`` steps of ``--pause`` seconds, progress after each
step), and the job's page fragment (``/jobs/<id>/`` with ``HX-Request``, as the page's htmx
poll asks for it) is requested every 10 ms through Django's test client until it shows the
first step done. Reported: the medians (and each run) of

- ``queued``: ``do_start_job`` returned (row written, start audited, task queued);
- ``picked up``: the fragment first shows the job running (a worker claimed it);
- ``progress visible``: the fragment first shows a step done — the figure with the target;
- ``done``: the fragment shows the job done.

The worker looks at an empty queue every 0.2 s (``bianhe.jobs.worker.POLL_SECONDS``), so
``picked up`` includes, on average, half of that; the page itself polls every second, which a
user adds on top (not measured: it is the browser's timer, not the platform's work).

    .venv/bin/python bench/bench_jobs.py              # 10 runs on SQLite
    .venv/bin/python bench/bench_jobs.py --runs 20 --database-url postgres://…/bianhe_bench_jobs
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

PROGRESS = re.compile(r"(\d+)/(\d+)")
STATE = re.compile(r'data-state="(\w+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument("--database-url", default="",
                        help="a dedicated PostgreSQL database (recreated); default: SQLite")
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(__file__))
    from benchdb import worker_home

    worker_home("bianhe-bench-jobs-", args.database_url, BIANHE_ALLOWED_HOSTS="testserver",
                BIANHE_STATIC_MANIFEST="0")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bianhe.accounts.actions import do_create_user
    from bianhe.jobs.actions import do_start_job
    from bianhe.roles import Role

    call_command("migrate", verbosity=0)
    admin = do_create_user(None, username="bench-admin", password="Queue-timing-2026",
                           role=Role.MINISTRY_ADMIN, scope_units=[], display_name="")
    client = Client()
    client.force_login(admin)
    worker = subprocess.Popen([sys.executable, "-m", "bianhe.cli", "worker"],
                              env=os.environ.copy(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)

    def fragment(job_id) -> tuple[str, int]:
        text = client.get(f"/jobs/{job_id}/", headers={"HX-Request": "true"}).content.decode()
        done = PROGRESS.search(text)
        return STATE.search(text)[1], int(done[1]) if done else 0

    def one_run(deadline_s: float = 120) -> dict:
        start = time.perf_counter()
        job = do_start_job(admin, "jobs.probe", {"steps": args.steps, "pause": args.pause})
        marks = {"queued": time.perf_counter() - start}
        while "done" not in marks:
            state, steps = fragment(job.pk)
            now = time.perf_counter() - start
            if state in ("running", "done"):
                marks.setdefault("picked up", now)
            if steps >= 1:
                marks.setdefault("progress visible", now)
            if state == "done":
                marks["done"] = now
            if state == "failed" or now > deadline_s:
                raise SystemExit(f"job {job.pk} ended {state} after {now:.1f} s")
            time.sleep(0.01)
        return marks

    try:
        one_run()  # warm-up: the worker's first job (imports, connections)
        load_before = os.getloadavg()[0]
        runs = [one_run() for _ in range(args.runs)]
        load_after = os.getloadavg()[0]
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"job overhead, database backend on {backend}: {args.runs} runs, probe of "
          f"{args.steps} steps × {args.pause} s; load {load_before:.2f} → {load_after:.2f}")
    for mark in ("queued", "picked up", "progress visible", "done"):
        values = [run[mark] for run in runs]
        each = " · ".join(f"{v:.3f}" for v in values)
        print(f"  {mark:17s} median {statistics.median(values):.3f} s  ({each})")
    visible = statistics.median(run["progress visible"] for run in runs)
    print(f"target < 1 s for progress visible: {'met' if visible < 1 else 'missed'} "
          f"({visible:.3f} s)")


if __name__ == "__main__":
    main()
