"""The aggregation service against hand-computed figures, through the database."""

from __future__ import annotations

import math

import pytest

from analytics_data import put
from bianhe.analytics.queries import run
from bianhe.analytics.query import Query, QueryError
from bianhe.reporting.models import Status
from bianhe.zones.models import OrgUnit

GX1, GX2, XJ1 = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01"


def figures(result) -> dict[tuple[str, str], float]:
    return {(row.unit, row.period): row.value for row in result.frame.itertuples()
            if not math.isnan(row.value)}


def ask(user, indicator, **kwargs):
    defaults = {"level": "zone", "granularity": "year", "start": "2025", "end": "2025"}
    defaults.update(kwargs)
    return run(user, Query(indicators=(indicator,), **defaults))


@pytest.fixture
def exports(catalogue):
    # EXPORT is a monthly year-to-date flow: 1—3月 = 30, 1—6月 = 70 → Q2 = 40.
    put({(GX1, "2025M03", "EXPORT"): 30, (GX1, "2025M06", "EXPORT"): 70,
         (GX1, "2025M05", "EXPORT"): 55, (GX1, "2025M12", "EXPORT"): 200,
         (GX2, "2025M12", "EXPORT"): 100, (XJ1, "2025M12", "EXPORT"): 50,
         (GX1, "2024M12", "EXPORT"): 160, (GX2, "2024M12", "EXPORT"): 100,
         (GX1, "2024M06", "EXPORT"): 50, (GX1, "2024M03", "EXPORT"): 20})


def test_a_quarter_of_a_flow_is_the_difference_of_two_cumulatives(people, exports):
    result = ask(people["ministry_admin"], "EXPORT", granularity="quarter", start="2025Q2",
                 end="2025Q2", units=(GX1,))
    assert figures(result) == {(GX1, "2025Q2"): 40.0}


def test_a_month_of_a_flow_and_the_year_to_date(people, exports):
    month = ask(people["ministry_admin"], "EXPORT", granularity="month", start="2025M06",
                end="2025M06", units=(GX1,))
    assert figures(month) == {(GX1, "2025M06"): 15.0}  # 70 − 55
    ytd = ask(people["ministry_admin"], "EXPORT", granularity="ytd", start="2025M06",
              end="2025M06", units=(GX1,))
    assert figures(ytd) == {(GX1, "2025M06"): 70.0}
    assert ytd.labels["period"]["2025M06"] == "2025年1—6月"


def test_a_year_is_the_december_cumulative_and_provinces_sum_their_zones(people, exports):
    result = ask(people["ministry_admin"], "EXPORT", level="province", start="2024")
    assert figures(result) == {("CN-GX", "2024"): 260.0, ("CN-GX", "2025"): 300.0,
                               ("CN-XJ", "2025"): 50.0}


def test_growth_uses_the_zones_that_reported_both_years(people, exports):
    result = ask(people["ministry_admin"], "EXPORT", level="all", measure="yoy")
    # XJ1 has no 2024 figure: (200 + 100) / (160 + 100) − 1, not 350 / 260 − 1.
    assert figures(result)[("ALL", "2025")] == pytest.approx((300 / 260 - 1) * 100)


def test_contributions_to_growth_add_up_to_the_growth(people, exports):
    contribution = figures(ask(people["ministry_admin"], "EXPORT", measure="contribution"))
    assert contribution[(GX1, "2025")] == pytest.approx(40 / 260 * 100)
    assert contribution[(GX2, "2025")] == pytest.approx(0.0)
    growth = figures(ask(people["ministry_admin"], "EXPORT", level="all", measure="yoy"))
    assert sum(contribution.values()) == pytest.approx(growth[("ALL", "2025")])


def test_share_and_rank_among_zones(people, exports):
    share = figures(ask(people["ministry_admin"], "EXPORT", measure="share"))
    assert share == pytest.approx({(GX1, "2025"): 200 / 350 * 100,
                                   (GX2, "2025"): 100 / 350 * 100,
                                   (XJ1, "2025"): 50 / 350 * 100})
    rank = figures(ask(people["ministry_admin"], "EXPORT", measure="rank"))
    assert rank == {(GX1, "2025"): 1, (GX2, "2025"): 2, (XJ1, "2025"): 3}


def test_period_on_period_growth_of_quarters(people, exports):
    result = ask(people["ministry_admin"], "EXPORT", granularity="quarter", measure="pop",
                 start="2025Q2", end="2025Q2", units=(GX1,))
    assert figures(result) == {(GX1, "2025Q2"): pytest.approx((40 / 30 - 1) * 100)}


def test_stocks_are_taken_at_the_end_of_the_period_never_summed(people, catalogue):
    # MAJOR_PROJECTS is a monthly stock.
    put({(GX1, "2025M10", "MAJOR_PROJECTS"): 7, (GX1, "2025M11", "MAJOR_PROJECTS"): 8,
         (GX1, "2025M12", "MAJOR_PROJECTS"): 9, (GX2, "2025M12", "MAJOR_PROJECTS"): 4})
    quarter = ask(people["ministry_admin"], "MAJOR_PROJECTS", granularity="quarter",
                  start="2025Q4", end="2025Q4", level="province")
    assert figures(quarter) == {("CN-GX", "2025Q4"): 13.0}  # 9 + 4 across zones, not 7+8+9


