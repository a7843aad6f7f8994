"""Reporting pages and API: the grid, htmx saves, history, timeliness, imports."""

import datetime as dt
import json

from django.core.files.uploadedfile import SimpleUploadedFile

from bianhe.periods import Period
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import DataValue, Report, ReportForm, ValueChange
from bianhe.reporting.queries import growth, timeliness_rows
from bianhe.review.actions import do_transition


def url(period, zone="BECZ-GX-01", form="BH-M", tail=""):
    return f"/reporting/{zone}/{form}/{period.code}/{tail}"


def test_growth_is_year_on_year_percent_with_one_decimal():
    from decimal import Decimal
    assert growth(Decimal("110"), Decimal("100")) == Decimal("10.0")
    assert growth(Decimal("90"), Decimal("-100")) == Decimal("190.0")
    assert growth(Decimal("5"), Decimal("0")) is None and growth(None, Decimal("1")) is None


def test_the_grid_shows_last_period_last_year_and_growth(client_for, people, open_month):
    from bianhe.reporting.models import WindowOverride

    last_year = open_month.same_period_last_year()
    WindowOverride.objects.create(form=ReportForm.objects.get(code="BH-M"),
                                  period=last_year.code, is_open=True, reason="补录")
    admin = people["ministry_admin"]
    assert do_save_values(admin, [{"zone": "BECZ-GX-01", "period": last_year.code,
                                   "indicator": "EXPORT", "value": "200"}]).ok
    assert do_save_values(admin, [{"zone": "BECZ-GX-01", "period": open_month.code,
                                   "indicator": "EXPORT", "value": "250"}]).ok
    page = client_for("pingxiang_reporter").get(url(open_month))
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r.indicator.code == "EXPORT")
    assert (row.value, row.last_year, str(row.growth)) == (250, 200, "25.0")
    html = page.content.decode()
    assert "25.0%" in html and 'name="value"' in html
    assert len(page.context["rows"]) >= 30  # the monthly form with its partner breakdown


