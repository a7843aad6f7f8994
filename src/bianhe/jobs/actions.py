"""Starting jobs: access checked, the start audited, the task queued once the row is
committed. ``do_rerun_job`` starts a failed (or finished) job again with its params."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bianhe.access import require, require_right
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.jobs.models import Job, JobState
from bianhe.jobs.registry import get_kind
from bianhe.roles import Action

logger = logging.getLogger(__name__)


def _scope_codes(user) -> list[str]:
    if user is None:
        return []
    return sorted(user.scope_units.values_list("code", flat=True))


def do_start_job(actor, kind_code: str, params: dict | None = None, *,
                 source: str = Source.WEB, ip_address: str | None = None,
                 queue: bool = True, rerun_of: Job | None = None) -> Job:
    """Create the job row and audit its start; ``queue``: hand it to a worker after commit
    (False: the caller runs it in the foreground with ``runner.execute``)."""
    kind = get_kind(kind_code)
    require_right(actor, kind.right)
    user = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        job = Job.objects.create(kind=kind.code, params=params or {}, owner=user,
                                 actor_name=user.get_username() if user else "system",
                                 source=source, scope=_scope_codes(user), rerun_of=rerun_of)
        record(actor=actor, action="jobs.job.start", obj=job,
               after={"kind": kind.code, "params": job.params}, source=source,
               ip_address=ip_address)
        if queue:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    """Hand the job to the task queue; if the queue is unreachable the job fails at once
    (rather than waiting for ever) and says why."""
    from bianhe.jobs.runner import fail
    from bianhe.jobs.tasks import run_job

    try:
        result = run_job.enqueue(job_id)
    except Exception as exc:  # any queue error: the row must not stay queued for ever
        logger.exception("job %s could not be queued", job_id)
        fail(Job.objects.get(pk=job_id), f"the task queue is unreachable: {exc}")
        return
    Job.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def do_rerun_job(actor, job: Job, *, source: str = Source.WEB,
                 ip_address: str | None = None) -> Job:
    """Start a job that ended again, with the same params, for the same owner's reach."""
    require(Job.objects, actor, Action.VIEW, job)
    if job.state not in (JobState.FAILED, JobState.DONE):
        raise ValidationError(_("This job has not ended yet."))
    kind = get_kind(job.kind)
    if kind.start is not None:
        return kind.start(actor, job.params, source=source, ip_address=ip_address,
                          rerun_of=job)
    return do_start_job(actor, job.kind, job.params, source=source, ip_address=ip_address,
                        rerun_of=job)
