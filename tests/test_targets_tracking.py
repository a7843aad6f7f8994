"""Tracking annual targets against the reported figures: the fact table read for this year
and the zone's earlier years, the linear and the seasonal expected progress, the year-end
completion per zone and province, the notices, the pages and the XLSX exports (opened by
LibreOffice), and the function the evaluation reads."""

from __future__ import annotations

import math

import pytest
from django.utils import timezone

from analytics_data import put
from bianhe.catalog.loader import load_catalogue
from bianhe.reporting.models import Status
from bianhe.targets.actions import do_save_targets, do_transition
from bianhe.targets.completion import completion_by_zone
from bianhe.targets.models import TargetSet
from bianhe.targets.tracking import track, zone_targets
from bianhe.zones.models import OrgUnit

PINGXIANG, DONGXING, YINING = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01"


def approved(year, code, rows) -> TargetSet:
    target_set = do_save_targets(None, OrgUnit.objects.get(code=code), year, rows)
    do_transition(None, target_set, "submit")
    return do_transition(None, target_set, "approve")


@pytest.fixture
def seasons(catalogue):
    """This year up to October and five earlier years, by hand.

    Pingxiang's trade reaches 75 % of its year by October every year (December is its big
    month) and its investment 80 %; this October it has 76 % of its trade target and 50 % of
    its investment target. Dongxing has one earlier year only. Last year's targets: trade
    met (111 %), investment missed (80 %), Dongxing's far exceeded (167 %).
    """
    year = timezone.localdate().year
    for each in range(year - 6, year + 1):
        load_catalogue(each)
    values = {}
    for past in range(year - 5, year):
        values.update({(PINGXIANG, f"{past}M10", "TRADE_TOTAL"): 750,
                       (PINGXIANG, f"{past}M12", "TRADE_TOTAL"): 1000,
                       (PINGXIANG, f"{past}M10", "FAI"): 800,
                       (PINGXIANG, f"{past}M12", "FAI"): 1000})
    values.update({(DONGXING, f"{year - 1}M10", "TRADE_TOTAL"): 600,
                   (DONGXING, f"{year - 1}M12", "TRADE_TOTAL"): 1000,
                   (PINGXIANG, f"{year}M10", "TRADE_TOTAL"): 912,
                   (PINGXIANG, f"{year}M10", "FAI"): 500,
                   (DONGXING, f"{year}M10", "TRADE_TOTAL"): 880,
                   (YINING, f"{year}M10", "TRADE_TOTAL"): 900})
    put(values)
    approved(year, PINGXIANG, [{"indicator": "TRADE_TOTAL", "kind": "level", "value": "1200"},
                               {"indicator": "FAI", "kind": "level", "value": "1000"}])
    approved(year, DONGXING, [{"indicator": "TRADE_TOTAL", "kind": "growth", "value": "10"}])
    approved(year, YINING, [{"indicator": "TRADE_TOTAL", "kind": "level", "value": "1000"}])
    approved(year - 1, PINGXIANG, [{"indicator": "TRADE_TOTAL", "kind": "level", "value": "900"},
                                   {"indicator": "FAI", "kind": "level", "value": "1250"}])
    approved(year - 1, DONGXING, [{"indicator": "TRADE_TOTAL", "kind": "level", "value": "600"}])
    return year


def rows_by(tracking):
    return {(r.zone_code, r.indicator_code): r for r in tracking.rows()}


def test_the_year_to_date_actual_is_compared_with_both_expectations(seasons):
    tracked = track(TargetSet.objects.all(), seasons)
    assert tracked.as_of == 10 and tracked.as_of_label == f"{seasons}年1—10月"
    rows = rows_by(tracked)
    trade = rows[(PINGXIANG, "TRADE_TOTAL")]
    assert trade.period == f"{seasons}M10" and trade.actual == 912
    assert trade.progress == pytest.approx(0.76)
    assert trade.expected_linear == pytest.approx(10 / 12)
    assert trade.expected_seasonal == pytest.approx(0.75) and trade.seasonal_years == 5
    # Lagging by the customary 时序进度, on track by the zone's own December-heavy year.
    assert (trade.status_linear, trade.status_seasonal) == ("lagging", "on_track")
    fai = rows[(PINGXIANG, "FAI")]
    assert (fai.status_linear, fai.status_seasonal) == ("lagging", "lagging")


def test_a_growth_target_becomes_a_level_on_last_years_full_year(seasons):
    dongxing = rows_by(track(TargetSet.objects.all(), seasons))[(DONGXING, "TRADE_TOTAL")]
    assert dongxing.base == 1000 and dongxing.target_level == pytest.approx(1100)
    assert dongxing.progress == pytest.approx(0.8)
    # One earlier year only: the seasonal expectation falls back to the linear one.
    assert dongxing.seasonal_fallback and dongxing.expected_seasonal == pytest.approx(10 / 12)
    assert dongxing.status_linear == dongxing.status_seasonal == "on_track"


def test_tracking_at_an_earlier_month_uses_the_figures_of_that_month(seasons):
    tracked = track(TargetSet.objects.all(), seasons, 9)
    assert tracked.as_of == 9
    assert all(not r.period and math.isnan(r.progress) for r in tracked.rows())


def test_only_approved_targets_and_locked_reports_count(seasons):
    TargetSet.objects.filter(zone__code=YINING).update(status="submitted")
    assert (YINING, "TRADE_TOTAL") not in rows_by(track(TargetSet.objects.all(), seasons))
    # A returned report is the zone's again: its figure no longer counts.
    from bianhe.analytics.facts import rebuild
    from bianhe.reporting.models import Report

    Report.objects.filter(zone__code=PINGXIANG, period=f"{seasons}M10").update(
        status=Status.RETURNED)
    rebuild()
    trade = rows_by(track(TargetSet.objects.all(), seasons))[(PINGXIANG, "TRADE_TOTAL")]
    assert trade.period == "" and math.isnan(trade.actual)


