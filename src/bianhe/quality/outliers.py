"""Outlier detection on dense cubes of zone statistics (pure numpy).

The caller builds a cube of shape (S, Y, P): S series (zone × indicator × member), Y consecutive
years and P periods a year (12, 4 or 1), float64 with NaN for a missing value. Flows reported
year to date (1—N月累计) are turned into period flows with `decumulate` first.

`detect` runs the enabled methods and returns, per method, which cells are flagged, the method's
score, and the range of values the method would have accepted for each cell, in the units of the
data, so a reviewer sees both why a value was flagged and what was expected of that period.

Every method is vectorised over the series; only loops over years remain (Y is small). Nothing
here emits a numpy warning: arithmetic runs under `np.errstate(all="ignore")` and the medians and
quantiles are computed by sorting, never with `np.nanmedian` on possibly empty slices. The
formulas, defaults and references are in docs/quality-outliers.md.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np

METHODS = ("z", "modified_z", "yoy", "minmax")

#: Iglewicz & Hoaglin's constant: MAD / 0.6745 estimates the standard deviation of normal data.
MAD_CONSTANT = 0.6745
#: The same consistency factor written as a multiplier of the MAD (≈ 1 / 0.6745).
MAD_TO_SD = 1.4826
#: √(π/2): mean absolute deviation × this estimates the standard deviation of normal data.
MEAN_AD_TO_SD = 1.253314
#: Years with a value at a position needed to estimate that position's seasonal factor.
MIN_SEASON_YEARS = 3
#: Values within a year needed to estimate that year's own level or growth.
MIN_YEAR_POINTS = 3
#: Earlier years with values that min-max bounds need (see `_min_max`).
MIN_HISTORY_YEARS = 2
#: Series processed together by one worker of `detect`.
BLOCK_SERIES = 4096


@dataclass(frozen=True)
class OutlierSettings:
    """Thresholds and switches of `detect`; the defaults are those documented."""

    z_threshold: float = 3.0
    modified_z_threshold: float = 3.5
    yoy_threshold: float = 3.5
    yoy_min_change: float = 0.5
    minmax_k: float = 3.0
    min_points: int = 8
    seasonal_adjust: bool = True
    methods: tuple[str, ...] = METHODS

    def validate(self) -> None:
        """Raise ValueError naming every bad setting, so a form can show them all at once."""
        problems = []
        for name in ("z_threshold", "modified_z_threshold", "yoy_threshold"):
            value = getattr(self, name)
            if not (_is_number(value) and 0 < value < math.inf):
                problems.append(f"{name} must be a positive finite number, not {value!r}")
        for name in ("yoy_min_change", "minmax_k"):
            value = getattr(self, name)
            if not (_is_number(value) and 0 <= value < math.inf):
                problems.append(f"{name} must be a finite number ≥ 0, not {value!r}")
        if not (_is_integer(self.min_points) and self.min_points >= 2):
            problems.append(f"min_points must be an integer ≥ 2, not {self.min_points!r}")
        if not isinstance(self.seasonal_adjust, bool):
            problems.append(f"seasonal_adjust must be True or False, not {self.seasonal_adjust!r}")
        problems.extend(_method_problems(self.methods))
        if problems:
            raise ValueError("invalid outlier settings: " + "; ".join(problems))


DEFAULT_SETTINGS = OutlierSettings()


@dataclass
class MethodResult:
    """One method's verdict on every cell of the cube, each array of shape (S, Y, P).

    A cell is judged when the method could assess it (an observed value in a series with enough
    history and a non-zero spread); `score`, `low` and `high` are NaN elsewhere and `flagged` is
    always False there.
    """

    flagged: np.ndarray
    score: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @property
    def judged(self) -> np.ndarray:
        """Cells the method assessed, whether flagged or not."""
        return ~np.isnan(self.score)


@dataclass(frozen=True, eq=False)
class Seasonality:
    """Seasonal factor of every cell: `factors` (S, Y, P), `multiplicative` (S,).

    A multiplicative series (all observed values > 0) is adjusted by dividing by its factors,
    whose geometric mean over the series is 1; any other series by subtracting its additive
    components, whose mean is 0. A cell's factor for position p is estimated from the other
    years only (see `seasonal_factors`), so it varies slightly from year to year.
    """

    factors: np.ndarray
    multiplicative: np.ndarray

    @classmethod
    def none(cls, shape: tuple[int, int, int]) -> Seasonality:
        """No seasonal adjustment: every factor is 1 (multiplicative)."""
        return cls(np.ones(shape), np.ones(shape[0], dtype=bool))

    def adjust(self, values: np.ndarray) -> np.ndarray:
        """Remove the seasonal pattern from values of shape (S, Y, P)."""
        scale, shift = self._scale_shift
        with np.errstate(all="ignore"):
            return (values - shift) / scale

    def restore(self, values: np.ndarray) -> np.ndarray:
        """Put the seasonal pattern back, e.g. on a range computed on adjusted values."""
        scale, shift = self._scale_shift
        with np.errstate(all="ignore"):
            return values * scale + shift

    @cached_property
    def _scale_shift(self) -> tuple[np.ndarray, np.ndarray]:
        """Both kinds of series as x_adjusted = (x − shift) / scale, without a branch per cell."""
        multiplicative = self.multiplicative[:, None, None]
        return (
            np.where(multiplicative, self.factors, 1.0),
            np.where(multiplicative, 0.0, self.factors),
        )


def decumulate(cube: np.ndarray) -> np.ndarray:
    """Turn year-to-date values (1—N月累计) into the flows of each period.

    The last axis holds the periods of one year: position 0 is kept, position p becomes
    ytd[p] − ytd[p−1]. A flow is NaN when either cumulative value is missing, because the flow of
    a period cannot be known without both ends.
    """
    ytd = np.asarray(cube, dtype=np.float64)
    flows = ytd.copy()
    with np.errstate(all="ignore"):
        flows[..., 1:] = ytd[..., 1:] - ytd[..., :-1]
    return flows


def seasonal_factors(cube: np.ndarray) -> Seasonality:
    """Estimate each series' seasonal pattern robustly, by medians.

    A series whose observed values are all > 0 gets multiplicative factors, estimated on logs:
    factor_p = exp(median over years of (log x − median of log x over that year)). Any other
    series (zeros, negatives) gets additive components: median over years of (x − yearly
    median). Medians keep one wrong value from bending the pattern it is then judged against.

    The median over years leaves out the cell's own year: a factor estimated from the value
    it adjusts pulls that value towards the pattern and shrinks the spread of the adjusted
    series, which inflates robust scores of ordinary noise (a false alarm in about a third of
    pure-noise monthly series at 3.5). A factor needs values at that position in three years,
    the cell's own included (so two others for an observed cell); otherwise the cell gets no
    seasonal effect.
    """
    values = _as_cube(cube)
    if values.size == 0:
        return Seasonality.none(values.shape)
    multiplicative = ~np.any(values <= 0, axis=(1, 2))
    use_log = multiplicative[:, None, None]
    with np.errstate(all="ignore"):
        component = _seasonal_component(np.where(use_log, _positive_logs(values), values))
        factors = np.where(use_log, np.exp(component), component)
    return Seasonality(factors, multiplicative)


def detect(
    cube: np.ndarray, settings: OutlierSettings = DEFAULT_SETTINGS
) -> dict[str, MethodResult]:
    """Run the enabled methods on a cube (S, Y, P); the keys are the enabled method names.

    Non-finite values (±inf) are treated as missing. Raises ValueError for bad settings or a
    cube that is not three-dimensional, never for its contents.
    """
    settings.validate()
    values = _as_cube(cube)
    results = {name: _empty_result(values.shape) for name in settings.methods}
    if values.size == 0:
        return results

    def run(block: slice) -> None:
        for name, part in _detect_block(values[block], settings).items():
            whole = results[name]
            whole.flagged[block] = part.flagged
            whole.score[block] = part.score
            whole.low[block] = part.low
            whole.high[block] = part.high

    # Series are independent: blocks of them keep the temporaries in cache, and numpy releases
    # the GIL in sorts and arithmetic, so threads use every core. Blocks write disjoint slices.
    blocks = [slice(start, start + BLOCK_SERIES) for start in range(0, len(values), BLOCK_SERIES)]
    workers = min(len(blocks), os.cpu_count() or 1)
    if workers == 1:
        for block in blocks:
            run(block)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, blocks))
    return results


def _detect_block(values: np.ndarray, settings: OutlierSettings) -> dict[str, MethodResult]:
    """`detect` on a block of series."""
    with np.errstate(all="ignore"):
        estimated = None
        if settings.seasonal_adjust and values.shape[2] > 1:
            estimated = seasonal_factors(values)
        seasonality = estimated if estimated is not None else Seasonality.none(values.shape)
        adjusted = seasonality.adjust(values)
        runners = {
            "z": lambda: _z_scores(adjusted, seasonality, settings),
            "modified_z": lambda: _modified_z_scores(adjusted, seasonality, settings),
            "yoy": lambda: _year_on_year(values, settings, estimated),
            "minmax": lambda: _min_max(adjusted, seasonality, settings),
        }
        return {name: runners[name]() for name in settings.methods}


# ---------------------------------------------------------------------------------------------
# The methods


def _z_scores(
    adjusted: np.ndarray, seasonality: Seasonality, settings: OutlierSettings
) -> MethodResult:
    """The classic z-score over the whole series (sample sd, ddof = 1), DHIS2's first method.

    With n values no |z| can exceed (n − 1)/√n, so a series is judged only when that bound is
    above the threshold: otherwise the method could never flag anything and "not flagged" would
    wrongly read as "checked and fine".
    """
    n_series = adjusted.shape[0]
    flat = adjusted.reshape(n_series, -1)
    observed = ~np.isnan(flat)
    n = observed.sum(axis=1)
    mean = np.where(observed, flat, 0.0).sum(axis=1) / n
    squares = np.where(observed, (flat - mean[:, None]) ** 2, 0.0).sum(axis=1)
    sd = np.sqrt(squares / (n - 1))
    threshold = settings.z_threshold
    judged = (n >= settings.min_points) & ((n - 1) / np.sqrt(n) > threshold) & \
        _meaningful(sd, flat)
    centre, spread = mean[:, None, None], sd[:, None, None]
    score = np.where(judged[:, None, None], (adjusted - centre) / spread, np.nan)
    return _result(
        score, threshold, centre - threshold * spread, centre + threshold * spread, seasonality
    )


def _modified_z_scores(
    adjusted: np.ndarray, seasonality: Seasonality, settings: OutlierSettings
) -> MethodResult:
    """Iglewicz & Hoaglin's modified z-score: 0.6745 · (x − median) / MAD.

    The median and MAD are not dragged towards the outlier the way the mean and sd are, so one
    large error cannot hide itself. When more than half the values are equal (MAD = 0) the mean
    absolute deviation takes over, scaled by √(π/2), the rule IBM documents for its modified
    z score.
    """
    n_series = adjusted.shape[0]
    flat = adjusted.reshape(n_series, -1)
    centre, scale, n = _robust_centre_scale(flat, 1 / MAD_CONSTANT)
    judged = (n >= settings.min_points) & (scale > 0)
    centre, scale = centre[:, None, None], scale[:, None, None]
    score = np.where(judged[:, None, None], (adjusted - centre) / scale, np.nan)
    threshold = settings.modified_z_threshold
    return _result(
        score, threshold, centre - threshold * scale, centre + threshold * scale, seasonality
    )


def _year_on_year(
    values: np.ndarray, settings: OutlierSettings, seasonality: Seasonality | None = None
) -> MethodResult:
    """Flag a period whose change against the same period last year stands out.

    g = log(x / x_last_year) is compared with the series' growth that year (median over the
    year's periods), so a whole zone growing fast is not an outlier, and same-period comparison
    cancels the seasonal pattern. A spike at t also makes t + 1 year look like a fall (the
    echo); the echo is spared by requiring x itself to be off its seasonal expectation.

    Growth is a ratio, defined between positive values only: a zero (a month without trade)
    has no growth and is skipped, and a series with any negative value (profits, balances)
    is not judged, because near and across zero its ratios are meaningless. Annual series
    (P = 1) are not judged either: with one period a year, the year's growth and the value's
    own jump are the same number.

    `seasonality`, when given, is the cube's estimated seasonality: its multiplicative factors
    are the seasonal component of the logs, which then need not be estimated again.
    """
    n_series, n_years, n_periods = values.shape
    if n_years < 2 or n_periods < 2:
        return _empty_result(values.shape)
    signed = np.any(values < 0, axis=(1, 2))
    logs = np.where(signed[:, None, None], np.nan, _positive_logs(values))
    component = np.zeros(values.shape)
    known = np.zeros(n_series, dtype=bool)
    if seasonality is not None:
        known = seasonality.multiplicative
        component[known] = np.log(seasonality.factors[known])
    missing = ~known & ~signed
    if missing.any():
        component[missing] = _seasonal_component(logs[missing])
    growth = logs[:, 1:] - logs[:, :-1]
    trend = _yearly_growth(growth)
    deviation = growth - trend[..., None]
    _, scale, n = _robust_centre_scale(deviation.reshape(n_series, -1), MAD_TO_SD)
    judged = (n >= settings.min_points) & (scale > 0)
    score = np.where(judged[:, None, None], deviation / scale[:, None, None], np.nan)
    off_season = _seasonal_residual_score(logs, component, trend)[:, 1:]

    threshold = settings.yoy_threshold
    change = np.expm1(growth)
    flagged = (
        (np.abs(score) > threshold)
        & (np.abs(off_season) > threshold)
        & (np.abs(change) > settings.yoy_min_change)
    )
    last_year = values[:, :-1]
    spread = threshold * scale[:, None, None]
    low = last_year * np.minimum(np.exp(trend[..., None] - spread), 1 - settings.yoy_min_change)
    high = last_year * np.maximum(np.exp(trend[..., None] + spread), 1 + settings.yoy_min_change)

    result = _empty_result(values.shape)
    judged_cells = ~np.isnan(score)
    result.score[:, 1:] = score
    result.flagged[:, 1:] = flagged & judged_cells
    result.low[:, 1:] = np.where(judged_cells, low, np.nan)
    result.high[:, 1:] = np.where(judged_cells, high, np.nan)
    return result


def _min_max(
    adjusted: np.ndarray, seasonality: Seasonality, settings: OutlierSettings
) -> MethodResult:
    """Bounds learnt from earlier years only: Tukey's fences [Q1 − k·IQR, Q3 + k·IQR].

    This is the DHIS2 min-max idea with the bounds estimated robustly and without looking at
    the year being judged or any later one, so a value is measured against what was known
    before it. The score is the signed distance beyond the nearer fence in IQR units.

    The history must hold values in at least MIN_HISTORY_YEARS years: a single year shows the
    noise within a year but not how the series moves between years, and its fences would flag
    ordinary growth (8 % a year against 2 % noise) for the whole of the next year.
    """
    n_series, n_years, _ = adjusted.shape
    score = np.full(adjusted.shape, np.nan)
    low = np.full(adjusted.shape, np.nan)
    high = np.full(adjusted.shape, np.nan)
    k = settings.minmax_k
    years_seen = np.zeros(n_series, dtype=int)
    for year in range(1, n_years):
        years_seen += np.any(~np.isnan(adjusted[:, year - 1]), axis=1)
        if year < MIN_HISTORY_YEARS:
            continue
        history = adjusted[:, :year].reshape(n_series, -1)
        (q1, q3), n = _nanquantiles(history, (0.25, 0.75), axis=1)
        iqr = q3 - q1
        judged = (n >= settings.min_points) & (years_seen >= MIN_HISTORY_YEARS) & \
            _meaningful(iqr, history)
        fence_low, fence_high, iqr = (q1 - k * iqr)[:, None], (q3 + k * iqr)[:, None], iqr[:, None]
        current = adjusted[:, year]
        beyond = np.where(
            current > fence_high,
            (current - fence_high) / iqr,
            np.where(current < fence_low, (current - fence_low) / iqr, 0.0),
        )
        score[:, year] = np.where(judged[:, None] & ~np.isnan(current), beyond, np.nan)
        low[:, year] = fence_low
        high[:, year] = fence_high
    return _result(score, 0.0, low, high, seasonality)


# ---------------------------------------------------------------------------------------------
# Building blocks


def _result(
    score: np.ndarray,
    threshold: float,
    low_adjusted: np.ndarray,
    high_adjusted: np.ndarray,
    seasonality: Seasonality,
) -> MethodResult:
    """Flag |score| > threshold and report the range in the data's units for judged cells."""
    judged = ~np.isnan(score)
    shape = score.shape
    low = np.broadcast_to(seasonality.restore(low_adjusted), shape)
    high = np.broadcast_to(seasonality.restore(high_adjusted), shape)
    return MethodResult(
        flagged=np.abs(score) > threshold,
        score=score,
        low=np.where(judged, low, np.nan),
        high=np.where(judged, high, np.nan),
    )


