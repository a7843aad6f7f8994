"""Build a composite index from a spec and a data table.

Steps (docs/index-engine.md has the formulas): check everything → denominators → missing
values (impute or keep for reweighting) → per-indicator transform → outlier treatment →
normalisation with direction → aggregation up the tree → optional rescale of the index →
ranks at every aggregate node → contributions, strengths and weaknesses, rank changes.

:class:`CompositeIndex` follows scikit-learn's estimator contract: ``__init__`` only stores
the spec; :meth:`~CompositeIndex.fit` learns the data-driven parameters (imputation values,
treatment, min/max and other normalisation statistics, entropy/CRITIC/PCA weights, TOPSIS
ideals, the rescale range) into attributes ending in ``_``; :meth:`~CompositeIndex.transform`
applies them to any table with the same columns. :func:`build` is ``fit`` then ``transform``
on the same data plus everything a report needs (:class:`Result`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bianhe.index import weights as weight_methods
from bianhe.index.errors import SpecError
from bianhe.index.normalise import normalise
from bianhe.index.spec import Aggregate, Spec, load_spec, validate_data

_RANK_METHOD = {"competition": "min", "dense": "dense", "average": "average"}


@dataclass
class Result:
    """Everything one build gives; every frame is indexed by unit."""

    spec: Spec
    scores: pd.DataFrame              # units × every node (indicators: normalised values)
    ranks: pd.DataFrame               # units × every aggregate node (1 = best)
    contributions: pd.DataFrame       # units × every node: share of the index score
    strengths: dict[str, list[str]]   # unit → indicators in the top quartile across units
    weaknesses: dict[str, list[str]]  # unit → indicators in the bottom quartile
    weights: dict[str, pd.Series]     # aggregate node → its children's weights (sum 1)
    treatment: dict = field(default_factory=dict)    # indicator → TreatmentRecord
    prepared: pd.DataFrame | None = None  # indicator values after imputation and treatment
    rank_change: pd.DataFrame | None = None  # previous rank − rank (positive: moved up)
    estimator: CompositeIndex | None = None

    @property
    def index_code(self) -> str:
        return self.spec.root.code

    def table(self) -> pd.DataFrame:
        """One row per unit: every node's score, then ``<code>_rank`` per aggregate node."""
        out = self.scores.copy()
        for code in self.ranks.columns:
            out[f"{code}_rank"] = self.ranks[code]
        return out


def _as_spec(spec) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, str | Path | Mapping):
        return load_spec(spec)
    raise TypeError(f"a Spec, a path or a mapping is needed, not {type(spec).__name__}")


