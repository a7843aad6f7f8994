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
    "none",
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
    "none": {},
}


def fit_normalisation(
    x: np.ndarray,
    method: str,
    *,
    direction: np.ndarray | int = 1,
    names: Sequence[str] | None = None,
    **params,
) -> list[dict] | dict:
    """The statistics `method` takes from the data (min and max, mean and sd …), per column.

    Every check of :func:`normalise` runs here (parameters, and conditions on the data such as
    a target beyond every value), so fitting on one set and applying to another with
    ``normalise(other, method, fitted=...)`` raises what ``normalise(x, method)`` would.
    Returns one dict per column (a dict for a 1-D `x`): ``{"min", "max"}`` of direction × x
    for min–max, ``{"mean", "sd"}`` for z-scores, ``{"centre"}`` for the ratios,
    ``{"frontier"}``, ``{"worst"}`` for target, ``{"worst", "best", "fixed"}`` for efficacy,
    ``{}`` for methods that learn nothing (goalposts, none) or are relative to the data
    being normalised (rank, percentile).
    """
    arr, one_d, dirs, labels, spec, resolved = _prepare(x, method, direction, names, params)
    fitted = _fit(method, arr, dirs, labels, spec, resolved)
    return fitted[0] if one_d else fitted


def _fit(method, arr, dirs, labels, spec, resolved) -> list[dict]:
    if method in _VECTOR_FIT:
        return _VECTOR_FIT[method](arr, dirs)
    return [_FIT[method](arr[:, j], int(dirs[j]), labels[j], **_column(spec, resolved, j))
            for j in range(arr.shape[1])]


def normalise(
    x: np.ndarray,
    method: str,
    *,
    direction: np.ndarray | int = 1,
    names: Sequence[str] | None = None,
    fitted: Sequence[dict] | dict | None = None,
    **params,
) -> np.ndarray:
    """Normalise each column of `x` with `method`; see the module docstring.

    `names` (optional, one per column) only labels error messages; without it columns are
    called "column 0", "column 1", …. `fitted`: statistics from :func:`fit_normalisation`
    on other data (one dict per column, or a dict for a 1-D `x`), applied as they are; the
    conditions on the data are then not checked again (they were, at the fit).
    """
    arr, one_d, dirs, labels, spec, resolved = _prepare(x, method, direction, names, params)
    if fitted is None:
        fits = _fit(method, arr, dirs, labels, spec, resolved)
    else:
        fits = [fitted] if isinstance(fitted, dict) else list(fitted)
    if len(fits) != arr.shape[1]:
        raise SpecError(method, f"{len(fits)} fitted statistics for {arr.shape[1]} columns")
    out = np.full(arr.shape, np.nan)
    with np.errstate(all="ignore"):
        if method in _VECTOR_APPLY:
            out = _VECTOR_APPLY[method](arr, dirs, fits, **resolved)
        else:
            for j in range(arr.shape[1]):
                out[:, j] = _APPLY[method](arr[:, j], int(dirs[j]), fits[j],
                                           **_column(spec, resolved, j))
    return out[:, 0] if one_d else out


def _prepare(x, method, direction, names, params):
    """The checked input: (2-D array, was 1-D, directions, labels, parameter spec, params)."""
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
    return arr, one_d, dirs, labels, spec, resolved


def _column(spec: dict, resolved: dict, j: int) -> dict:
    """Column j's parameters (per-column ones picked out of their arrays)."""
    return {key: (val[j] if spec[key][1] and val is not None else val)
            for key, val in resolved.items()}


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


# --- fit: the statistics of one column (and the checks that depend on the data) ----------


def _fit_nothing(col, d, name, **_params):
    return {}


def _fit_minmax(arr, dirs):
    """All columns at once: min and max of direction × x over the observed values (NaN for
    a column with none; np.fmin/fmax skip NaN, and the minimum is exact however taken)."""
    if arr.shape[0] == 0:
        return [{"min": np.nan, "max": np.nan} for _ in dirs]
    y = dirs[None, :] * arr
    lo, hi = np.fmin.reduce(y, axis=0), np.fmax.reduce(y, axis=0)
    return [{"min": float(a), "max": float(b)} for a, b in zip(lo, hi, strict=True)]


def _fit_goalposts(col, d, name, *, min, max, clip, scale):
    if not min < max:
        raise SpecError(name, f"goalposts need min < max, got min={min:g}, max={max:g}")
    return {}


def _fit_zscore(col, d, name, *, mean, sd):
    y = _observed(d * col)
    if y.size < 2:
        return {"mean": np.nan, "sd": np.nan}
    return {"mean": float(y.mean()), "sd": float(y.std(ddof=1))}


def _fit_target(col, d, name, *, target, cap_max):
    obs = _observed(col)
    if obs.size == 0:
        return {"worst": np.nan}
    worst = obs.min() if d == 1 else obs.max()
    if d == 1 and not target > worst:
        raise SpecError(name, f"target {target:g} must exceed the lowest value {worst:g}")
    if d == -1 and not target < worst:
        raise SpecError(name, f"target {target:g} must be below the highest value {worst:g}")
    return {"worst": float(worst)}


