"""Flag messages: one plain sentence per flagged cell for the zone's statistician, the
statistical detail behind 详情 for reviewers, indicator names and never codes."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from bianhe.periods import Period
from bianhe.quality.describe import cell_message, flag_text, named
from bianhe.quality.models import Check, Flag, OutlierConfig, Rule
from bianhe.quality.queries import CellQuality

FAI = SimpleNamespace(code="FAI", name_zh="固定资产投资", unit="万元", decimals=1)
NAMES = {"FAI": "固定资产投资", "EXPORT": "出口额", "IMPORT": "进口额",
         "TRADE_TOTAL": "进出口总额", "TRADE_BY_PARTNER": "分国别(地区)进出口额"}


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def outliers(value, ranges):
    return [Flag(indicator_code="FAI", kind=kind, severity="warning", value=value, score=5.2,
                 low=low, high=high, is_period_flow=True) for kind, low, high in ranges]


def test_an_outlier_is_one_plain_sentence_with_the_usual_range_in_yi_yuan():
    flags = outliers(1_173_000.0, [(Check.Z, 125_000.0, 458_000.0),
                                   (Check.MODIFIED_Z, 130_000.0, 400_000.0)])
    text = cell_message(CellQuality(flags=flags), FAI, Period.parse("2026M11"), NAMES)
    assert text == "本月当期值117.30亿元，明显高于以往同期（通常12.50亿元—45.80亿元），请核实或说明"


def test_a_small_outlier_keeps_its_unit_and_thousands_separators():
    flags = outliers(1_234.5, [(Check.MINMAX, 2_000.0, 8_765.4)])
    text = cell_message(CellQuality(flags=flags), FAI, Period.parse("2026Q2"), NAMES)
    assert text == ("本季度当期值1,234.5万元，明显低于以往同期（通常2,000.0万元—8,765.4万元），"
                    "请核实或说明")


def test_a_failed_rule_names_its_indicators_and_never_their_codes():
    rule = Rule(code="R01", name="进出口总额等于出口额与进口额之和",
                expression="EXPORT + IMPORT == TRADE_TOTAL", severity="error")
    flag = Flag(indicator_code="EXPORT", kind=Check.RULE, rule=rule, severity="error",
                left=12_000.0, right=11_500.0)
    export = SimpleNamespace(code="EXPORT", name_zh="出口额", unit="万元", decimals=1)
    text = cell_message(CellQuality(flags=[flag]), export, Period.parse("2026M11"), NAMES)
    assert text == "出口额 + 进口额（12,000.0万元）≠ 进出口总额（11,500.0万元），请更正"
    detail = flag_text(flag, NAMES, export)
    assert "左边12,000.0万元" in detail and "差额500.0万元" in detail
    assert "EXPORT" not in detail and "TRADE_TOTAL" not in detail
    assert named("sum(TRADE_BY_PARTNER) == TRADE_TOTAL", NAMES) == \
        "分国别(地区)进出口额（各分项合计） = 进出口总额"


def test_the_detail_gives_the_method_its_score_and_threshold():
    flag = outliers(1_173_000.0, [(Check.MODIFIED_Z, 125_000.0, 458_000.0)])[0]
    config = OutlierConfig(modified_z_threshold=3.5)
    detail = flag_text(flag, NAMES, FAI, config)
    assert "修正z分数为5.20（阈值3.5）" in detail and "1,173,000.0万元" in detail


def test_reviewers_get_the_detail_behind_a_toggle_and_the_zone_the_sentence(
        client_for, people, open_month):
    from bianhe.quality.actions import ensure_default_rules
    from bianhe.reporting.actions import do_save_values
    from test_quality_workflow import monthly_rows

    ensure_default_rules()
    assert do_save_values(people["pingxiang_reporter"], monthly_rows(
        "BECZ-GX-01", open_month, {"TRADE_TOTAL": "150"})).ok
    url = f"/reporting/BECZ-GX-01/BH-M/{open_month.code}/"
    zone = client_for("pingxiang_reporter").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = zone.content.decode()
    assert "出口额 + 进口额（100.0万元）≠ 进出口总额（150.0万元），请更正" in html
    assert "<details" not in html
    analyst = client_for("ministry_analyst").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = analyst.content.decode()
    assert '<details class="flag-detail"><summary>详情</summary>' in html
    assert "审核规则R01" in html