class CompositeIndex:
    """A composite index as a scikit-learn-style estimator (no scikit-learn needed)."""

    def __init__(self, spec):
        self.spec = spec

    # scikit-learn's parameter protocol
    def get_params(self, deep: bool = True) -> dict:
        return {"spec": self.spec}

    def set_params(self, **params) -> CompositeIndex:
        for key, value in params.items():
            if key != "spec":
                raise ValueError(f"invalid parameter {key!r} for CompositeIndex")
            self.spec = value
        return self

    def __repr__(self) -> str:
        spec = self.spec
        label = spec.root.code if isinstance(spec, Spec) else repr(spec)
        return f"CompositeIndex(spec={label})"

    # --- fit -----------------------------------------------------------------------------

    def fit(self, data: pd.DataFrame, y=None) -> CompositeIndex:
        spec = _as_spec(self.spec)
        validate_data(spec, data)
        self.spec_ = spec
        self.feature_names_in_ = np.array(spec.columns_needed(), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        raw = _denominated(spec, data)
        self.imputation_ = _learn_imputation(spec, data, raw)
        values = _impute(spec, data, raw, self.imputation_)
        values = _transformed(spec, values)
        before = values
        self.treatment_, values = _learn_treatment(spec, values)
        self.treatment_bounds_ = {code: (float(np.nanmin(before[code])),
                                         float(np.nanmax(before[code])),
                                         float(np.nanmin(values[code])),
                                         float(np.nanmax(values[code])))
                                  for code in self.treatment_
                                  if values[code].notna().any()}
        self.normalisation_ = {}
        for ind in spec.indicators:
            self.normalisation_[ind.code] = _learn_normalisation(
                spec.normalise_for(ind), ind.direction, values[ind.code].to_numpy(float))
        normalised = self._normalise(values)
        # Weights and TOPSIS ideals depend on the children's scores: go bottom up.
        self.weights_ = {}
        self.topsis_ideals_ = {}
        self.rescale_range_ = None
        scores = normalised.copy()
        for node in spec.aggregates_bottom_up():
            children = scores[[c.code for c in node.children]].to_numpy(float)
            self.weights_[node.code] = pd.Series(_node_weights(node, children),
                                                 index=[c.code for c in node.children])
            if node.aggregation == "topsis":
                self.topsis_ideals_[node.code] = (np.nanmax(children, axis=0),
                                                  np.nanmin(children, axis=0))
            scores[node.code] = _aggregate(node, children, self.weights_[node.code].to_numpy(),
                                           self.topsis_ideals_.get(node.code), data,
                                           spec.unit)[0]
        if spec.rescale is not None:
            root = scores[spec.root.code]
            if root.notna().sum() == 0 or root.max() == root.min():
                raise SpecError(spec.root.code,
                                "cannot rescale: the index has the same value for every unit")
            self.rescale_range_ = (float(root.min()), float(root.max()))
        return self

    # --- transform -----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "spec_"):
            raise ValueError("this CompositeIndex is not fitted yet; call fit first")

    def _prepare(self, data: pd.DataFrame) -> pd.DataFrame:
        spec = self.spec_
        validate_data(spec, data)
        raw = _denominated(spec, data)
        values = _impute(spec, data, raw, self.imputation_)
        values = _transformed(spec, values)
        for code, record in self.treatment_.items():
            values[code] = _apply_treatment(values[code].to_numpy(float), record,
                                            self.treatment_bounds_.get(code))
        return values

    def _normalise(self, values: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=values.index)
        for ind in self.spec_.indicators:
            out[ind.code] = _apply_normalisation(values[ind.code].to_numpy(float),
                                                 self.normalisation_[ind.code], ind.code)
        return out

    def _compute(self, data: pd.DataFrame):
        """(prepared values, scores, per-node effective weights per unit)."""
        self._check_fitted()
        spec = self.spec_
        values = self._prepare(data)
        scores = self._normalise(values)
        unit_weights = {}
        for node in spec.aggregates_bottom_up():
            children = scores[[c.code for c in node.children]].to_numpy(float)
            score, w = _aggregate(node, children, self.weights_[node.code].to_numpy(),
                                  self.topsis_ideals_.get(node.code), data, spec.unit)
            scores[node.code] = score
            unit_weights[node.code] = w
        if self.rescale_range_ is not None:
            lo, hi = spec.rescale
            mn, mx = self.rescale_range_
            scores[spec.root.code] = lo + (scores[spec.root.code] - mn) / (mx - mn) * (hi - lo)
        order = [n.code for n in spec.nodes()]
        return values, scores[order], unit_weights

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        """Scores (units × every node, indicators normalised) with the fitted parameters."""
        return self._compute(data)[1]

    def fit_transform(self, data: pd.DataFrame, y=None) -> pd.DataFrame:
        return self.fit(data).transform(data)


def build(spec, data: pd.DataFrame, *, previous=None) -> Result:
    """Fit the index on `data` and compute everything for a report.

    `previous`: an earlier :class:`Result`, or a table indexed by unit (or with the unit
    column) holding ``<code>_rank`` or ``<code>`` rank columns: gives ``rank_change``.
    """
    est = CompositeIndex(spec).fit(data)
    spec = est.spec_
    values, scores, unit_weights = est._compute(data)
    ranks = rank_table(spec, scores)
    return Result(
        spec=spec,
        scores=scores,
        ranks=ranks,
        contributions=_contributions(spec, scores, unit_weights, est),
        strengths=_quartile_members(spec, scores, top=True),
        weaknesses=_quartile_members(spec, scores, top=False),
        weights=dict(est.weights_),
        treatment=dict(est.treatment_),
        prepared=values,
        rank_change=_rank_change(spec, ranks, previous) if previous is not None else None,
        estimator=est,
    )


# --- preparation -------------------------------------------------------------------------


def _unit_index(spec: Spec, data: pd.DataFrame) -> pd.Index:
    return pd.Index(data[spec.unit].to_numpy(), name=spec.unit)


def _denominated(spec: Spec, data: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=_unit_index(spec, data))
    for ind in spec.indicators:
        col = data[ind.code].to_numpy(dtype=float)
        if ind.denominator:
            col = col / data[ind.denominator].to_numpy(dtype=float)
        out[ind.code] = col
    return out


def _learn_imputation(spec: Spec, data: pd.DataFrame, raw: pd.DataFrame) -> dict:
    policy = spec.missing["policy"]
    if policy == "fail":
        _fail_on_missing(spec, raw)
        return {}
    if policy in ("impute_mean", "impute_median"):
        stat = raw.mean() if policy == "impute_mean" else raw.median()
        return {"overall": stat.to_dict()}
    if policy == "impute_group_mean":
        groups = data[spec.missing["group"]].to_numpy()
        by_group = raw.groupby(groups).mean()
        return {"overall": raw.mean().to_dict(),
                "groups": {g: row.to_dict() for g, row in by_group.iterrows()}}
    return {}


def _fail_on_missing(spec: Spec, raw: pd.DataFrame) -> None:
    missing = raw.isna()
    if missing.any().any():
        col = missing.any()[missing.any()].index[0]
        unit = raw.index[missing[col].to_numpy()][0]
        raise SpecError(col, f"missing value for unit {unit} (missing: fail)")


def _impute(spec: Spec, data: pd.DataFrame, raw: pd.DataFrame, learnt: dict) -> pd.DataFrame:
    policy = spec.missing["policy"]
    if policy == "fail":
        _fail_on_missing(spec, raw)
        return raw.copy()
    if policy == "reweight":
        return raw.copy()
    out = raw.copy()
    overall = learnt["overall"]
    if policy == "impute_group_mean":
        groups = data[spec.missing["group"]].to_numpy()
        for code in out.columns:
            col = out[code].to_numpy(float)
            fill = np.array([learnt["groups"].get(g, {}).get(code, np.nan) for g in groups])
            fill = np.where(np.isnan(fill), overall[code], fill)
            out[code] = np.where(np.isnan(col), fill, col)
    else:
        out = out.fillna(value=overall)
    return out


def _transformed(spec: Spec, values: pd.DataFrame) -> pd.DataFrame:
    from bianhe.index.treatment import transform

    out = values.copy()
    for ind in spec.indicators:
        if ind.transform:
            params = {k: v for k, v in ind.transform.items() if k != "method"}
            with np.errstate(all="ignore"):
                out[ind.code] = transform(out[ind.code].to_numpy(float),
                                          ind.transform["method"], **params)
    return out


def _learn_treatment(spec: Spec, values: pd.DataFrame):
    if spec.treatment is None:
        return {}, values
    from bianhe.index.treatment import treat

    out = values.copy()
    records = {}
    t = spec.treatment
    for ind in spec.indicators:
        if ind.transform:  # the analyst chose a transform: no automatic treatment on top
            continue
        treated, record = treat(out[ind.code].to_numpy(float),
                                skew_threshold=t["skew_threshold"],
                                kurt_threshold=t["kurt_threshold"],
                                max_points=t["max_points"], column=ind.code)
        out[ind.code] = treated
        records[ind.code] = record
    return records, out


def _apply_treatment(col: np.ndarray, record, bounds) -> np.ndarray:
    """Apply a fitted treatment to (possibly new) values.

    Winsorisation moved the extreme points onto the nearest kept value, so clipping at the
    fitted treated range (on the side(s) that were winsorised) reproduces it on the fitting
    data; CTlog uses the fitting data's min and max: ln(x − min + 0.01·(max − min)).
    """
    if bounds is None:
        return col
    raw_lo, raw_hi, lo, hi = bounds
    with np.errstate(all="ignore"):
        if record.log_transformed:
            return np.log(col - raw_lo + 0.01 * (raw_hi - raw_lo))
        out = col
        if record.winsorised_low:
            out = np.where(out < lo, lo, out)
        if record.winsorised_high:
            out = np.where(out > hi, hi, out)
    return out


# --- normalisation -----------------------------------------------------------------------


def _learn_normalisation(nspec: dict, direction: int, col: np.ndarray) -> dict:
    method = nspec["method"]
    params = {k: v for k, v in nspec.items() if k != "method"}
    learnt: dict = {"method": method, "direction": direction, "params": params}
    obs = col[~np.isnan(col)]
    y = direction * obs
    if method == "minmax":
        learnt["stats"] = (float(y.min()), float(y.max())) if y.size else (np.nan, np.nan)
    elif method == "zscore":
        learnt["stats"] = ((float(y.mean()), float(y.std(ddof=1))) if y.size >= 2
                           else (np.nan, np.nan))
    elif method in ("ratio_mean", "ratio_median"):
        learnt["stats"] = float(np.mean(obs) if method == "ratio_mean" else np.median(obs))
    elif method == "frontier":
        learnt["stats"] = float(obs.max() if direction == 1 else obs.min())
    elif method == "target":
        learnt["stats"] = float(obs.min() if direction == 1 else obs.max())
    elif method == "efficacy":
        p = dict(params)
        p.setdefault("worst", float(obs.min() if direction == 1 else obs.max()))
        p.setdefault("best", float(obs.max() if direction == 1 else obs.min()))
        learnt["fixed"] = "worst" in params or "best" in params
        learnt["params"] = p
    # Fixed-parameter methods (goalposts) and rank/percentile (relative to the data being
    # transformed) need nothing learnt. Checks such as goalposts or target bounds and the
    # conditions of frontier/ratio run in normalise() on the fitting data:
    if method not in ("none",):
        normalise(col, method, direction=direction, names=["_"], **_their_params(learnt))
    return learnt


def _their_params(learnt: dict) -> dict:
    params = dict(learnt["params"])
    if learnt["method"] == "efficacy" and not learnt.get("fixed"):
        params.pop("worst", None)
        params.pop("best", None)
    return params


def _apply_normalisation(col: np.ndarray, learnt: dict, code: str) -> np.ndarray:
    method, d, p = learnt["method"], learnt["direction"], learnt["params"]
    stats = learnt.get("stats")
    with np.errstate(all="ignore"):
        if method == "none":
            return d * col
        if method == "minmax":
            lo, hi = stats
            if not hi > lo:
                return np.full(col.shape, np.nan)
            low, high = p.get("low", 0.0), p.get("high", 1.0)
            return (d * col - lo) / (hi - lo) * (high - low) + low
        if method == "zscore":
            mu, sd = stats
            if not sd > 0:
                return np.full(col.shape, np.nan)
            return (d * col - mu) / sd * p.get("sd", 1.0) + p.get("mean", 0.0)
        if method in ("ratio_mean", "ratio_median"):
            return col / stats if d == 1 else stats / col
        if method == "frontier":
            return col / stats if d == 1 else stats / col
        if method == "target":
            worst, target = stats, p["target"]
            y = (col - worst) / (target - worst) if d == 1 else (worst - col) / (worst - target)
            return np.where(y > 1.0, 1.0, y) if p.get("cap_max", True) else y
        if method == "efficacy":
            worst, best = p["worst"], p["best"]
            if best == worst:
                return np.full(col.shape, np.nan)
            y = p.get("floor", 60.0) + p.get("span", 40.0) * (col - worst) / (best - worst)
            if learnt.get("fixed"):
                y = np.clip(y, p.get("floor", 60.0), p.get("floor", 60.0) + p.get("span", 40.0))
            return y
    return normalise(col, method, direction=d, names=[code], **p)


# --- weights and aggregation -------------------------------------------------------------


def _node_weights(node: Aggregate, children: np.ndarray) -> np.ndarray:
    method = node.weights["method"]
    k = len(node.children)
    if method == "children":
        return weight_methods.explicit(
            [c.weight if c.weight is not None else 1.0 for c in node.children], name=node.code)
    if method == "explicit":
        return weight_methods.explicit(node.weights["values"], name=node.code)
    if method == "equal":
        return weight_methods.equal(k)
    if method == "ahp":
        return weight_methods.ahp(node.weights["matrix"], name=node.code)[0]
    fn = {"entropy": weight_methods.entropy, "critic": weight_methods.critic,
          "pca": weight_methods.pca}[method]
    return fn(children, name=node.code)


def _aggregate(node: Aggregate, v: np.ndarray, w: np.ndarray, ideals, data, unit_col):
    """(score per unit, effective weights per unit — rows sum to 1 over available children)."""
    available = ~np.isnan(v)
    wa = np.where(available, w[None, :], 0.0)
    total = wa.sum(axis=1)
    has = total > 0
    wn = np.divide(wa, total[:, None], out=np.zeros_like(wa), where=has[:, None])
    vz = np.where(available, v, 0.0)
    score = np.full(v.shape[0], np.nan)
    how = node.aggregation
    if how == "arithmetic":
        score[has] = (wn * vz).sum(axis=1)[has]
    elif how in ("geometric", "harmonic"):
        used = available & (wa > 0)
        negative = used & (v < 0)
        if negative.any():
            i, j = np.argwhere(negative)[0]
            unit = data[unit_col].iloc[i]
            raise SpecError(node.code, f"{how} mean of a negative value ({node.children[j].code} "
                                       f"= {v[i, j]:g} for unit {unit}); normalise to "
                                       f"positive values (e.g. minmax low > 0)")
        zero = (used & (v == 0)).any(axis=1)
        safe = np.where(used, v, 1.0)
        safe = np.where(safe == 0, 1.0, safe)
        if how == "geometric":
            s = np.exp((wn * np.log(safe)).sum(axis=1))
        else:
            s = 1.0 / (wn * np.where(used, 1.0 / safe, 0.0)).sum(axis=1)
        # A zero child makes the product (and the harmonic mean) zero: no compensation.
        score[has] = np.where(zero, 0.0, s)[has]
    elif how == "topsis":
        best, worst = ideals
        best = np.where(np.isnan(best), 0.0, best)
        worst = np.where(np.isnan(worst), 0.0, worst)
        d_plus = np.sqrt((np.where(available, wn * (vz - best), 0.0) ** 2).sum(axis=1))
        d_minus = np.sqrt((np.where(available, wn * (vz - worst), 0.0) ** 2).sum(axis=1))
        denom = d_plus + d_minus
        c = np.divide(d_minus, denom, out=np.ones_like(denom), where=denom > 0)
        score[has] = c[has]
    return score, wn


# --- ranks, contributions, strengths -----------------------------------------------------


def rank_table(spec: Spec, scores: pd.DataFrame) -> pd.DataFrame:
    """Ranks (1 = highest score) at every aggregate node; NaN scores get no rank."""
    out = pd.DataFrame(index=scores.index)
    for node in spec.nodes():
        if node.is_indicator:
            continue
        out[node.code] = rank_values(scores[node.code], ties=spec.rank_ties,
                                     decimals=spec.rank_round)
    return out


def rank_values(values: pd.Series, *, ties: str = "competition",
                decimals: int | None = None) -> pd.Series:
    s = pd.Series(values, dtype=float)
    if decimals is not None:
        s = round_half_up(s, decimals)
    return s.rank(method=_RANK_METHOD[ties], ascending=False, na_option="keep")


def round_half_up(values, decimals: int):
    """Round half away from zero on the shortest decimal representation (as published)."""
    from decimal import ROUND_HALF_UP, Decimal

    quantum = Decimal(1).scaleb(-decimals)

    def one(x):
        if x is None or not np.isfinite(x):
            return x
        return float(Decimal(repr(float(x))).quantize(quantum, rounding=ROUND_HALF_UP))

    if isinstance(values, pd.Series):
        return values.map(one)
    return np.vectorize(one, otypes=[float])(np.asarray(values, dtype=float))


def _contributions(spec: Spec, scores: pd.DataFrame, unit_weights: dict,
                   est: CompositeIndex) -> pd.DataFrame:
    """Each node's part of the (un-rescaled) index score, per unit.

    Arithmetic node: child j gets (its node's path factor) × w̃_j × x_j, so indicator
    contributions add up to the index exactly. Geometric node: log shares,
    w̃_j ln x_j / Σ w̃_k ln x_k of the node's contribution (equal shares when the node's
    score is 1; zero when a child is 0). Harmonic and TOPSIS: shares w̃_j x_j / Σ w̃_k x_k.
    """
    n = len(scores)
    root = spec.root.code
    raw_root = scores[root].to_numpy(float)
    if est.rescale_range_ is not None:
        lo, hi = spec.rescale
        mn, mx = est.rescale_range_
        raw_root = (raw_root - lo) / (hi - lo) * (mx - mn) + mn
    contrib = {root: raw_root}
    factor = {root: np.ones(n)}
    for node in spec.aggregates:  # parents before children
        wn = unit_weights[node.code]
        v = scores[[c.code for c in node.children]].to_numpy(float)
        vz = np.where(np.isnan(v), 0.0, v)
        parent = contrib[node.code]
        with np.errstate(all="ignore"):
            if node.aggregation == "arithmetic":
                for j, child in enumerate(node.children):
                    factor[child.code] = factor[node.code] * wn[:, j]
                    contrib[child.code] = factor[child.code] * vz[:, j]
                continue
            if node.aggregation == "geometric":
                logs = wn * np.log(np.where(vz > 0, vz, 1.0))
                total = logs.sum(axis=1)
                share = np.where(np.abs(total)[:, None] > 1e-12, logs / total[:, None],
                                 wn)
            else:
                part = wn * vz
                total = part.sum(axis=1)
                share = np.where(total[:, None] != 0, part / total[:, None], wn)
            for j, child in enumerate(node.children):
                contrib[child.code] = np.where(np.isnan(parent), np.nan, parent * share[:, j])
                factor[child.code] = np.where(vz[:, j] != 0, contrib[child.code] / vz[:, j],
                                              0.0)
    order = [n.code for n in spec.nodes()]
    out = pd.DataFrame({code: contrib[code] for code in order}, index=scores.index)
    for code in order:
        out.loc[scores[code].isna(), code] = np.nan
    return out


def _quartile_members(spec: Spec, scores: pd.DataFrame, *, top: bool) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {str(u): [] for u in scores.index}
    for ind in spec.indicators:
        col = scores[ind.code]
        if col.notna().sum() < 4:
            continue
        q25, q75 = col.quantile(0.25), col.quantile(0.75)
        chosen = (col >= q75) & (col > q25) if top else (col <= q25) & (col < q75)
        for unit in col.index[chosen.to_numpy()]:
            members[str(unit)].append(ind.code)
    return members


def _rank_change(spec: Spec, ranks: pd.DataFrame, previous) -> pd.DataFrame:
    if isinstance(previous, Result):
        prev = previous.ranks
    else:
        prev = pd.DataFrame(previous)
        if spec.unit in prev.columns:
            prev = prev.set_index(spec.unit)
        renamed = {f"{c}_rank": c for c in ranks.columns if f"{c}_rank" in prev.columns}
        prev = prev[list(renamed)].rename(columns=renamed) if renamed else prev
    prev.index = prev.index.map(str)
    current = ranks.copy()
    current.index = current.index.map(str)
    out = pd.DataFrame(index=current.index)
    for code in ranks.columns:
        if code in prev.columns:
            before = pd.to_numeric(prev[code], errors="coerce").reindex(current.index)
            out[code] = before - current[code]
    out.index = ranks.index
    return out


__all__ = ["CompositeIndex", "Result", "build", "rank_table", "rank_values", "round_half_up"]
