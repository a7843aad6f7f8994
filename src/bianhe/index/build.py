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

The work is done on numpy matrices (:mod:`bianhe.index.prepare` describes them), with
the data checked and converted once; pandas frames are made once, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bianhe.index import weights as weight_methods
from bianhe.index.errors import SpecError
from bianhe.index.explain import contributions, quartile_members
from bianhe.index.normalise import fit_normalisation, normalise
from bianhe.index.prepare import (
    CheckedData,
    Layout,
    apply_treatment,
    impute,
    learn_imputation,
    learn_treatment,
    missing_cells,
    transformed,
    treatment_bounds,
)
from bianhe.index.spec import Aggregate, Spec, load_spec

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
    # One row per missing value: unit, indicator, name, action (imputed / reweighted), how,
    # value filled in (prepare.missing_cells).
    missing: pd.DataFrame | None = None

    @property
    def index_code(self) -> str:
        return self.spec.root.code

    def table(self) -> pd.DataFrame:
        """One row per unit: every node's score, then ``<code>_rank`` per aggregate node."""
        return pd.concat([self.scores, self.ranks.add_suffix("_rank")], axis=1)


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
        self._fit(spec, Layout.of(spec), data)
        return self

    def _fit(self, spec: Spec, layout: Layout, data: pd.DataFrame):
        """Fit; return the checked input, its values after imputation, and after the
        transforms (before treatment): build reuses them instead of checking and preparing
        the same data a second time."""
        inp = CheckedData.read(spec, layout, data)
        self.spec_ = spec
        self.feature_names_in_ = np.array(spec.columns_needed(), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.imputation_ = learn_imputation(spec, layout, inp)
        imputed = impute(spec, layout, inp, self.imputation_)
        values = transformed(layout, imputed)
        self.treatment_, treated = learn_treatment(spec, layout, values)
        self.treatment_bounds_ = treatment_bounds(layout, self.treatment_, values, treated)
        self.normalisation_ = _learn_normalisations(spec, layout, treated)
        self._fit_aggregation(spec, layout, inp.units, self._normalise(layout, treated))
        return inp, imputed, values

    def _fit_aggregation(self, spec: Spec, layout: Layout, units: pd.Index,
                         normalised: np.ndarray) -> None:
        """Weights and TOPSIS ideals depend on the children's scores: go bottom up."""
        self.weights_ = {}
        self.topsis_ideals_ = {}
        self.rescale_range_ = None
        scores = np.empty((len(layout.order), normalised.shape[1]))
        scores[layout.indicator_rows] = normalised
        for node in layout.bottom_up:
            children = layout.children_of(scores, node)
            self.weights_[node.code] = pd.Series(_node_weights(node, children),
                                                 index=[c.code for c in node.children])
            if node.aggregation == "topsis":
                self.topsis_ideals_[node.code] = _column_extremes(children)
            scores[layout.row[node.code]] = _aggregate(
                node, children, self.weights_[node.code].to_numpy(),
                self.topsis_ideals_.get(node.code), units)[0]
        if spec.rescale is not None:
            root = scores[layout.row[spec.root.code]]
            seen = root[~np.isnan(root)]
            if seen.size == 0 or seen.max() == seen.min():
                raise SpecError(spec.root.code,
                                "cannot rescale: the index has the same value for every unit")
            self.rescale_range_ = (float(seen.min()), float(seen.max()))

    # --- transform -----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "spec_"):
            raise ValueError("this CompositeIndex is not fitted yet; call fit first")

    def _normalise(self, layout: Layout, values: np.ndarray) -> np.ndarray:
        """Normalised indicators (rows), with the fitted statistics."""
        return _apply_normalisations(layout, self.normalisation_, values)

    def _apply(self, layout: Layout, units: pd.Index, values: np.ndarray):
        """(prepared values, scores of every node, per-node effective weights per unit), from
        the imputed and transformed values; all matrices with one row per column."""
        spec = self.spec_
        prepared = values.copy()
        for code, record in self.treatment_.items():
            bounds = self.treatment_bounds_.get(code)
            if bounds is not None and (record.log_transformed or record.winsorised_low
                                       or record.winsorised_high):
                i = layout.column[code]
                prepared[i] = apply_treatment(values[i], record, bounds)
        scores = np.empty((len(layout.order), values.shape[1]))
        scores[layout.indicator_rows] = self._normalise(layout, prepared)
        unit_weights = {}
        for node in layout.bottom_up:
            score, w = _aggregate(node, layout.children_of(scores, node),
                                  self.weights_[node.code].to_numpy(),
                                  self.topsis_ideals_.get(node.code), units)
            scores[layout.row[node.code]] = score
            unit_weights[node.code] = w
        if self.rescale_range_ is not None:
            lo, hi = spec.rescale
            mn, mx = self.rescale_range_
            root = layout.row[spec.root.code]
            scores[root] = lo + (scores[root] - mn) / (mx - mn) * (hi - lo)
        return prepared, scores, unit_weights

    def _compute(self, data: pd.DataFrame):
        """(prepared values, scores, per-node effective weights per unit) for new data."""
        self._check_fitted()
        spec = self.spec_
        layout = Layout.of(spec)
        inp = CheckedData.read(spec, layout, data)
        values = transformed(layout, impute(spec, layout, inp, self.imputation_))
        prepared, scores, unit_weights = self._apply(layout, inp.units, values)
        return (inp.frame(prepared, layout.codes_index), inp.frame(scores, layout.order_index),
                unit_weights)

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
    est = CompositeIndex(spec)
    spec = _as_spec(spec)
    layout = Layout.of(spec)
    inp, imputed, values = est._fit(spec, layout, data)
    prepared, scores, unit_weights = est._apply(layout, inp.units, values)
    score_frame = inp.frame(scores, layout.order_index)
    ranks = rank_table(spec, score_frame)
    strengths, weaknesses = quartile_members(scores[layout.indicator_rows], layout.codes,
                                             inp.units)
    return Result(
        spec=spec,
        scores=score_frame,
        ranks=ranks,
        contributions=contributions(spec, layout.row, scores, unit_weights,
                                    est.rescale_range_, inp.units, layout.order_index),
        strengths=strengths,
        weaknesses=weaknesses,
        weights=dict(est.weights_),
        treatment=dict(est.treatment_),
        prepared=inp.frame(prepared, layout.codes_index),
        rank_change=_rank_change(spec, ranks, previous) if previous is not None else None,
        estimator=est,
        missing=missing_cells(spec, layout, inp, imputed, est.imputation_),
    )


# --- normalisation -----------------------------------------------------------------------


def _normalisation_groups(spec: Spec, layout: Layout) -> list[tuple[str, dict, list[int]]]:
    """(method, parameters, rows): indicators normalised alike, in order of first use, so
    that each group is one call of fit_normalisation() and of normalise()."""
    groups: dict = {}
    for i, ind in enumerate(layout.indicators):
        nspec = spec.normalise_for(ind)
        method = nspec.pop("method")
        key = (method, tuple(sorted(nspec.items())))
        groups.setdefault(key, (method, nspec, []))[2].append(i)
    return list(groups.values())


def _learn_normalisations(spec: Spec, layout: Layout, values: np.ndarray) -> dict:
    """Every indicator's normalisation: method, direction, parameters and the statistics
    fit_normalisation() takes from the data. When several indicators cannot be normalised,
    the first in the spec's order is the one named."""
    learnt = {}
    failures = []
    for method, params, rows in _normalisation_groups(spec, layout):
        inds = [layout.indicators[i] for i in rows]
        codes = [ind.code for ind in inds]
        directions = np.array([ind.direction for ind in inds], dtype=float)
        try:
            fitted = fit_normalisation(values[rows].T, method, direction=directions,
                                       names=codes, **params)
        except SpecError as exc:
            at = codes.index(exc.where) if exc.where in codes else 0
            failures.append((rows[at], exc))
            continue
        for ind, fit in zip(inds, fitted, strict=True):
            learnt[ind.code] = {"method": method, "direction": ind.direction,
                                "params": params, "fitted": fit}
    if failures:
        raise min(failures, key=lambda failure: failure[0])[1]
    return {code: learnt[code] for code in layout.codes}


def _apply_normalisations(layout: Layout, learnt: dict, values: np.ndarray) -> np.ndarray:
    """Normalised indicators (rows) with the learnt statistics: one normalise() per group."""
    out = np.empty_like(values)
    groups: dict = {}
    for i, code in enumerate(layout.codes):
        lt = learnt[code]
        key = (lt["method"], tuple(sorted(lt["params"].items())))
        groups.setdefault(key, (lt["method"], lt["params"], []))[2].append(i)
    for method, params, rows in groups.values():
        lts = [learnt[layout.codes[i]] for i in rows]
        directions = np.array([lt["direction"] for lt in lts], dtype=float)
        out[rows] = normalise(values[rows].T, method, direction=directions,
                              names=[layout.codes[i] for i in rows],
                              fitted=[lt["fitted"] for lt in lts], **params).T
    return out


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


def _aggregate(node: Aggregate, v: np.ndarray, w: np.ndarray, ideals, units: pd.Index):
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
            raise SpecError(node.code, f"{how} mean of a negative value ({node.children[j].code} "
                                       f"= {v[i, j]:g} for unit {units[i]}); normalise to "
                                       f"positive values (e.g. minmax low > 0)")
        zero = (used & (v == 0)).any(axis=1)
        safe = np.where(used, v, 1.0)
        safe = np.where(safe == 0, 1.0, safe)
        if how == "geometric":
            s = np.exp((wn * np.log(safe)).sum(axis=1))
        else:
            with np.errstate(divide="ignore"):  # a unit with no child left: not scored
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


def _column_extremes(children: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TOPSIS's ideal and anti-ideal per child: the column maximum and minimum over units;
    NaN for a column with no value (a constant indicator normalises to NaN), without the
    warning numpy's nanmax gives for an empty column."""
    observed = ~np.isnan(children)
    has = observed.any(axis=0)
    best = np.where(observed, children, -np.inf).max(axis=0, initial=-np.inf)
    worst = np.where(observed, children, np.inf).min(axis=0, initial=np.inf)
    return np.where(has, best, np.nan), np.where(has, worst, np.nan)


# --- ranks and rank changes --------------------------------------------------------------


def rank_table(spec: Spec, scores: pd.DataFrame) -> pd.DataFrame:
    """Ranks (1 = highest score) at every aggregate node; NaN scores get no rank.

    All nodes in one pandas call (ranks of each column, as :func:`rank_values` gives them).
    """
    codes = [node.code for node in spec.nodes() if not node.is_indicator]
    values = scores[codes].to_numpy(dtype=float)
    if spec.rank_round is not None:
        values = round_half_up(values, spec.rank_round)
    frame = pd.DataFrame(values, index=scores.index, columns=codes)
    return frame.rank(method=_RANK_METHOD[spec.rank_ties], ascending=False, na_option="keep")


def rank_values(values: pd.Series, *, ties: str = "competition",
                decimals: int | None = None) -> pd.Series:
    s = pd.Series(values, dtype=float)
    if decimals is not None:
        s = round_half_up(s, decimals)
    return s.rank(method=_RANK_METHOD[ties], ascending=False, na_option="keep")


def round_half_up(values, decimals: int):
    """Round half away from zero on the shortest decimal representation (as published).

    Exact decimal rounding (``Decimal(repr(x))``) for the values near a tie — those whose
    scaled value has a fraction within 1e-6 of one half, or is too large for a float to hold
    its units — and ``numpy.round`` for the rest: away from a tie both give the float
    nearest the same decimal (``numpy.round`` divides a whole number by 10^decimals, a
    correctly rounded division), so the result is the same as rounding every value with
    ``Decimal``, much faster on large tables.
    """
    if isinstance(values, pd.Series):
        return pd.Series(round_half_up(values.to_numpy(dtype=float), decimals),
                         index=values.index, name=values.name)
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:  # a single number: the same rule, a number back
        return float(round_half_up(arr.reshape(1), decimals)[0])
    with np.errstate(all="ignore"):
        out = np.round(arr, decimals)
        scaled = np.abs(arr) * 10.0 ** decimals
        near_tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
        exact = np.isfinite(arr) & (near_tie | (scaled >= 2.0 ** 52))
    if exact.any():
        out[exact] = _round_decimal(arr[exact], decimals)
    return out


def _round_decimal(values: np.ndarray, decimals: int) -> np.ndarray:
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    quantum = Decimal(1).scaleb(-decimals)

    def one(x: float) -> float:
        try:
            return float(Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP))
        except InvalidOperation:  # more digits than Decimal's 28: a whole number already
            return x

    return np.array([one(x) for x in values.tolist()], dtype=float)


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
