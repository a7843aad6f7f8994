"""The arithmetic of analytics on dense arrays: derive periods, aggregate zones, measures.

Values are (zones, periods) float arrays with NaN for "not reported". Every function is
vectorised over zones and periods; group sums are one ``np.bincount`` over a flattened
(group, period) index. Pure numpy, no Django import, so each formula is tested against
hand-computed values (``tests/test_analytics_cube.py``).

Growth and contributions use a *comparable basis* (可比口径): a zone counts in a group's
growth from one period to another only when it reported both, so a zone that starts
reporting does not show up as growth.
"""

from __future__ import annotations

import numpy as np

SUM, WEIGHTED_MEAN, NONE = "sum", "weighted_mean", "none"


def derive(source: np.ndarray, columns: list[list[tuple[int, int]]]) -> np.ndarray:
    """Combine reported columns into wanted ones: column p = Σ sign × source[:, s].

    ``columns[p]`` lists (source column, sign) terms. A result is NaN when any of its terms
    is missing, or when it has no terms (the indicator cannot give that period).

    >>> src = np.array([[10.0, 25.0], [np.nan, 7.0]])
    >>> derive(src, [[(0, 1)], [(1, 1), (0, -1)], []]).tolist()
    [[10.0, 15.0, nan], [nan, nan, nan]]
    """
    _zones, sources = source.shape
    signs = np.zeros((sources, len(columns)))
    for p, column_terms in enumerate(columns):
        for s, sign in column_terms:
            signs[s, p] += sign
    needed = np.abs(signs).sum(axis=0)
    present = (~np.isnan(source)).astype(np.float64)
    found = present @ np.abs(signs)
    combined = np.nan_to_num(source) @ signs
    return np.where((found == needed) & (needed > 0), combined, np.nan)


def group_sum(values: np.ndarray, groups: np.ndarray, n_groups: int,
              mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-group sums of ``values`` (Z, P) and how many zones contributed to each.

    ``groups[z]`` is zone z's group, or -1 to leave it out; ``mask`` (Z, P) narrows which
    values count. A group with no contributing zone sums to NaN, not 0.
    """
    _zones, periods = values.shape
    use = ~np.isnan(values) & (groups[:, None] >= 0)
    if mask is not None:
        use &= mask
    flat = (groups[:, None] * periods + np.arange(periods)[None, :])[use]
    total = np.bincount(flat, weights=values[use], minlength=n_groups * periods)
    count = np.bincount(flat, minlength=n_groups * periods)
    total = total.reshape(n_groups, periods)
    count = count.reshape(n_groups, periods)
    return np.where(count > 0, total, np.nan), count


def aggregate(values: np.ndarray, groups: np.ndarray, n_groups: int, rule: str,
              weights: np.ndarray | None = None,
              mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Aggregate zones into groups by the indicator's cross-zone rule.

    ``sum`` adds; ``weighted_mean`` is Σ w·v / Σ w over zones that reported both the value
    and its weight (亩均 by land in use, R&D intensity by GDP); ``none`` gives no figure
    above the zone (a growth rate at comparable prices cannot be averaged from zones).
    Returns (aggregates, contributing-zone counts), both (groups, periods).
    """
    if rule == SUM:
        return group_sum(values, groups, n_groups, mask)
    if rule == WEIGHTED_MEAN:
        if weights is None:
            raise ValueError("a weighted mean needs weights")
        both = ~np.isnan(values) & ~np.isnan(weights) & (weights > 0)
        if mask is not None:
            both &= mask
        numerator, count = group_sum(values * weights, groups, n_groups, both)
        denominator, _ = group_sum(weights, groups, n_groups, both)
        return _divide(numerator, denominator, (count > 0) & (denominator > 0)), count
    if rule == NONE:
        _, count = group_sum(values, groups, n_groups, mask)
        return np.full(count.shape, np.nan), count
    raise ValueError(f"unknown aggregation {rule!r}")


def comparable_pair(current: np.ndarray, previous: np.ndarray, groups: np.ndarray,
                    n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Group sums of two periods over the zones that reported both (可比口径)."""
    both = ~np.isnan(current) & ~np.isnan(previous)
    now, _ = group_sum(current, groups, n_groups, both)
    before, _ = group_sum(previous, groups, n_groups, both)
    return now, before


def _divide(numerator: np.ndarray, denominator: np.ndarray, ok: np.ndarray,
            scale: float = 1.0) -> np.ndarray:
    """numerator / denominator × scale where ``ok``, else NaN; a result too large for a
    float (a base of 1e-310) is NaN too, never inf or a numpy warning."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        quotient = numerator / np.where(ok, denominator, 1.0) * scale
    return np.where(ok & np.isfinite(quotient), quotient, np.nan)


def growth_percent(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """(current − previous) / previous × 100; NaN where the base is missing, zero or negative.

    >>> growth_percent(np.array([110.0, 5.0, 1.0]), np.array([100.0, 0.0, np.nan])).tolist()
    [10.0, nan, nan]
    """
    ok = ~np.isnan(current) & ~np.isnan(previous) & (previous > 0)
    return _divide(current - previous, previous, ok, 100.0)


def contribution_points(current: np.ndarray, previous: np.ndarray,
                        total_previous: np.ndarray) -> np.ndarray:
    """拉动百分点: (part now − part before) / whole before × 100, per part and period.

    The contributions of all parts add up to the whole's growth in percent.

    >>> contribution_points(np.array([[60.0], [55.0]]), np.array([[50.0], [50.0]]),
    ...                     np.array([100.0])).tolist()
    [[10.0], [5.0]]
    """
    ok = ~np.isnan(current) & ~np.isnan(previous) & ~np.isnan(total_previous) & \
        (total_previous > 0)
    return _divide(current - previous, total_previous, ok, 100.0)


def share_percent(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole × 100 (whole broadcast over parts); NaN where the whole is not positive."""
    whole = np.broadcast_to(whole, part.shape)
    ok = ~np.isnan(part) & ~np.isnan(whole) & (whole > 0)
    return _divide(part, whole, ok, 100.0)


def ranks(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Rank rows within each column: 1 = best, ties share the best rank (1, 2, 2, 4).

    NaN stays NaN and is not counted.

    >>> ranks(np.array([[3.0], [9.0], [3.0], [np.nan]])).ravel().tolist()
    [2.0, 1.0, 2.0, nan]
    """
    keyed = -values if higher_is_better else values
    result = np.full(values.shape, np.nan)
    for p in range(values.shape[1]):
        column = keyed[:, p]
        valid = ~np.isnan(column)
        ordered = np.sort(column[valid])
        result[valid, p] = np.searchsorted(ordered, column[valid], side="left") + 1
    return result


def per_area(values: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Value per km² (area per row, NaN when unknown or not positive)."""
    area = area.reshape(-1, 1) if area.ndim == 1 else area
    ok = ~np.isnan(values) & ~np.isnan(area) & (area > 0)
    return _divide(values, np.broadcast_to(area, values.shape), ok)


def median_over_zones(values: np.ndarray) -> np.ndarray:
    """Per-period median over the zones that reported (NaN where none did)."""
    result = np.full(values.shape[1], np.nan)
    reported = ~np.isnan(values)
    has = reported.any(axis=0)
    if has.any():
        result[has] = np.nanmedian(values[:, has], axis=0)
    return result
