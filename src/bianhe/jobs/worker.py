"""Workers: ``bianhe worker`` runs one in the foreground; ``bianhe serve`` starts one as a
child process beside the web server and stops it with the server. The CLI's foreground runs
show a ``rich`` progress bar over the same function a worker runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command

#: Seconds between two looks at the queue when it is empty (database backend).
POLL_SECONDS = 0.2


def run_worker(*, batch: bool = False, interval: float = POLL_SECONDS) -> None:
    """Run jobs as they are queued, until stopped (SIGINT/SIGTERM finish the current job
    first); ``batch``: run what is queued, then return."""
    if settings.BIANHE_TASKS_BACKEND == "rq":
        call_command("rqworker", "default", job_class="django_tasks_rq.Job", burst=batch,
                     with_scheduler=False, worker_class="bianhe.jobs.rq_worker.Worker")
    else:
        call_command("db_worker", queue_name="default", interval=interval, batch=batch,
                     reload=False, startup_delay=False, verbosity=1)


def start_worker_process() -> subprocess.Popen:
    """One worker as a child process with this process's configuration."""
    return subprocess.Popen([sys.executable, "-m", "bianhe.cli", "worker"], env=os.environ.copy())


def stop_worker_process(process: subprocess.Popen | None, *, grace: float = 30) -> None:
    """Stop the worker: SIGTERM lets it finish its job; after ``grace`` seconds, SIGKILL (the
    job then fails when its heartbeat expires, and can be run again)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_with_progress_bar(job, *, title: str, quiet: bool = False):
    """Run a job in this process with a progress bar; returns the finished job."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from bianhe.jobs.runner import execute

    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, disable=quiet) as bar:
        task = bar.add_task(title, total=None)

        def step(done, total, message):
            bar.update(task, completed=done, total=total,
                       description=f"{title}: {message}" if message else title)

        return execute(job.pk, callback=step)
