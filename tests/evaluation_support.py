"""A small evaluation world for the evaluation tests: a scheme that needs no targets app,
accepted statistics for two years, and runs computed for real.

``seed_accepted(year)`` writes accepted figures (through the one ingest path, statuses set
in bulk as a loader of historical data would) for every zone valid in ``year`` and the year
before, with two zones that show the edge cases: one with too few accepted figures to be
ranked and one with a single missing figure. ``stored_run`` evaluates a synthetic input
table with the real engine and stores it the way the run job does, for tests that need a
run in every zone without accepted data behind it (the route × role tests).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from analytics_data import put
from bianhe.evaluation.compute import evaluate
from bianhe.evaluation.models import EvaluationRun, RunState, Scheme, ZoneResult
from bianhe.evaluation.schemes import parse
from bianhe.zones.models import OrgUnit

#: The evaluated year: last year, whose annual reports are all due.
YEAR = dt.date.today().year - 1
#: Too few accepted figures: this zone is listed as not ranked.
SPARSE_ZONE = "BECZ-YN-04"
#: One figure missing (R&D intensity): reweighted within its pillar.
GAPPY_ZONE = "BECZ-XJ-02"

SMALL_SCHEME = """\
name: 测试方案
description: 测试
unit: zone
missing: reweight
treatment: coinr
normalise: {method: minmax, low: 0, high: 100}
rank_ties: competition
rank_round: 2
index:
  code: INDEX
  name: 综合得分
  weights: [30, 15, 15, 10, 30]
  children:
    - code: OPENING
      name: 对外开放
      weights_rationale: 进出口增速最重要。
      weights: {method: ahp, matrix: [[1, 3, 2], ["1/3", 1, "1/2"], ["1/2", 2, 1]]}
      children:
        - code: TRADE_GROWTH
          name: 进出口总额增速
          input: {measure: growth, indicator: TRADE_TOTAL}
          unit: "%"
        - code: BORDER_SHARE
          name: 边境贸易占比
          input: {measure: ratio, indicator: BORDER_TRADE, per: TRADE_TOTAL, scale: 100}
          unit: "%"
        - code: NEIGHBOUR_SHARE
          name: 对毗邻国家贸易占比
          input: {measure: neighbour_share, indicator: TRADE_BY_PARTNER, per: TRADE_TOTAL}
          unit: "%"
    - code: INNOVATION
      name: 科技创新
      rationale: 创新是发展的第一动力。
      children:
        - code: RD_INTENSITY
          name: 研发强度
          input: {measure: value, indicator: RD_INTENSITY}
          unit: "%"
        - code: HT_PER_100
          name: 每百家企业高新技术企业数
          input: {measure: ratio, indicator: HIGH_TECH_ENT, per: ENTERPRISES, scale: 100}
    - code: GREEN
      name: 绿色发展
      children:
        - code: ENERGY
          name: 能耗
          direction: lower_better
          input: {measure: value, indicator: ENERGY_INTENSITY}
        - {code: WASTE, name: 固废利用, input: {measure: value, indicator: SOLID_WASTE_UTIL}}
    - code: COORDINATION
      name: 统筹协调
      children:
        - {code: REPORTING, name: 数据质量与及时性, input: {measure: reporting_score}}
        - {code: COOP, name: 合作园区, input: {measure: value, indicator: COOP_PARKS}}
    - code: QUALITY
      name: 发展质量
      children:
        - {code: GDP_G, name: 地区生产总值增速, input: {measure: value, indicator: GDP_GROWTH}}
        - code: LAND_TAX
          name: 亩均税收
          input: {measure: value, indicator: LAND_TAX_INTENSITY}
