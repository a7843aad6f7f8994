"""Running a job: the same function in a worker (through the task) and in the foreground
(the CLI, with a progress bar). Progress and heartbeat are written to the job row."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from bianhe.jobs.models import Job, JobState
from bianhe.jobs.registry import get_kind

logger = logging.getLogger(__name__)


class Progress:
    """Passed to a kind's ``run``: ``progress(done, total, message)`` after each step."""

    def __init__(self, job: Job, callback: Callable | None = None):
        self.job = job
        self.callback = callback

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        fields = {"steps_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["steps_total"] = total
        if message:
            fields["message"] = message[:300]
        Job.objects.filter(pk=self.job.pk).update(**fields)
        if self.callback is not None:
            self.callback(done, total, message)

    def output(self, name: str):
        """The path to write the job's file to (under BIANHE_HOME), made ready."""
        self.job.file_name = name
        path = self.job.file_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def execute(job_id: int, callback: Callable | None = None) -> Job:
    """Run a queued job to its end; a job that is not queued any more is left alone (a task
    delivered twice, or a job already marked failed)."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now)
    job = Job.objects.select_related("owner").get(pk=job_id)
    if not claimed:
        logger.warning("job %s is %s, not queued: not run again", job_id, job.state)
        return job
    progress = Progress(job, callback)
    try:
        result = get_kind(job.kind).run(job, progress) or {}
    except Exception as exc:  # the row must say it failed, whatever the reason
        fail(job, str(exc) or exc.__class__.__name__, hook=False)
        raise
    Job.objects.filter(pk=job.pk).update(state=JobState.DONE, finished_at=timezone.now(),
                                         heartbeat_at=timezone.now(), result=result,
                                         file_name=job.file_name)
    job.refresh_from_db()
    return job


def fail(job: Job, error: str, *, hook: bool = True) -> None:
    """Mark a job failed; ``hook``: also tell its kind (its own handler did not run)."""
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, finished_at=timezone.now(),
                                         error=error[:2000])
    if hook:
        kind = get_kind(job.kind)
        if kind.on_failed is not None:
            job.refresh_from_db()
            kind.on_failed(job)


def stall_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.BIANHE_JOB_STALL_SECONDS)


def mark_stalled(now=None) -> int:
    """Mark failed every running job whose heartbeat is older than the stall limit: its
    worker died (killed, or the machine stopped). It can be run again."""
    now = now or timezone.now()
    stalled = list(Job.objects.filter(state=JobState.RUNNING,
                                      heartbeat_at__lt=now - stall_after()))
    seconds = settings.BIANHE_JOB_STALL_SECONDS
    for job in stalled:
        fail(job, f"stalled: no heartbeat for {seconds} seconds (the worker ended)")
    return len(stalled)
