"""The evaluation run as a job (``bianhe.jobs``): inputs from accepted data, the engine,
the results saved set-based, the run's hashes written, the end audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bianhe.audit.actions import record
from bianhe.evaluation.models import EvaluationRun, RunState, ZoneResult
from bianhe.jobs.registry import Kind, register
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit

TOTAL_STEPS = 6


def options_of(run: EvaluationRun) -> dict:
    return {"replications": run.replications, "seed": run.seed,
            "sensitivity": run.sensitivity, "year": run.year,
            "min_coverage": run.min_coverage}


def previous_results(run: EvaluationRun) -> dict[str, dict]:
    """The published results of the year before, per zone code."""
    before = EvaluationRun.objects.filter(year=run.year - 1,
                                          published_at__isnull=False).first()
    if before is None:
        return {}
    return {code: {"rank": rank, "contributions": contributions}
            for code, rank, contributions in before.results.values_list(
                "zone__code", "rank", "contributions")}


def run_evaluation(job, progress) -> dict:
    # The engine (numpy, pandas, the index modules) is imported when a run runs, not when
    # the app registers this kind at every start-up of Django.
    from bianhe.evaluation.compute import (
        canonical,
        engine_digest,
        evaluate,
        results_hash,
        run_hash,
        sha256,
        snapshot,
    )
    from bianhe.evaluation.inputs import build_inputs
    from bianhe.evaluation.schemes import parse

    run = EvaluationRun.objects.select_related("scheme").get(pk=job.params["evaluation_run"])
    EvaluationRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING)
    try:
        progress(0, TOTAL_STEPS, "inputs")
        table = build_inputs(parse(run.scheme.text), run.year)
        previous = previous_results(run)
        # Last year's published results are an input too (rank changes, what moved them).
        snap = {**snapshot(table.frame), "previous": previous}
        input_hash = sha256(canonical(snap))
        digest = engine_digest()

        def step(done, total, message):
            progress(1 + done, TOTAL_STEPS, message)

        evaluation = evaluate(table.frame, run.spec, replications=run.replications,
                              seed=run.seed, min_coverage=run.min_coverage,
                              with_sensitivity=run.sensitivity, previous=previous,
                              progress=step)
    except Exception as exc:  # the run must say it failed, whatever the reason
        EvaluationRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    ids = dict(OrgUnit.objects.filter(code__in=list(evaluation.zones))
               .values_list("code", "id"))
    with transaction.atomic():
        run.results.all().delete()
        ZoneResult.objects.bulk_create([
            ZoneResult(run=run, zone_id=ids[code], score=z["score"], rank=z["rank"],
                       rank_p5=z["rank_p5"], rank_p95=z["rank_p95"],
                       rank_median=z["rank_median"], previous_rank=z["previous_rank"],
                       pillars=z["pillars"], contributions=z["contributions"],
                       indicators=z["indicators"], inputs=z["inputs"], strengths=z["strengths"],
                       weaknesses=z["weaknesses"], missing=z["missing"], movers=z["movers"],
                       not_ranked=z["not_ranked"])
            for code, z in evaluation.zones.items()])
        run.inputs, run.input_hash, run.engine_digest = snap, input_hash, digest
        run.run_hash = run_hash(input_hash, run.spec, digest, options_of(run))
        run.results_hash = results_hash(evaluation)
        run.summary = evaluation.summary
        run.is_demo = table.is_demo
        run.state, run.error, run.finished_at = RunState.DONE, "", timezone.now()
        run.save()
        record(actor=run.created_by, action="evaluation.run.finish", obj=run,
               after={"zones": len(evaluation.zones), "run_hash": run.run_hash,
                      "missing_cells": evaluation.summary["missing_cells"],
                      "flags": len(evaluation.summary["flags"])},
               source=job.source)
    progress(TOTAL_STEPS, TOTAL_STEPS, "")
    return {"run": run.pk, "zones": len(evaluation.zones), "run_hash": run.run_hash}


def run_failed(job) -> None:
    EvaluationRun.objects.filter(pk=job.params.get("evaluation_run"),
                                 state__in=(RunState.QUEUED, RunState.RUNNING)).update(
        state=RunState.FAILED, finished_at=timezone.now(), error=job.error[:2000])


def start_again(actor, params, **options):
    """The job page's "run again": a new run with the same settings (see do_repeat_run)."""
    from bianhe.evaluation.actions import do_repeat_run

    run = EvaluationRun.objects.get(pk=params["evaluation_run"])
    return do_repeat_run(actor, run, **options).job


EVALUATION_RUN = register(Kind("evaluation.run", _("Comprehensive evaluation"), run_evaluation,
                               right=Action.CHANGE, start=start_again, on_failed=run_failed))
