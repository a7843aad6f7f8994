"""Normalisation: bring indicators measured in different units onto one comparable scale.

Every method works column by column on a (units × indicators) float array, or on a 1-D array
(one indicator). NaN means missing: it is ignored by the column statistics (min, max, mean,
ranks …) and stays NaN in the output. `direction` is +1 when a higher value is better and −1
when a lower value is better; the output is always "higher is better". The exact formulas, and
how each method reverses a −1 indicator, are in docs/index-methods.md.

A column whose statistics make a method undefined (a constant column for min–max, z-score and
the data-based efficacy coefficient, like COINr) gives NaN for that column, never a warning.
Parameters that cannot work (goalposts min ≥ max, a target below every value …) raise
`SpecError` naming the column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .errors import SpecError

NORMALISERS = (
    "minmax",
    "goalposts",
    "zscore",
    "rank",
    "percentile",
    "target",
    "frontier",
    "ratio_mean",
    "ratio_median",
    "efficacy",
)

# name → {parameter: (default, per column)}; per-column parameters accept a scalar or an
# array with one value per indicator. A default of _REQUIRED must be given by the caller.
_REQUIRED = object()
_PARAMS: dict[str, dict[str, tuple[object, bool]]] = {
    "minmax": {"low": (0.0, False), "high": (1.0, False)},
    "goalposts": {
        "min": (_REQUIRED, True),
        "max": (_REQUIRED, True),
        "clip": (True, False),
        "scale": (1.0, False),
    },
    "zscore": {"mean": (0.0, False), "sd": (1.0, False)},
    "rank": {},
    "percentile": {},
    "target": {"target": (_REQUIRED, True), "cap_max": (True, False)},
    "frontier": {},
    "ratio_mean": {},
    "ratio_median": {},
    "efficacy": {
        "floor": (60.0, False),
        "span": (40.0, False),
        "worst": (None, True),
        "best": (None, True),
    },
}


def normalise(
    x: np.ndarray,
    method: str,
    *,
    direction: np.ndarray | int = 1,
    names: Sequence[str] | None = None,
    **params,
) -> np.ndarray:
    """Normalise each column of `x` with `method`; see the module docstring.

    `names` (optional, one per column) only labels error messages; without it columns are
    called "column 0", "column 1", ….
    """
    if method not in NORMALISERS:
        raise SpecError(str(method), f"unknown normalisation method; use one of {NORMALISERS}")
    arr = np.asarray(x, dtype=float)
    one_d = arr.ndim == 1
    if one_d:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise SpecError(method, f"expected a 1-D or 2-D array, got {arr.ndim} dimensions")
    k = arr.shape[1]
    labels = _labels(names, k)
    if np.isinf(arr).any():
        j = int(np.where(np.isinf(arr).any(axis=0))[0][0])
        raise SpecError(labels[j], "infinite value; use NaN for a missing value")
    dirs = _per_column(direction, k, "direction", method)
    for j, d in enumerate(dirs):
        if d not in (1.0, -1.0):
            raise SpecError(labels[j], f"direction must be 1 or -1, got {d:g}")
    spec = _PARAMS[method]
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise SpecError(method, f"unknown parameter(s) {unknown}; allowed: {sorted(spec)}")
    resolved: dict[str, object] = {}
    for key, (default, per_column) in spec.items():
        value = params.get(key, default)
        if value is _REQUIRED:
            raise SpecError(method, f"parameter {key!r} is required")
        if per_column and value is not None:
            value = _per_column(value, k, key, method)
        resolved[key] = value
    _check_scalars(method, resolved)
    fn = _FUNCS[method]
    out = np.full(arr.shape, np.nan)
    with np.errstate(all="ignore"):
        for j in range(k):
            col_params = {
                key: (val[j] if spec[key][1] and val is not None else val)
                for key, val in resolved.items()
            }
            out[:, j] = fn(arr[:, j], int(dirs[j]), labels[j], **col_params)
    return out[:, 0] if one_d else out


def _labels(names: Sequence[str] | None, k: int) -> list[str]:
    if names is None:
        return [f"column {j}" for j in range(k)]
    labels = [str(n) for n in names]
    if len(labels) != k:
        raise SpecError("names", f"{len(labels)} names given for {k} columns")
    return labels


def _per_column(value, k: int, key: str, method: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(k, float(arr))
    if arr.shape != (k,):
        raise SpecError(method, f"{key!r} must be a scalar or have one value per column ({k})")
    if not np.isfinite(arr).all():
        raise SpecError(method, f"{key!r} must be finite")
    return arr


def _check_scalars(method: str, p: dict[str, object]) -> None:
    for key in ("low", "high", "scale", "mean", "sd", "floor", "span"):
        if key in p and not np.isfinite(float(p[key])):
            raise SpecError(method, f"{key!r} must be a finite number")
    if method == "minmax" and not float(p["low"]) < float(p["high"]):
        raise SpecError(method, f"low ({p['low']}) must be below high ({p['high']})")
    for key in ("scale", "sd", "span"):
        if key in p and not float(p[key]) > 0:
            raise SpecError(method, f"{key!r} must be positive, got {p[key]}")


def _observed(col: np.ndarray) -> np.ndarray:
    return col[~np.isnan(col)]


def _minmax(col, d, name, *, low, high):
    y = d * col
    obs = _observed(y)
    if obs.size == 0 or obs.max() == obs.min():
        return np.full(col.shape, np.nan)
    lo, hi = obs.min(), obs.max()
    return (y - lo) / (hi - lo) * (high - low) + low


def _goalposts(col, d, name, *, min, max, clip, scale):
    if not min < max:
        raise SpecError(name, f"goalposts need min < max, got min={min:g}, max={max:g}")
    y = (col - min) / (max - min) if d == 1 else (max - col) / (max - min)
    if clip:
        y = np.clip(y, 0.0, 1.0)
    return y * scale


def _zscore(col, d, name, *, mean, sd):
    y = d * col
    obs = _observed(y)
    if obs.size < 2:
        return np.full(col.shape, np.nan)
    s = obs.std(ddof=1)
    if s == 0:
        return np.full(col.shape, np.nan)
    return (y - obs.mean()) / s * sd + mean


def _ranks(col, d):
    return pd.Series(d * col).rank(method="average", na_option="keep").to_numpy(dtype=float)


def _rank(col, d, name):
    return _ranks(col, d)


def _percentile(col, d, name):
    r = _ranks(col, d)
    n = int((~np.isnan(col)).sum())
    if n == 1:
        return np.where(np.isnan(col), np.nan, 0.5)
    return (r - 1.0) / (n - 1.0)


def _target(col, d, name, *, target, cap_max):
    obs = _observed(col)
    if obs.size == 0:
        return np.full(col.shape, np.nan)
    if d == 1:
        worst = obs.min()
        if not target > worst:
            raise SpecError(name, f"target {target:g} must exceed the lowest value {worst:g}")
        y = (col - worst) / (target - worst)
    else:
        worst = obs.max()
        if not target < worst:
            raise SpecError(name, f"target {target:g} must be below the highest value {worst:g}")
        y = (worst - col) / (worst - target)
    if cap_max:
        y = np.where(y > 1.0, 1.0, y)
    return y


def _frontier(col, d, name):
    obs = _observed(col)
    if obs.size == 0:
        return np.full(col.shape, np.nan)
    if d == 1:
        if obs.min() < 0 or obs.max() <= 0:
            raise SpecError(name, "frontier needs non-negative values with a positive maximum")
        return col / obs.max()
    if obs.min() <= 0:
        raise SpecError(name, "frontier with direction -1 needs strictly positive values")
    return obs.min() / col


def _ratio(col, d, name, centre: Callable[[np.ndarray], float], label: str):
    obs = _observed(col)
    if obs.size == 0:
        return np.full(col.shape, np.nan)
    if obs.min() < 0 or (d == -1 and obs.min() <= 0):
        need = "non-negative" if d == 1 else "strictly positive"
        raise SpecError(name, f"ratio to the {label} needs {need} values")
    c = float(centre(obs))
    if c <= 0:
        raise SpecError(name, f"ratio to the {label} needs a positive {label}, got {c:g}")
    return col / c if d == 1 else c / col


def _ratio_mean(col, d, name):
    return _ratio(col, d, name, np.mean, "mean")


def _ratio_median(col, d, name):
    return _ratio(col, d, name, np.median, "median")


def _efficacy(col, d, name, *, floor, span, worst, best):
    obs = _observed(col)
    fixed = worst is not None or best is not None
    if obs.size == 0 and not (worst is not None and best is not None):
        return np.full(col.shape, np.nan)
    if worst is None:
        worst = obs.min() if d == 1 else obs.max()
    if best is None:
        best = obs.max() if d == 1 else obs.min()
    if best == worst:
        if fixed:
            raise SpecError(name, f"efficacy needs best != worst, both are {best:g}")
        return np.full(col.shape, np.nan)
    if (best - worst) * d < 0:
        raise SpecError(
            name,
            f"efficacy best ({best:g}) and worst ({worst:g}) contradict direction {d}",
        )
    y = floor + span * (col - worst) / (best - worst)
    if fixed:
        y = np.clip(y, floor, floor + span)
    return y


_FUNCS = {
    "minmax": _minmax,
    "goalposts": _goalposts,
    "zscore": _zscore,
    "rank": _rank,
    "percentile": _percentile,
    "target": _target,
    "frontier": _frontier,
    "ratio_mean": _ratio_mean,
    "ratio_median": _ratio_median,
    "efficacy": _efficacy,
}
