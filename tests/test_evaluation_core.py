"""The evaluation's core: a hand-built case with known scores and ranks, the snapshot that
recomputes bit for bit, the rules of publication and of schemes, and what is refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from analytics_data import put
from bianhe.audit.models import AuditLog
from bianhe.evaluation.actions import do_publish_run, do_save_scheme, do_start_run
from bianhe.evaluation.models import EvaluationRun, RunState, Scheme, ZoneResult
from bianhe.evaluation.schemes import SchemeError, parse
from bianhe.evaluation.verify import verify
from bianhe.jobs.runner import execute
from bianhe.reporting.models import Status

YEAR = 2025
A, B, C, D = "BECZ-GX-01", "BECZ-YN-03", "BECZ-XJ-02", "BECZ-HL-01"

SCHEME = """\
name: 手算检验方案
unit: zone
missing: reweight
normalise: {method: minmax, low: 0, high: 100}
rank_ties: competition
rank_round: 2
index:
  code: INDEX
  name: 综合得分
  weights: [60, 40]
  children:
    - code: OPENING
      name: 对外开放
      children:
        - code: TRADE
          name: 进出口总额
          unit: 万元
          input: {measure: value, indicator: TRADE_TOTAL}
    - code: QUALITY
      name: 发展质量
      weights: equal
      children:
        - code: GDPG
          name: 地区生产总值增速
          unit: "%"
          input: {measure: value, indicator: GDP_GROWTH}
        - code: TAXR
          name: 税收占一般公共预算收入比重
          unit: "%"
          input: {measure: ratio, indicator: TAX_REVENUE, per: FISCAL_REVENUE, scale: 100}
