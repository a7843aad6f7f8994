"""Progress towards targets and the progress expected by now, on hand-built cases: the
linear 时序进度 (months elapsed / 12), the seasonal expectation learnt from a zone's earlier
years, and the ahead / on track / lagging classification under each. No database."""

import numpy as np
import pandas as pd
import pytest

from bianhe.targets import progress as calc

TOL = 0.05


def history(shares_by_year: dict[int, float], *, key=0, behaviour="flow_ytd", end=100.0,
            prior=np.nan) -> pd.DataFrame:
    """Earlier years of one target: the share of the year reached by its month."""
    years = sorted(shares_by_year)
    return pd.DataFrame({"key": key, "year": years, "behaviour": behaviour,
                         "at_month": [shares_by_year[y] * end for y in years],
                         "at_end": end, "prior_end": prior})


def status(progress, expected, lower=False):
    return calc.classify([progress], [expected], TOL, [lower])[0]


# --- the linear 时序进度 -----------------------------------------------------------------------


def test_linear_expected_progress_is_the_months_elapsed_over_twelve():
    expected = calc.linear_expected(["flow_ytd"] * 4, [1, 6, 10, 12])
    assert expected == pytest.approx([1 / 12, 0.5, 10 / 12, 1.0])


@pytest.mark.parametrize(("actual", "wanted"), [(1000, "on_track"), (1100, "ahead"),
                                                 (900, "lagging")])
def test_a_flow_target_is_classified_against_the_linear_progress(actual, wanted):
    # Target 1,200 for the year; by October 10/12 of it (1,000) is expected.
    progress = calc.progress(["flow_ytd"], [actual], [1200.0], [np.nan])
    linear = calc.linear_expected(["flow_ytd"], [10])
    assert calc.classify(progress, linear, TOL)[0] == wanted


def test_the_tolerance_band_is_relative_to_the_expected_progress():
    expected = 0.5
    assert status(0.5 * 1.05, expected) == "ahead"
    assert status(0.5 * 1.049, expected) == "on_track"
    assert status(0.5 * 0.95, expected) == "on_track"
    assert status(0.5 * 0.949, expected) == "lagging"


def test_nothing_expected_and_nothing_done_is_on_track_and_anything_done_is_ahead():
    assert status(0.0, 0.0) == "on_track"
    assert status(0.1, 0.0) == "ahead"


def test_an_unknown_progress_has_no_status():
    assert status(np.nan, 0.5) == ""
    assert status(0.5, np.nan) == ""


# --- the seasonal expectation ------------------------------------------------------------------


def test_a_december_peaking_zone_is_lagging_by_the_linear_but_on_track_by_the_seasonal():
    # The zone's trade reached 75 % of its year by October in each of three earlier years
    # (December is its big month); this October it has 76 % of its target.
    shares = calc.seasonal_shares(history({2023: 0.74, 2024: 0.75, 2025: 0.76}), 2026)
    assert shares.loc[0, "share"] == pytest.approx(0.75)
    assert shares.loc[0, "years"] == 3
    linear = calc.linear_expected(["flow_ytd"], [10])
    seasonal, fell_back = calc.seasonal_expected(linear, shares["share"], shares["years"],
                                                 ["flow_ytd"])
    assert not fell_back[0]
    progress = [0.76]
    assert calc.classify(progress, linear, TOL)[0] == "lagging"
    assert calc.classify(progress, seasonal, TOL)[0] == "on_track"


def test_the_seasonal_share_is_the_median_of_the_five_latest_earlier_years():
    years = {2018: 0.1, 2019: 0.1, 2021: 0.6, 2022: 0.7, 2023: 0.9, 2024: 0.8, 2025: 0.65}
    shares = calc.seasonal_shares(history(years), 2026)
    # 2021–2025 only: the median of 0.6, 0.7, 0.9, 0.8, 0.65.
    assert shares.loc[0, "share"] == pytest.approx(0.7)
    assert shares.loc[0, "years"] == 5


def test_with_fewer_than_two_earlier_years_the_seasonal_falls_back_to_the_linear():
    shares = calc.seasonal_shares(history({2025: 0.6}), 2026)
    linear = calc.linear_expected(["flow_ytd"], [6])
    seasonal, fell_back = calc.seasonal_expected(linear, shares["share"].reindex([0]),
                                                 shares["years"].reindex([0]), ["flow_ytd"])
    assert seasonal[0] == pytest.approx(0.5) and fell_back[0]