def _empty_result(shape: tuple[int, ...]) -> MethodResult:
    """A result in which nothing is judged."""
    return MethodResult(
        flagged=np.zeros(shape, dtype=bool),
        score=np.full(shape, np.nan),
        low=np.full(shape, np.nan),
        high=np.full(shape, np.nan),
    )


def _seasonal_component(transformed: np.ndarray) -> np.ndarray:
    """Seasonal component (S, Y, P) of each cell, from the other years, with mean 0 per series.

    Each value is measured against the median of its own year, so growth between years does
    not leak into the pattern; the component of a cell is the median of these deviations at
    its position in the other years. When fewer than MIN_SEASON_YEARS years (the cell's own
    included) have a value there it is 0 (the year's median level) before centring, which
    keeps it comparable with the others.
    """
    yearly_level = _nanmedian(transformed, axis=2, keepdims=True)
    deviation = np.moveaxis(transformed - yearly_level, 1, 2)
    median, others = _leave_one_out_median(deviation)
    years = others + ~np.isnan(deviation)
    enough = (years >= MIN_SEASON_YEARS) & (others > 0)
    component = np.moveaxis(np.where(enough, median, 0.0), 2, 1)
    # Centred over the observed cells only: years with no value at all (before a zone
    # existed) must not shift the pattern, or a series' flags would depend on how many
    # empty years the cube happens to start with.
    observed = ~np.isnan(transformed)
    count = observed.sum(axis=(1, 2), keepdims=True)
    with np.errstate(all="ignore"):
        mean = np.where(observed, component, 0.0).sum(axis=(1, 2), keepdims=True) / count
    return component - np.where(count > 0, mean, 0.0)