def test_per_km2_uses_the_registry_area(people, catalogue):
    # 临沧 has a sourced area of 3.47 km²; 瑞丽 has none and is left out.
    put({("BECZ-YN-04", "2025M12", "EXPORT"): 347, ("BECZ-YN-01", "2025M12", "EXPORT"): 1000})
    result = ask(people["ministry_admin"], "EXPORT", level="province", measure="per_km2")
    assert figures(result) == {("CN-YN", "2025"): pytest.approx(100.0)}


def test_only_accepted_data_is_official_and_reviewers_may_include_submitted(people,
                                                                            catalogue):
    put({(XJ1, "2025M12", "EXPORT"): 5}, status=Status.SUBMITTED)
    reviewer = people["xinjiang_reviewer"]
    assert figures(ask(reviewer, "EXPORT")) == {}
    assert figures(ask(reviewer, "EXPORT", basis="reviewed")) == {(XJ1, "2025"): 5.0}
    with pytest.raises(QueryError):
        ask(people["ministry_analyst"], "EXPORT", basis="reviewed")


def test_a_zone_counts_only_in_years_the_registry_says_it_was_valid(people, catalogue):
    zone = OrgUnit.objects.get(code=GX2)
    put({(GX1, "2024M12", "EXPORT"): 10, (GX2, "2024M12", "EXPORT"): 20,
         (GX2, "2025M12", "EXPORT"): 30})
    OrgUnit.objects.filter(pk=zone.pk).update(valid_from="2025-03-01")
    result = ask(people["ministry_admin"], "EXPORT", level="province", start="2024")
    assert figures(result) == {("CN-GX", "2024"): 10.0, ("CN-GX", "2025"): 30.0}


def test_a_scoped_user_reads_only_its_own_zones(people, exports):
    reviewer = people["xinjiang_reviewer"]
    result = ask(reviewer, "EXPORT", level="all")
    assert figures(result) == {("ALL", "2025"): 50.0}
    assert set(ask(reviewer, "EXPORT").frame["unit"]) == {
        code for code in OrgUnit.objects.filter(parent__code="CN-XJ")
        .values_list("code", flat=True)}
    with pytest.raises(QueryError):
        ask(reviewer, "EXPORT", units=(GX1,))


def test_trade_by_partner_country_is_a_dimension_with_a_total(people, catalogue):
    put({(GX1, "2025M12", "TRADE_BY_PARTNER", "VN"): 60,
         (GX1, "2025M12", "TRADE_BY_PARTNER", "OTHER"): 15})
    result = run(people["ministry_admin"], Query(
        indicators=("TRADE_BY_PARTNER",), level="zone", units=(GX1,), start="2025",
        end="2025", breakdown=True, rows=("member",), columns=("period",)))
    got = {row.member: row.value for row in result.frame.itertuples()
           if not math.isnan(row.value)}
    assert got == {"_T": 75.0, "VN": 60.0, "OTHER": 15.0}
    assert result.labels["member"]["VN"] == "越南"


def test_a_weighted_mean_is_weighted_by_its_weight_indicator(people, catalogue):
    # 亩均税收 weighted by land in use: (2 × 100 + 5 × 300) / 400.
    put({(GX1, "2025", "LAND_TAX_INTENSITY"): 2, (GX2, "2025", "LAND_TAX_INTENSITY"): 5,
         (GX1, "2025", "LAND_IN_USE"): 100, (GX2, "2025", "LAND_IN_USE"): 300})
    result = ask(people["ministry_admin"], "LAND_TAX_INTENSITY", level="province")
    assert figures(result) == {("CN-GX", "2025"): pytest.approx(1700 / 400)}


def test_demo_values_are_labelled(people, exports):
    from bianhe.analytics.facts import rebuild
    from bianhe.reporting.models import Report

    Report.objects.update(is_demo=True)
    rebuild()
    result = ask(people["ministry_admin"], "EXPORT")
    assert result.is_demo and "演示数据" in result.footnotes[0]


def test_the_cli_rebuilds_the_fact_table_from_the_reports(people, exports, capsys):
    from bianhe.analytics.models import Fact
    from bianhe.cli import main

    count = Fact.objects.count()
    Fact.objects.all().delete()
    assert main(["analytics", "rebuild"]) == 0
    assert Fact.objects.count() == count > 0
    assert f"{count:,}" in capsys.readouterr().out


def test_partner_country_rows_are_the_countries_the_zone_borders(people, catalogue):
    # The registry says 东兴 (BECZ-GX-01) borders 越南; 凭祥 too; 临沧 borders 缅甸.
    put({(GX1, "2025M12", "TRADE_BY_PARTNER", "VN"): 60,
         (GX1, "2025M12", "TRADE_BY_PARTNER", "RU"): 5,  # reported: kept although not a neighbour
         ("BECZ-YN-04", "2025M12", "TRADE_BY_PARTNER", "MM"): 30})
    result = run(people["ministry_admin"], Query(
        indicators=("TRADE_BY_PARTNER",), level="zone", units=(GX1,), start="2025",
        end="2025", breakdown=True, rows=("member",), columns=("period",)))
    assert result.order["member"] == ["_T", "RU", "VN", "OTHER"]
    assert set(result.frame["member"]) == {"_T", "RU", "VN", "OTHER"}
    both = run(people["ministry_admin"], Query(
        indicators=("TRADE_BY_PARTNER",), level="zone", units=(GX1, "BECZ-YN-04"),
        start="2025", end="2025", breakdown=True, rows=("unit", "member"),
        columns=("period",)))
    assert both.order["member"] == ["_T", "RU", "VN", "MM", "OTHER"]