def _fit_frontier(col, d, name):
    obs = _observed(col)
    if obs.size == 0:
        return {"frontier": np.nan}
    if d == 1:
        if obs.min() < 0 or obs.max() <= 0:
            raise SpecError(name, "frontier needs non-negative values with a positive maximum")
        return {"frontier": float(obs.max())}
    if obs.min() <= 0:
        raise SpecError(name, "frontier with direction -1 needs strictly positive values")
    return {"frontier": float(obs.min())}


def _fit_ratio(col, d, name, centre: Callable[[np.ndarray], float], label: str):
    obs = _observed(col)
    if obs.size == 0:
        return {"centre": np.nan}
    if obs.min() < 0 or (d == -1 and obs.min() <= 0):
        need = "non-negative" if d == 1 else "strictly positive"
        raise SpecError(name, f"ratio to the {label} needs {need} values")
    c = float(centre(obs))
    if c <= 0:
        raise SpecError(name, f"ratio to the {label} needs a positive {label}, got {c:g}")
    return {"centre": c}


def _fit_ratio_mean(col, d, name):
    return _fit_ratio(col, d, name, np.mean, "mean")


def _fit_ratio_median(col, d, name):
    return _fit_ratio(col, d, name, np.median, "median")


def _fit_efficacy(col, d, name, *, floor, span, worst, best):
    obs = _observed(col)
    fixed = worst is not None or best is not None
    if obs.size == 0 and not (worst is not None and best is not None):
        return {"worst": np.nan, "best": np.nan, "fixed": fixed}
    if worst is None:
        worst = obs.min() if d == 1 else obs.max()
    if best is None:
        best = obs.max() if d == 1 else obs.min()
    if best == worst and fixed:
        raise SpecError(name, f"efficacy needs best != worst, both are {best:g}")
    if best != worst and (best - worst) * d < 0:
        raise SpecError(
            name,
            f"efficacy best ({best:g}) and worst ({worst:g}) contradict direction {d}",
        )
    return {"worst": float(worst), "best": float(best), "fixed": fixed}


# --- apply: one column with its fitted statistics -----------------------------------------


def _minmax(arr, dirs, fits, *, low, high):
    """All columns at once; a column with max ≤ min (constant, or no value) → NaN."""
    lo = np.array([f["min"] for f in fits], dtype=float)
    hi = np.array([f["max"] for f in fits], dtype=float)
    out = (dirs[None, :] * arr - lo) / (hi - lo) * (high - low) + low
    out[:, ~(hi > lo)] = np.nan
    return out


def _none(col, d, fit):
    return d * col


def _goalposts(col, d, fit, *, min, max, clip, scale):
    y = (col - min) / (max - min) if d == 1 else (max - col) / (max - min)
    if clip:
        y = np.clip(y, 0.0, 1.0)
    return y * scale


def _zscore(col, d, fit, *, mean, sd):
    mu, s = fit["mean"], fit["sd"]
    if not s > 0:
        return np.full(col.shape, np.nan)
    return (d * col - mu) / s * sd + mean


def _ranks(col, d):
    return pd.Series(d * col).rank(method="average", na_option="keep").to_numpy(dtype=float)


def _rank(col, d, fit):
    return _ranks(col, d)


def _percentile(col, d, fit):
    r = _ranks(col, d)
    n = int((~np.isnan(col)).sum())
    if n == 1:
        return np.where(np.isnan(col), np.nan, 0.5)
    return (r - 1.0) / (n - 1.0)


def _target(col, d, fit, *, target, cap_max):
    worst = fit["worst"]
    y = (col - worst) / (target - worst) if d == 1 else (worst - col) / (worst - target)
    if cap_max:
        y = np.where(y > 1.0, 1.0, y)
    return y


def _frontier(col, d, fit):
    f = fit["frontier"]
    return col / f if d == 1 else f / col


def _ratio(col, d, fit):
    c = fit["centre"]
    return col / c if d == 1 else c / col


def _efficacy(col, d, fit, *, floor, span, worst, best):
    worst, best = fit["worst"], fit["best"]
    if np.isnan(worst) or np.isnan(best) or best == worst:  # nothing to learn from
        return np.full(col.shape, np.nan)
    y = floor + span * (col - worst) / (best - worst)
    if fit["fixed"]:
        y = np.clip(y, floor, floor + span)
    return y


_VECTOR_FIT = {"minmax": _fit_minmax}
_VECTOR_APPLY = {"minmax": _minmax}
_FIT = {
    "goalposts": _fit_goalposts,
    "zscore": _fit_zscore,
    "rank": _fit_nothing,
    "percentile": _fit_nothing,
    "target": _fit_target,
    "frontier": _fit_frontier,
    "ratio_mean": _fit_ratio_mean,
    "ratio_median": _fit_ratio_median,
    "efficacy": _fit_efficacy,
    "none": _fit_nothing,
}
_APPLY = {
    "goalposts": _goalposts,
    "zscore": _zscore,
    "rank": _rank,
    "percentile": _percentile,
    "target": _target,
    "frontier": _frontier,
    "ratio_mean": _ratio,
    "ratio_median": _ratio,
    "efficacy": _efficacy,
    "none": _none,
}