def _yearly_growth(growth: np.ndarray) -> np.ndarray:
    """The growth of each series in each year (S, Y − 1): the median of that year's log changes.

    A year with fewer than MIN_YEAR_POINTS changes (the current, partial year) takes the
    series' median growth over all years instead: from one or two months the year's own growth
    cannot be told apart from a wrong value.
    """
    n_series = growth.shape[0]
    per_year = _nanmedian(growth, axis=2)
    overall = _nanmedian(growth.reshape(n_series, -1), axis=1)
    counts = np.sum(~np.isnan(growth), axis=2)
    return np.where(counts >= MIN_YEAR_POINTS, per_year, overall[:, None])


def _seasonal_residual_score(
    logs: np.ndarray, component: np.ndarray, trend: np.ndarray
) -> np.ndarray:
    """Robust score (S, Y, P) of log x against its seasonal expectation L_y + S_p.

    S_p is the median seasonal component of the logs (`component`); L_y the median over the
    year of the seasonally adjusted logs, which stays right for a partial year. A year with
    fewer than MIN_YEAR_POINTS values takes last year's level plus the year's growth.
    """
    n_series, n_years, _ = logs.shape
    adjusted = logs - component
    level = _nanmedian(adjusted, axis=2)
    counts = np.sum(~np.isnan(adjusted), axis=2)
    for year in range(n_years):
        if year == 0:
            carried = np.full(n_series, np.nan)
        else:
            carried = level[:, year - 1] + trend[:, year - 1]
        level[:, year] = np.where(counts[:, year] >= MIN_YEAR_POINTS, level[:, year], carried)
    residual = adjusted - level[..., None]
    _, scale, _ = _robust_centre_scale(residual.reshape(n_series, -1), MAD_TO_SD)
    return residual / np.where(scale > 0, scale, np.nan)[:, None, None]


