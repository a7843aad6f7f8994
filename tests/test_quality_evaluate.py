"""Panels of reported values and the vectorised evaluation of rules over them (no database)."""

import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bianhe.quality.evaluate import MISSING_POLICIES, evaluate_rule
from bianhe.quality.expressions import RuleError, parse_rule
from bianhe.quality.panel import Panel
from test_quality_expressions import INDICATORS, rule_texts

NAN = np.nan


def rule(text):
    return parse_rule(text, indicators=INDICATORS)


def panel_of(rows, frequency="monthly", **options):
    """A panel from (zone, period, indicator, member, value) rows."""
    frame = pd.DataFrame(rows, columns=["zone", "period", "indicator", "member", "value"])
    return Panel.from_long(frame, frequency, **options)


def one_period(**values):
    """One zone, one month (2024M01), the given indicator values."""
    return panel_of([("Z1", "2024M01", code, "", value) for code, value in values.items()])


def check(text, panel, **options):
    """(left, right, evaluated, failed) at the first zone and period."""
    outcome = evaluate_rule(rule(text), panel, **options)
    return (float(outcome.left[0, 0]), float(outcome.right[0, 0]),
            bool(outcome.evaluated[0, 0]), bool(outcome.failed[0, 0]))


# --- the panel ---------------------------------------------------------------------------------
def test_from_long_lays_values_out_by_zone_and_period():
    panel = panel_of([
        ("Z2", "2024M02", "EXPORT", "", 5.0),
        ("Z1", "2023M12", "EXPORT", "", Decimal("1.5")),
        ("Z1", "2024M01", "IMPORT", None, "2.25"),
        ("Z1", "2024M01", "TRADE_BY_PARTNER", "RU", 7),
        ("Z1", "2024M03", "TRADE_BY_PARTNER", "MN", None),
    ])
    assert panel.zones == ["Z1", "Z2"]
    assert (panel.first_year, panel.years, panel.periods_per_year) == (2023, 2, 12)
    assert panel.shape == (2, 24)
    assert panel.frequency == "monthly"
    assert panel.period_codes()[0] == "2023M01"
    assert panel.period_code(12) == "2024M01"
    assert panel.period_codes()[-1] == "2024M12"
    assert panel.position_in_year().tolist() == list(range(12)) * 2
    export = panel.column("EXPORT")
    assert export[1, 13] == 5.0 and export[0, 11] == 1.5
    assert np.isnan(export).sum() == 46
    assert panel.column("IMPORT")[0, 12] == 2.25
    assert panel.column("TRADE_BY_PARTNER", "RU")[0, 12] == 7.0
    assert np.isnan(panel.column("GDP")).all()
    assert panel.members("TRADE_BY_PARTNER") == ["MN", "RU"]
    assert panel.members("EXPORT") == []
    assert sorted(zip(*np.nonzero(panel.present), strict=True)) == [(0, 11), (0, 12), (1, 13)]


def test_from_long_takes_quarterly_and_annual_periods():
    quarterly = panel_of([("Z1", "2024Q3", "GDP", "", 1.0)], "quarterly")
    assert quarterly.period_codes() == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert quarterly.column("GDP")[0, 2] == 1.0
    annual = panel_of([("Z1", "2022", "GDP", "", 1.0), ("Z1", "2024", "GDP", "", 2.0)],
                      "annual")
    assert annual.period_codes() == ["2022", "2023", "2024"]
    assert annual.column("GDP")[0].tolist()[::2] == [1.0, 2.0]


def test_from_long_keeps_the_given_zones_and_years():
    panel = panel_of([("Z1", "2023M06", "GDP", "", 1.0), ("Z9", "2024M01", "GDP", "", 2.0),
                      ("Z2", "2024M01", "GDP", "", 3.0)],
                     zones=["Z2", "Z1", "Z3"], first_year=2024, last_year=2025)
    assert panel.zones == ["Z2", "Z1", "Z3"]
    assert (panel.first_year, panel.years) == (2024, 2)
    assert panel.column("GDP")[0, 0] == 3.0
    assert np.isnan(panel.column("GDP")[1:]).all()
    assert panel.present.sum() == 1