def test_year_end_completion_per_zone_for_the_evaluation(seasons):
    table = completion_by_zone(seasons - 1)
    assert list(table.columns) == ["targets", "met", "completion"]
    assert table.loc[PINGXIANG, "targets"] == 2 and table.loc[PINGXIANG, "met"] == 1
    assert table.loc[PINGXIANG, "completion"] == pytest.approx((1000 / 900 + 0.8) / 2)
    # 167 % is shown as it is, but counts 120 % in the average.
    assert table.loc[DONGXING, "completion"] == pytest.approx(1.2)
    assert YINING not in table.index


def test_the_scorecard_rows_of_one_zone(seasons, client_for):
    rows = zone_targets(OrgUnit.objects.get(code=PINGXIANG), seasons)
    assert [r.indicator_name for r in rows] == ["进出口总额", "固定资产投资"]
    assert rows[0].progress_text == "76.0%" and rows[0].linear_gap_text == "-7.3个百分点"
    from django.template.loader import render_to_string

    html = render_to_string("targets/_zone_targets.html", {"rows": rows})
    assert "进出口总额" in html and "滞后" in html and "符合进度" in html
    assert "1,200.0万元" in html and "912.0万元" in html


# --- pages, notices and exports -------------------------------------------------------------


def test_the_tracking_page_shows_both_statuses_and_filters_by_status(seasons, client_for):
    client = client_for("guangxi_reviewer")
    page = client.get("/targets/tracking/", {"year": seasons}).content.decode()
    assert 'data-zone="BECZ-GX-01" data-indicator="TRADE_TOTAL" data-status-linear="lagging"' \
        ' data-status-seasonal="on_track"' in page
    assert f"{seasons}年1—10月" in page and "76.0%" in page and "-7.3个百分点" in page
    assert "伊宁" not in page  # another province
    assert "园区已上报、省级已审核和部级已确认" in page  # the basis of the actual figures
    lagging = client.get("/targets/tracking/", {"year": seasons, "status": "lagging",
                                                "measure": "linear"}).content.decode()
    assert 'data-indicator="TRADE_TOTAL" data-status-linear="lagging"' in lagging
    seasonal = client.get("/targets/tracking/", {"year": seasons, "status": "lagging",
                                                 "measure": "seasonal"}).content.decode()
    assert 'data-indicator="TRADE_TOTAL" data-status-linear' not in seasonal
    assert 'data-indicator="FAI"' in seasonal


def test_the_completion_page_shows_zones_and_provinces(seasons, client_for):
    page = client_for("ministry_analyst").get("/targets/completion/",
                                              {"year": seasons - 1}).content.decode()
    assert 'data-province="CN-GX"' in page and "2/3" in page  # met / targets in Guangxi
    assert "111.1%" in page and "166.7%" in page and "未完成" in page


def test_a_lagging_target_raises_notices_for_the_zone_and_its_province(seasons, client_for):
    zone_home = client_for("pingxiang_reporter").get("/").content.decode()
    assert "固定资产投资进度滞后" in zone_home and "时序进度83.3%" in zone_home
    assert "进出口总额进度滞后" not in zone_home  # lagging by the linear measure only
    province_home = client_for("guangxi_reviewer").get("/").content.decode()
    assert "凭祥边境经济合作区：1项目标按季节性进度滞后（固定资产投资）" in province_home
    other = client_for("xinjiang_reviewer").get("/").content.decode()
    assert "凭祥" not in other and "按季节性进度滞后" not in other


def test_the_api_gives_the_tracking_figures(seasons, client_for):
    body = client_for("pingxiang_reporter").get("/api/v1/targets",
                                                {"year": seasons}).json()
    assert body["as_of"] == f"{seasons}M10"
    [target_set] = body["sets"]
    trade = next(t for t in target_set["targets"] if t["indicator"] == "TRADE_TOTAL")
    assert trade["progress"] == pytest.approx(0.76)
    assert (trade["status_linear"], trade["status_seasonal"]) == ("lagging", "on_track")


def test_libreoffice_opens_the_tracking_and_completion_exports(seasons, client_for, tmp_path):
    from test_office import calc_rows

    client = client_for("guangxi_reviewer")
    response = client.get("/targets/tracking.xlsx", {"year": seasons})
    assert response.status_code == 200
    rows = calc_rows(response.content, tmp_path)
    text = "\n".join(",".join(row) for row in rows)
    assert "年度工作目标跟踪" in text and "伊宁" not in text
    trade = next(row for row in rows if "进出口总额" in row and "凭祥边境经济合作区" in row)
    assert "1,200.0" in trade and "912.0" in trade and "76.0%" in trade and "83.3%" in trade
    assert "滞后" in trade and "符合进度" in trade and "万元" in trade

    response = client.get("/targets/completion.xlsx", {"year": seasons - 1})
    assert response.status_code == 200
    (tmp_path / "provinces").mkdir()
    (tmp_path / "targets").mkdir()
    provinces = calc_rows(response.content, tmp_path / "provinces", sheet=1)
    guangxi = next(row for row in provinces if "广西壮族自治区" in row)
    assert guangxi[1:5] == ["2", "3", "3", "2"]
    by_target = calc_rows(response.content, tmp_path / "targets", sheet=3)
    missed = next(row for row in by_target if "固定资产投资" in row)
    assert "80.0%" in missed and "未完成" in missed
