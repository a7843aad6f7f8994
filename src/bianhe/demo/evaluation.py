"""The demo's earlier evaluation (演示数据): the year before the last full year is evaluated
with the default scheme and published, as the ministry would have done a year ago, so that
the last full year — which the ministry runs, inspects and publishes itself in the demo —
shows each zone's rank change and what moved it."""

from __future__ import annotations

from django.utils import timezone

from bianhe.audit.models import Source
from bianhe.evaluation.actions import do_publish_run, do_start_run
from bianhe.evaluation.commands import DEFAULT_CODE
from bianhe.evaluation.models import EvaluationRun, Scheme
from bianhe.evaluation.setup import ensure_default_scheme
from bianhe.jobs.runner import execute


def publish_earlier_evaluation(today=None) -> EvaluationRun | None:
    """Evaluate and publish the year two years back; None when one is published already."""
    year = (today or timezone.localdate()).year - 2
    if EvaluationRun.objects.filter(year=year, published_at__isnull=False).exists():
        return None
    ensure_default_scheme()
    scheme = Scheme.objects.filter(code=DEFAULT_CODE).order_by("-version").first()
    run = do_start_run(None, scheme, year, label="演示：上年度已发布的评价", queue=False,
                       source=Source.SYSTEM)
    execute(run.job.pk)
    run.refresh_from_db()
    return do_publish_run(None, run, source=Source.SYSTEM)
