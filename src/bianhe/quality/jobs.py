"""The bulk re-run of the checks as a job (``bianhe.jobs``): a worker runs it, or the CLI in
the foreground with a progress bar. Its ``QualityRun`` row keeps the run's own record (the
range, reports checked, flags found) that the rules page lists."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bianhe.audit.actions import record
from bianhe.jobs.registry import Kind, register
from bianhe.periods import parse_range
from bianhe.quality.actions import do_queue_run
from bianhe.quality.checks import check_reports, reports_in_range
from bianhe.quality.models import JobState, QualityRun
from bianhe.roles import Action


def run_quality(job, progress) -> dict:
    """Check every report in the run's range; progress is saved after each step."""
    run = QualityRun.objects.get(pk=job.params["run"])
    start, end = parse_range(run.period_from, run.period_to)
    now = timezone.now()
    QualityRun.objects.filter(pk=run.pk).update(state=JobState.RUNNING, started_at=now,
                                                heartbeat_at=now)

    def step(done, total, summary) -> None:
        QualityRun.objects.filter(pk=run.pk).update(
            steps_done=done, steps_total=total, reports_checked=summary.reports,
            flags_found=summary.flags, heartbeat_at=timezone.now())
        progress(done, total, f"{summary.reports} reports, {summary.flags} flags")

    try:
        ids = list(reports_in_range(start, end).values_list("pk", flat=True))
        progress(0, len(ids))
        summary = check_reports(ids, progress=step)
    except Exception as exc:  # the row must say it failed, whatever the reason
        QualityRun.objects.filter(pk=run.pk).update(state=JobState.FAILED,
                                                    finished_at=timezone.now(),
                                                    error=str(exc)[:2000])
        raise
    with transaction.atomic():
        QualityRun.objects.filter(pk=run.pk).update(
            state=JobState.DONE, finished_at=timezone.now(), reports_checked=summary.reports,
            flags_found=summary.flags,
            error="; ".join(summary.broken_rules)[:2000])
        run.refresh_from_db()
        record(actor=run.started_by, action="quality.run.finish", obj=run,
               after={"reports": summary.reports, "flags": summary.flags,
                      "by_check": summary.by_check, "broken_rules": summary.broken_rules},
               source=run.source)
    return {"run": run.pk, "reports": summary.reports, "flags": summary.flags,
            "broken_rules": summary.broken_rules}


def run_failed(job) -> None:
    """The job's worker died: the run's own row says so too."""
    QualityRun.objects.filter(pk=job.params.get("run"),
                              state__in=(JobState.QUEUED, JobState.RUNNING)).update(
        state=JobState.FAILED, finished_at=timezone.now(), error=job.error[:2000])


def start_again(actor, params, **options):
    return do_queue_run(actor, params["from"], params["to"], **options).job


QUALITY_RUN = register(Kind("quality.run", _("Quality run"), run_quality, right=Action.CHANGE,
                            start=start_again, on_failed=run_failed))