def test_a_cell_saved_with_htmx_answers_with_its_row(client_for, open_month):
    client = client_for("pingxiang_reporter")
    response = client.post(url(open_month, tail="cell/"), {
        "indicator": "EXPORT", "member": "", "value": "1,500", "comment": "初值"},
        HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<tr")
    assert "已保存" in html and 'value="1500"' in html
    value = DataValue.objects.get()
    assert (value.value, value.comment) == (1500, "初值")
    refused = client.post(url(open_month, tail="cell/"), {
        "indicator": "EXPORT", "member": "", "value": "1.5万", "comment": ""})
    assert "不要带" in refused.content.decode() and 'value="1.5万"' in refused.content.decode()
    assert DataValue.objects.get().value == 1500


def test_a_reporter_cannot_save_into_another_zone(client_for, open_month):
    client = client_for("pingxiang_reporter")
    response = client.post(url(open_month, zone="BECZ-XJ-01", tail="cell/"),
                           {"indicator": "EXPORT", "value": "1"})
    assert response.status_code == 404
    assert not DataValue.objects.exists()


def test_the_cell_history_lists_every_change(client_for, open_month):
    client = client_for("pingxiang_reporter")
    for value in ("1", "2", "3"):
        client.post(url(open_month, tail="cell/"), {"indicator": "EXPORT", "value": value})
    page = client.get(url(open_month, tail="history/"), {"indicator": "EXPORT"})
    changes = list(page.context["changes"])
    assert [(c.old_value, c.new_value) for c in changes] == [(2, 3), (1, 2), (None, 1)]


def test_submitting_from_the_page_needs_every_value_first(client_for, open_month):
    client = client_for("pingxiang_reporter")
    client.post(url(open_month, tail="cell/"), {"indicator": "EXPORT", "value": "1"})
    report = Report.objects.get()
    response = client.post(f"/reporting/report/{report.pk}/submit/", follow=True)
    assert "请填写全部指标" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "draft"


def test_timeliness_counts_on_time_late_and_missing_on_a_hand_built_case(people, catalogue):
    from django.utils import timezone

    form = ReportForm.objects.get(code="BH-M")
    period = Period.parse(f"{timezone.localdate().year}M01")
    deadline = period.deadline(form.deadline_days)
    admin = people["ministry_admin"]
    for zone in ("BECZ-GX-01", "BECZ-GX-02"):
        do_save_values(None, [{"zone": zone, "period": period.code, "indicator": "EXPORT",
                               "value": "1"}])
    on_time = timezone.make_aware(dt.datetime.combine(deadline, dt.time(17)))
    late = on_time + dt.timedelta(days=3)
    Report.objects.filter(zone__code="BECZ-GX-01").update(first_submitted_at=on_time)
    Report.objects.filter(zone__code="BECZ-GX-02").update(first_submitted_at=late)
    rows = timeliness_rows(admin, form, period, today=deadline + dt.timedelta(days=30))
    states = {row["zone"].code: row["state"] for row in rows}
    assert states["BECZ-GX-01"] == "on_time" and states["BECZ-GX-02"] == "late"
    assert list(states.values()).count("missing") == len(rows) - 2
    reviewer_rows = timeliness_rows(people["xinjiang_reviewer"], form, period,
                                    today=deadline + dt.timedelta(days=30))
    assert {row["zone"].parent.code for row in reviewer_rows} == {"CN-XJ"}


def test_a_csv_import_writes_all_rows_and_a_bad_one_writes_none(client_for, open_month):
    client = client_for("ministry_admin")
    good = ("zone,period,indicator,member,value,comment\n"
            f"BECZ-GX-01,{open_month.code},EXPORT,,10,\n"
            f"BECZ-XJ-01,{open_month.code},TRADE_BY_PARTNER,KZ,\"1,234.5\",经霍尔果斯\n")
    dry = client.post("/reporting/import/", {"file": SimpleUploadedFile(
        "v.csv", good.encode()), "dry_run": "on"})
    assert dry.context["result"].created == 2 and not DataValue.objects.exists()
    done = client.post("/reporting/import/", {"file": SimpleUploadedFile("v.csv",
                                                                         good.encode())})
    assert done.context["result"].created == 2
    assert ValueChange.objects.filter(source="import").count() == 2
    bad = good + f"BECZ-GX-02,{open_month.code},EXPORT,,1.2万,\n"
    response = client.post("/reporting/import/", {"file": SimpleUploadedFile(
        "v.csv", bad.replace(",10,", ",11,").encode())})
    problems = response.context["problems"]
    assert [p.location for p in problems] == ["第4行"] and "不要带" in problems[0].message
    assert DataValue.objects.get(report__zone__code="BECZ-GX-01").value == 10


def test_a_json_import_and_an_unreadable_file_are_handled(client_for, open_month):
    client = client_for("ministry_admin")
    rows = [{"zone": "BECZ-GX-01", "period": open_month.code, "indicator": "IMPORT",
             "value": 5}]
    ok = client.post("/reporting/import/", {"file": SimpleUploadedFile(
        "v.json", json.dumps(rows).encode())})
    assert ok.context["result"].created == 1
    junk = client.post("/reporting/import/", {"file": SimpleUploadedFile(
        "v.csv", b"\xff\xfe\x00garbage")})
    assert "UTF-8" in junk.context["problems"][0].message or "UTF-8" in junk.content.decode()


def test_the_values_api_reads_in_scope_and_writes_through_the_same_checks(
        client_for, people, open_month):
    admin = client_for("ministry_admin")
    body = {"rows": [{"zone": "BECZ-XJ-01", "period": open_month.code, "indicator": "EXPORT",
                      "value": "12"},
                     {"zone": "BECZ-GX-01", "period": open_month.code, "indicator": "EXPORT",
                      "value": 13}]}
    response = admin.post("/api/v1/values", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["created"] == 2
    bad = admin.post("/api/v1/values", {"rows": [{**body["rows"][0], "value": "x"}]},
                     content_type="application/json")
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == "rows[0]"
    reviewer = client_for("xinjiang_reviewer")
    seen = reviewer.get("/api/v1/values", {"period_from": open_month.code}).json()
    assert [(v["zone"], v["value"]) for v in seen] == [("BECZ-XJ-01", 12.0)]
    wrong_order = reviewer.get("/api/v1/values", {"period_from": "2024M05",
                                                  "period_to": "2024M01"})
    assert wrong_order.status_code == 422


def test_the_reports_api_moves_a_report_through_the_workflow(client_for, people, open_month):
    from test_workflow import fill

    report = fill(people["pingxiang_reporter"], open_month)
    reporter = client_for("pingxiang_reporter")
    response = reporter.post(f"/api/v1/reports/{report.pk}/submit", {},
                             content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    again = reporter.post(f"/api/v1/reports/{report.pk}/submit", {},
                          content_type="application/json")
    assert again.status_code == 422
    reviewer = client_for("xinjiang_reviewer")
    assert reviewer.post(f"/api/v1/reports/{report.pk}/approve", {},
                         content_type="application/json").status_code == 404
    assert do_transition  # the API calls the same action as the page


def test_a_reporter_is_told_about_returned_and_due_reports(client_for, people, open_month):
    from test_workflow import fill

    client = client_for("pingxiang_reporter")
    home = client.get("/").content.decode()
    assert "边（跨）合区主要指标月报" in home  # this month's or last month's report is due
    report = fill(people["pingxiang_reporter"], open_month)
    do_transition(people["pingxiang_reporter"], report, "submit")
    reviewer = people["guangxi_reviewer"]
    from django.test import Client

    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    assert "1张报表等待您审核" in reviewer_client.get("/").content.decode()
    assert "等待您审核" not in client_for("xinjiang_reviewer").get("/").content.decode()
    do_transition(reviewer, report, "return", reason="请核实进口额")
    home = client_for("pingxiang_reporter").get("/").content.decode()
    assert "已被退回" in home and "请核实进口额" in home


def test_the_value_history_export_is_scoped_csv(client_for, people, open_month):
    import csv
    import io

    admin = people["ministry_admin"]
    for zone in ("BECZ-GX-01", "BECZ-XJ-01"):
        assert do_save_values(admin, [{"zone": zone, "period": open_month.code,
                                       "indicator": "EXPORT", "value": "3"}]).ok
    response = client_for("xinjiang_reviewer").get("/reporting/changes.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["zone"], r["indicator"], r["new_value"], r["actor"]) for r in rows] == [
        ("BECZ-XJ-01", "EXPORT", "3", "ministry-admin")]


def test_a_cell_of_another_form_cannot_be_saved_through_this_grid(client_for, open_month):
    client = client_for("pingxiang_reporter")
    response = client.post(url(open_month, tail="cell/"), {"indicator": "RD_INTENSITY",
                                                           "value": "1"})
    assert response.status_code == 404
    assert not DataValue.objects.exists()


def test_a_zone_added_to_the_registry_reports_the_default_forms(people, catalogue):
    from bianhe.zones.actions import do_create_org_unit
    from bianhe.zones.models import OrgUnit

    zone = do_create_org_unit(people["ministry_admin"], {
        "code": "BECZ-XJ-09", "level": "zone", "parent": OrgUnit.objects.get(code="CN-XJ"),
        "name_zh": "新设边境经济合作区", "kind": "border"})
    assert set(zone.report_forms.values_list("code", flat=True)) == {"BH-M", "BH-Q", "BH-A"}


def test_a_province_approves_the_checked_reports_from_its_worklist(people, open_month):
    from django.test import Client

    from bianhe.accounts.models import User
    from bianhe.demo.users import ensure_demo_users
    from test_workflow import fill

    ensure_demo_users()
    reports = []
    for zone in ("BECZ-GX-01", "BECZ-GX-02"):
        report = fill(people["ministry_admin"], open_month, zone=zone)
        reporter = User.objects.get(username=f"demo-reporter-{zone.lower()}")
        reports.append(do_transition(reporter, report, "submit"))
    reviewer = people["guangxi_reviewer"]
    client = Client()
    client.force_login(reviewer)
    page = client.get("/reporting/")
    assert len(page.context["waiting"]) == 2
    response = client.post("/reporting/bulk/approve/", {"report": [r.pk for r in reports]},
                           follow=True)
    assert "已处理2张报表" in response.content.decode()
    assert set(Report.objects.values_list("status", flat=True)) == {"approved"}
    # The Xinjiang reviewer's bulk action cannot reach Guangxi's reports.
    other = Client()
    other.force_login(people["xinjiang_reviewer"])
    other.post("/reporting/bulk/accept/", {"report": [r.pk for r in reports]})
    assert set(Report.objects.values_list("status", flat=True)) == {"approved"}


# --- the entry grid tells the truth (issue 11) ----------------------------------------------

def _open(*periods, form="BH-M"):
    from bianhe.reporting.models import WindowOverride

    for period in periods:
        WindowOverride.objects.get_or_create(form=ReportForm.objects.get(code=form),
                                             period=period.code,
                                             defaults={"is_open": True, "reason": "补录"})


def test_beside_the_first_quarter_the_previous_period_is_the_last_quarters_own_flow(
        client_for, people, catalogue):
    """上期 of 一季度 is not last year's 1—12月 total: the fourth quarter's own flow, or "—"
    with the reason; 同比 of a rate is a difference in 百分点, not a percent of a percent."""
    from django.utils import timezone

    year = timezone.localdate().year
    q1, q3, q4 = Period.parse(f"{year}Q1"), Period.parse(f"{year - 1}Q3"), \
        Period.parse(f"{year - 1}Q4")
    last_q1 = q1.same_period_last_year()
    _open(q1, q3, q4, last_q1, form="BH-Q")
    admin = people["ministry_admin"]
    rows = [("GDP", q4, "45000"), ("GDP", q3, "30000"), ("GDP", q1, "12000"),
            ("GDP_GROWTH", last_q1, "20"), ("GDP_GROWTH", q1, "4.9")]
    assert do_save_values(admin, [{"zone": "BECZ-GX-01", "period": p.code, "indicator": c,
                                   "value": v} for c, p, v in rows]).ok
    page = client_for("pingxiang_reporter").get(url(q1, form="BH-Q"))
    assert page.status_code == 200
    gdp = next(r for r in page.context["rows"] if r.indicator.code == "GDP")
    assert gdp.shown.previous == "15,000.0"  # 1—12月 45,000 less 1—9月 30,000
    assert "四季度" in gdp.shown.previous_note
    rate = next(r for r in page.context["rows"] if r.indicator.code == "GDP_GROWTH")
    assert rate.shown.change == "降低15.1个百分点"
    html = page.content.decode()
    assert "45,000.0" not in html and "75.5%" not in html
    # Without the third quarter the fourth quarter's own flow is unknown: "—" and why.
    DataValue.objects.filter(indicator_code="GDP", report__period=q3.code).delete()
    page = client_for("pingxiang_reporter").get(url(q1, form="BH-Q"))
    gdp = next(r for r in page.context["rows"] if r.indicator.code == "GDP")
    assert gdp.shown.previous == "—" and "全年合计" in gdp.shown.previous_note
    assert f'title="{gdp.shown.previous_note}"' in page.content.decode()


def test_the_grid_writes_growth_in_words_with_thousands_separators_and_no_period_code(
        client_for, people, open_month):
    last_year = open_month.same_period_last_year()
    _open(last_year)
    admin = people["ministry_admin"]
    assert do_save_values(admin, [
        {"zone": "BECZ-GX-01", "period": last_year.code, "indicator": "EXPORT",
         "value": "12000"},
        {"zone": "BECZ-GX-01", "period": open_month.code, "indicator": "EXPORT",
         "value": "11988"}]).ok
    page = client_for("pingxiang_reporter").get(url(open_month))
    html = page.content.decode()
    row = next(r for r in page.context["rows"] if r.indicator.code == "EXPORT")
    assert (row.shown.last_year, row.shown.change) == ("12,000.0", "下降0.1%")
    assert "下降0.1%" in html and "-0.1%" not in html
    assert open_month.code not in _visible(html.split("<table")[0])  # title, heading, lead
    history = client_for("pingxiang_reporter").get(url(open_month, tail="history/"),
                                                   {"indicator": "EXPORT"})
    text = _visible(history.content.decode())
    assert open_month.label(cumulative=True) in text and "出口额" in text
    assert open_month.code not in text and "EXPORT" not in text


def _visible(html: str) -> str:
    """The text a reader sees (tags, attributes and scripts removed), the title included."""
    import re

    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_an_annual_form_has_no_separate_previous_period_column(client_for, catalogue):
    from django.utils import timezone

    year = Period.parse(str(timezone.localdate().year - 1))
    page = client_for("pingxiang_reporter").get(url(year, form="BH-A"))
    assert page.status_code == 200 and page.context["show_previous"] is False
    html = page.content.decode()
    assert "上年同期" in html and ">上期<" not in html


def test_a_save_answers_with_every_other_row_whose_flags_changed(client_for, people,
                                                                  open_month):
    """R01 (出口额 + 进口额 = 进出口总额) shows its failure on 出口额's row: saving 进出口总额
    swaps that row in too, out of band; rows whose flags did not change are not sent."""
    from bianhe.quality.actions import ensure_default_rules
    from test_quality_workflow import monthly_rows

    ensure_default_rules()
    assert do_save_values(people["pingxiang_reporter"],
                          monthly_rows("BECZ-GX-01", open_month)).ok
    client = client_for("pingxiang_reporter")
    client.get(url(open_month))  # the page checks the report: no flag yet
    response = client.post(url(open_month, tail="cell/"), {
        "indicator": "TRADE_TOTAL", "member": "", "value": "150", "comment": ""},
        HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<tr id="row-TRADE_TOTAL"')
    assert '<tr id="row-EXPORT" hx-swap-oob="true"' in html
    assert "出口额 + 进口额（100.0万元）≠ 进出口总额（150.0万元）" in html
    assert 'id="row-IMPORT"' not in html  # its flags did not change
    assert 'id="quality-summary" class="quality-summary" hx-swap-oob="true"' in html
    again = client.post(url(open_month, tail="cell/"), {
        "indicator": "TRADE_TOTAL", "member": "", "value": "100", "comment": ""})
    assert '<tr id="row-EXPORT" hx-swap-oob="true"' in again.content.decode()
    assert "≠" not in again.content.decode()
