"""The one task every job goes through: a worker receives a job id and runs it."""

from __future__ import annotations

from django_tasks import task


@task()
def run_job(job_id: int) -> None:
    from bianhe.jobs.runner import execute

    execute(job_id)