def test_from_long_of_nothing_is_an_empty_panel():
    empty = panel_of([])
    assert empty.shape == (0, 0)
    assert empty.data == {}
    outcome = evaluate_rule(rule("GDP > 1"), empty)
    assert outcome.failed.shape == (0, 0)


@pytest.mark.parametrize(
    ("rows", "frequency"),
    [
        ([("Z1", "2024Q1", "GDP", "", 1.0)], "monthly"),
        ([("Z1", "2024M01", "GDP", "", 1.0), ("Z1", "2024", "GDP", "", 1.0)], "monthly"),
        ([("Z1", "2024M13", "GDP", "", 1.0)], "monthly"),
        ([("Z1", "2024Q5", "GDP", "", 1.0)], "quarterly"),
        ([("Z1", "2024-06", "GDP", "", 1.0)], "monthly"),
        ([("Z1", "2024M01", "GDP", "", 1.0), ("Z1", "2024M01", "GDP", "", 2.0)], "monthly"),
        ([("Z1", "2024M01", "GDP", "", "lots")], "monthly"),
        ([("Z1", "2024", "GDP", "", 1.0)], "weekly"),
    ],
)
def test_from_long_refuses_bad_input(rows, frequency):
    with pytest.raises(ValueError):
        panel_of(rows, frequency)


# --- arithmetic and comparisons ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("EXPORT + IMPORT == TRADE_TOTAL", 5.0),
        ("EXPORT - IMPORT == TRADE_TOTAL", 1.0),
        ("EXPORT * IMPORT == TRADE_TOTAL", 6.0),
        ("EXPORT / IMPORT == TRADE_TOTAL", 1.5),
        ("-EXPORT == TRADE_TOTAL", -3.0),
        ("EXPORT + IMPORT * 2 == TRADE_TOTAL", 7.0),
        ("(EXPORT + IMPORT) * 2 == TRADE_TOTAL", 10.0),
        ("EXPORT - IMPORT - 1 == TRADE_TOTAL", 0.0),
        ("EXPORT - (IMPORT - 1) == TRADE_TOTAL", 2.0),
        ("EXPORT / IMPORT / 3 == TRADE_TOTAL", 0.5),
        ("-EXPORT * -IMPORT == TRADE_TOTAL", 6.0),
        ("--EXPORT == TRADE_TOTAL", 3.0),
        ("EXPORT * 50% == TRADE_TOTAL", 1.5),
        ("abs(IMPORT - EXPORT) == TRADE_TOTAL", 1.0),
        ("min(EXPORT, IMPORT, 2.5) == TRADE_TOTAL", 2.0),
        ("max(EXPORT, IMPORT, 2.5) == TRADE_TOTAL", 3.0),
    ],
)
def test_operators_and_functions_compute_the_left_side(text, left):
    panel = one_period(EXPORT=3.0, IMPORT=2.0, TRADE_TOTAL=5.0)
    computed, right, evaluated, failed = check(text, panel)
    assert computed == pytest.approx(left)
    assert right == 5.0
    assert evaluated
    assert failed == (left != 5.0)


@pytest.mark.parametrize(
    ("op", "fails_below", "fails_equal", "fails_above"),
    [
        ("==", True, False, True),
        ("!=", False, True, False),
        ("<", False, True, True),
        ("<=", False, False, True),
        (">", True, True, False),
        (">=", True, False, False),
    ],
)
def test_each_comparison(op, fails_below, fails_equal, fails_above):
    for export, expected in ((4.0, fails_below), (5.0, fails_equal), (6.0, fails_above)):
        panel = one_period(EXPORT=export, TRADE_TOTAL=5.0)
        assert check(f"EXPORT {op} TRADE_TOTAL", panel)[3] is expected, (op, export)


