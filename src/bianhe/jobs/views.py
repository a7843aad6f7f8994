"""The job pages: the list of one's jobs, one job (the page and its htmx fragment from one
view, polled while the job runs), its download and running it again. A job is visible to its
owner and to the ministry's administrators; to everyone else it does not exist (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from bianhe.access import NotInScope, get_restricted
from bianhe.audit.actions import request_context
from bianhe.jobs.actions import do_rerun_job
from bianhe.jobs.models import Job, JobState
from bianhe.jobs.registry import KINDS
from bianhe.jobs.runner import mark_stalled


def _label(job: Job) -> str:
    kind = KINDS.get(job.kind)
    return str(kind.label) if kind else job.kind


def job_list(request):
    mark_stalled()
    jobs = list(Job.objects.restrict(request.user)[:50])
    for job in jobs:
        job.label = _label(job)
    return render(request, "jobs/list.html", {"jobs": jobs})


def job_page(request, job_id: int):
    mark_stalled()
    job = get_restricted(Job.objects, request.user, pk=job_id)
    job.label = _label(job)
    template = "jobs/_job.html" if request.htmx else "jobs/job.html"
    return render(request, template, {"job": job})


def job_download(request, job_id: int):
    job = get_restricted(Job.objects, request.user, pk=job_id)
    path = job.file_path
    if job.state != JobState.DONE or path is None or not path.is_file():
        raise NotInScope
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name)


@require_POST
def job_rerun(request, job_id: int):
    job = get_restricted(Job.objects, request.user, pk=job_id)
    try:
        new = do_rerun_job(request.user, job, **request_context(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("jobs:job", job_id=job.pk)
    return redirect("jobs:job", job_id=new.pk)
