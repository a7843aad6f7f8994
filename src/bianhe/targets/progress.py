"""Progress towards annual targets and the progress expected by now: pure numpy and pandas.

Every function works on whole arrays (one element per target), so that a page of thousands
of targets is a handful of array operations. No Django import. The method, with its
formulas, is in ``docs/targets.md``:

* a growth target g (in %) is the level ``base × (1 + g/100)``, ``base`` being last year's
  full-year actual (a stock's: last year's year-end value);
* progress of a flow or a rate: ``actual / target``; of a stock:
  ``(actual − base) / (target − base)`` — the share of the planned increase achieved; when
  the target is not above last year's end, the stock is a level to hold and its progress is
  ``actual / target`` against an expected 100 %;
* expected progress, linear (时序进度): ``m / 12`` for the latest reported month ``m``
  (a quarter counts as its last month); a rate is for the period, so 100 %;
* expected progress, seasonal: the median, over the zone's own earlier complete years (at
  most five), of the share of the full-year result reached by month ``m``; linear when fewer
  than two such years exist;
* status: ahead when progress ≥ expected × (1 + tol) (and above it), lagging when progress
  < expected × (1 − tol), on track otherwise; for a lower-is-better indicator the two are
  swapped (using less of the allowance than expected is ahead).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVEL, GROWTH = "level", "growth"
FLOW, STOCK, RATE = "flow_ytd", "stock", "rate"
AHEAD, ON_TRACK, LAGGING = "ahead", "on_track", "lagging"
STATUSES = (AHEAD, ON_TRACK, LAGGING)
#: At most this many earlier years feed the seasonal expectation ...
SEASONAL_YEARS = 5
#: ... and at least this many are needed, else it falls back to the linear one.
SEASONAL_MIN_YEARS = 2
#: The completion rate counted in a zone's average is capped here (120 %), so that one
#: target far exceeded does not hide others missed.
COMPLETION_CAP = 1.2


def _array(values, dtype=float) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def target_levels(kind, value, base) -> np.ndarray:
    """The level each target asks for: the value itself, or ``base × (1 + g/100)``.

    >>> target_levels(["level", "growth", "growth"], [120.0, 10.0, 5.0], [100.0, 100.0, np.nan])
    array([120., 110.,  nan])
    """
    kind, value, base = _array(kind, object), _array(value), _array(base)
    return np.where(kind == GROWTH, base * (1 + value / 100), value)


def holds_level(behaviour, target, base) -> np.ndarray:
    """True where a stock's target is not above last year's end: a level to hold."""
    behaviour, target, base = _array(behaviour, object), _array(target), _array(base)
    with np.errstate(invalid="ignore"):
        return (behaviour == STOCK) & ~(target > base)


def progress(behaviour, actual, target, base) -> np.ndarray:
    """Share of the target achieved (1.0 = 100 %); NaN where it cannot be computed.

    >>> progress(["flow_ytd", "stock", "stock", "rate"], [50.0, 130.0, 95.0, 6.0],
    ...          [100.0, 150.0, 100.0, 8.0], [80.0, 100.0, 100.0, 5.0])
    array([0.5 , 0.6 , 0.95, 0.75])
    """
    behaviour = _array(behaviour, object)
    actual, target, base = _array(actual), _array(target), _array(base)
    hold = holds_level(behaviour, target, base)
    increase = (behaviour == STOCK) & ~hold
    numerator = np.where(increase, actual - base, actual)
    denominator = np.where(increase, target - base, target)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator / denominator
    # A target that is not positive has no share to achieve (flows and rates).
    result[~np.isfinite(result) | (~increase & ~(target > 0))] = np.nan
    return result


def linear_expected(behaviour, month, hold=None) -> np.ndarray:
    """时序进度: ``m / 12``; 1.0 for rates and for stocks held at a level.

    >>> linear_expected(["flow_ytd", "rate", "stock"], [10, 10, 6])
    array([0.83333333, 1.        , 0.5       ])
    """
    behaviour, month = _array(behaviour, object), _array(month)
    flat = behaviour == RATE
    if hold is not None:
        flat = flat | _array(hold, bool)
    return np.where(flat, 1.0, month / 12)


def seasonal_shares(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """Each target's median share of the full year reached by its month, in earlier years.

    ``history`` has one row per target (``key``) and earlier year: ``key``, ``year``,
    ``behaviour``, ``at_month`` (the year-to-date or stock value at the target's month),
    ``at_end`` (the value at that year's end) and ``prior_end`` (the year before's end, for
    stocks). A year counts when its share can be computed: the full year (or a stock's
    yearly increase) is positive. Only the :data:`SEASONAL_YEARS` latest years before
    ``year`` are used. Returns ``share`` and ``years`` indexed by key.

    >>> h = pd.DataFrame({"key": [1, 1, 1], "year": [2023, 2024, 2025],
    ...     "behaviour": "flow_ytd", "at_month": [80.0, 90.0, 85.0],
    ...     "at_end": [100.0, 100.0, 100.0], "prior_end": np.nan})
    >>> seasonal_shares(h, 2026).to_dict("index")
    {1: {'share': 0.85, 'years': 3}}
    """
    if history.empty:
        return pd.DataFrame({"share": pd.Series(dtype=float),
                             "years": pd.Series(dtype=int)}).rename_axis("key")
    frame = history[(history["year"] < year) & (history["year"] >= year - SEASONAL_YEARS)]
    stock = frame["behaviour"].to_numpy(object) == STOCK
    at_month = frame["at_month"].to_numpy(float)
    at_end = frame["at_end"].to_numpy(float)
    prior = frame["prior_end"].to_numpy(float)
    numerator = np.where(stock, at_month - prior, at_month)
    denominator = np.where(stock, at_end - prior, at_end)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(denominator > 0, numerator / denominator, np.nan)
    shares = pd.DataFrame({"key": frame["key"].to_numpy(), "share": share}).dropna()
    grouped = shares.groupby("key")["share"]
    return pd.DataFrame({"share": grouped.median(), "years": grouped.size()})


def seasonal_expected(linear, share, years, behaviour, hold=None) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """(expected, fell_back): the seasonal share where at least two years give one, else
    the linear expectation; rates and held levels are 1.0 like the linear one."""
    linear, share = _array(linear), _array(share)
    years = np.nan_to_num(_array(years), nan=0)
    behaviour = _array(behaviour, object)
    flat = behaviour == RATE
    if hold is not None:
        flat = flat | _array(hold, bool)
    enough = (years >= SEASONAL_MIN_YEARS) & np.isfinite(share) & ~flat
    return np.where(enough, share, linear), ~enough & ~flat


def classify(progress_, expected, tolerance: float, lower_is_better=False) -> np.ndarray:
    """ahead / on_track / lagging for each target; "" where progress is unknown.

    ``tolerance`` is a fraction (0.05 for 5 %).

    >>> classify([0.95, 0.80, 0.70, 0.0], [0.8333, 0.8333, 0.8333, 0.0], 0.05)
    array(['ahead', 'on_track', 'lagging', 'on_track'], dtype=object)
    >>> classify([0.95, 0.70], [0.8333, 0.8333], 0.05, lower_is_better=True)
    array(['lagging', 'ahead'], dtype=object)
    """
    p, e = _array(progress_), _array(expected)
    lower = np.broadcast_to(_array(lower_is_better, bool), p.shape)
    with np.errstate(invalid="ignore"):
        above = (p >= e * (1 + tolerance)) & (p > e)
        below = p < e * (1 - tolerance)
    result = np.full(p.shape, ON_TRACK, dtype=object)
    result[np.where(lower, below, above)] = AHEAD
    result[np.where(lower, above, below)] = LAGGING
    result[~np.isfinite(p) | ~np.isfinite(e)] = ""
    return result


def completion(actual, target, lower_is_better=False) -> tuple[np.ndarray, np.ndarray]:
    """(completion rate, met) at the year's end.

    The rate is ``actual / target`` (``target / actual`` when lower is better), shown as it
    is, never capped; ``met`` is actual ≥ target (≤ when lower is better). A lower-is-better
    target of zero met with zero counts as 100 %; any other lower-is-better target met with
    zero has no finite rate (``inf``, shown as "—", counted at the cap in averages). NaN and
    False where the actual or the target is missing, and for a higher-is-better target that
    is not positive.

    >>> completion([110.0, 90.0, 0.0, 3.0], [100.0, 100.0, 0.0, 2.0], [False, False, True, True])
    (array([1.1       , 0.9       , 1.        , 0.66666667]), array([ True, False,  True, False]))
    """
    actual, target = _array(actual), _array(target)
    lower = np.broadcast_to(_array(lower_is_better, bool), actual.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(lower, target / actual, actual / target)
        met = np.where(lower, actual <= target, actual >= target)
    rate = np.where(lower & (actual == 0) & (target == 0), 1.0, rate)
    unknown = ~np.isfinite(actual) | ~np.isfinite(target)
    with np.errstate(invalid="ignore"):
        rate = np.where(unknown | (~lower & ~(target > 0)), np.nan, rate)
    return rate, np.where(unknown, False, met)
