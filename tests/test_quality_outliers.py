"""Outlier detection on constructed series whose answers are known (bianhe.quality.outliers).

No database: the module is pure numpy. Cubes are (series, years, periods).
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bianhe.quality import outliers
from bianhe.quality.outliers import (
    METHODS,
    OutlierSettings,
    decumulate,
    detect,
    seasonal_factors,
)

SPIKE = (0, 3, 4)  # series 0, fourth year, May


def flat_monthly(seed=7, noise=0.03):
    """Six years of a level-100 monthly series with multiplicative noise."""
    rng = np.random.default_rng(seed)
    return 100 * (1 + noise * rng.standard_normal((1, 6, 12)))


def seasonal_monthly(seed=11, noise=0.02):
    """Six years with a Spring Festival dip (Feb × 0.5), a December peak (× 2.5) and steady
    8 % a year growth compounding monthly, with small noise and no outlier."""
    rng = np.random.default_rng(seed)
    pattern = np.ones(12)
    pattern[1], pattern[11] = 0.5, 2.5
    years = np.arange(72).reshape(6, 12) / 12
    noise = 1 + noise * rng.standard_normal((6, 12))
    return (100 * pattern * 1.08**years * noise)[None]


def annual(values):
    """A cube of one annual series (P = 1)."""
    return np.asarray(values, dtype=float).reshape(1, -1, 1)


def flagged_cells(result):
    return [tuple(cell) for cell in np.argwhere(result.flagged).tolist()]


# --- the spike, its echo, seasonality ---------------------------------------------------------


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_a_tenfold_spike_is_flagged_by_every_method_there_and_nowhere_else(seed):
    cube = flat_monthly(seed)
    cube[SPIKE] *= 10
    results = detect(cube)
    assert set(results) == set(METHODS)
    for name, result in results.items():
        assert flagged_cells(result) == [SPIKE], name
        assert result.score[SPIKE] > 0, name
        assert result.high[SPIKE] < cube[SPIKE], name


def test_the_echo_of_a_spike_a_year_later_is_not_flagged_by_yoy():
    cube = flat_monthly()
    cube[SPIKE] *= 10
    yoy = detect(cube)["yoy"]
    echo = (0, 4, 4)
    # Against last year's spike the echo is a 90 % fall, far beyond the threshold…
    assert yoy.score[echo] < -OutlierSettings().yoy_threshold
    assert cube[echo] / cube[SPIKE] - 1 < -0.5
    # …but the value itself is where its season expects it, so it is not flagged.
    assert not yoy.flagged[echo]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_seasonal_growing_series_without_outliers_raises_no_alarm(seed):
    cube = seasonal_monthly(seed)
    results = detect(cube)
    for name, result in results.items():
        assert not result.flagged.any(), name
    # Judged, not skipped: z and modified z judged every cell.
    assert results["z"].judged.all()
    assert results["modified_z"].judged.all()
    assert results["minmax"].judged[:, 2:].all()
    assert results["yoy"].judged[:, 1:].all()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_without_seasonal_adjustment_the_plain_z_score_raises_a_false_alarm(seed):
    # DHIS2's z-score on the raw values: the December peaks of the later years stand out.
    cube = seasonal_monthly(seed)
    z = detect(cube, OutlierSettings(seasonal_adjust=False))["z"]
    assert z.flagged.any()
    assert all(period == 11 for _, _, period in flagged_cells(z))


def test_the_expected_range_is_in_the_units_of_that_month():
    cube = seasonal_monthly()
    results = detect(cube)
    for name in ("z", "modified_z", "minmax"):
        result = results[name]
        judged = result.judged
        # Nothing is flagged, so every value lies in its own month's range …
        assert np.all(result.low[judged] <= cube[judged]), name
        assert np.all(cube[judged] <= result.high[judged]), name
        # … and December's range sits far above February's in the same year.
        assert result.low[0, 4, 11] > result.high[0, 4, 1], name


# --- z and modified z: exact numbers ----------------------------------------------------------


def test_z_and_modified_z_by_hand():
    values = [*range(1, 12), 200]  # n = 12: mean 133/6, variance 9439/3, median 6.5, MAD 3
    results = detect(annual(values), OutlierSettings(methods=("z", "modified_z")))
    z, modified = results["z"], results["modified_z"]
    sd = math.sqrt(9439 / 3)
    assert z.score[0, 11, 0] == pytest.approx((200 - 133 / 6) / sd, abs=1e-9)  # 3.1704
    assert z.score[0, 0, 0] == pytest.approx((1 - 133 / 6) / sd, abs=1e-9)
    assert z.low[0, 0, 0] == pytest.approx(133 / 6 - 3 * sd, abs=1e-9)
    assert z.high[0, 0, 0] == pytest.approx(133 / 6 + 3 * sd, abs=1e-9)
    assert flagged_cells(z) == [(0, 11, 0)]

    assert modified.score[0, 11, 0] == pytest.approx(0.6745 * 193.5 / 3, abs=1e-9)  # 43.505
    assert modified.score[0, 0, 0] == pytest.approx(0.6745 * -5.5 / 3, abs=1e-9)
    assert modified.low[0, 0, 0] == pytest.approx(6.5 - 3.5 * 3 / 0.6745, abs=1e-9)
    assert modified.high[0, 0, 0] == pytest.approx(6.5 + 3.5 * 3 / 0.6745, abs=1e-9)
    assert flagged_cells(modified) == [(0, 11, 0)]


def test_modified_z_falls_back_to_the_mean_absolute_deviation_when_the_mad_is_zero():
    values = [5.0] * 8 + [6.0, 10.0]  # median 5, MAD 0, mean absolute deviation 0.6
    modified = detect(annual(values), OutlierSettings(methods=("modified_z",)))["modified_z"]
    scale = 1.253314 * 0.6
    assert modified.score[0, 9, 0] == pytest.approx(5 / scale, abs=1e-9)  # 6.649
    assert modified.score[0, 8, 0] == pytest.approx(1 / scale, abs=1e-9)
    assert modified.score[0, 0, 0] == 0
    assert modified.high[0, 0, 0] == pytest.approx(5 + 3.5 * scale, abs=1e-9)
    assert flagged_cells(modified) == [(0, 9, 0)]


def test_the_z_score_is_not_judged_when_it_could_not_reach_the_threshold():
    # With n values |z| ≤ (n − 1)/√n: below 11 values a z of 3 is impossible.
    ten = annual([1.0] * 9 + [1000.0])
    eleven = annual([1.0] * 10 + [1000.0])
    lenient = OutlierSettings(min_points=2, methods=("z",))
    assert not detect(ten, lenient)["z"].judged.any()
    z = detect(eleven, lenient)["z"]
    assert z.judged.all()
    assert z.score[0, 10, 0] == pytest.approx(10 / math.sqrt(11))  # the bound, reached
    assert flagged_cells(z) == [(0, 10, 0)]
    # A lower threshold is reachable with ten values: 9/√10 ≈ 2.85.
    lower = OutlierSettings(min_points=2, z_threshold=2.5, methods=("z",))
    assert flagged_cells(detect(ten, lower)["z"]) == [(0, 9, 0)]


# --- series that cannot be judged -------------------------------------------------------------


@pytest.mark.parametrize("level", [7.0, 0.0, -3.0])
def test_a_constant_series_is_not_judged(level):
    cube = np.full((1, 6, 12), level)
    for name, result in detect(cube).items():
        assert not result.judged.any(), name
        assert not result.flagged.any(), name
        assert np.isnan(result.low).all() and np.isnan(result.high).all(), name


def test_too_short_and_empty_series_are_not_judged():
    cube = np.full((2, 6, 12), np.nan)
    cube[0, 5, :7] = [10.0, 11.0, 9.0, 10.0, 500.0, 10.0, 11.0]  # seven values < min_points
    for name, result in detect(cube).items():
        assert not result.judged.any(), name
        assert not result.flagged.any(), name


def test_empty_cubes_one_year_and_annual_cubes_do_not_raise():
    for shape in [(0, 6, 12), (3, 1, 12), (3, 6, 1), (2, 1, 1), (1, 0, 12)]:
        results = detect(np.ones(shape))
        for result in results.values():
            for array in (result.flagged, result.score, result.low, result.high):
                assert array.shape == shape


def test_infinite_values_are_treated_as_missing():
    cube = flat_monthly()
    cube[0, 2, 3] = np.inf
    cube[0, 2, 4] = -np.inf
    for name, result in detect(cube).items():
        assert not result.judged[0, 2, 3:5].any(), name
        assert not result.flagged.any(), name


# --- year on year -----------------------------------------------------------------------------


def test_yoy_judges_a_partial_current_year_with_the_series_growth():
    cube = flat_monthly()
    cube[0, 5, 2:] = np.nan  # the current year has January and February only
    calm = detect(cube)["yoy"]
    assert calm.judged[0, 5, :2].all() and not calm.flagged.any()
    cube[0, 5, 1] *= 10
    assert flagged_cells(detect(cube)["yoy"]) == [(0, 5, 1)]


def test_yoy_skips_zeros_and_does_not_judge_signed_or_annual_series():
    cube = np.concatenate([flat_monthly(), flat_monthly(8), flat_monthly(9)])
    cube[0, 3, 4] = 0.0  # a month without trade: no growth into it or out of it
    cube[1, 3, 4] = -1.0  # a negative value: ratios are meaningless for this series
    yoy = detect(cube)["yoy"]
    assert not yoy.judged[0, 3, 4] and not yoy.judged[0, 4, 4]
    assert yoy.judged[0, 3, 5]
    assert not yoy.judged[1].any()
    assert yoy.judged[2, 1:].all()
    assert not detect(annual(np.arange(1.0, 20.0)))["yoy"].judged.any()


def test_yoy_ignores_a_small_change_however_unusual():
    # A perfectly steady series: any change is unusual, but 20 % is below yoy_min_change.
    cube = np.tile(np.linspace(100, 111, 12), (1, 6, 1)) * 1.05 ** np.arange(6)[None, :, None]
    cube[0, 4, 6] *= 1.2
    yoy = detect(cube)["yoy"]
    assert abs(yoy.score[0, 4, 6]) > 3.5
    assert not yoy.flagged.any()
    assert flagged_cells(detect(cube, OutlierSettings(yoy_min_change=0.1))["yoy"]) == [(0, 4, 6)]


# --- min-max ----------------------------------------------------------------------------------


def test_minmax_by_hand():
    cube = annual([10.0, 12.0, 11.0, 13.0, 40.0])
    minmax = detect(cube, OutlierSettings(min_points=2, methods=("minmax",)))["minmax"]
    # Year 0 has no history, year 1 only one year of it: not judged.
    assert np.isnan(minmax.score[0, :2, 0]).all()
    # Year 2 from [10, 12]: Q1 10.5, Q3 11.5, fences [7.5, 14.5].
    assert (minmax.low[0, 2, 0], minmax.high[0, 2, 0], minmax.score[0, 2, 0]) == (7.5, 14.5, 0)
    # Year 4 from [10, 12, 11, 13]: Q1 10.75, Q3 12.25, IQR 1.5, upper fence 16.75.
    assert minmax.high[0, 4, 0] == pytest.approx(16.75)
    assert minmax.score[0, 4, 0] == pytest.approx((40 - 16.75) / 1.5)
    assert flagged_cells(minmax) == [(0, 4, 0)]


def test_minmax_learns_only_from_earlier_years():
    rng = np.random.default_rng(3)
    cube = 100 * (1 + 0.03 * rng.standard_normal((1, 6, 12)))
    cube[0, :2] *= 10  # the first two years sit at ten times the later level
    minmax = detect(cube)["minmax"]
    # The first years are not judged: later years would make them outliers, but bounds
    # come from the past only, and they have less than two years of it.
    assert not minmax.judged[:, :2].any()
    # The first year at the new level falls below everything seen before.
    assert minmax.flagged[0, 2].all()
    assert (minmax.score[0, 2] < 0).all()
    # From then on the history holds both levels and the fences are wide.
    assert not minmax.flagged[0, 3:].any()


def test_minmax_results_for_a_year_do_not_depend_on_later_years():
    rng = np.random.default_rng(4)
    cube = 100 * (1 + 0.03 * rng.standard_normal((1, 6, 12)))
    changed = cube.copy()
    changed[0, 5] *= 50
    plain = OutlierSettings(seasonal_adjust=False, methods=("minmax",))
    before, after = detect(cube, plain)["minmax"], detect(changed, plain)["minmax"]
    for name in ("score", "low", "high"):
        np.testing.assert_array_equal(getattr(before, name)[:, :5], getattr(after, name)[:, :5])
    assert after.flagged[0, 5].all()


# --- helpers ----------------------------------------------------------------------------------


def test_decumulate_turns_year_to_date_values_into_period_flows():
    ytd = np.array([[[10.0, 25.0, 25.0, 40.0], [5.0, np.nan, 20.0, 30.0]]])
    expected = np.array([[[10.0, 15.0, 0.0, 15.0], [5.0, np.nan, np.nan, 10.0]]])
    np.testing.assert_array_equal(decumulate(ytd), expected)
    np.testing.assert_array_equal(decumulate(np.array([[[7.0]]])), [[[7.0]]])


def test_seasonal_factors_recover_a_known_pattern():
    pattern = np.array([0.9, 0.5, 1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 1.2, 1.0, 1.0, 2.5])
    levels = 100 * 1.08 ** np.arange(6)
    multiplicative = levels[:, None] * pattern
    offsets = np.linspace(-30, 40, 12)
    additive = levels[:, None] + offsets - 120  # some values negative
    found = seasonal_factors(np.stack([multiplicative, additive]))
    assert found.multiplicative.tolist() == [True, False]
    geometric_mean = math.exp(np.log(pattern).mean())
    np.testing.assert_allclose(found.factors[0], np.tile(pattern / geometric_mean, (6, 1)))
    np.testing.assert_allclose(found.factors[1], np.tile(offsets - offsets.mean(), (6, 1)))
    np.testing.assert_allclose(found.adjust(found.restore(multiplicative[None]))[0], multiplicative)


def test_seasonal_factors_need_three_years_at_a_position():
    cube = np.tile(np.array([1.0, 2.0, 4.0, 2.0]), (1, 2, 1))  # two years only
    np.testing.assert_array_equal(seasonal_factors(cube).factors, np.ones((1, 2, 4)))


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"z_threshold": -1}, "z_threshold"),
        ({"modified_z_threshold": 0}, "modified_z_threshold"),
        ({"yoy_threshold": float("nan")}, "yoy_threshold"),
        ({"yoy_min_change": -0.1}, "yoy_min_change"),
        ({"minmax_k": float("inf")}, "minmax_k"),
        ({"min_points": 1}, "min_points"),
        ({"min_points": 8.5}, "min_points"),
        ({"seasonal_adjust": "yes"}, "seasonal_adjust"),
        ({"methods": ("z", "iqr")}, "iqr"),
        ({"methods": "z"}, "methods"),
        ({"methods": ("z", "z")}, "twice"),
    ],
)
def test_validate_rejects_bad_settings(change, named):
    bad = OutlierSettings(**change)
    with pytest.raises(ValueError, match=named):
        bad.validate()
    with pytest.raises(ValueError, match=named):
        detect(np.ones((1, 3, 12)), bad)


def test_default_settings_are_valid_and_disabled_methods_are_absent():
    OutlierSettings().validate()
    results = detect(flat_monthly(), OutlierSettings(methods=("z", "yoy")))
    assert set(results) == {"z", "yoy"}
    assert detect(flat_monthly(), OutlierSettings(methods=())) == {}


def test_a_cube_must_have_three_dimensions():
    with pytest.raises(ValueError, match="series, years, periods"):
        detect(np.ones((6, 12)))


def test_series_are_processed_in_blocks_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(5)
    cube = 100 * (1 + 0.05 * rng.standard_normal((10, 6, 12)))
    cube[rng.random(cube.shape) < 0.1] = np.nan
    cube[3, 4, 2] *= 10
    whole = detect(cube)
    monkeypatch.setattr(outliers, "BLOCK_SERIES", 3)
    blocked = detect(cube)
    for name in METHODS:
        for field in ("flagged", "score", "low", "high"):
            np.testing.assert_array_equal(
                getattr(whole[name], field), getattr(blocked[name], field), err_msg=name
            )


# --- property: any cube -----------------------------------------------------------------------

cell_values = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([np.nan, 0.0, 1.0, -1.0, 100.0]),
)
cubes = hnp.arrays(
    np.float64,
    st.tuples(st.integers(0, 3), st.integers(1, 5), st.sampled_from([1, 4, 12])),
    elements=cell_values,
)
random_settings = st.builds(
    OutlierSettings,
    min_points=st.integers(2, 10),
    seasonal_adjust=st.booleans(),
    z_threshold=st.floats(0.5, 4),
    yoy_min_change=st.floats(0, 1),
)


@settings(max_examples=300, deadline=None)
@given(cube=cubes, chosen=random_settings)
def test_any_cube_gives_well_formed_results_without_warnings(cube, chosen):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = detect(cube, chosen)
    assert set(results) == set(METHODS)
    for name, result in results.items():
        for array in (result.flagged, result.score, result.low, result.high):
            assert array.shape == cube.shape, name
        assert result.flagged.dtype == bool, name
        judged = result.judged
        assert not (result.flagged & ~judged).any(), name
        assert not (judged & np.isnan(cube)).any(), name
        assert (np.isnan(result.low) == ~judged).all(), name
        assert np.all(result.low[judged] <= result.high[judged]), name


def test_leading_empty_years_change_nothing():
    """A zone that started reporting late is judged the same whether the cube starts with
    its first year or with years before it existed (a single report is checked on its own
    zone's years, a bulk run on everyone's)."""
    rng = np.random.default_rng(11)
    season = np.array([0.6, 0.7, 1, 1, 1, 1.1, 1, 1, 1, 1, 1.2, 1.8])
    cube = 100 * season * (1 + 0.05 * rng.standard_normal((40, 4, 12)))
    cube[:, 0, :3] = np.nan  # started in March
    cube[:20] = np.round(cube[:20] / 60)  # small counts with zeros: additive seasons
    cube[3, 2, 5] *= 8
    padded = np.concatenate([np.full((40, 5, 12), np.nan), cube], axis=1)
    alone, within = detect(cube), detect(padded)
    for method in alone:
        assert np.array_equal(alone[method].flagged, within[method].flagged[:, 5:]), method
        np.testing.assert_allclose(alone[method].score, within[method].score[:, 5:],
                                   rtol=1e-9, atol=1e-9, equal_nan=True)


def test_floating_point_noise_is_not_a_spread():
    """0.1 + 0.2 is not 0.3 in binary: a series constant but for such noise has no spread to
    divide by, so it is not judged (instead of scores of 1e16)."""
    cube = np.full((1, 3, 12), 0.3)
    cube[0, 1, 4] = 0.1 + 0.2
    for method, result in detect(cube, OutlierSettings(seasonal_adjust=False)).items():
        assert not result.flagged.any(), method
        assert np.isnan(result.score).all() or np.nanmax(np.abs(result.score)) < 1e6, method