"""

#: The same scheme with AHP judgements that contradict each other (CR far above 0.1).
INCONSISTENT_SCHEME = SMALL_SCHEME.replace(
    '[[1, 3, 2], ["1/3", 1, "1/2"], ["1/2", 2, 1]]',
    '[[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]')
#: A scheme reading an indicator no catalogue has.
UNKNOWN_INDICATOR_SCHEME = SMALL_SCHEME.replace("indicator: COOP_PARKS",
                                                "indicator: NO_SUCH_FIGURE")

PARTNERS = ("RU", "MN", "KZ", "VN", "MM", "LA", "KP", "OTHER")


def zone_codes(year: int = YEAR) -> list[str]:
    return sorted(OrgUnit.objects.zones().active_in_year(year).values_list("code", flat=True))


def seed_accepted(year: int = YEAR) -> None:
    """Accepted figures of ``year`` and the year before for every zone valid in ``year``
    (the SPARSE_ZONE and GAPPY_ZONE aside), and a reporting record to score."""
    from bianhe.reporting.models import Report

    rng = np.random.default_rng(year)
    values: dict[tuple, float] = {}
    for zone in zone_codes(year):
        trade = float(np.round(rng.uniform(50_000, 900_000), 1))
        for y in (year - 1, year):
            if y == year:  # this year's trade grows (or falls) from last year's
                trade = float(np.round(trade * rng.uniform(0.8, 1.35), 1))
            values[(zone, f"{y}M12", "TRADE_TOTAL")] = trade
            shares = rng.dirichlet(np.ones(len(PARTNERS)))
            parts = np.round(shares * trade, 1)
            parts[-1] = np.round(trade - parts[:-1].sum(), 1)
            for member, part in zip(PARTNERS, parts, strict=True):
                values[(zone, f"{y}M12", "TRADE_BY_PARTNER", member)] = float(part)
            if zone == SPARSE_ZONE:
                continue  # trade only: too little to be ranked
            values[(zone, f"{y}M12", "BORDER_TRADE")] = float(np.round(trade * rng.uniform(
                0.05, 0.6), 1))
            values[(zone, f"{y}Q4", "ENTERPRISES")] = int(rng.integers(200, 3000))
            values[(zone, f"{y}Q4", "GDP_GROWTH")] = float(np.round(rng.uniform(-2, 12), 1))
            values[(zone, f"{y}", "HIGH_TECH_ENT")] = int(rng.integers(2, 120))
            if not (zone == GAPPY_ZONE and y == year):
                values[(zone, f"{y}", "RD_INTENSITY")] = float(np.round(rng.uniform(0.2, 3), 2))
            values[(zone, f"{y}", "ENERGY_INTENSITY")] = float(np.round(rng.uniform(0.2, 1.5),
                                                                        2))
            values[(zone, f"{y}", "SOLID_WASTE_UTIL")] = float(np.round(rng.uniform(40, 99), 1))
            values[(zone, f"{y}", "COOP_PARKS")] = int(rng.integers(0, 5))
            values[(zone, f"{y}", "LAND_TAX_INTENSITY")] = float(np.round(rng.uniform(2, 40), 1))
    put(values)
    # A reporting record: some zones submitted late, some were returned once.
    for n, report in enumerate(Report.objects.filter(period__startswith=str(year))
                               .order_by("zone__code", "period")):
        late = dt.timedelta(days=3 if n % 3 == 0 else -2)
        report.first_submitted_at = timezone.make_aware(
            dt.datetime.combine(report.deadline + late, dt.time(10)))
        report.return_count = 1 if n % 4 == 0 else 0
        Report.objects.filter(pk=report.pk).update(first_submitted_at=report.first_submitted_at,
                                                   return_count=report.return_count)


def save_scheme(text: str = SMALL_SCHEME, code: str = "test") -> Scheme:
    from bianhe.evaluation.actions import do_save_scheme

    return do_save_scheme(None, text, code=code, source="cli")


def computed_run(scheme: Scheme, year: int = YEAR, **options) -> EvaluationRun:
    """A run started and computed in the foreground, as the CLI does."""
    from bianhe.evaluation.actions import do_start_run
    from bianhe.jobs.runner import execute

    options.setdefault("replications", 100)
    run = do_start_run(None, scheme, year, queue=False, source="cli", **options)
    execute(run.job.pk)
    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    return run


# --- runs from a synthetic table (no accepted data behind them) ---------------------------
_EVALUATIONS: dict[tuple, object] = {}


def _synthetic(codes: tuple[str, ...], seed: int):
    key = (codes, seed)
    if key not in _EVALUATIONS:  # pure and the same every time: computed once a session
        parsed = parse(SMALL_SCHEME)
        columns = [leaf.code for leaf in parsed.leaves()]
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame(rng.uniform(10, 90, (len(codes), len(columns))),
                             index=pd.Index(codes, name="zone"), columns=columns)
        frame.iloc[1, 3] = np.nan  # one missing figure
        frame.iloc[2, :7] = np.nan  # a zone that cannot be ranked
        _EVALUATIONS[key] = evaluate(frame, parsed.engine, replications=100, seed=seed)
    return _EVALUATIONS[key]


def stored_run(scheme: Scheme, year: int = YEAR, *, published: bool = False,
               variant: bool = False, label: str = "", seed: int = 1) -> EvaluationRun:
    """A computed run of every zone valid in ``year`` stored as the run job stores one."""
    codes = tuple(zone_codes(year))
    evaluation = _synthetic(codes, seed)
    now = timezone.now()
    run = EvaluationRun.objects.create(
        scheme=scheme, year=year, label=label, is_variant=variant, replications=100,
        seed=seed, spec=parse(scheme.text).engine, state=RunState.DONE, summary=evaluation.summary,
        run_hash="a" * 64, input_hash="b" * 64, results_hash="c" * 64, engine_digest="d" * 64,
        finished_at=now, published_at=now if published else None)
    ids = dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "id"))
    ZoneResult.objects.bulk_create([
        ZoneResult(run=run, zone_id=ids[code], score=z["score"], rank=z["rank"],
                   rank_p5=z["rank_p5"], rank_p95=z["rank_p95"], rank_median=z["rank_median"],
                   previous_rank=z["previous_rank"], pillars=z["pillars"],
                   contributions=z["contributions"], inputs=z["inputs"],
                   strengths=z["strengths"], weaknesses=z["weaknesses"], missing=z["missing"],
                   movers=z["movers"], not_ranked=z["not_ranked"],
                   indicators=z["indicators"])
        for code, z in evaluation.zones.items()])
    return run


# --- the module fixture's body ------------------------------------------------------------
def evaluation_world(django_db_blocker):
    """For a module-scoped fixture, rolled back after the module: accepted figures, the
    scheme, last year's published run (synthetic, for rank changes and what moved them) and
    this year's run computed from the accepted figures (not published). Each test runs in
    its own savepoint, so one that publishes or edits cannot disturb the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_accepted()
        scheme = save_scheme()
        last_year = stored_run(scheme, YEAR - 1, published=True)
        run = computed_run(scheme, sensitivity=True)
        yield SimpleNamespace(scheme_id=scheme.pk, last_year_id=last_year.pk, run_id=run.pk)
        transaction.set_rollback(True)
