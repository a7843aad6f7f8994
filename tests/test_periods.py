import datetime as dt

import pytest

from bianhe.periods import Period, PeriodError, periods_between


def test_codes_parse_into_periods_and_back():
    assert Period.parse("2024M06") == Period("monthly", 2024, 6)
    assert Period.parse("2024q2").code == "2024Q2"
    assert Period.parse(" 2024 ").code == "2024"


@pytest.mark.parametrize("code", ["2024M13", "2024M00", "2024Q5", "24M01", "2024-06", "", "1800"])
def test_a_bad_period_code_is_refused(code):
    with pytest.raises(PeriodError):
        Period.parse(code)


def test_calendar_edges_and_neighbours():
    june = Period.parse("2024M06")
    assert (june.start, june.end) == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert Period.parse("2024M02").end == dt.date(2024, 2, 29)
    assert Period.parse("2024M01").previous().code == "2023M12"
    assert Period.parse("2024M01").previous_in_year() is None
    assert Period.parse("2024Q1").previous().code == "2023Q4"
    assert june.same_period_last_year().code == "2023M06"
    assert june.deadline(10) == dt.date(2024, 7, 10)


def test_labels_follow_chinese_statistical_practice():
    assert Period.parse("2024M06").label(cumulative=True) == "2024年1—6月"
    assert Period.parse("2024M01").label(cumulative=True) == "2024年1月"
    assert Period.parse("2024M06").label() == "2024年6月"
    assert Period.parse("2024Q2").label() == "2024年二季度"
    assert Period.parse("2024").label() == "2024年"


def test_ranges_are_ordered_and_refuse_the_wrong_order():
    months = periods_between(Period.parse("2023M11"), Period.parse("2024M02"))
    assert [p.code for p in months] == ["2023M11", "2023M12", "2024M01", "2024M02"]
    with pytest.raises(PeriodError, match="wrong order"):
        periods_between(Period.parse("2024M02"), Period.parse("2023M11"))