def _robust_centre_scale(
    flat: np.ndarray, mad_factor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, robust scale and count of each row of a 2-D array (NaN = missing).

    The scale is mad_factor · MAD; when the MAD is 0 it is √(π/2) · the mean absolute
    deviation from the median; when that is 0 too (a constant row) or the row is empty, NaN.
    """
    centre = _nanmedian(flat, axis=1)
    distance = np.abs(flat - centre[:, None])
    mad = _nanmedian(distance, axis=1)
    observed = ~np.isnan(distance)
    n = observed.sum(axis=1)
    mean_ad = np.where(observed, distance, 0.0).sum(axis=1) / n
    scale = np.where(_meaningful(mad, flat), mad_factor * mad, MEAN_AD_TO_SD * mean_ad)
    return centre, np.where(_meaningful(scale, flat), scale, np.nan), n


def _meaningful(spread: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Whether each row's spread is more than floating-point noise.

    Seasonal adjustment of a series that is constant but for rounding (0, 0, 1, 0 …) can leave
    a MAD of 1e-16 instead of 0; dividing by it would give scores of 1e16. A spread counts
    only above a billionth of the row's typical magnitude.
    """
    observed = ~np.isnan(flat)
    count = observed.sum(axis=-1)
    with np.errstate(all="ignore"):
        magnitude = np.where(observed, np.abs(flat), 0.0).sum(axis=-1) / count
    return (spread > 0) & (spread > 1e-9 * np.nan_to_num(magnitude))


def _leave_one_out_median(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry, the median of the other observed entries along the last axis, and
    their count; NaN where there are none.

    One sort serves every entry. Taking one value out of n sorted values v leaves a median
    that is one of the order statistics next to the middle, chosen by where the value lies:
    for n = 2j + 1, (v[j] + v[j+1])/2 below v[j], (v[j−1] + v[j+1])/2 at it, (v[j−1] + v[j])/2
    above it; for n = 2j, v[j] at or below v[j−1], else v[j−1]. (With ties the choices give
    the same number.) A missing entry leaves the slice whole: its "others" are all n values.
    """
    length = a.shape[-1]
    ordered = np.sort(a, axis=-1)  # NaN last
    observed = ~np.isnan(a)
    n = np.sum(observed, axis=-1, keepdims=True)
    half = n // 2

    def order_statistic(index: np.ndarray) -> np.ndarray:
        return np.take_along_axis(ordered, np.clip(index, 0, length - 1), axis=-1)

    before, middle, after = (
        order_statistic(half - 1),
        order_statistic(half),
        order_statistic(half + 1),
    )
    odd = n % 2 == 1
    with np.errstate(all="ignore"):
        whole = np.where(odd, middle, (before + middle) / 2)
        odd_case = np.where(
            a < middle,
            (middle + after) / 2,
            np.where(a > middle, (before + middle) / 2, (before + after) / 2),
        )
        even_case = np.where(a <= before, middle, before)
        median = np.where(observed, np.where(odd, odd_case, even_case), whole)
    others = n - observed
    return np.where(others > 0, median, np.nan), others


def _nanmedian(a: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """Median along an axis ignoring NaN; NaN for an empty slice, and no warning."""
    (median,), _ = _nanquantiles(a, (0.5,), axis=axis, keepdims=keepdims)
    return median


def _nanquantiles(
    a: np.ndarray, quantiles: tuple[float, ...], axis: int, keepdims: bool = False
) -> tuple[list[np.ndarray], np.ndarray]:
    """Quantiles along an axis ignoring NaN (numpy's default linear interpolation), and counts.

    One sort serves all the quantiles; NaN sorts last, so the observed values of each slice are
    its first n entries. Empty slices give NaN instead of numpy's warning.
    """
    ordered = np.sort(a, axis=axis)
    n = np.sum(~np.isnan(a), axis=axis, keepdims=True)
    results = []
    with np.errstate(all="ignore"):
        for q in quantiles:
            position = q * (n - 1)
            below = np.clip(np.floor(position), 0, None).astype(np.intp)
            above = np.clip(np.ceil(position), 0, None).astype(np.intp)
            fraction = position - below
            low = np.take_along_axis(ordered, below, axis=axis)
            high = np.take_along_axis(ordered, above, axis=axis)
            value = np.where(fraction > 0, low + fraction * (high - low), low)
            value = np.where(n > 0, value, np.nan)
            results.append(value if keepdims else np.squeeze(value, axis=axis))
    return results, (n if keepdims else np.squeeze(n, axis=axis))


def _positive_logs(values: np.ndarray) -> np.ndarray:
    """log x where x > 0, NaN elsewhere (missing, zero or negative), without a warning."""
    positive = values > 0
    return np.where(positive, np.log(np.where(positive, values, 1.0)), np.nan)


def _as_cube(cube: np.ndarray) -> np.ndarray:
    """A float64 copy of a three-dimensional cube with ±inf turned into NaN (missing)."""
    values = np.asarray(cube, dtype=np.float64)
    if values.ndim != 3:
        raise ValueError(f"expected a cube of shape (series, years, periods), got {values.shape}")
    return np.where(np.isfinite(values), values, np.nan)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _method_problems(methods: object) -> list[str]:
    """What is wrong with a `methods` setting, if anything."""
    if isinstance(methods, str) or not isinstance(methods, (tuple, list)):
        return [f"methods must be a tuple of method names, not {methods!r}"]
    if not all(isinstance(name, str) for name in methods):
        return [f"methods must contain method names (strings), not {methods!r}"]
    problems = []
    unknown = [name for name in methods if name not in METHODS]
    if unknown:
        known = ", ".join(METHODS)
        problems.append(f"unknown method(s) {', '.join(map(repr, unknown))}; known: {known}")
    if len(set(methods)) != len(methods):
        problems.append("methods lists a method twice")
    return problems
