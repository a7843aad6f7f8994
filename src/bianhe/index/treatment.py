"""Outlier treatment before normalisation: Winsorisation, falling back to a log transform.

A few extreme values can dominate a min–max scale and push everyone else into a narrow
band. `treat` follows the default data treatment of the COINr R package (the version that
produced the ASEM example, `treat()`/`coin_win()`), so a result can be checked against it:

1. skewness and kurtosis are the bias-corrected sample statistics of e1071 `type = 2`
   (SAS/SPSS G1 and excess kurtosis G2), computed on the observed values;
2. while |skew| > skew_threshold AND kurtosis > kurt_threshold, and fewer than
   `max_points` steps were taken: if skew ≥ 0 the highest value (all units tied at it) is
   set to the next-highest value, else the lowest is set to the next-lowest; the side is
   re-decided at every step;
3. if the limit was reached and the thresholds are still exceeded, the Winsorisation is
   discarded and the original values get COINr's "CTlog": ln(x − min + 0.01·(max − min)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SpecError

TRANSFORMS = ("log", "log1p", "boxcox", "ctlog", "winsorise")


@dataclass
class TreatmentRecord:
    """What `treat` did to one indicator, with the shape statistics before and after."""

    column: str
    skew_before: float
    kurt_before: float
    winsorised_low: int
    winsorised_high: int
    log_transformed: bool
    skew_after: float
    kurt_after: float


def skewness(x) -> float:
    """Sample skewness G1 = g1·√(n(n−1))/(n−2), g1 = m3/m2^1.5 (e1071 type 2); NaN ignored."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 3:
        return float("nan")
    dev = v - v.mean()
    m2 = np.mean(dev**2)
    if m2 == 0:
        return float("nan")
    g1 = np.mean(dev**3) / m2**1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(x) -> float:
    """Sample excess kurtosis G2 = ((n+1)g2 + 6)(n−1)/((n−2)(n−3)), g2 = m4/m2² − 3."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 4:
        return float("nan")
    dev = v - v.mean()
    m2 = np.mean(dev**2)
    if m2 == 0:
        return float("nan")
    g2 = np.mean(dev**4) / m2**2 - 3.0
    return float(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))


def _outside(sk: float, kt: float, t_skew: float, t_kurt: float) -> bool:
    # NaN (too few or constant values) compares False: such a column is never treated.
    return bool(abs(sk) > t_skew and kt > t_kurt)


def treat(
    x,
    *,
    skew_threshold: float = 2.0,
    kurt_threshold: float = 3.5,
    max_points: int = 5,
    column: str = "",
) -> tuple[np.ndarray, TreatmentRecord]:
    """Winsorise one indicator towards acceptable skew and kurtosis, or log it; see module."""
    v = np.asarray(x, dtype=float)
    if v.ndim != 1:
        raise SpecError(column, "treat expects one indicator (a 1-D array)")
    if np.isinf(v).any():
        raise SpecError(column, "infinite value; use NaN for a missing value")
    if int(max_points) != max_points or max_points < 0:
        raise SpecError(column, f"max_points must be a non-negative integer, got {max_points}")
    sk0, kt0 = skewness(v), kurtosis(v)
    w = v.copy()
    sk, kt = sk0, kt0
    low = high = 0
    while _outside(sk, kt, skew_threshold, kurt_threshold) and low + high < max_points:
        obs = w[~np.isnan(w)]
        if sk >= 0:
            top = obs.max()
            rest = obs[obs != top]
            if rest.size == 0:
                break
            w[w == top] = rest.max()
            high += 1
        else:
            bottom = obs.min()
            rest = obs[obs != bottom]
            if rest.size == 0:
                break
            w[w == bottom] = rest.min()
            low += 1
        if np.unique(w[~np.isnan(w)]).size < 2:
            raise SpecError(
                column,
                "Winsorising further would leave fewer than two distinct values; "
                "lower max_points or transform this indicator instead",
            )
        sk, kt = skewness(w), kurtosis(w)
    logged = low + high >= max_points and _outside(sk, kt, skew_threshold, kurt_threshold)
    if logged:
        w = transform(v, "ctlog", column=column)
        low = high = 0
        sk, kt = skewness(w), kurtosis(w)
    record = TreatmentRecord(
        column=column,
        skew_before=sk0,
        kurt_before=kt0,
        winsorised_low=low,
        winsorised_high=high,
        log_transformed=logged,
        skew_after=sk,
        kurt_after=kt,
    )
    return w, record


def transform(x, method: str, *, column: str = "", **params) -> np.ndarray:
    """A named transformation of one indicator (NaN stays NaN).

    - "log": ln x, needs x > 0;
    - "log1p": ln(1 + x), needs x > −1;
    - "boxcox": (x^λ − 1)/λ, ln x when λ = 0 (param `lmbda`, alias `lambda`); needs x > 0,
      or `makepos=True` to first shift to x − min + 1 as COINr's BoxCox does;
    - "ctlog": ln(x − min + 0.01·(max − min)) (COINr/COIN Tool), needs max > min;
    - "winsorise": clamp to the `lower`/`upper` quantiles (defaults 0.05/0.95, linear
      interpolation = numpy's default = R's type 7).
    """
    v = np.asarray(x, dtype=float)
    obs = v[~np.isnan(v)]
    if method not in TRANSFORMS:
        raise SpecError(column or method, f"unknown transform {method!r}; use one of {TRANSFORMS}")
    allowed = {
        "log": set(),
        "log1p": set(),
        "boxcox": {"lmbda", "lambda", "makepos"},
        "ctlog": set(),
        "winsorise": {"lower", "upper"},
    }[method]
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise SpecError(column or method, f"unknown parameter(s) {unknown} for {method!r}")
    with np.errstate(all="ignore"):
        return _TRANSFORMS[method](v, obs, column or method, params)


def _log(v, obs, column, params):
    if (obs <= 0).any():
        raise SpecError(column, f"log needs positive values, the smallest is {obs.min():g}")
    return np.log(v)


def _log1p(v, obs, column, params):
    if (obs <= -1).any():
        raise SpecError(column, f"log1p needs values above -1, the smallest is {obs.min():g}")
    return np.log1p(v)


def _boxcox(v, obs, column, params):
    lam = params.get("lmbda", params.get("lambda"))
    if lam is None or not np.isfinite(float(lam)):
        raise SpecError(column, "boxcox needs a finite lambda (parameter 'lmbda')")
    lam = float(lam)
    if params.get("makepos", False) and obs.size:
        v, obs = v - obs.min() + 1.0, obs - obs.min() + 1.0
    if (obs <= 0).any():
        raise SpecError(column, f"boxcox needs positive values, the smallest is {obs.min():g}")
    return np.log(v) if lam == 0 else (v**lam - 1.0) / lam


def _ctlog(v, obs, column, params):
    if obs.size == 0:
        return v.copy()
    lo, hi = obs.min(), obs.max()
    if hi == lo:
        raise SpecError(column, "ctlog needs at least two distinct values")
    return np.log(v - lo + 0.01 * (hi - lo))


def _winsorise(v, obs, column, params):
    lower, upper = float(params.get("lower", 0.05)), float(params.get("upper", 0.95))
    if not 0 <= lower < upper <= 1:
        raise SpecError(column, f"winsorise needs 0 ≤ lower < upper ≤ 1, got {lower}, {upper}")
    if obs.size == 0:
        return v.copy()
    lo, hi = np.quantile(obs, [lower, upper])
    return np.clip(v, lo, hi)


_TRANSFORMS = {
    "log": _log,
    "log1p": _log1p,
    "boxcox": _boxcox,
    "ctlog": _ctlog,
    "winsorise": _winsorise,
}
