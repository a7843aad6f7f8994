"""One spelling of figures, changes, periods and dates (bianhe.formatting), in Chinese."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from bianhe import formatting


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_figures_carry_thousands_separators_and_their_own_decimals():
    assert formatting.number(33275680.34, 1) == "33,275,680.3"
    assert formatting.number(Decimal("1500.25"), 1) == "1,500.3"
    assert formatting.number(12, 0) == "12"


def test_no_figure_is_a_dash_whatever_its_kind():
    for missing in (None, float("nan"), float("inf"), "", "abc"):
        assert formatting.number(missing, 1) == "—"
        assert formatting.change(missing) == "—"


def test_amounts_in_ten_thousand_yuan_can_be_shown_in_hundred_million_yuan():
    assert formatting.with_unit(976168.0, 1, "万元") == "976,168.0万元"
    assert formatting.with_unit(976168.0, 1, "万元", yi=True) == "97.62亿元"
    assert formatting.with_unit(5.5, 1, "万美元", yi=True) == "0.00亿美元"
    # A rate is never rescaled.
    assert formatting.with_unit(4.9, 1, "%", yi=True) == "4.9%"


def test_growth_is_written_as_bulletins_write_it():
    assert formatting.change(9.63) == "增长9.6%"
    assert formatting.change(-0.1) == "下降0.1%"
    assert formatting.change(0.04) == "持平"


def test_rates_change_in_percentage_points():
    assert formatting.change(0.15, points=True, decimals=2) == "提高0.15个百分点"
    assert formatting.change(-15.1, points=True) == "降低15.1个百分点"
    assert formatting.signed(-15.1, points=True) == "-15.1个百分点"
    assert formatting.is_percent_unit("%")
    assert not formatting.is_percent_unit("万元/亩")


def test_periods_and_dates_read_as_chinese_text_never_as_codes():
    assert formatting.period_label("2026M11", cumulative=True) == "2026年1—11月"
    assert formatting.period_label("2026M11") == "2026年11月"
    assert formatting.period_label("2025Q3") == "2025年三季度"
    assert formatting.date_zh(dt.date(2026, 12, 10)) == "2026年12月10日"
    assert formatting.coverage(2, 20) == "2/20"
