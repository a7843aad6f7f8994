"""Data quality in the workflow: rules and outliers raise flags on the cells, errors block
submission, warnings need an explanation, reviewers see and accept explanations, the
worklist ranks by risk and stays within the reviewer's scope."""

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from bianhe.audit.models import AuditLog, Source
from bianhe.catalog.disaggregations import members
from bianhe.catalog.models import CatalogVersion
from bianhe.periods import Period, periods_between
from bianhe.quality.actions import do_accept_explanation, do_explain, ensure_default_rules
from bianhe.quality.checks import check_reports, ensure_checked
from bianhe.quality.models import Check, Explanation, ExplanationStatus, Flag, Severity
from bianhe.quality.queries import risk_rows
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import Report, ReportForm, Status
from bianhe.reporting.queries import form_indicators
from bianhe.review.actions import do_transition
from bianhe.zones.models import OrgUnit

CONSISTENT = {"EXPORT": "60", "IMPORT": "40", "TRADE_TOTAL": "100", "BORDER_TRADE": "50",
              "BORDER_SMALL_TRADE": "30", "BORDER_RESIDENT_TRADE": "20",
              "FISCAL_REVENUE": "100", "TAX_REVENUE": "80", "IND_TAX_REVENUE": "30",
              "IND_OUTPUT": "100", "ABOVE_SCALE_IND_OUTPUT": "90",
              "MAJOR_PROJECTS": "5", "MAJOR_PROJECTS_STARTED": "2"}


def monthly_rows(zone, period, overrides=None):
    """A complete monthly report whose figures satisfy every default rule."""
    form = ReportForm.objects.get(code="BH-M")
    version = CatalogVersion.objects.get(year=period.year)
    values = {**CONSISTENT, **(overrides or {})}
    rows = []
    for ind in form_indicators(form, version):
        for member in members(ind.disaggregation):
            value = values.get(ind.code, "10")
            if ind.code == "TRADE_BY_PARTNER":
                # 100 split over the members: RU 40, six others 10 each, OTHER 0.
                value = "40" if member == "RU" else "10" if member != "OTHER" else "0"
            rows.append({"zone": zone, "period": period.code, "indicator": ind.code,
                         "member": member, "value": value})
    return rows


def fill(user, period, zone="BECZ-GX-01", **overrides):
    result = do_save_values(user, monthly_rows(zone, period, overrides))
    assert result.ok, result.problems[:3]
    return Report.objects.get(zone__code=zone, form__code="BH-M", period=period.code)


@pytest.fixture
def rules(catalogue):
    return ensure_default_rules(source=Source.SYSTEM)


@pytest.fixture
def guangxi_reviewer(people):
    return people["guangxi_reviewer"]


def test_the_default_rules_load_and_a_consistent_report_has_no_flags(people, rules,
                                                                      open_month):
    assert {"R01", "R02", "R03", "R05", "R10"} <= set(rules)
    report = fill(people["pingxiang_reporter"], open_month)
    ensure_checked(report)
    assert not Flag.objects.filter(report=report).exists()


def test_an_error_rule_blocks_submission_until_the_value_is_corrected(people, rules,
                                                                       open_month):
    reporter = people["pingxiang_reporter"]
    report = fill(reporter, open_month, TRADE_TOTAL="150")  # 60 + 40 ≠ 150
    with pytest.raises(ValidationError, match="出口额"):
        do_transition(reporter, report, "submit")
    flag = Flag.objects.get(report=report, kind=Check.RULE, rule__code="R01")
    assert (flag.indicator_code, flag.severity) == ("EXPORT", Severity.ERROR)
    assert (flag.left, flag.right) == (100.0, 150.0)
    # An explanation does not lift an error.
    do_explain(reporter, report, "EXPORT", "", "海关数据如此")
    with pytest.raises(ValidationError):
        do_transition(reporter, report, "submit")
    # Correcting the value makes the flags stale; submission re-checks and goes through.
    do_save_values(reporter, [{"zone": "BECZ-GX-01", "period": open_month.code,
                               "indicator": "TRADE_TOTAL", "value": "100"}])
    assert do_transition(reporter, report, "submit").status == Status.SUBMITTED
    assert not Flag.objects.filter(report=report).exists()