def test_a_year_with_no_full_year_result_does_not_count():
    frame = pd.concat([history({2024: 0.5, 2025: 0.6}),
                       pd.DataFrame({"key": [0], "year": [2023], "behaviour": "flow_ytd",
                                     "at_month": [30.0], "at_end": [0.0],
                                     "prior_end": [np.nan]})])
    shares = calc.seasonal_shares(frame, 2026)
    assert shares.loc[0, "years"] == 2 and shares.loc[0, "share"] == pytest.approx(0.55)


def test_a_stocks_seasonal_share_is_of_its_yearly_increase():
    # Enterprises: 100 at the end of the year before, 140 at the year's end, 130 by June:
    # three quarters of the year's increase reached by June.
    frame = pd.DataFrame({"key": 0, "year": [2024, 2025], "behaviour": "stock",
                          "at_month": 130.0, "at_end": 140.0, "prior_end": 100.0})
    shares = calc.seasonal_shares(frame, 2026)
    assert shares.loc[0, "share"] == pytest.approx(0.75)


# --- targets as levels, stocks, rates ------------------------------------------------------


def test_a_growth_target_is_last_years_full_year_times_one_plus_the_growth():
    levels = calc.target_levels(["growth", "level"], [8.0, 500.0], [1000.0, 1000.0])
    assert levels == pytest.approx([1080.0, 500.0])
    assert np.isnan(calc.target_levels(["growth"], [8.0], [np.nan])[0])


def test_a_stocks_progress_is_the_share_of_its_planned_increase():
    # 100 at the end of last year, target 150, 130 by June: 60 % of the increase, ahead of
    # the half year.
    progress = calc.progress(["stock"], [130.0], [150.0], [100.0])
    assert progress[0] == pytest.approx(0.6)
    assert calc.classify(progress, calc.linear_expected(["stock"], [6]), TOL)[0] == "ahead"


def test_a_stock_target_not_above_last_years_end_is_a_level_to_hold():
    hold = calc.holds_level(["stock"], [100.0], [120.0])
    assert hold[0]
    assert calc.progress(["stock"], [95.0], [100.0], [120.0])[0] == pytest.approx(0.95)
    assert calc.linear_expected(["stock"], [6], hold)[0] == 1.0


def test_a_rate_is_expected_at_its_target_all_year():
    linear = calc.linear_expected(["rate"], [3])
    seasonal, fell_back = calc.seasonal_expected(linear, [0.2], [5], ["rate"])
    assert linear[0] == seasonal[0] == 1.0 and not fell_back[0]
    progress = calc.progress(["rate"], [6.0], [6.5], [np.nan])
    assert calc.classify(progress, linear, TOL)[0] == "lagging"


def test_a_target_that_is_not_positive_has_no_progress():
    assert np.isnan(calc.progress(["flow_ytd"], [10.0], [0.0], [np.nan])[0])
    assert np.isnan(calc.progress(["flow_ytd"], [10.0], [-5.0], [np.nan])[0])


# --- lower is better ---------------------------------------------------------------------------


def test_lower_is_better_swaps_ahead_and_lagging():
    # At most 4 work-safety accidents this year; by June half the allowance is expected.
    expected = calc.linear_expected(["flow_ytd"], [6])[0]
    assert status(0.25, expected, lower=True) == "ahead"  # 1 accident
    assert status(0.5, expected, lower=True) == "on_track"  # 2
    assert status(0.75, expected, lower=True) == "lagging"  # 3


# --- year-end completion -------------------------------------------------------------------------


def test_the_completion_rate_is_shown_as_it_is_and_met_is_reaching_the_target():
    rate, met = calc.completion([1300.0, 950.0, np.nan], [1000.0, 1000.0, 1000.0])
    assert rate[:2] == pytest.approx([1.3, 0.95]) and np.isnan(rate[2])
    assert list(met) == [True, False, False]


def test_lower_is_better_completion_is_the_target_over_the_actual():
    rate, met = calc.completion([2.0, 5.0, 0.0, 0.0], [4.0, 4.0, 0.0, 3.0], [True] * 4)
    assert rate[:3] == pytest.approx([2.0, 0.8, 1.0]) and np.isinf(rate[3])
    assert list(met) == [True, False, True, True]
