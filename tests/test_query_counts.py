"""Pages and API lists cost a fixed number of queries, however many rows they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bianhe.accounts.actions import do_create_user
from bianhe.roles import Role
from bianhe.zones.actions import do_create_org_unit
from bianhe.zones.models import OrgUnit
from personas import PASSWORD


def add_zones_with_reporters(count):
    province = OrgUnit.objects.get(code="CN-XJ")
    for number in range(count):
        zone = do_create_org_unit(None, {"code": f"TEST-XJ-{number:02d}", "level": "zone",
                                         "parent": province, "name_zh": f"测试园区{number}",
                                         "kind": "border"})
        do_create_user(None, username=f"reporter-{number:02d}", password=PASSWORD,
                       role=Role.ZONE_REPORTER, scope_units=[zone])


@pytest.mark.parametrize("url", ["/", "/zones/", "/zones/export.csv", "/api/v1/zones",
                                 "/accounts/users/", "/audit/"])
def test_a_list_costs_the_same_queries_for_20_more_zones_and_users(
        client_for, url, django_assert_num_queries):
    client = client_for("ministry_admin")
    client.get(url)  # warm up: session and language
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    add_zones_with_reporters(20)
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)


@pytest.mark.parametrize("url", ["/reporting/", "/reporting/timeliness/?form=BH-M",
                                 "/api/v1/reports", "/api/v1/values", "/reporting/changes.csv",
                                 "/catalog/", "/reporting/forms/"])
def test_reporting_lists_cost_the_same_queries_for_more_reports(
        client_for, people, open_month, url, django_assert_num_queries):
    from bianhe.reporting.actions import do_save_values

    zones = list(OrgUnit.objects.zones().active_in_year(open_month.year)
                 .values_list("code", flat=True))

    def report_in(codes):
        assert do_save_values(people["ministry_admin"], [
            {"zone": code, "period": open_month.code, "indicator": indicator, "value": "1"}
            for code in codes for indicator in ("EXPORT", "IMPORT")]).ok

    report_in(zones[:3])
    client = client_for("ministry_admin")
    url = url.replace("timeliness/?form=BH-M", f"timeliness/?form=BH-M&period={open_month}")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    report_in(zones[3:])
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)


@pytest.mark.parametrize("url", ["/quality/", "/quality/followup/", "/quality/completeness/",
                                 "/quality/completeness.csv", "/quality/scores/",
                                 "/quality/scores/?format=csv", "/quality/rules/"])
def test_quality_pages_cost_the_same_queries_for_more_flagged_reports(
        client_for, people, open_month, url, django_assert_num_queries):
    from bianhe.quality.actions import ensure_default_rules
    from bianhe.quality.checks import check_reports
    from bianhe.quality.models import Explanation
    from bianhe.reporting.actions import do_save_values
    from bianhe.reporting.models import Report

    ensure_default_rules()
    zones = list(OrgUnit.objects.zones().active_in_year(open_month.year)
                 .values_list("code", flat=True))

    def flagged_reports_in(codes):
        # Border trade above total trade: a warning (R04) on every report.
        assert do_save_values(people["ministry_admin"], [
            {"zone": code, "period": open_month.code, "indicator": indicator, "value": value}
            for code in codes for indicator, value in (("TRADE_TOTAL", "1"),
                                                       ("BORDER_TRADE", "5"))]).ok
        reports = Report.objects.filter(zone__code__in=codes)
        check_reports(reports.values_list("pk", flat=True))
        for report in reports:
            Explanation.objects.create(report=report, indicator_code="TRADE_TOTAL",
                                       text="说明", author_name="t",
                                       written_at=report.created_at)
        reports.update(status="submitted")

    flagged_reports_in(zones[:3])
    client = client_for("ministry_admin")
    url += ("&" if "?" in url else "?") + f"year={open_month.year}"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    flagged_reports_in(zones[3:])
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)


@pytest.mark.parametrize("path", ["/evaluation/", "/evaluation/runs/{run}/",
                                  "/evaluation/runs/{run}/ranking.xlsx",
                                  "/evaluation/runs/{run}/zones/BECZ-GX-01/",
                                  "/api/v1/evaluation/runs",
                                  "/api/v1/evaluation/runs/{run}/results"])
def test_evaluation_pages_cost_the_same_queries_for_20_more_zones(
        client_for, catalogue, path, django_assert_num_queries):
    from evaluation_support import YEAR, save_scheme, stored_run

    scheme = save_scheme()
    client = client_for("ministry_admin")
    run = stored_run(scheme, YEAR, published=True)
    url = path.format(run=run.pk)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    add_zones_with_reporters(20)
    bigger = stored_run(scheme, YEAR, variant=True, seed=2)
    url = path.format(run=bigger.pk)
    with django_assert_num_queries(len(before.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/targets/", "/targets/tracking/", "/targets/tracking.xlsx",
                                 "/targets/completion/", "/api/v1/targets"])
def test_targets_pages_cost_the_same_queries_for_20_more_zones(
        client_for, open_month, url, django_assert_num_queries):
    from bianhe.targets.models import SetStatus, Target, TargetSet

    def targets_for(zones):
        for zone in zones:
            target_set = TargetSet.objects.create(zone=zone, year=open_month.year,
                                                  status=SetStatus.APPROVED)
            Target.objects.create(target_set=target_set, indicator_code="EXPORT",
                                  kind="level", value=12, unit="万元")

    targets_for(OrgUnit.objects.zones())
    client = client_for("ministry_admin")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    existing = set(OrgUnit.objects.zones().values_list("pk", flat=True))
    add_zones_with_reporters(20)
    targets_for(OrgUnit.objects.zones().exclude(pk__in=existing))
    with django_assert_num_queries(len(before.captured_queries)):
        assert client.get(url).status_code == 200