def test_floating_point_noise_does_not_fail_an_equality():
    panel = one_period(EXPORT=0.1, IMPORT=0.2, TRADE_TOTAL=0.3)
    assert check("EXPORT + IMPORT == TRADE_TOTAL", panel)[2:] == (True, False)
    assert check("EXPORT + IMPORT <= TRADE_TOTAL", panel)[2:] == (True, False)
    assert check("EXPORT + IMPORT > TRADE_TOTAL", panel)[2:] == (True, True)


def test_tolerance_is_an_absolute_amount():
    panel = one_period(EXPORT=60.0, IMPORT=41.0, TRADE_TOTAL=100.0)
    text = "EXPORT + IMPORT == TRADE_TOTAL"
    assert check(text, panel)[3] is True
    assert check(text, panel, tolerance=1.0)[3] is False  # a gap of 1 within 1
    assert check(text, panel, tolerance=0.5)[3] is True
    assert check(text, panel, tolerance=Decimal("1"))[3] is False
    # Within the tolerance the two sides count as equal, for every comparison.
    assert check("EXPORT + IMPORT != TRADE_TOTAL", panel, tolerance=1.0)[3] is True
    assert check("EXPORT + IMPORT > TRADE_TOTAL", panel, tolerance=1.0)[3] is True
    assert check("EXPORT + IMPORT >= TRADE_TOTAL", panel, tolerance=1.0)[3] is False
    assert check("TRADE_TOTAL < EXPORT + IMPORT", panel, tolerance=1.0)[3] is True
    assert check("TRADE_TOTAL <= EXPORT + IMPORT", panel, tolerance=1.0)[3] is False


def test_tolerance_does_not_grow_with_the_total():
    """A 500万元 gap in a 3,000,000万元 total is a failed identity, whatever its share."""
    text = "EXPORT + IMPORT == TRADE_TOTAL"
    off = one_period(EXPORT=1_800_000.0, IMPORT=1_200_500.0, TRADE_TOTAL=3_000_000.0)
    assert check(text, off, tolerance=0.15)[3] is True
    rounded = one_period(EXPORT=1_800_000.1, IMPORT=1_200_000.0, TRADE_TOTAL=3_000_000.0)
    assert check(text, rounded, tolerance=0.15)[3] is False
    assert check(text, rounded)[3] is True  # no tolerance: 0.1 apart is not equal


@pytest.mark.parametrize("tolerance", [-0.1, float("nan"), float("inf")])
def test_a_bad_tolerance_is_refused(tolerance):
    with pytest.raises(ValueError):
        evaluate_rule(rule("GDP > 1"), one_period(GDP=2.0), tolerance=tolerance)


def test_an_unknown_missing_policy_is_refused():
    with pytest.raises(ValueError):
        evaluate_rule(rule("GDP > 1"), one_period(GDP=2.0), missing="skip")


def test_division_by_zero_in_the_data_is_not_evaluated():
    panel = panel_of([("Z1", "2024M01", "EXPORT", "", 3.0), ("Z1", "2024M01", "IMPORT", "", 0.0),
                      ("Z1", "2024M02", "EXPORT", "", 0.0), ("Z1", "2024M02", "IMPORT", "", 0.0),
                      ("Z1", "2024M03", "EXPORT", "", 3.0), ("Z1", "2024M03", "IMPORT", "", 1.0)])
    for missing in MISSING_POLICIES:
        outcome = evaluate_rule(rule("EXPORT / IMPORT > 5"), panel, missing=missing)
        assert outcome.evaluated[0, :3].tolist() == [False, False, True]
        assert outcome.failed[0, :3].tolist() == [False, False, True]


def test_huge_values_that_overflow_are_not_evaluated():
    panel = one_period(EXPORT=1e308, IMPORT=1e308, TRADE_TOTAL=1.0)
    assert check("EXPORT + IMPORT > TRADE_TOTAL", panel)[2:] == (False, False)
    assert check("EXPORT > TRADE_TOTAL", panel)[2:] == (True, False)


