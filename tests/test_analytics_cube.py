"""The analytics arithmetic on arrays, against hand-computed figures and properties."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bianhe.analytics import cube, timeaxis
from bianhe.periods import Period

nan = np.nan


@pytest.mark.parametrize("module", [cube, timeaxis])
def test_the_docstring_examples_hold(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize(("period", "granularity", "frequency", "behaviour", "expected"), [
    ("2024Q2", "quarter", "monthly", "flow_ytd", [("2024M06", 1), ("2024M03", -1)]),
    ("2024Q1", "quarter", "monthly", "flow_ytd", [("2024M03", 1)]),
    ("2024Q3", "quarter", "quarterly", "flow_ytd", [("2024Q3", 1), ("2024Q2", -1)]),
    ("2024M01", "month", "monthly", "flow_ytd", [("2024M01", 1)]),
    ("2024M07", "month", "monthly", "flow_ytd", [("2024M07", 1), ("2024M06", -1)]),
    ("2024M07", "ytd", "monthly", "flow_ytd", [("2024M07", 1)]),
    ("2024M06", "ytd", "quarterly", "flow_ytd", [("2024Q2", 1)]),
    ("2024M05", "ytd", "quarterly", "flow_ytd", []),
    ("2024", "year", "monthly", "stock", [("2024M12", 1)]),
    ("2024", "year", "annual", "rate", [("2024", 1)]),
    ("2024Q3", "quarter", "annual", "flow_ytd", []),
    ("2024Q3", "quarter", "monthly", "stock", [("2024M09", 1)]),
])
def test_terms_of_each_period_by_time_behaviour(period, granularity, frequency, behaviour,
                                                expected):
    assert timeaxis.terms(Period.parse(period), granularity, frequency, behaviour) == expected


def test_a_missing_cumulative_leaves_the_derived_period_missing():
    # Zone 0: Mar 30, Jun 70 → Q2 40. Zone 1 lacks March: Q2 cannot be known.
    source = np.array([[30.0, 70.0], [nan, 70.0]])
    q2 = cube.derive(source, [[(1, 1), (0, -1)]])
    assert q2[0, 0] == 40.0 and np.isnan(q2[1, 0])


def test_group_sums_skip_missing_zones_and_leave_empty_groups_missing():
    values = np.array([[1.0, nan], [2.0, nan], [5.0, 4.0]])
    total, count = cube.group_sum(values, np.array([0, 0, 1]), 3)
    assert total[0].tolist()[0] == 3.0 and np.isnan(total[0, 1])
    assert total[1].tolist() == [5.0, 4.0]
    assert np.isnan(total[2]).all() and count[2].tolist() == [0, 0]


def test_a_weighted_mean_uses_zones_with_both_value_and_weight():
    values = np.array([[2.0], [5.0], [9.0]])
    weights = np.array([[100.0], [300.0], [nan]])
    mean, count = cube.aggregate(values, np.array([0, 0, 0]), 1, cube.WEIGHTED_MEAN, weights)
    assert mean[0, 0] == pytest.approx(1700 / 400) and count[0, 0] == 2


def test_not_aggregated_indicators_have_no_group_figure():
    mean, _count = cube.aggregate(np.array([[2.0]]), np.array([0]), 1, cube.NONE)
    assert np.isnan(mean).all()


def test_growth_and_contribution_by_hand():
    # Parts 60→66 and 40→38: the whole grows 100→104 = 4 %; contributions 6 and −2 points.
    now, before = np.array([[66.0], [38.0]]), np.array([[60.0], [40.0]])
    whole_now, whole_before = now.sum(axis=0), before.sum(axis=0)
    assert cube.growth_percent(whole_now, whole_before) == pytest.approx([4.0])
    points = cube.contribution_points(now, before, whole_before)
    assert points.ravel() == pytest.approx([6.0, -2.0])


def test_ranks_follow_the_indicators_direction():
    values = np.array([[1.0], [3.0], [2.0]])
    assert cube.ranks(values).ravel().tolist() == [3, 1, 2]
    assert cube.ranks(values, higher_is_better=False).ravel().tolist() == [1, 3, 2]


finite = st.floats(min_value=0.0, max_value=1e9, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (6, 3), elements=finite), arrays(np.float64, (6, 3), elements=finite),
       st.lists(st.integers(0, 2), min_size=6, max_size=6))
def test_contributions_of_the_groups_add_up_to_the_growth_of_the_whole(now, before, groups):
    groups = np.array(groups)
    g_now, g_before = cube.comparable_pair(now, before, groups, 3)
    all_now, all_before = cube.comparable_pair(now, before, np.zeros(6, np.int64), 1)
    growth = cube.growth_percent(all_now[0], all_before[0])
    points = cube.contribution_points(g_now, g_before, all_before[0])
    has = ~np.isnan(growth)
    assert np.nansum(points, axis=0)[has] == pytest.approx(growth[has], rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (8, 2), elements=st.one_of(finite, st.just(nan))))
def test_summing_by_groups_then_over_groups_is_summing_over_zones(values):
    groups = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    by_group, _ = cube.group_sum(values, groups, 3)
    overall, _ = cube.group_sum(values, np.zeros(8, np.int64), 1)
    assert np.nansum(by_group, axis=0) == pytest.approx(np.nan_to_num(overall[0]))


def test_a_vanishingly_small_base_gives_no_figure_rather_than_infinity_or_a_warning():
    # 1e-310 is a positive (subnormal) float: 6 / 1e-310 overflows.
    tiny = np.array([1e-310])
    assert np.isnan(cube.growth_percent(np.array([6.0]), tiny)).all()
    assert np.isnan(cube.contribution_points(np.array([[6.0]]), tiny[:, None], tiny)).all()
    assert np.isnan(cube.share_percent(np.array([[6.0]]), tiny)).all()
    assert np.isnan(cube.per_area(np.array([[6.0]]), tiny)).all()