def test_a_warning_needs_an_explanation_to_submit(people, rules, open_month):
    reporter = people["pingxiang_reporter"]
    # R04 (warning): border trade above total trade.
    report = fill(reporter, open_month, BORDER_TRADE="150", BORDER_SMALL_TRADE="100",
                  BORDER_RESIDENT_TRADE="50")
    with pytest.raises(ValidationError, match="进出口总额") as refused:
        do_transition(reporter, report, "submit")
    assert "TRADE_TOTAL" not in str(refused.value)
    flag = Flag.objects.get(report=report)
    assert (flag.rule.code, flag.severity, flag.indicator_code) == ("R04", "warning",
                                                                   "TRADE_TOTAL")
    do_explain(reporter, report, "TRADE_TOTAL", "", "边民互市贸易未纳入海关进出口总额统计")
    assert do_transition(reporter, report, "submit").status == Status.SUBMITTED
    assert AuditLog.objects.filter(action="quality.explanation.write").count() == 1
    # Once submitted the explanation is locked like the values.
    with pytest.raises(ValidationError):
        do_explain(reporter, report, "TRADE_TOTAL", "", "改")


def test_reviewers_accept_explanations_only_in_their_scope(people, rules, open_month,
                                                           guangxi_reviewer):
    reporter = people["pingxiang_reporter"]
    report = fill(reporter, open_month, BORDER_TRADE="150", BORDER_SMALL_TRADE="100",
                  BORDER_RESIDENT_TRADE="50")
    ensure_checked(report)
    explanation = do_explain(reporter, report, "TRADE_TOTAL", "", "口径不同")
    do_transition(reporter, report, "submit")
    with pytest.raises(Http404):
        do_accept_explanation(people["xinjiang_reviewer"], explanation)
    with pytest.raises(Http404):
        do_accept_explanation(reporter, explanation)
    do_accept_explanation(guangxi_reviewer, explanation)
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.ACCEPTED
    assert explanation.reviewed_by == guangxi_reviewer
    assert AuditLog.objects.filter(action="quality.explanation.accept").count() == 1


def test_a_reporter_cannot_explain_another_zones_report(people, rules, open_month):
    report = fill(people["ministry_admin"], open_month, zone="BECZ-XJ-01")
    with pytest.raises(Http404):
        do_explain(people["pingxiang_reporter"], report, "EXPORT", "", "x")
    assert not Explanation.objects.exists()


def test_the_worklist_ranks_by_risk_within_the_reviewers_province(client, people, rules,
                                                                  open_month,
                                                                  guangxi_reviewer):
    admin = people["ministry_admin"]
    clean = fill(admin, open_month, zone="BECZ-GX-01")
    warned = fill(admin, open_month, zone="BECZ-GX-02", BORDER_TRADE="150",
                  BORDER_SMALL_TRADE="100", BORDER_RESIDENT_TRADE="50")
    other = fill(admin, open_month, zone="BECZ-XJ-01", BORDER_TRADE="150",
                 BORDER_SMALL_TRADE="100", BORDER_RESIDENT_TRADE="50")
    check_reports([clean.pk, warned.pk, other.pk])
    for report in (clean, warned, other):
        for explanation_cell in Flag.objects.filter(report=report).values_list(
                "indicator_code", "member"):
            Explanation.objects.create(report=report, indicator_code=explanation_cell[0],
                                       member=explanation_cell[1], text="说明",
                                       author_name="t", written_at=report.created_at)
    Report.objects.filter(pk__in=[clean.pk, warned.pk, other.pk]).update(
        status=Status.SUBMITTED)
    rows = risk_rows(Report.objects.restrict(guangxi_reviewer).filter(
        status=Status.SUBMITTED))
    assert [row["report"].zone.code for row in rows] == ["BECZ-GX-02", "BECZ-GX-01"]
    assert rows[0]["warnings"] == 1 and rows[0]["risk"] > rows[1]["risk"] == 0
    client.force_login(guangxi_reviewer)
    page = client.get("/quality/").content.decode()
    assert page.index(f'data-report="{warned.pk}"') < page.index(f'data-report="{clean.pk}"')
    assert f'data-report="{other.pk}"' not in page


