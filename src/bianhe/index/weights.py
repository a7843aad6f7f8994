"""Weights for aggregating indicators: given, equal, data-driven (entropy, CRITIC, PCA) or AHP.

Every function returns a float64 array summing to 1. The data-driven methods expect an
already normalised (units × indicators) array in which higher is better; rows with any NaN
are left out (complete cases), because the methods compare indicators over the same units.
The formulas, step by step, are in docs/index-methods.md.
"""

from __future__ import annotations

import numpy as np

from .errors import SpecError

# Saaty's random consistency index RI for n = 1 … 15.
SAATY_RI = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
RECIPROCAL_TOLERANCE = 1e-6
MAX_CR = 0.1
# 1 − e_j below this counts as zero: a constant column has entropy 1 up to rounding.
_ENTROPY_TOLERANCE = 1e-12


def equal(n: int) -> np.ndarray:
    """n equal weights 1/n."""
    if int(n) != n or n < 1:
        raise SpecError("weights", f"need at least one indicator, got n={n}")
    return np.full(int(n), 1.0 / int(n))


def explicit(w, *, name: str = "weights") -> np.ndarray:
    """Given weights scaled to sum 1 (relative importances, any positive total)."""
    arr = np.asarray(w, dtype=float).ravel()
    if arr.size == 0:
        raise SpecError(name, "no weights given")
    if not np.isfinite(arr).all():
        raise SpecError(name, "weights must be finite numbers")
    if (arr < 0).any():
        raise SpecError(name, f"weights must not be negative, got {arr.min():g}")
    total = arr.sum()
    if not total > 0:
        raise SpecError(name, "weights must have a positive sum")
    return arr / total


def _complete(x, name: str, min_rows: int) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise SpecError(name, f"expected a 2-D array (units × indicators), got {arr.ndim}-D")
    if np.isinf(arr).any():
        raise SpecError(name, "infinite value in the data")
    arr = arr[~np.isnan(arr).any(axis=1)]
    if arr.shape[0] < min_rows:
        raise SpecError(name, f"need at least {min_rows} units without missing values")
    if arr.shape[1] < 1:
        raise SpecError(name, "no indicators")
    return arr


def entropy(x: np.ndarray, *, name: str = "entropy weights") -> np.ndarray:
    """熵权法: indicators whose values differ more between units get more weight.

    p_ij = x_ij / Σ_i x_ij, e_j = −(1/ln n) Σ_i p_ij ln p_ij (0·ln 0 = 0),
    w_j = (1 − e_j) / Σ_k (1 − e_k). x must be non-negative (e.g. min–max normalised).
    """
    arr = _complete(x, name, 2)
    if (arr < 0).any():
        raise SpecError(name, "the entropy method needs non-negative values (normalise first)")
    col_sum = arr.sum(axis=0)
    if (col_sum <= 0).any():
        j = int(np.argmax(col_sum <= 0))
        raise SpecError(name, f"indicator {j} is zero for every unit")
    n = arr.shape[0]
    p = arr / col_sum
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    d[d < _ENTROPY_TOLERANCE] = 0.0
    if d.sum() <= 0:
        raise SpecError(name, "every indicator is constant: the entropy method gives no weights")
    return d / d.sum()


def _check_constant(arr: np.ndarray, name: str) -> None:
    span = arr.max(axis=0) - arr.min(axis=0)
    if (span == 0).any():
        j = int(np.argmax(span == 0))
        raise SpecError(name, f"indicator {j} is constant: its correlation is undefined")


def critic(x: np.ndarray, *, name: str = "CRITIC weights") -> np.ndarray:
    """CRITIC (Diakoulaki et al. 1995): contrast intensity times conflict with the others.

    Each column is min–max normalised to [0, 1]; σ_j is its sample standard deviation
    (ddof=1), r_jk the Pearson correlation; C_j = σ_j Σ_k (1 − r_jk), w_j = C_j / Σ C.
    """
    arr = _complete(x, name, 3)
    _check_constant(arr, name)
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    z = (arr - lo) / (hi - lo)
    sigma = z.std(axis=0, ddof=1)
    r = np.atleast_2d(np.corrcoef(z, rowvar=False))
    c = sigma * (1.0 - r).sum(axis=1)
    if not c.sum() > 0:
        raise SpecError(name, "all indicators are perfectly correlated: CRITIC gives no weights")
    return c / c.sum()


