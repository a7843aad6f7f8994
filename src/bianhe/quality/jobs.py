"""Bulk re-runs as job rows: the CLI runs one in the foreground with a progress bar, the web
starts one in a background thread and shows its progress from the row.

There is no task queue in the platform; a run writes its progress (and a heartbeat) after
each step, so a run whose process died shows as stalled and a new one can be started.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from django.db import connections, transaction
from django.utils import timezone

from bianhe.audit.actions import record
from bianhe.periods import parse_range
from bianhe.quality.checks import CheckSummary, check_reports, reports_in_range
from bianhe.quality.models import JobState, QualityRun

#: A running job that has not written progress for this long is taken as dead.
STALL_AFTER = dt.timedelta(minutes=10)


def mark_stalled(now=None) -> int:
    now = now or timezone.now()
    return (QualityRun.objects.filter(state__in=(JobState.QUEUED, JobState.RUNNING))
            .filter(heartbeat_at__lt=now - STALL_AFTER)
            .update(state=JobState.FAILED, finished_at=now,
                    error="stalled: no progress for 10 minutes (the process ended)"))


def run_job(run_id: int, progress: Callable[[int, int, CheckSummary], None] | None = None
            ) -> QualityRun:
    """Check every report in the run's range; progress is saved after each step."""
    run = QualityRun.objects.get(pk=run_id)
    start, end = parse_range(run.period_from, run.period_to)
    now = timezone.now()
    QualityRun.objects.filter(pk=run.pk).update(state=JobState.RUNNING, started_at=now,
                                                heartbeat_at=now)

    def step(done: int, total: int, summary: CheckSummary) -> None:
        QualityRun.objects.filter(pk=run.pk).update(
            steps_done=done, steps_total=total, reports_checked=summary.reports,
            flags_found=summary.flags, heartbeat_at=timezone.now())
        if progress is not None:
            progress(done, total, summary)

    try:
        ids = list(reports_in_range(start, end).values_list("pk", flat=True))
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
    return run


def start_in_background(run_id: int) -> threading.Thread:
    """Run the job in a daemon thread of this process, once the request's data is committed."""

    def target() -> None:
        try:
            run_job(run_id)
        except Exception:  # already recorded on the row
            pass
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=target, name=f"quality-run-{run_id}", daemon=True)
    transaction.on_commit(thread.start)
    return thread