def test_the_entry_grid_shows_the_flag_beside_the_value_and_asks_for_an_explanation(
        client, people, rules, open_month):
    client.force_login(people["pingxiang_reporter"])
    fill(people["pingxiang_reporter"], open_month)
    url = f"/reporting/BECZ-GX-01/BH-M/{open_month.code}/"
    response = client.post(url + "cell/", {"indicator": "BORDER_TRADE", "value": "150"})
    assert response.status_code == 200
    # The saved row itself: R02 (error) is anchored on BORDER_SMALL_TRADE, so the summary
    # swapped in beside the row lists it.
    body = response.content.decode()
    assert 'id="quality-summary"' in body and "hx-swap-oob" in body
    assert "边境小额贸易额" in body
    page = client.get(url).content.decode()
    assert "flag-error" in page
    assert "R02" not in page or "边境贸易额等于" in page
    assert "上报说明" in page  # R04 warns on TRADE_TOTAL: an explanation box is offered


def test_outliers_are_flagged_beside_a_spike_and_need_an_explanation(people, rules,
                                                                    open_month):
    """Two years and more of a steady series, then a month ×10: the spike is flagged."""
    reporter = people["pingxiang_reporter"]
    last = open_month
    history = periods_between(Period("monthly", last.year - 2, 1), last)
    flows = {}
    for i, each in enumerate(history):
        flow = 100 + (i % 5) if each != last else 1000  # steady with a little noise
        flows[each] = flow
        ytd = sum(f for p, f in flows.items() if p.year == each.year)
        rows = [dict(row, value=str(ytd)) if row["indicator"] == "RETAIL_SALES" else row
                for row in monthly_rows("BECZ-GX-01", each)]
        # The platform writes the history (closed windows do not apply to it).
        assert do_save_values(None, rows, source=Source.SYSTEM).ok
    report = Report.objects.get(zone__code="BECZ-GX-01", form__code="BH-M",
                                period=last.code)
    ensure_checked(report)
    flags = Flag.objects.filter(report=report)
    kinds = set(flags.values_list("kind", flat=True))
    assert len(kinds) >= 2 and Check.RULE not in kinds
    assert set(flags.values_list("indicator_code", flat=True)) == {"RETAIL_SALES"}
    assert all(flag.is_period_flow and flag.value == 1000 for flag in flags)
    with pytest.raises(ValidationError, match="社会消费品零售总额"):
        do_transition(reporter, report, "submit")
    do_explain(reporter, report, "RETAIL_SALES", "", "大型商场开业")
    assert do_transition(reporter, report, "submit").status == Status.SUBMITTED


def test_the_worklist_returns_several_reports_with_one_reason(client, people, rules,
                                                              open_month, guangxi_reviewer):
    admin = people["ministry_admin"]
    reports = [fill(admin, open_month, zone=zone) for zone in ("BECZ-GX-01", "BECZ-GX-02")]
    other = fill(admin, open_month, zone="BECZ-XJ-01")
    Report.objects.update(status=Status.SUBMITTED)
    client.force_login(guangxi_reviewer)
    ids = [r.pk for r in reports] + [other.pk]
    response = client.post("/reporting/bulk/return/", {"report": ids, "reason": " ",
                                                       "next": "/quality/"})
    assert response["Location"] == "/quality/"
    assert set(Report.objects.values_list("status", flat=True)) == {Status.SUBMITTED}
    client.post("/reporting/bulk/return/", {"report": ids, "reason": "请核实边境贸易额",
                                            "next": "https://example.com/"})
    returned = Report.objects.filter(status=Status.RETURNED)
    assert sorted(returned.values_list("pk", flat=True)) == sorted(r.pk for r in reports)
    assert set(returned.values_list("returned_reason", "return_count")) == {
        ("请核实边境贸易额", 1)}
    assert Report.objects.get(pk=other.pk).status == Status.SUBMITTED  # outside the scope