# --- time functions ----------------------------------------------------------------------------
def monthly_series(code, values, first="2023"):
    """One zone, consecutive months from January of ``first``; None leaves a gap."""
    rows = []
    for t, value in enumerate(values):
        year, month = divmod(t, 12)
        if value is not None:
            rows.append(("Z1", f"{int(first) + year}M{month + 1:02d}", code, "", value))
    return rows


def test_prev_crosses_the_year_boundary():
    panel = panel_of(monthly_series("GDP", [float(t + 1) for t in range(24)]))
    outcome = evaluate_rule(rule("prev(GDP) < GDP"), panel)
    assert outcome.left[0, 12] == 12.0  # 2024M01 reads 2023M12
    assert outcome.left[0, 5] == 5.0
    assert not outcome.evaluated[0, 0]  # 2023M01 has no previous month in the panel
    assert outcome.evaluated[0, 1:].all()
    assert not outcome.failed.any()
    twice = evaluate_rule(rule("prev(prev(GDP)) + 2 == GDP"), panel)
    assert twice.evaluated[0].tolist() == [False, False] + [True] * 22
    assert not twice.failed.any()


def test_last_year_and_yoy_on_quarters():
    rows = [("Z1", f"2023Q{q}", "GDP", "", 100.0) for q in range(1, 5)]
    rows += [("Z1", "2024Q1", "GDP", "", 130.0), ("Z1", "2024Q2", "GDP", "", 160.0),
             ("Z1", "2024Q3", "GDP", "", 40.0)]
    panel = panel_of(rows, "quarterly")
    last = evaluate_rule(rule("last_year(GDP) == 100"), panel)
    assert last.evaluated[0].tolist() == [False] * 4 + [True] * 3 + [False]
    growth = evaluate_rule(rule("abs(yoy(GDP)) <= 50%"), panel)
    assert growth.left[0, 4:7] == pytest.approx([0.3, 0.6, 0.6])
    assert growth.evaluated[0].tolist() == [False] * 4 + [True] * 3 + [False]
    assert growth.failed[0].tolist() == [False] * 5 + [True, True, False]
    assert evaluate_rule(rule("yoy(GDP) > -50%"), panel).failed[0].tolist() == [False] * 6 + [
        True, False]


def test_yoy_against_a_zero_last_year_is_not_evaluated():
    rows = [("Z1", "2023", "GDP", "", 0.0), ("Z1", "2024", "GDP", "", 5.0)]
    outcome = evaluate_rule(rule("yoy(GDP) < 1"), panel_of(rows, "annual"))
    assert not outcome.evaluated.any()


def test_ytd_sums_the_periods_of_the_year_so_far():
    values = [1.0, 2.0, 3.0] + [1.0] * 9 + [10.0, 20.0] + [1.0] * 10
    panel = panel_of(monthly_series("EXPORT", values))
    outcome = evaluate_rule(rule("ytd(EXPORT) > 0"), panel)
    assert outcome.left[0, :4].tolist() == [1.0, 3.0, 6.0, 7.0]
    assert outcome.left[0, 12:15].tolist() == [10.0, 30.0, 31.0]  # restarts in January
    assert outcome.left[0, 23] == 40.0


def test_ytd_on_quarters_and_of_a_shifted_series():
    rows = [("Z1", "2023Q4", "GDP", "", 5.0)]
    rows += [("Z1", f"2024Q{q}", "GDP", "", float(q)) for q in range(1, 5)]
    panel = panel_of(rows, "quarterly")
    plain = evaluate_rule(rule("ytd(GDP) > 0"), panel)
    assert plain.left[0, 4:].tolist() == [1.0, 3.0, 6.0, 10.0]
    assert not plain.evaluated[0, :4].any()  # 2023Q1–Q3 are missing
    # Q1 of 2024 reads 2023Q4 through prev: 5, 5 + 1, 5 + 1 + 2, 5 + 1 + 2 + 3.
    shifted = evaluate_rule(rule("ytd(prev(GDP)) > 0"), panel)
    assert shifted.left[0, 4:].tolist() == [5.0, 6.0, 8.0, 11.0]
    assert shifted.evaluated[0].tolist() == [False] * 4 + [True] * 4


