"""Rules administration (bad input saves nothing), completeness and quality-score figures
on a hand-built case, and the bulk re-run from the CLI and from the web."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from bianhe.audit.models import AuditLog, Source
from bianhe.cli import main
from bianhe.jobs.runner import execute
from bianhe.periods import Period
from bianhe.quality.actions import do_queue_run, do_save_rule, ensure_default_rules
from bianhe.quality.models import Flag, JobState, QualityRun, Rule
from bianhe.quality.queries import completeness, quality_scores, yearly_completeness
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import Report, ReportForm
from bianhe.zones.models import OrgUnit
from personas import make_user

GOOD = {"code": "T01", "name": "测试规则", "expression": "EXPORT <= TRADE_TOTAL",
        "severity": "warning", "missing_policy": "skip_if_any_missing", "tolerance": "0"}


@pytest.mark.parametrize("expression, code", [
    ("EXPORT + IMPRT == TRADE_TOTAL", "unknown_indicator"),
    ("EXPORT + == TRADE_TOTAL", "unexpected_token"),
    ("EXPORT / 0 > 1", "division_by_zero"),
    ("GDP == GDP", "same_sides"),
    ("(" * 600 + "GDP" + ")" * 600 + " > 0", "too_long"),
    ("EXPORT = IMPORT", "syntax"),
])
def test_a_bad_rule_is_refused_with_a_pointer_and_nothing_is_saved(people, catalogue,
                                                                   expression, code):
    before = AuditLog.objects.count()
    with pytest.raises(ValidationError) as caught:
        do_save_rule(people["ministry_admin"], {**GOOD, "expression": expression})
    message = caught.value.message_dict["expression"][0]
    assert "^" in message  # the caret under the bad token
    assert not Rule.objects.exists() and AuditLog.objects.count() == before


def test_only_the_ministry_changes_rules_and_each_change_is_audited(people, catalogue):
    with pytest.raises(Http404):
        do_save_rule(people["xinjiang_reviewer"], GOOD)
    rule = do_save_rule(people["ministry_admin"], {**GOOD, "expression": "EXPORT＜=TRADE_TOTAL"})
    assert rule.expression == "EXPORT <= TRADE_TOTAL"  # full-width input, canonical text
    do_save_rule(people["ministry_admin"], {**GOOD, "severity": "error"}, rule=rule)
    actions = list(AuditLog.objects.filter(action__startswith="quality.rule")
                   .values_list("action", flat=True).order_by("id"))
    assert actions == ["quality.rule.create", "quality.rule.change"]


def test_the_rule_page_shows_the_error_in_chinese(client_for, catalogue):
    client = client_for("ministry_admin")
    response = client.post("/quality/rules/new/", {**GOOD, "expression": "EXPORT + IMPRT > 0"})
    assert response.status_code == 200
    assert "IMPRT" in response.content.decode() and not Rule.objects.exists()


def _report(zone, form, period, *, submitted=None, returned=0):
    assert do_save_values(None, [{"zone": zone, "period": period, "indicator":
                                  ReportForm.objects.get(code=form).indicator_codes[0],
                                  "value": "1"}], source=Source.SYSTEM).ok
    report = Report.objects.get(zone__code=zone, form__code=form, period=period)
    Report.objects.filter(pk=report.pk).update(first_submitted_at=submitted,
                                               submitted_at=submitted, return_count=returned,
                                               status="submitted" if submitted else "draft")
    return report


def test_completeness_on_a_hand_built_case(people, catalogue):
    """Guangxi (4 zones that exist in the year) × the first 3 months of last year."""
    year = timezone.localdate().year - 1
    tz = timezone.get_current_timezone()
    # Deadline of 2025M01 is 10 days after the month: 2025-02-10.
    on_time = dt.datetime(year, 2, 10, 23, 0, tzinfo=tz)
    late = dt.datetime(year, 2, 11, 9, 0, tzinfo=tz)
    _report("BECZ-GX-01", "BH-M", f"{year}M01", submitted=on_time)
    _report("BECZ-GX-02", "BH-M", f"{year}M01", submitted=late, returned=1)
    _report("BECZ-GX-01", "BH-M", f"{year}M02", submitted=on_time.replace(month=3))
    _report("BECZ-GX-02", "BH-M", f"{year}M02")  # a draft: counted as missing
    form = ReportForm.objects.get(code="BH-M")
    periods = [Period("monthly", year, m) for m in (1, 2, 3)]
    reviewer = people["ministry_admin"]
    data = completeness(reviewer, form, periods, timezone.localdate())
    guangxi = [row for row in data["matrix"] if row["zone"].code.startswith(("BECZ-GX",
                                                                             "CBECZ-GX"))]
    states = {row["zone"].code: [c and c["state"] for c in row["cells"]] for row in guangxi}
    assert states["BECZ-GX-01"] == ["on_time", "on_time", "missing"]
    assert states["BECZ-GX-02"] == ["late", "missing", "missing"]
    january = data["totals"][f"{year}M01"]
    zones = sum(1 for row in data["matrix"] if row["cells"][0] is not None)
    assert january["expected"] == zones
    assert (january["on_time"], january["late"], january["received"]) == (1, 1, 2)
    assert january["missing"] == zones - 2
    assert january["on_time_share"] == round(100 / zones, 1)
    scores = {row["zone"].code: row for row in quality_scores(reviewer, year,
                                                              timezone.localdate())}
    gx2 = scores["BECZ-GX-02"]
    assert (gx2["due"], gx2["sent"], gx2["late"], gx2["returned"]) == (2, 1, 1, 1)
    assert gx2["on_time_share"] == 0.0 and gx2["returned_share"] == 100.0
    assert gx2["flagged_share"] == 0.0 and gx2["score"] == round(100 / 3, 1)
    gx1 = scores["BECZ-GX-01"]
    assert (gx1["on_time_share"], gx1["score"]) == (100.0, 100.0)
    # The trend over years: the whole year for Guangxi's reviewer (4 of its zones existed).
    guangxi = make_user("guangxi_reviewer")
    expected_zones = sum(1 for zone in OrgUnit.objects.zones().filter(path__startswith=
                                                                       "/MOFCOM/CN-GX/")
                         if zone.is_active_in_year(year))
    (row,) = yearly_completeness(guangxi, form, [year], timezone.localdate())
    assert (row["expected"], row["on_time"], row["late"]) == (12 * expected_zones, 2, 1)
    assert row["missing"] == 12 * expected_zones - 3 and row["pending"] == 0


def test_completeness_pages_and_exports_stay_in_scope(client_for, catalogue):
    year = timezone.localdate().year - 1
    _report("BECZ-XJ-01", "BH-M", f"{year}M01")
    client = client_for("pingxiang_reporter")
    page = client.get(f"/quality/completeness/?form=BH-M&year={year}").content.decode()
    assert 'data-code="BECZ-GX-01"' in page and "BECZ-XJ-01" not in page
    csv = client.get(f"/quality/completeness.csv?form=BH-M&year={year}").content.decode(
        "utf-8-sig")
    assert csv.splitlines()[0].startswith("zone,zone_name,province,form,period,state")
    assert "BECZ-GX-01" in csv and "BECZ-XJ-01" not in csv
    scores = client.get(f"/quality/scores/?year={year}&format=csv").content.decode("utf-8-sig")
    assert len(scores.splitlines()) == 2 and "BECZ-GX-01" in scores


def test_the_cli_reruns_the_checks_with_a_job_row(people, catalogue, capsys):
    ensure_default_rules()
    month = Period.containing(timezone.localdate(), "monthly").previous()
    assert do_save_values(None, [
        {"zone": "BECZ-GX-01", "period": month.code, "indicator": code, "value": value}
        for code, value in (("EXPORT", "5"), ("IMPORT", "5"), ("TRADE_TOTAL", "99"))],
        source=Source.SYSTEM).ok
    assert not Flag.objects.exists()  # saving alone does not check; the grid or a run does
    assert main(["quality", "run", "--from", month.code, "--to", month.code, "--quiet"]) == 0
    run = QualityRun.objects.get()
    assert (run.state, run.reports_checked, run.steps_done, run.steps_total) == (
        JobState.DONE, 1, 1, 1)
    assert Flag.objects.filter(rule__code="R01").count() == 1
    assert run.flags_found == Flag.objects.count()
    assert "1 reports checked" in capsys.readouterr().out
    assert AuditLog.objects.filter(action="quality.run.finish").exists()
    assert main(["quality", "run", "--from", "2024M05", "--to", "2024M01"]) == 1


def test_only_one_run_at_a_time_and_only_the_ministry_starts_one(people, catalogue):
    with pytest.raises(Http404):
        do_queue_run(people["xinjiang_reviewer"], "2024M01", "2024M12")
    run = do_queue_run(people["ministry_admin"], "2024M01", "2024M12")
    with pytest.raises(ValidationError):
        do_queue_run(people["ministry_admin"], "2024M01", "2024M12")
    execute(run.job.pk)
    do_queue_run(people["ministry_admin"], "2024M01", "2024M12")


@pytest.mark.django_db(transaction=True)
def test_the_web_queues_a_run_a_worker_runs_it_and_the_page_shows_its_progress(client,
                                                                                registry):
    from bianhe.catalog.loader import load_catalogue
    from jobs_support import run_queued_jobs
    from personas import make_user

    load_catalogue(timezone.localdate().year)
    ensure_default_rules()
    client.force_login(make_user("ministry_admin"))
    response = client.post("/quality/runs/start/", {"period_from": "2024M01",
                                                    "period_to": "2024M03"})
    assert response.status_code == 302
    assert QualityRun.objects.get().state == JobState.QUEUED  # no thread: a worker runs it
    fragment = client.get("/quality/runs/").content.decode()
    assert 'data-state="queued"' in fragment and "hx-trigger" in fragment
    run_queued_jobs()
    assert QualityRun.objects.get().state == JobState.DONE
    fragment = client.get("/quality/runs/").content.decode()
    assert 'data-state="done"' in fragment and "hx-trigger" not in fragment


def test_bad_outlier_settings_are_refused_and_nothing_changes(client_for, catalogue):
    from bianhe.quality.models import OutlierConfig

    client = client_for("ministry_admin")
    before = AuditLog.objects.count()
    good = {"z_threshold": "3", "modified_z_threshold": "3.5", "yoy_threshold": "3.5",
            "yoy_min_change": "0.5", "minmax_k": "3", "min_points": "8",
            "min_methods": "2", "severity": "warning", "methods": ["z", "yoy"]}
    for bad in ({"z_threshold": "三"}, {"min_points": "-1"}, {"min_methods": "3"},
                {"severity": "fatal"}, {"methods": ["astrology"]}):
        client.post("/quality/outliers/", {**good, **bad})
    config = OutlierConfig.current()
    assert (config.z_threshold, config.min_methods, config.methods) == (3.0, 2, [])
    assert AuditLog.objects.count() == before


def test_an_explanation_longer_than_allowed_is_refused(people, catalogue):
    from bianhe.quality.actions import do_explain
    from bianhe.quality.models import Explanation

    assert do_save_values(people["pingxiang_reporter"], [
        {"zone": "BECZ-GX-01", "period": Period.containing(timezone.localdate(),
                                                           "monthly").previous().code,
         "indicator": "EXPORT", "value": "1"}]).ok
    report = Report.objects.get()
    with pytest.raises(ValidationError):
        do_explain(people["pingxiang_reporter"], report, "EXPORT", "", "说" * 2001)
    assert not Explanation.objects.exists()
