"""Evaluation endpoints: schemes, runs and a run's results, read exactly as the pages read
them (restrict(), published runs only outside the ministry, the ministry's visibility
setting for the results of other zones)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema

from bianhe.access import NotInScope
from bianhe.evaluation import presenting
from bianhe.evaluation.models import RunState, Scheme
from bianhe.evaluation.queries import frozen_scheme_ids, run_for, runs_for, scheme_for

router = Router(tags=["evaluation"])


class SchemeOut(Schema):
    id: int
    code: str
    version: int
    name: str
    description: str
    frozen: bool = Field(..., description="Used by a published run: it can no longer change")
    proposal: bool = Field(..., description="The scheme's name says it is the platform's "
                                            "proposal, not an official method")
    updated_at: dt.datetime


class NodeOut(Schema):
    code: str
    name: str
    depth: int = Field(..., description="0 for the index, 1 for a pillar, 2 for an indicator")
    weight: float | None = Field(..., description="Share of its parent (0–1); null when the "
                                                  "weights come from the data")
    overall: float | None = Field(..., description="Share of the whole index (0–1)")
    weight_method: str
    consistency_ratio: float | None = Field(..., description="AHP consistency ratio")
    input: dict = Field(..., description="How the indicator is computed from accepted "
                                         "statistics")
    input_words: str
    unit: str
    direction: int = Field(..., description="1: higher is better; -1: lower is better")
    rationale: str
    source: str
    weights_rationale: str


class SchemeDetailOut(SchemeOut):
    text: str = Field(..., description="The scheme as written (YAML)")
    nodes: list[NodeOut]


class RunOut(Schema):
    id: int
    year: int
    title: str
    scheme: int
    label: str
    state: str
    is_variant: bool
    is_published: bool
    published_at: dt.datetime | None
    is_demo: bool
    replications: int
    run_hash: str = Field(..., description="SHA-256 of the inputs, the spec, the engine's "
                                           "code and the options")
    finished_at: dt.datetime | None


class RunDetailOut(RunOut):
    input_hash: str
    results_hash: str
    engine_digest: str
    summary: dict = Field(..., description="Run-wide results: zones evaluated and ranked, "
                                           "medians, Cronbach's alpha per pillar, flags, "
                                           "missing figures, weights, Sobol indices")
    method: list[str]


class PillarOut(Schema):
    code: str
    name: str
    score: float | None
    rank: int | None


class ResultOut(Schema):
    zone: str = Field(..., description="Zone code")
    zone_name: str
    province: str | None
    score: float | None = Field(..., description="Points, 0–100")
    rank: int | None
    rank_p5: float | None = Field(..., description="5th percentile of the Monte-Carlo ranks")
    rank_p95: float | None = Field(..., description="95th percentile of the Monte-Carlo ranks")
    previous_rank: int | None = Field(..., description="Rank in last year's published run")
    pillars: list[PillarOut]
    not_ranked: str = Field(..., description="Why the zone is not ranked; empty when it is")


class MedianOut(Schema):
    score: float | None
    pillars: dict[str, float | None]


class ResultsOut(Schema):
    run: int
    full_table: bool = Field(..., description="False: the ministry's setting shows you only "
                                              "the zones in your scope, with the medians")
    zones_evaluated: int
    zones_ranked: int
    median: MedianOut
    results: list[ResultOut]


def _scheme(scheme: Scheme, frozen: bool) -> dict:
    return {"id": scheme.pk, "code": scheme.code, "version": scheme.version,
            "name": scheme.name, "description": scheme.description, "frozen": frozen,
            "proposal": presenting.is_proposal(scheme), "updated_at": scheme.updated_at}


def _run(run) -> dict:
    return {"id": run.pk, "year": run.year, "title": presenting.run_title(run),
            "scheme": run.scheme_id, "label": run.label, "state": run.state,
            "is_variant": run.is_variant, "is_published": run.is_published,
            "published_at": run.published_at, "is_demo": run.is_demo,
            "replications": run.replications, "run_hash": run.run_hash,
            "finished_at": run.finished_at}


@router.get("/evaluation/schemes", response=list[SchemeOut], summary="Evaluation schemes")
def list_schemes(request):
    frozen = frozen_scheme_ids()
    return [_scheme(s, s.pk in frozen) for s in Scheme.objects.restrict(request.auth)]


@router.get("/evaluation/schemes/{scheme_id}", response=SchemeDetailOut,
            summary="One evaluation scheme with its tree of pillars and indicators")
def get_scheme(request, scheme_id: int):
    scheme = scheme_for(request.auth, scheme_id)
    _parsed, rows = presenting.scheme_tree(scheme)
    nodes = []
    for row in rows:
        node = row.node
        nodes.append({"code": node.code, "name": node.name, "depth": node.depth,
                      "weight": node.weight, "overall": node.overall,
                      "weight_method": node.weight_method,
                      "consistency_ratio": node.consistency_ratio, "input": node.input,
                      "input_words": row.input_words, "unit": row.unit,
                      "direction": node.direction, "rationale": node.rationale,
                      "source": node.source, "weights_rationale": node.weights_rationale})
    return {**_scheme(scheme, scheme.is_frozen), "text": scheme.text, "nodes": nodes}


@router.get("/evaluation/runs", response=list[RunOut],
            summary="Evaluation runs (published ones only outside the ministry)")
def list_runs(request, year: int | None = None):
    runs = runs_for(request.auth)
    if year is not None:
        runs = runs.filter(year=year)
    return [_run(run) for run in runs[:500]]


@router.get("/evaluation/runs/{run_id}", response=RunDetailOut, summary="One evaluation run")
def get_run(request, run_id: int):
    run = run_for(request.auth, run_id)
    return {**_run(run), "input_hash": run.input_hash, "results_hash": run.results_hash,
            "engine_digest": run.engine_digest, "summary": run.summary or {},
            "method": presenting.method_note(run) if run.state == RunState.DONE else []}


@router.get("/evaluation/runs/{run_id}/results", response=ResultsOut,
            summary="A run's results per zone, as the ministry's visibility setting allows")
def get_results(request, run_id: int):
    run = run_for(request.auth, run_id)
    if run.state != RunState.DONE:
        raise NotInScope
    ranking = presenting.ranking(request.auth, run)
    pillars = ranking.pillars
    min_coverage = float(ranking.summary.get("min_coverage", run.min_coverage))
    results = []
    for row in [*ranking.rows, *(row for row, _reason in ranking.unranked)]:
        r = row.result
        results.append({
            "zone": row.zone.code, "zone_name": row.zone.name,
            "province": row.province.code if row.province else None, "score": r.score,
            "rank": r.rank, "rank_p5": r.rank_p5, "rank_p95": r.rank_p95,
            "previous_rank": r.previous_rank,
            "pillars": [{"code": p.code, "name": p.name,
                         "score": (r.pillars.get(p.code) or {}).get("score"),
                         "rank": (r.pillars.get(p.code) or {}).get("rank")} for p in pillars],
            "not_ranked": presenting.not_ranked_words(r.not_ranked, ranking.names,
                                                      min_coverage) if r.not_ranked else ""})
    medians = ranking.summary.get("median") or {}
    return {"run": run.pk, "full_table": ranking.full, "zones_evaluated": ranking.zones_total,
            "zones_ranked": ranking.ranked_total,
            "median": {"score": medians.get("score"),
                       "pillars": {p.code: medians.get(p.code) for p in pillars}},
            "results": results}