def test_ytd_is_missing_from_a_gap_on_under_skip_if_any_missing():
    panel = panel_of(monthly_series("EXPORT", [1.0, None, 3.0, 4.0] + [None] * 8))
    strict = evaluate_rule(rule("ytd(EXPORT) > 0"), panel)
    assert strict.evaluated[0, :4].tolist() == [True, False, False, False]
    lenient = evaluate_rule(rule("ytd(EXPORT) > 0"), panel, missing="skip_if_all_missing")
    assert lenient.evaluated[0, :4].tolist() == [True, False, True, True]  # M02: no report
    assert lenient.left[0, :4].tolist() == [1.0, 1.0, 4.0, 8.0]


def test_sum_adds_the_members_that_have_values():
    panel = panel_of([
        ("Z1", "2024M01", "TRADE_BY_PARTNER", "RU", 3.0),
        ("Z1", "2024M01", "TRADE_BY_PARTNER", "MN", 2.0),
        ("Z1", "2024M01", "TRADE_TOTAL", "", 5.0),
        ("Z1", "2024M02", "TRADE_BY_PARTNER", "OTHER", 4.0),
        ("Z1", "2024M02", "TRADE_TOTAL", "", 5.0),
        ("Z1", "2024M03", "TRADE_TOTAL", "", 5.0),
    ])
    outcome = evaluate_rule(rule("sum(TRADE_BY_PARTNER) == TRADE_TOTAL"), panel)
    assert outcome.left[0, :2].tolist() == [5.0, 4.0]
    assert outcome.evaluated[0, :3].tolist() == [True, True, False]
    assert outcome.failed[0, :3].tolist() == [False, True, False]
    member = evaluate_rule(rule("TRADE_BY_PARTNER[RU] < TRADE_TOTAL"), panel)
    assert member.evaluated[0, :3].tolist() == [True, False, False]
    assert member.left[0, 0] == 3.0


# --- missing values ----------------------------------------------------------------------------
def policy_panel():
    """Four months of one zone: all there; IMPORT missing; only GDP; nothing at all."""
    return panel_of([
        ("Z1", "2024M01", "EXPORT", "", 3.0), ("Z1", "2024M01", "IMPORT", "", 2.0),
        ("Z1", "2024M01", "TRADE_TOTAL", "", 6.0),
        ("Z1", "2024M02", "EXPORT", "", 3.0), ("Z1", "2024M02", "TRADE_TOTAL", "", 6.0),
        ("Z1", "2024M03", "GDP", "", 1.0),
    ])


@pytest.mark.parametrize(
    ("missing", "evaluated", "failed"),
    [
        ("skip_if_any_missing", [True, False, False, False], [True, False, False, False]),
        ("skip_if_all_missing", [True, True, False, False], [True, True, False, False]),
        ("never_skip", [True, True, True, False], [True, True, False, False]),
    ],
)
def test_missing_value_policies(missing, evaluated, failed):
    outcome = evaluate_rule(rule("EXPORT + IMPORT == TRADE_TOTAL"), policy_panel(),
                            missing=missing)
    assert outcome.evaluated[0, :4].tolist() == evaluated
    assert outcome.failed[0, :4].tolist() == failed
    if missing != "skip_if_any_missing":
        assert outcome.left[0, :3].tolist() == [5.0, 3.0, 0.0]  # missing counts as 0


def test_nothing_is_judged_where_the_zone_reported_nothing():
    panel = policy_panel()
    panel.present[0, 0] = False
    for missing in MISSING_POLICIES:
        outcome = evaluate_rule(rule("EXPORT + IMPORT == TRADE_TOTAL"), panel, missing=missing)
        assert not outcome.evaluated[0, 0]
        assert not outcome.evaluated[0, 3:].any()