def test_the_api_lists_flags_in_scope_and_takes_an_explanation(client, people, rules,
                                                               open_month):
    admin = people["ministry_admin"]
    mine = fill(admin, open_month, zone="BECZ-GX-01", BORDER_TRADE="150",
                BORDER_SMALL_TRADE="100", BORDER_RESIDENT_TRADE="50")
    other = fill(admin, open_month, zone="BECZ-XJ-01", BORDER_TRADE="150",
                 BORDER_SMALL_TRADE="100", BORDER_RESIDENT_TRADE="50")
    check_reports([mine.pk, other.pk])
    client.force_login(people["pingxiang_reporter"])
    flags = client.get("/api/v1/flags").json()
    assert [(f["zone"], f["indicator"], f["rule"]) for f in flags] == [
        ("BECZ-GX-01", "TRADE_TOTAL", "R04")]
    assert flags[0]["explanation"] is None
    response = client.post("/api/v1/explanations",
                           {"report": mine.pk, "indicator": "TRADE_TOTAL", "text": "口径不同"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "pending"
    assert client.get("/api/v1/flags").json()[0]["explanation"] == "口径不同"
    response = client.post("/api/v1/explanations",
                           {"report": other.pk, "indicator": "TRADE_TOTAL", "text": "x"},
                           content_type="application/json")
    assert response.status_code == 404
    assert Explanation.objects.count() == 1


def test_a_report_checked_alone_gets_the_flags_of_a_bulk_run(people, rules, open_month):
    """Two zones, one of them with a shorter history: checking one report on its own
    lays its series over the same years as the bulk run and raises the same flags."""
    last = open_month
    rng = np.random.default_rng(5)
    for zone, start in (("BECZ-GX-01", last.year - 2), ("BECZ-GX-02", last.year - 1)):
        flows = {}
        for each in periods_between(Period("monthly", start, 3), last):
            flows[each] = float(np.round(100 * (1 + 0.1 * rng.standard_normal()), 1))
            if each.number == 7 and each.year == last.year - 1:
                flows[each] *= 9
            ytd = sum(f for p, f in flows.items() if p.year == each.year)
            rows = [dict(row, value=f"{ytd:.1f}") if row["indicator"] == "RETAIL_SALES"
                    else row for row in monthly_rows(zone, each)]
            assert do_save_values(None, rows, source=Source.SYSTEM).ok
    reports = list(Report.objects.values_list("pk", flat=True))
    check_reports(reports)
    bulk = set(Flag.objects.values_list("report_id", "indicator_code", "member", "kind"))
    assert {kind for _r, _c, _m, kind in bulk} - {"rule"}  # some outliers to compare
    for pk in reports:
        check_reports([pk])
    assert set(Flag.objects.values_list("report_id", "indicator_code", "member",
                                        "kind")) == bulk


def test_the_worklist_counts_values_changed_on_resubmission(people, rules, open_month,
                                                            guangxi_reviewer):
    reporter = people["pingxiang_reporter"]
    report = fill(reporter, open_month)
    do_transition(reporter, report, "submit")
    assert risk_rows(Report.objects.all())[0]["changes"] == 0
    do_transition(guangxi_reviewer, report, "return", reason="请核实出口额")
    do_save_values(reporter, [{"zone": "BECZ-GX-01", "period": open_month.code,
                               "indicator": "EXPORT", "value": "70"},
                              {"zone": "BECZ-GX-01", "period": open_month.code,
                               "indicator": "IMPORT", "value": "30"}])
    do_transition(reporter, report, "submit")
    (row,) = risk_rows(Report.objects.all())
    assert row["changes"] == 2 and row["risk"] == 2


def test_long_id_lists_are_cut_into_statements(people, rules, open_month, monkeypatch):
    from bianhe.quality import checks

    monkeypatch.setattr(checks, "CHUNK", 2)
    admin = people["ministry_admin"]
    reports = [fill(admin, open_month, zone=zone, TRADE_TOTAL="150")
               for zone in ("BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01", "BECZ-XJ-02",
                            "BECZ-YN-01")]
    summary = check_reports([r.pk for r in reports])
    assert summary.reports == 5
    assert Flag.objects.filter(rule__code="R01").count() == 5
    assert not Report.objects.filter(quality_checked_at__isnull=True).exists()


def test_a_rule_applies_only_to_its_provinces_and_period_types(people, rules, open_month):
    from bianhe.quality.actions import do_save_rule

    admin = people["ministry_admin"]
    data = {"code": "XJ01", "name": "新疆出口额上限", "expression": "EXPORT <= 50",
            "severity": "warning", "frequencies": ["monthly"]}
    do_save_rule(admin, data, scope_units=[OrgUnit.objects.get(code="CN-XJ")])
    do_save_rule(admin, {**data, "code": "Q01", "frequencies": ["quarterly"]})
    reports = [fill(admin, open_month, zone=zone) for zone in ("BECZ-GX-01", "BECZ-XJ-01")]
    check_reports([r.pk for r in reports])  # EXPORT is 60 in both zones
    flagged = set(Flag.objects.filter(rule__code__in=("XJ01", "Q01"))
                  .values_list("report__zone__code", "rule__code"))
    assert flagged == {("BECZ-XJ-01", "XJ01")}


def test_changing_an_explained_value_supersedes_its_explanation(client, people, rules,
                                                                open_month,
                                                                guangxi_reviewer):
    """The explanation was of a value that no longer exists: it stops counting, the
    reviewer cannot accept it, and the reporter is asked for a new one."""
    reporter = people["pingxiang_reporter"]
    report = fill(reporter, open_month, BORDER_TRADE="150", BORDER_SMALL_TRADE="100",
                  BORDER_RESIDENT_TRADE="50")
    ensure_checked(report)
    explanation = do_explain(reporter, report, "TRADE_TOTAL", "", "边民互市贸易口径不同")
    do_transition(reporter, report, "submit")
    do_transition(guangxi_reviewer, report, "return", reason="请核实进出口总额")
    # A comment alone changes no value: the explanation stands.
    assert do_save_values(reporter, [{"zone": "BECZ-GX-01", "period": open_month.code,
                                      "indicator": "TRADE_TOTAL", "value": "100",
                                      "comment": "海关口径"}]).ok
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.PENDING
    assert do_save_values(reporter, [{"zone": "BECZ-GX-01", "period": open_month.code,
                                      "indicator": "TRADE_TOTAL", "value": "120"}]).ok
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.SUPERSEDED
    assert explanation.superseded_at is not None
    log = AuditLog.objects.get(action="quality.explanation.supersede")
    assert (log.before["status"], log.after["status"]) == ("pending", "superseded")
    # Not accepted by a reviewer, through the action or the page.
    with pytest.raises(ValidationError):
        do_accept_explanation(guangxi_reviewer, explanation)
    client.force_login(guangxi_reviewer)
    refused = client.post(f"/quality/report/{report.pk}/accept/",
                          {"indicator": "TRADE_TOTAL", "member": ""})
    assert refused.status_code == 404
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.SUPERSEDED
    # It no longer explains anything: the worklist counts the cell as unexplained and the
    # report cannot be submitted until the reporter explains the new value.
    row = risk_rows(Report.objects.filter(pk=report.pk))[0]
    assert (row["unexplained"], row["explained"]) == (1, 0)
    assert do_save_values(reporter, [{"zone": "BECZ-GX-01", "period": open_month.code,
                                      "indicator": "TRADE_TOTAL", "value": "100"}]).ok
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.SUPERSEDED
    with pytest.raises(ValidationError, match="进出口总额"):
        do_transition(reporter, report, "submit")
    client.force_login(reporter)
    grid = client.get(f"/reporting/BECZ-GX-01/BH-M/{open_month.code}/").content.decode()
    assert "原说明针对修改前的数值，已失效：" in grid and "边民互市贸易口径不同" in grid
    assert "边民互市贸易口径不同</textarea>" not in grid  # a new one is asked for
    do_explain(reporter, report, "TRADE_TOTAL", "", "海关口径，边民互市另计")
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.PENDING
    assert do_transition(reporter, report, "submit").status == Status.SUBMITTED
