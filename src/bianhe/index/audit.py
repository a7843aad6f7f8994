"""Statistical audit of a built index (JRC/OECD Handbook, step 7 and COINr's analysis).

- correlations (Pearson and Spearman, pairwise complete) between every indicator, every
  aggregate node and the index;
- Cronbach's alpha of the children of every aggregate node (complete cases):
  α = k/(k−1) · (1 − Σ_j var(x_j) / var(Σ_j x_j)), sample variances; NaN when k < 2 or
  fewer than 2 complete units;
- per aggregate node, the variance its children's first principal component explains, and
  flags: the node incoherent (α < 0) or its coherence unknown (α undefined with two or more
  children), children negatively correlated with their node or a sibling, or dominating it
  (:mod:`bianhe.index.diagnostics`); ``flags`` lists them all, each with a code and a plain
  message.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bianhe.index.diagnostics import diagnostics, flag_list


def cronbach_alpha(x: pd.DataFrame | np.ndarray) -> float:
    arr = np.asarray(x, dtype=float)
    arr = arr[~np.isnan(arr).any(axis=1)]
    n, k = arr.shape
    if k < 2 or n < 2:
        return float("nan")
    total_var = arr.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - arr.var(axis=0, ddof=1).sum() / total_var))


def correlations(scores: pd.DataFrame, method: str = "pearson") -> pd.DataFrame:
    usable = scores.loc[:, scores.nunique(dropna=True) > 1]
    return usable.corr(method=method)


def audit(result) -> dict:
    spec = result.spec
    scores = result.scores
    alpha = {}
    for node in spec.aggregates:
        alpha[node.code] = cronbach_alpha(scores[[c.code for c in node.children]])
    nodes = diagnostics(spec, scores, result.weights, alpha)
    return {
        "index": spec.root.code,
        "units": len(scores),
        "nodes": [n.code for n in spec.nodes()],
        "weights": {code: w.to_dict() for code, w in result.weights.items()},
        "correlation": {
            "pearson": _matrix(correlations(scores, "pearson")),
            "spearman": _matrix(correlations(scores, "spearman")),
        },
        "cronbach_alpha": {k: _num(v) for k, v in alpha.items()},
        "nodes_diagnostics": nodes,
        "flags": flag_list(nodes),
        "treatment": {code: {k: _num(v) if isinstance(v, float) else v
                             for k, v in vars(rec).items()}
                      for code, rec in result.treatment.items()},
    }


def _num(v):
    return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else float(v)


def _matrix(frame: pd.DataFrame) -> dict:
    return {str(r): {str(c): _num(frame.loc[r, c]) for c in frame.columns} for r in frame.index}


def write_audit(result, path: str | Path, *, report: dict | None = None) -> Path:
    """Write the audit (`report`, or ``audit(result)``) as JSON."""
    path = Path(path)
    report = audit(result) if report is None else report
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=_default),
                    encoding="utf-8")
    return path


def _default(obj):
    if isinstance(obj, np.integer | np.bool_):
        return obj.item()
    if isinstance(obj, np.floating):
        return _num(float(obj))
    return str(obj)
