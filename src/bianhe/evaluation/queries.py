"""Read-side helpers of the evaluation pages, exports and API, all starting from restrict().

Who sees what of a run:

* the ministry (no scope) sees every run, published or not, with every zone's result;
* provinces, zones and observers see published runs only (``EvaluationRun.objects.restrict``),
  and of their results what the ministry's setting allows (:func:`full_table`): the full
  ranking table, or only the results of the zones in their scope plus the medians;
* a zone's scorecard is detailed (inputs, strengths, what moved it): it is shown for the
  zones in the user's scope only, whatever the setting, and answers 404 for any other.
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Substr

from bianhe.access import get_restricted, scope_paths
from bianhe.evaluation.models import (
    EvaluationRun,
    EvaluationSettings,
    RunState,
    Scheme,
    Visibility,
    ZoneResult,
)
from bianhe.reporting.models import Report, Status
from bianhe.roles import Action


def is_ministry(user) -> bool:
    """A role that sees the whole tree (the ministry's administrators and analysts)."""
    return user is not None and user.is_authenticated and scope_paths(user) is None


def full_table(user) -> bool:
    """Whether the user sees every zone's result of a run it may read."""
    return is_ministry(user) or EvaluationSettings.current().visibility == Visibility.FULL


def frozen_scheme_ids() -> set[int]:
    """Schemes used by a published run (they can no longer change), in one query."""
    return set(EvaluationRun.objects.filter(published_at__isnull=False)
               .values_list("scheme_id", flat=True))


def runs_for(user):
    return EvaluationRun.objects.restrict(user).select_related("scheme", "job")


def run_for(user, run_id: int, action: str = Action.VIEW) -> EvaluationRun:
    return get_restricted(EvaluationRun.objects.select_related("scheme", "job"), user, action,
                          pk=run_id)


def scheme_for(user, scheme_id: int, action: str = Action.VIEW) -> Scheme:
    return get_restricted(Scheme.objects, user, action, pk=scheme_id)


def results_for(user, run: EvaluationRun):
    """The results of ``run`` the user sees, ranked first (by rank), then the others."""
    results = ZoneResult.objects.filter(run=run) if full_table(user) else \
        ZoneResult.objects.restrict(user).filter(run=run)
    return results.select_related("zone", "zone__parent").order_by(
        F("rank").asc(nulls_last=True), "zone__code")


def zone_result_for(user, run: EvaluationRun, code: str) -> ZoneResult:
    """One zone's result, for its scorecard: in the user's scope only (404 otherwise)."""
    return get_restricted(ZoneResult.objects.filter(run=run).select_related("zone",
                                                                            "zone__parent"),
                          user, zone__code=code)


def published_before(run: EvaluationRun) -> EvaluationRun | None:
    """The published run of the year before, whose ranks the run compares with."""
    return EvaluationRun.objects.filter(year=run.year - 1, published_at__isnull=False).first()


def years_with_accepted_data() -> list[int]:
    """Years with at least one report the ministry accepted, newest first."""
    years = (Report.objects.filter(status=Status.ACCEPTED)
             .annotate(year=Substr("period", 1, 4)).values_list("year", flat=True).distinct())
    return sorted({int(year) for year in years}, reverse=True)


def comparable_runs(user):
    """Computed runs, for the comparison page (the ministry's)."""
    return runs_for(user).filter(state=RunState.DONE)
