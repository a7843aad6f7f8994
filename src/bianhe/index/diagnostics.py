"""Audit diagnostics per aggregate node: how much one principal component explains, whether
its children hang together (Cronbach's α), and which children pull against their node or
dominate it.

The JRC/OECD Handbook (2008, step 4 "multivariate analysis" and step 7) asks whether the
children of a node measure one thing (a strong first principal component) and whether any
child works against the others or decides the node alone. The thresholds are COINr's
defaults where COINr has one (a correlation of −0.4 or below between siblings counts as
negative, `get_corr_flags`); the dominance rule is this platform's and is documented in
docs/index-engine.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Siblings correlated at or below this pull against each other (COINr's thresh_low).
NEGATIVE_SIBLINGS = -0.4
#: A child dominates when its share of the node's explained variance (r² shares) is above
#: this and more than twice its weight share.
DOMINANT_SHARE = 0.5


def pca_variance(children: pd.DataFrame) -> dict:
    """Eigenvalue shares of the children's correlation matrix (complete cases).

    Returns ``{"first": share of the first component, "shares": [...], "units": n}``;
    shares are None when fewer than 2 children or 3 complete units, or a constant child.
    """
    complete = children.dropna()
    if children.shape[1] < 2 or len(complete) < 3 or (complete.std(ddof=1) == 0).any():
        return {"first": None, "shares": None, "units": len(complete)}
    eigen = np.linalg.eigvalsh(np.corrcoef(complete.to_numpy(dtype=float), rowvar=False))
    shares = np.clip(eigen[::-1], 0, None) / children.shape[1]
    return {"first": float(shares[0]), "shares": [float(s) for s in shares],
            "units": len(complete)}


def child_flags(node_score: pd.Series, children: pd.DataFrame, weights: pd.Series) -> list:
    """Children negatively correlated with their node or a sibling, and dominant children;
    each flag with a plain ``message``."""
    flags = []
    usable = children.loc[:, children.nunique(dropna=True) > 1]
    with np.errstate(all="ignore"):
        to_node = usable.corrwith(node_score)
        siblings = usable.corr()
    node = node_score.name if node_score.name is not None else "the node"
    for code, r in to_node.items():
        if np.isfinite(r) and r < 0:
            flags.append({"child": code, "flag": "negative_with_node", "r": float(r),
                          "message": f"{code} moves against {node} (correlation {r:.2f}): "
                                     f"units that do better on it score lower on {node}"})
    codes = list(siblings.columns)
    for i, first in enumerate(codes):
        for second in codes[i + 1:]:
            r = siblings.loc[first, second]
            if np.isfinite(r) and r <= NEGATIVE_SIBLINGS:
                flags.append({"child": first, "other": second, "flag": "negative_siblings",
                              "r": float(r),
                              "message": f"{first} and {second} pull against each other "
                                         f"(correlation {r:.2f}): they offset each other "
                                         f"in {node}"})
    squared = to_node.pow(2).dropna()
    if len(squared) >= 2 and squared.sum() > 0:
        share = squared / squared.sum()
        weight = weights.reindex(share.index).fillna(0)
        weight = weight / weight.sum() if weight.sum() > 0 else weight
        for code, s in share.items():
            if s > DOMINANT_SHARE and s > 2 * weight[code]:
                flags.append({"child": code, "flag": "dominant", "share": float(s),
                              "weight": float(weight[code]),
                              "message": f"{code} decides {node} almost alone: {s:.0%} of "
                                         f"what the children explain, for a weight of "
                                         f"{float(weight[code]):.0%}"})
    return flags


def coherence_flag(code: str, alpha: float, children: int) -> dict | None:
    """The node's own flag when its children do not measure one thing: Cronbach's α below 0
    (``incoherent``), or undefined although there are at least two children
    (``coherence_unknown``: fewer than 2 units with every child, or no variation). A node
    with a single child has no α to judge and no flag."""
    if children < 2:
        return None
    if alpha is None or not np.isfinite(alpha):
        return {"flag": "coherence_unknown", "alpha": None,
                "message": f"the coherence of {code} cannot be checked: Cronbach's alpha of "
                           f"its {children} children is undefined (fewer than 2 units with "
                           f"every child, or no variation)"}
    if alpha < 0:
        return {"flag": "incoherent", "alpha": float(alpha),
                "message": f"{code} is incoherent: Cronbach's alpha of its {children} "
                           f"children is {alpha:.2f} (below 0): they do not measure one "
                           f"thing, and its score averages things that cancel out"}
    return None


def diagnostics(spec, scores: pd.DataFrame, weights: dict, alpha: dict | None = None) -> dict:
    """Per aggregate node: PCA variance explained and the flags — the node's coherence flag
    first (when `alpha`, node → Cronbach's α of its children, is given), then the child
    flags."""
    out = {}
    for node in spec.aggregates:
        codes = [child.code for child in node.children]
        children = scores[codes]
        node_weights = weights.get(node.code, pd.Series(1.0, index=codes))
        flags = child_flags(scores[node.code], children, node_weights)
        if alpha is not None:
            own = coherence_flag(node.code, alpha.get(node.code), len(codes))
            flags = [own, *flags] if own else flags
        out[node.code] = {"pca": pca_variance(children), "flags": flags}
    return out


def flag_list(nodes_diagnostics: dict) -> list[dict]:
    """Every flag of every node in one list, each with its ``node``, ``code`` and
    ``message`` (the form a page lists them in)."""
    return [{"node": node, "code": flag["flag"], **{k: v for k, v in flag.items()
                                                     if k != "flag"}}
            for node, diag in nodes_diagnostics.items() for flag in diag["flags"]]