"""

# TRADE 100, 300, 210, 400 → min–max 0, 66.67, 36.67, 100.
# GDP growth 5, 3, 9, 1 → 50, 25, 100, 0; tax share 80, 50, 60, 40 % → 100, 25, 50, 0.
# QUALITY = mean → 75, 25, 75, 0; INDEX = 0.6 OPENING + 0.4 QUALITY → 30, 50, 52, 60.
EXPECTED = {D: (60.0, 1), C: (52.0, 2), B: (50.0, 3), A: (30.0, 4)}


@pytest.fixture
def accepted(catalogue):
    trade = {A: 100, B: 300, C: 210, D: 400}
    growth = {A: 5, B: 3, C: 9, D: 1}
    tax = {A: 80, B: 50, C: 60, D: 40}
    values = {}
    for zone in (A, B, C, D):
        values[(zone, f"{YEAR}M12", "TRADE_TOTAL")] = trade[zone]
        values[(zone, f"{YEAR}M12", "EXPORT")] = trade[zone]
        values[(zone, f"{YEAR}M12", "IMPORT")] = 0
        values[(zone, f"{YEAR}M12", "TAX_REVENUE")] = tax[zone]
        values[(zone, f"{YEAR}M12", "FISCAL_REVENUE")] = 100
        values[(zone, f"{YEAR}Q4", "GDP_GROWTH")] = growth[zone]
    put(values)


def evaluated(scheme: Scheme, year: int = YEAR, **options) -> EvaluationRun:
    run = do_start_run(None, scheme, year, queue=False, source="cli", **options)
    execute(run.job.pk)
    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    return run


@pytest.fixture
def scheme(catalogue):
    return do_save_scheme(None, SCHEME, code="hand", source="cli")


def test_a_hand_built_case_gives_the_scores_and_ranks_worked_out_by_hand(accepted, scheme):
    run = evaluated(scheme)
    results = {r.zone.code: r for r in run.results.select_related("zone")}
    for code, (score, rank) in EXPECTED.items():
        assert results[code].score == pytest.approx(score, abs=1e-6), code
        assert results[code].rank == rank, code
    assert results[A].pillars["QUALITY"]["score"] == pytest.approx(75.0)
    assert results[D].inputs["TAXR"] == pytest.approx(40.0)
    # The other zones of the registry have no accepted figure: listed, not ranked.
    unranked = [r for r in results.values() if r.rank is None]
    assert len(unranked) == 16 and all(r.not_ranked for r in unranked)
    assert run.summary["ranked"] == 4
    # Contributions are points of the index score and add up to it.
    leaves = ("TRADE", "GDPG", "TAXR")
    assert sum(results[C].contributions[c] for c in leaves) == pytest.approx(52.0, abs=1e-5)


def test_the_audit_flags_pillars_that_pull_apart_and_not_a_single_indicator(accepted,
                                                                             scheme):
    run = evaluated(scheme)
    # OPENING (one indicator) has no α to judge; QUALITY's two indicators rise together;
    # the pillars themselves run opposite (D leads on trade, A and C on quality).
    assert run.summary["cronbach_alpha"]["QUALITY"] > 0
    assert run.summary["cronbach_alpha"]["INDEX"] < 0
    assert [(f["node"], f["check"]) for f in run.summary["flags"]] == [("INDEX", "incoherent")]


def test_a_run_recomputes_bit_for_bit_from_its_snapshot(accepted, scheme):
    run = evaluated(scheme)
    check = verify(run)
    assert check.ok and check.same_engine and check.results_identical
    # A changed snapshot no longer matches its hash, and the results differ.
    run.inputs["values"][0][0] = 12345.0
    tampered = verify(run)
    assert not tampered.inputs_intact and not tampered.ok


def test_only_accepted_figures_count(accepted, scheme):
    e = "BECZ-YN-04"
    put({(e, f"{YEAR}M12", "TRADE_TOTAL"): 9999, (e, f"{YEAR}M12", "EXPORT"): 9999,
         (e, f"{YEAR}M12", "IMPORT"): 0, (e, f"{YEAR}M12", "TAX_REVENUE"): 90,
         (e, f"{YEAR}M12", "FISCAL_REVENUE"): 100, (e, f"{YEAR}Q4", "GDP_GROWTH"): 20},
        status=Status.APPROVED)
    run = evaluated(scheme)
    theirs = run.results.get(zone__code=e)
    # Approved by the province, not accepted by the ministry: not an input.
    assert theirs.inputs == {"TRADE": None, "GDPG": None, "TAXR": None}
    assert theirs.rank is None and {"indicator": "TRADE", "handled": "not_ranked"} \
        in theirs.missing
    assert run.results.get(zone__code=D).score == pytest.approx(60.0)


def test_publication_is_audited_happens_once_and_freezes_the_scheme(accepted, scheme):
    run = evaluated(scheme)
    do_publish_run(None, run, source="cli")
    assert AuditLog.objects.filter(action="evaluation.run.publish",
                                   object_id=str(run.pk)).count() == 1
    with pytest.raises(ValidationError, match="已经发布"):
        do_publish_run(None, run, source="cli")
    other = evaluated(scheme)
    with pytest.raises(ValidationError, match="已有发布"):
        do_publish_run(None, other, source="cli")
    scheme.refresh_from_db()
    assert scheme.is_frozen
    with pytest.raises(ValidationError, match="新版本"):
        do_save_scheme(None, SCHEME.replace("[60, 40]", "[50, 50]"), base=scheme,
                       source="cli")
    assert Scheme.objects.get(pk=scheme.pk).text == SCHEME
    newer = do_save_scheme(None, SCHEME.replace("[60, 40]", "[50, 50]"), base=scheme,
                           new_version=True, source="cli")
    assert (newer.code, newer.version) == ("hand", 2)


def test_a_variant_changes_weights_and_is_never_published(accepted, scheme):
    variant = evaluated(scheme, pillar_weights={"OPENING": 0, "QUALITY": 100},
                        label="只看发展质量")
    assert variant.is_variant
    ranks = dict(variant.results.filter(rank__isnull=False)
                 .values_list("zone__code", "rank"))
    assert ranks[A] == 1 and ranks[C] == 1  # QUALITY 75 each
    with pytest.raises(ValidationError):
        do_publish_run(None, variant, source="cli")


def test_rank_change_and_what_moved_it_come_from_last_years_published_run(accepted, scheme):
    put({(z, "2024M12", "TRADE_TOTAL"): v for z, v in {A: 400, B: 300, C: 210, D: 100}.items()}
        | {(z, "2024M12", "EXPORT"): v for z, v in {A: 400, B: 300, C: 210, D: 100}.items()}
        | {(z, "2024M12", c): v for z in (A, B, C, D)
           for c, v in (("IMPORT", 0), ("TAX_REVENUE", 80), ("FISCAL_REVENUE", 100))}
        | {(z, "2024Q4", "GDP_GROWTH"): 5 for z in (A, B, C, D)})
    last = evaluated(scheme, 2024)
    do_publish_run(None, last, source="cli")
    run = evaluated(scheme)
    mine = run.results.get(zone__code=D)
    assert mine.previous_rank == 4 and mine.rank == 1
    assert mine.movers[0][0] == "TRADE" and mine.movers[0][1] > 0


def test_a_consistent_two_by_two_ahp_is_accepted(scheme):
    text = SCHEME.replace("weights: equal", 'weights: {method: ahp, matrix: [[1, 9], ["1/9", 1]]}')
    quality = parse(text).tree.children[1]
    assert quality.consistency_ratio == 0
    assert [child.weight for child in quality.children] == pytest.approx([0.9, 0.1])


def test_inconsistent_ahp_judgements_are_refused_with_their_line(catalogue):
    text = SCHEME.replace("  weights: [60, 40]\n", "  weights: [60, 40, 0]\n")
    three = text.replace("""    - code: QUALITY""", """    - code: EXTRA
      name: 其他
      weights: {method: ahp, matrix: [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]}
      children:
        - {code: X1, name: 一, input: {measure: reporting_score}}
        - {code: X2, name: 二, input: {measure: reporting_score}}
        - {code: X3, name: 三, input: {measure: reporting_score}}
    - code: QUALITY""")
    with pytest.raises(SchemeError) as caught:
        parse(three)
    assert "CR" in caught.value.message and caught.value.line == three.splitlines().index(
        "    - code: EXTRA") + 1
    with pytest.raises(ValidationError, match=f"第{caught.value.line}行"):
        do_save_scheme(None, three, code="bad", source="cli")
    assert not Scheme.objects.filter(code="bad").exists()


def test_yaml_errors_and_unknown_measures_name_the_line(catalogue):
    with pytest.raises(SchemeError) as caught:
        parse(SCHEME.replace("  weights: [60, 40]", "  weights: [60, 40"))
    assert caught.value.line is not None
    with pytest.raises(SchemeError) as caught:
        parse(SCHEME.replace("measure: value, indicator: TRADE_TOTAL", "measure: size"))
    assert caught.value.line == SCHEME.splitlines().index("        - code: TRADE") + 1


def test_an_indicator_the_years_catalogue_lacks_is_refused_before_anything_runs(accepted,
                                                                                 catalogue):
    scheme = do_save_scheme(None, SCHEME.replace("indicator: TRADE_TOTAL",
                                                 "indicator: NO_SUCH_THING"),
                            code="unknown", source="cli")
    with pytest.raises(ValidationError, match="NO_SUCH_THING"):
        do_start_run(None, scheme, YEAR, queue=False, source="cli")
    assert not EvaluationRun.objects.exists()


def test_a_year_without_accepted_data_is_refused(scheme):
    with pytest.raises(ValidationError, match="2023"):
        do_start_run(None, scheme, 2023, queue=False, source="cli")
    assert not EvaluationRun.objects.exists() and not ZoneResult.objects.exists()


def test_an_indicator_no_zone_has_is_left_out_and_said(accepted, catalogue):
    text = SCHEME.replace("""        - code: TAXR""", """        - code: RD
          name: 研发强度
          unit: "%"
          input: {measure: value, indicator: RD_INTENSITY}
        - code: TAXR""")
    run = evaluated(do_save_scheme(None, text, code="rd", source="cli"))
    assert run.summary["dropped"] == ["RD"]
    assert run.results.get(zone__code=D).rank == 1


def test_only_the_ministry_administrator_starts_and_publishes(accepted, scheme, people):
    from bianhe.access import NotInScope

    for key in ("ministry_analyst", "guangxi_reviewer"):
        with pytest.raises(NotInScope):
            do_start_run(people[key], scheme, YEAR, queue=False)
    run = evaluated(scheme)
    with pytest.raises(NotInScope):
        do_publish_run(people["ministry_analyst"], run)
    assert not EvaluationRun.objects.filter(published_at__isnull=False).exists()


def test_the_command_line_runs_verifies_and_publishes(accepted, scheme, capsys):
    from bianhe.cli import main

    assert main(["evaluation", "run", "--year", str(YEAR), "--scheme", "hand", "--quiet",
                 "--replications", "200"]) == 0
    out = capsys.readouterr().out
    run = EvaluationRun.objects.get()
    assert f"evaluation {run.pk}: {YEAR}" in out and "4 of 20 zones ranked" in out
    assert main(["evaluation", "verify", str(run.pk)]) == 0
    assert "results: identical" in capsys.readouterr().out
    assert main(["evaluation", "publish", str(run.pk)]) == 0
    assert main(["evaluation", "publish", str(run.pk)]) == 1
    assert "published already" in capsys.readouterr().err
    EvaluationRun.objects.filter(pk=run.pk).update(
        inputs={**run.inputs, "values": [[1.0, 2.0, 3.0], *run.inputs["values"][1:]]})
    assert main(["evaluation", "verify", str(run.pk)]) == 1
    assert "CHANGED" in capsys.readouterr().out


def test_running_a_job_again_makes_a_new_run_and_never_overwrites_a_published_one(accepted,
                                                                                   scheme):
    from bianhe.jobs.actions import do_rerun_job

    run = evaluated(scheme)
    do_publish_run(None, run, source="cli")
    fingerprint = run.run_hash
    again = do_rerun_job(None, run.job, source="cli")
    execute(again.pk)
    run.refresh_from_db()
    assert run.run_hash == fingerprint and run.is_published
    newer = EvaluationRun.objects.exclude(pk=run.pk).get()
    assert newer.job_id == again.pk and newer.state == RunState.DONE
    assert newer.results_hash == run.results_hash  # same inputs, same engine, same results
    assert AuditLog.objects.filter(action="evaluation.run.start",
                                   object_id=str(newer.pk)).exists()