def varimax(loadings: np.ndarray, *, normalize: bool = True, eps: float = 1e-5) -> np.ndarray:
    """Varimax rotation exactly as R's stats::varimax (Kaiser normalisation, SVD iteration)."""
    x = np.asarray(loadings, dtype=float)
    p, nc = x.shape
    if nc < 2:
        return x.copy()
    sc = np.sqrt((x**2).sum(axis=1)) if normalize else np.ones(p)
    x = x / sc[:, None]
    rot = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = x @ rot
        b = x.T @ (z**3 - z @ np.diag((z**2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        rot = u @ vt
        d_past, d = d, s.sum()
        if d < d_past * (1 + eps):
            break
    return (x @ rot) * sc[:, None]


def pca(
    x: np.ndarray,
    *,
    min_eigenvalue: float = 1.0,
    min_share: float = 0.10,
    min_cumulative: float = 0.60,
    name: str = "PCA weights",
) -> np.ndarray:
    """Factor-analysis weights of the OECD/JRC Handbook (2008, section 6.1), via PCA.

    Correlation matrix → leading components kept by the Handbook's three rules → varimax →
    squared loadings scaled to unit sum per factor → each indicator takes its largest scaled
    squared loading times its factor's share of the explained variance → scaled to sum 1.
    """
    arr = _complete(x, name, 3)
    if arr.shape[1] < 2:
        raise SpecError(name, "PCA weights need at least two indicators")
    _check_constant(arr, name)
    return pca_from_correlation(
        np.corrcoef(arr, rowvar=False),
        min_eigenvalue=min_eigenvalue,
        min_share=min_share,
        min_cumulative=min_cumulative,
        name=name,
    )


def pca_from_correlation(
    corr: np.ndarray,
    *,
    min_eigenvalue: float = 1.0,
    min_share: float = 0.10,
    min_cumulative: float = 0.60,
    name: str = "PCA weights",
) -> np.ndarray:
    """The steps of `pca` starting from a correlation matrix (useful to check by hand)."""
    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    eigval, eigvec = np.linalg.eigh(r)
    order = np.argsort(eigval)[::-1]
    eigval, eigvec = eigval[order], eigvec[:, order]
    m = retained_components(eigval, min_eigenvalue, min_share, min_cumulative)
    loadings = eigvec[:, :m] * np.sqrt(np.clip(eigval[:m], 0.0, None))
    rotated = varimax(loadings)
    sq = rotated**2
    explained = sq.sum(axis=0)
    if not (explained > 0).all():
        raise SpecError(name, "a retained factor explains no variance")
    scaled = sq / explained
    factor_weight = explained / explained.sum()
    best = np.argmax(scaled, axis=1)
    w = factor_weight[best] * scaled[np.arange(p), best]
    return w / w.sum()


def retained_components(
    eigval: np.ndarray, min_eigenvalue: float, min_share: float, min_cumulative: float
) -> int:
    """How many leading components to keep (eigenvalues sorted in decreasing order).

    Keep the leading components with eigenvalue > min_eigenvalue and share of variance
    > min_share; if together they explain less than min_cumulative, keep adding the next
    components until they do. At least one component is kept.
    """
    ev = np.asarray(eigval, dtype=float)
    share = ev / ev.sum()
    m = 0
    while m < ev.size and ev[m] > min_eigenvalue and share[m] > min_share:
        m += 1
    m = max(m, 1)
    while m < ev.size and share[:m].sum() < min_cumulative:
        m += 1
    return m


def _check_pairwise(matrix, name: str) -> np.ndarray:
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise SpecError(name, f"a pairwise comparison matrix must be square, got {a.shape}")
    if not np.isfinite(a).all():
        raise SpecError(name, "the pairwise comparison matrix has missing or infinite entries")
    if (a <= 0).any():
        raise SpecError(name, "pairwise comparisons must be positive")
    n = a.shape[0]
    if n > len(SAATY_RI):
        raise SpecError(name, f"at most {len(SAATY_RI)} elements can be compared, got {n}")
    bad = np.abs(a * a.T - 1.0) > RECIPROCAL_TOLERANCE
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise SpecError(
            name,
            f"not reciprocal: a[{i},{j}]·a[{j},{i}] = {a[i, j] * a[j, i]:g}, must be 1",
        )
    return a


def _principal(a: np.ndarray) -> tuple[np.ndarray, float]:
    eigval, eigvec = np.linalg.eig(a)
    k = int(np.argmax(eigval.real))
    v = np.abs(eigvec[:, k].real)
    return v / v.sum(), float(eigval[k].real)


def _cr(lam: float, n: int) -> float:
    if n <= 2:
        return 0.0
    ci = max(lam - n, 0.0) / (n - 1)
    return ci / SAATY_RI[n - 1]


def ahp_consistency(matrix, *, name: str = "pairwise matrix") -> float:
    """Saaty's consistency ratio CR = CI/RI, CI = (λmax − n)/(n − 1); 0 for n ≤ 2."""
    a = _check_pairwise(matrix, name)
    _, lam = _principal(a)
    return _cr(lam, a.shape[0])


def ahp(matrix, *, name: str = "pairwise matrix", max_cr: float = MAX_CR):
    """层次分析法: principal eigenvector weights (sum 1) and the consistency ratio.

    Raises SpecError when the matrix is not a positive reciprocal square matrix, or when
    CR ≥ max_cr (0.1, Saaty's rule) — the judgements must then be revised.
    """
    a = _check_pairwise(matrix, name)
    w, lam = _principal(a)
    cr = _cr(lam, a.shape[0])
    if cr >= max_cr:
        raise SpecError(
            name,
            f"inconsistent pairwise comparisons: CR = {cr:.4f} (λmax = {lam:.4f}), "
            f"must be below {max_cr:g}",
        )
    return w, cr
