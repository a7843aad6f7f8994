"""What explains a unit's score: contributions, strengths and weaknesses.

Used by :func:`bianhe.index.build.build` on its internal matrices: ``scores`` has one row per
node (``rows`` maps a node code to its row) and one column per unit. A node's children are
taken as ``scores[rows].T`` — units × children laid out as ``DataFrame.to_numpy()`` lays
them out — so that sums across children add in the same order as a frame-based computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bianhe.index.spec import Spec


def contributions(spec: Spec, rows: dict[str, int], scores: np.ndarray, unit_weights: dict,
                  rescale_range: tuple[float, float] | None, units: pd.Index,
                  columns: pd.Index) -> pd.DataFrame:
    """Each node's part of the (un-rescaled) index score, per unit (units × nodes).

    Arithmetic node: child j gets (its node's path factor) × w̃_j × x_j, so indicator
    contributions add up to the index exactly. Geometric node: log shares,
    w̃_j ln x_j / Σ w̃_k ln x_k of the node's contribution (equal shares when the node's
    score is 1; zero when a child is 0). Harmonic and TOPSIS: shares w̃_j x_j / Σ w̃_k x_k.
    A node without a score has no contribution. `columns`: the node codes, row order.
    """
    n = scores.shape[1]
    root = spec.root.code
    raw_root = scores[rows[root]]
    if rescale_range is not None:
        lo, hi = spec.rescale
        mn, mx = rescale_range
        raw_root = (raw_root - lo) / (hi - lo) * (mx - mn) + mn
    out = np.empty_like(scores)
    out[rows[root]] = raw_root
    factor = {root: np.ones(n)}
    for node in spec.aggregates:  # parents before children
        wn = unit_weights[node.code]
        v = scores[[rows[c.code] for c in node.children]].T
        vz = np.where(np.isnan(v), 0.0, v)
        parent = out[rows[node.code]]
        with np.errstate(all="ignore"):
            if node.aggregation == "arithmetic":
                for j, child in enumerate(node.children):
                    factor[child.code] = factor[node.code] * wn[:, j]
                    out[rows[child.code]] = factor[child.code] * vz[:, j]
                continue
            if node.aggregation == "geometric":
                logs = wn * np.log(np.where(vz > 0, vz, 1.0))
                total = logs.sum(axis=1)
                share = np.where(np.abs(total)[:, None] > 1e-12, logs / total[:, None], wn)
            else:
                part = wn * vz
                total = part.sum(axis=1)
                share = np.where(total[:, None] != 0, part / total[:, None], wn)
            for j, child in enumerate(node.children):
                mine = np.where(np.isnan(parent), np.nan, parent * share[:, j])
                out[rows[child.code]] = mine
                factor[child.code] = np.where(vz[:, j] != 0, mine / vz[:, j], 0.0)
    out[np.isnan(scores)] = np.nan
    return pd.DataFrame(out.T, index=units, columns=columns.copy())


def quartile_members(values: np.ndarray, codes: list[str], units: pd.Index):
    """(strengths, weaknesses): per unit, the indicators where it is in the top (bottom)
    quartile across units; `values` has one row per indicator.

    Quartiles by linear interpolation (pandas' and numpy's default), all columns at once —
    ``np.quantile`` where nothing is missing, the much slower ``np.nanquantile`` only on
    columns with a gap; an indicator with fewer than four values has no quartiles.
    """
    by_unit = values.T  # units × indicators
    present = ~np.isnan(by_unit)
    enough = present.sum(axis=0) >= 4
    q25 = np.full(len(codes), np.nan)
    q75 = np.full(len(codes), np.nan)
    full = enough & present.all(axis=0)
    gaps = enough & ~full
    if full.any():
        q25[full], q75[full] = np.quantile(by_unit[:, full], [0.25, 0.75], axis=0)
    if gaps.any():
        q25[gaps], q75[gaps] = np.nanquantile(by_unit[:, gaps], [0.25, 0.75], axis=0)
    with np.errstate(invalid="ignore"):
        top = (by_unit >= q75) & (by_unit > q25) & enough
        bottom = (by_unit <= q25) & (by_unit < q75) & enough
    names = [str(unit) for unit in units.tolist()]
    return _members(names, codes, top), _members(names, codes, bottom)


def _members(names: list[str], codes: list[str], chosen: np.ndarray) -> dict[str, list[str]]:
    """Unit name → the codes of its chosen columns, in column order (units × codes mask)."""
    rows, cols = np.nonzero(chosen)  # row-major: each unit's columns in order
    flat = np.array(codes, dtype=object)[cols].tolist()
    ends = np.cumsum(np.bincount(rows, minlength=len(names))).tolist()
    starts = [0, *ends[:-1]]
    return {name: flat[a:b] for name, a, b in zip(names, starts, ends, strict=True)}


__all__ = ["contributions", "quartile_members"]