def test_a_shifted_read_counts_as_a_reference_under_skip_if_all_missing():
    exports = [("Z1", "2023M02", "EXPORT", "", 1.0), ("Z1", "2023M03", "EXPORT", "", 1.0)]
    panel = panel_of([*monthly_series("GDP", [5.0, None, None]), *exports])
    outcome = evaluate_rule(rule("prev(GDP) <= 4"), panel, missing="skip_if_all_missing")
    assert outcome.evaluated[0, :3].tolist() == [False, True, False]
    assert outcome.failed[0, 1]


def test_constants_are_not_references():
    panel = panel_of([("Z1", "2024M01", "EXPORT", "", 1.0)])
    outcome = evaluate_rule(rule("GDP + 1 > 0"), panel, missing="skip_if_all_missing")
    assert not outcome.evaluated.any()
    assert evaluate_rule(rule("GDP + 1 > 0"), panel, missing="never_skip").evaluated[0, 0]


# --- scale -------------------------------------------------------------------------------------
def test_a_national_panel_is_evaluated_well_under_a_second():
    zones, periods, codes = 2543, 72, 60
    rng = np.random.default_rng(7)
    names = ["EXPORT", "IMPORT", "TRADE_TOTAL"] + [f"X{i}" for i in range(codes - 3)]
    block = rng.random((codes, zones, periods)) * 1000
    block[rng.random(block.shape) < 0.05] = NAN
    panel = Panel(zones=[f"Z{z}" for z in range(zones)], first_year=2019, years=6,
                  periods_per_year=12, data={(n, ""): block[i] for i, n in enumerate(names)},
                  present=np.ones((zones, periods), dtype=bool))
    parsed = rule("EXPORT + IMPORT == TRADE_TOTAL")
    start = time.perf_counter()
    for missing in MISSING_POLICIES:
        outcome = evaluate_rule(parsed, panel, missing=missing, tolerance=0.01)
    assert time.perf_counter() - start < 1.0
    assert outcome.evaluated.all()


# --- fuzzing -----------------------------------------------------------------------------------
VALUES = [NAN, NAN, 0.0, -0.0, 1.0, -1.0, 2.5, -7.25, 1e300, -1e300, 1e-300, 1.7e308, 123456.789]
KEYS = [(code, "") for code, members in INDICATORS.items() if not members]
KEYS += [("TRADE_BY_PARTNER", member) for member in INDICATORS["TRADE_BY_PARTNER"]]


@st.composite
def panels(draw):
    per_year = draw(st.sampled_from([1, 4, 12]))
    zones, years = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    periods = per_year * years
    block = draw(hnp.arrays(np.float64, (len(KEYS), zones, periods),
                            elements=st.sampled_from(VALUES)))
    keep = draw(st.lists(st.booleans(), min_size=len(KEYS), max_size=len(KEYS)))
    data = {key: block[k] for k, key in enumerate(KEYS) if keep[k]}
    present = ~np.isnan(block).all(axis=0)
    return Panel(zones=[f"Z{z}" for z in range(zones)], first_year=2023, years=years,
                 periods_per_year=per_year, data=data, present=present)


@settings(max_examples=250, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(rule_texts, panels(), st.sampled_from([0.0, 0.01, 0.5, 1e300]))
def test_any_accepted_rule_evaluates_on_any_panel(text, panel, tolerance):
    try:
        parsed = rule(text)
    except RuleError:
        assume(False)
    shape = panel.shape
    for missing in MISSING_POLICIES:
        outcome = evaluate_rule(parsed, panel, missing=missing, tolerance=tolerance)
        for name in ("left", "right"):
            array = getattr(outcome, name)
            assert array.shape == shape and array.dtype == np.float64
        for name in ("evaluated", "failed"):
            array = getattr(outcome, name)
            assert array.shape == shape and array.dtype == np.bool_
        assert not (outcome.failed & ~outcome.evaluated).any()
        assert not (outcome.evaluated & ~panel.present).any()
        judged = outcome.evaluated
        assert np.isfinite(outcome.left[judged]).all()
        assert np.isfinite(outcome.right[judged]).all()
