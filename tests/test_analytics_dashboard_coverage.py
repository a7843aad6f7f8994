"""Dashboards and zone profiles never present a partial sum as a total.

They open at the latest period whose coverage (zones with accepted figures / zones expected)
reaches BIANHE_COVERAGE_THRESHOLD, say which period and why, let the user switch, label a
partial total with its coverage, and show ranks and medians only over enough zones.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics_data import put
from bianhe.analytics.coverage import Coverage
from bianhe.analytics.dashboard_common import KEY_INDICATORS, key_definitions
from bianhe.analytics.dashboards import build_dashboard
from bianhe.analytics.profile import build_profile
from bianhe.analytics.queries import zones_for
from bianhe.zones.models import OrgUnit

LAST, BEFORE = timezone.localdate().year - 1, timezone.localdate().year - 2
FULL, PARTIAL = f"{LAST}M05", f"{LAST}M06"  # every zone / two zones accepted
GX1, GX2 = "BECZ-GX-01", "BECZ-GX-02"
DASHBOARD = "/analytics/"


def all_zones() -> list[str]:
    return list(OrgUnit.objects.zones().order_by("code").values_list("code", flat=True))


@pytest.fixture
def two_of_twenty(catalogue):
    """1—5月 accepted for all 20 zones; 1—6月 for two of them (and a year before for both)."""
    zones = all_zones()
    assert len(zones) == 20
    values = {}
    for i, zone in enumerate(zones):
        for period in (FULL, f"{BEFORE}M05"):
            values[(zone, period, "TRADE_TOTAL")] = 100.0 + i
    for zone in (GX1, GX2):
        values[(zone, PARTIAL, "TRADE_TOTAL")] = 500.0
        values[(zone, f"{BEFORE}M06", "TRADE_TOTAL")] = 400.0
    put(values)
    return zones


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def headline(html: str) -> str:
    return re.search(r'<div class="cards tiles" id="headline">.*?</section>', html, re.S)[0]


def trade_tile(data: dict) -> dict:
    return next(t for t in data["tiles"] if t["code"] == "TRADE_TOTAL")


# --- totals ------------------------------------------------------------------------------------
def test_the_ministry_opens_at_the_last_fully_covered_period_not_the_newest(people, client_for,
                                                                           two_of_twenty):
    data = build_dashboard(people["ministry_admin"])
    assert data["period"]["code"] == FULL
    tile = trade_tile(data)
    assert tile["coverage"] == "20/20" and tile["complete"]
    assert tile["total_label"] == "全部20个园区"
    html = page(client_for("ministry_admin"), DASHBOARD)
    # The page says which period it shows and why, with the newer period's coverage.
    assert f"{LAST}年1—5月：20个园区均已确认；1—6月：2/20" in html
    assert f"{LAST}年1—5月" in headline(html)
    assert "2,190.0万元" in headline(html)  # 100 + 101 + … + 119
    # The newer period is offered by its label, never its code.
    assert f"{LAST}年1—6月（已确认2/20）" in html
    assert f">{PARTIAL}<" not in html


def test_a_partial_period_is_labelled_as_the_total_of_the_confirmed_zones(people, client_for,
                                                                         two_of_twenty):
    data = build_dashboard(people["ministry_admin"], period=PARTIAL)
    tile = trade_tile(data)
    assert data["period"]["code"] == PARTIAL
    assert (tile["value"], tile["coverage"], tile["complete"]) == (1000.0, "2/20", False)
    assert tile["total_label"] == "已确认园区合计（2/20）"
    html = page(client_for("ministry_admin"), f"{DASHBOARD}?period={PARTIAL}")
    tiles = headline(html)
    assert "已确认园区合计（2/20）" in tiles and "全部" not in tiles
    assert "1,000.0万元" in tiles
    # Growth over the two zones keeps the comparable basis and says so.
    assert "增长25.0%" in tiles and "可比口径" in tiles


@pytest.mark.parametrize("bad", ["2031M05", "2026M13", "nonsense", f"{LAST}Q2"])
def test_an_invalid_period_gets_a_chinese_message_and_the_default(client_for, two_of_twenty,
                                                                  bad):
    html = page(client_for("ministry_admin"), f"{DASHBOARD}?period={bad}")
    assert "所选期间无效或没有正式数据" in html
    assert "全部20个园区" in headline(html)


def test_a_lower_threshold_opens_at_the_newest_period(people, settings, two_of_twenty):
    settings.BIANHE_COVERAGE_THRESHOLD = 10
    assert build_dashboard(people["ministry_admin"])["period"]["code"] == PARTIAL
    settings.BIANHE_COVERAGE_THRESHOLD = 11
    assert build_dashboard(people["ministry_admin"])["period"]["code"] == FULL


def test_the_unit_switch_shows_amounts_in_yi_yuan(client_for, two_of_twenty):
    html = page(client_for("ministry_admin"), f"{DASHBOARD}?unit=yi")
    assert "0.22亿元" in headline(html)
    assert "单位选择无效" in page(client_for("ministry_admin"), f"{DASHBOARD}?unit=euro")


def test_coverage_is_one_grouped_query_whatever_the_number_of_zones(people, two_of_twenty):
    admin = people["ministry_admin"]
    zones, scoped = zones_for(admin)
    definitions = key_definitions(timezone.localdate().year, KEY_INDICATORS)
    with CaptureQueriesContext(connection) as queries:
        coverage = Coverage.count(definitions, timezone.localdate(), scope_zones=zones,
                                  scoped=scoped)
    assert len(queries) == 1
    assert coverage.cell("TRADE_TOTAL", PARTIAL).text == "2/20"


# --- ranks and medians --------------------------------------------------------------------------
def test_a_rank_and_a_median_need_three_peers(people, client_for, catalogue):
    put({(GX1, PARTIAL, "TRADE_TOTAL"): 400, (GX2, PARTIAL, "TRADE_TOTAL"): 100})
    row = next(r for r in build_dashboard(people["pingxiang_reporter"])["rows"]
               if r["code"] == "TRADE_TOTAL")
    assert (row["rank"], row["rank_text"], row["median_text"]) == (None, None, None)
    profile = next(r for r in build_profile(people["pingxiang_reporter"], GX1)["indicators"]
                   if r["code"] == "TRADE_TOTAL")
    assert (profile["rank"], profile["rank_text"], profile["median_text"]) == (None, None, None)
    html = page(client_for("pingxiang_reporter"), DASHBOARD)
    assert 'data-rank=""' in html and "第1位" not in html


def test_the_reporter_and_profile_rank_among_all_zones_of_a_covered_period(people, client_for,
                                                                          two_of_twenty):
    row = next(r for r in build_dashboard(people["pingxiang_reporter"])["rows"]
               if r["code"] == "TRADE_TOTAL")
    # 凭祥 (BECZ-GX-01) has the first code, so the smallest figure: 20th of 20.
    assert row["rank_text"] == "第20位（共20个园区）"
    assert row["median_text"] == "109.5万元"
    profile = build_profile(people["pingxiang_reporter"], GX1)
    assert profile["period"]["code"] == FULL
    html = page(client_for("pingxiang_reporter"), reverse("analytics:profile", args=[GX1]))
    assert "（共20个园区）" in html and "（共2个" not in html


# --- growth words and 百分点 --------------------------------------------------------------------
def test_growth_is_written_in_words_and_rates_move_in_percentage_points(people, client_for,
                                                                        catalogue):
    put({(GX1, f"{LAST}Q2", "GDP_GROWTH"): 4.9, (GX1, f"{BEFORE}Q2", "GDP_GROWTH"): 20,
         (GX1, PARTIAL, "TRADE_TOTAL"): 100, (GX1, f"{BEFORE}M06", "TRADE_TOTAL"): 80})
    rows = {r["code"]: r for r in build_dashboard(people["pingxiang_reporter"])["rows"]}
    assert rows["GDP_GROWTH"]["value_text"] == "4.9%"
    assert rows["GDP_GROWTH"]["growth_text"] == "降低15.1个百分点"
    assert rows["TRADE_TOTAL"]["growth_text"] == "增长25.0%"
    for url in (DASHBOARD, reverse("analytics:profile", args=[GX1])):
        html = page(client_for("pingxiang_reporter"), url)
        assert "降低15.1个百分点" in html and "增长25.0%" in html
        assert "-75.5%" not in html and "+25.0%" not in html


@pytest.mark.parametrize(("value", "message"), [
    ("150", "BIANHE_COVERAGE_THRESHOLD=150 is above the maximum of 100"),
    ("0", "BIANHE_COVERAGE_THRESHOLD=0 is below the minimum of 1"),
    ("all", "BIANHE_COVERAGE_THRESHOLD='all' is not an integer"),
])
def test_the_platform_refuses_a_threshold_that_is_not_a_percentage(tmp_path, value, message):
    import os
    import subprocess
    import sys

    env = {**os.environ, "BIANHE_HOME": str(tmp_path), "BIANHE_COVERAGE_THRESHOLD": value}
    result = subprocess.run([sys.executable, "-m", "bianhe.cli", "check"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr


def test_no_ranking_of_two_zones(client_for, two_of_twenty):
    html = page(client_for("ministry_admin"), f"{DASHBOARD}?period={PARTIAL}")
    assert 'id="top-zones"' not in html
    assert "20个园区中仅2个有正式数据，不足以排出位次" in html
