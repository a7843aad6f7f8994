"""Uncertainty and sensitivity analysis of a composite index (Monte Carlo, Sobol indices).

The method and every formula are in docs/index-uncertainty.md. In short:

* :func:`uncertainty` samples the uncertain inputs (child weights of every aggregate node,
  normalisation method, aggregation method, missing-data policy, one indicator dropped) R
  times and recomputes the index ranks of every replication **as arrays**: the spec tree is
  compiled once (leaf matrix units × indicators per alternative, child index lists per node)
  and the R replications are evaluated node by node with matrix products, shape R × units
  per node (TOPSIS nodes too: squared distances to the ideals are products as well).
  Nothing is rebuilt per replication.
* :func:`sensitivity` estimates first-order (Saltelli 2010) and total (Jansen 1999) Sobol
  indices of the mean absolute rank shift, with Saltelli's A, B, A_B^(i) design drawn from
  a scrambled Sobol sequence (:func:`saltelli_design`, scipy's ``qmc``), the N·(k + 2)
  model runs evaluated by the same vectorised engine.
* :func:`run_uncertainty_for_cli` is the table the command line prints.

Pure numpy/pandas (scipy for the Sobol points, threadpoolctl for BLAS threads, both
imported when used), no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from bianhe.index.build import Result, _as_spec, build
from bianhe.index.errors import SpecError
from bianhe.index.normalise import normalise
from bianhe.index.spec import Spec

SPEC = "spec"                       # "as the spec says" (normalisation, aggregation, policy)
SAMPLINGS = ("sobol", "random")      # sensitivity(): scrambled Sobol points or plain MC
#: BLAS threads while replications are evaluated (None: leave BLAS as it is).
BLAS_THREADS: int | None = 1
GEOMETRIC_RANGE = (1.0, 100.0)      # positive range for geometric/harmonic (COINr: l_u 1-100)
_SUPPORTED_AGG = ("arithmetic", "geometric", "harmonic", "topsis")
# Replications evaluated (and ranked) together: about this many cells (replications ×
# units) per R × units array, so that memory stays bounded whatever the number of units.
_CHUNK_CELLS = 1 << 19
_CHUNK_MAX = 4096


# --- results -----------------------------------------------------------------------------


@dataclass
class UncertaintyResult:
    """Monte-Carlo rank statistics; frames indexed by unit."""

    summary: pd.DataFrame               # nominal, median, mean, p5, p95 rank of the index
    ranks: np.ndarray                   # R × units, replication ranks of the index
    scores: np.ndarray                  # R × units, replication scores of the index
    units: pd.Index
    inputs: pd.DataFrame                # R rows: normalisation, aggregation, imputation, dropped
    weights: dict[str, np.ndarray]      # node → R × children sampled weights (sum 1)
    nominal: pd.Series                  # build()'s index ranks
    node_summary: dict[str, pd.DataFrame] = field(default_factory=dict)  # all_nodes=True
    node_ranks: dict[str, np.ndarray] = field(default_factory=dict)
    seed: int = 0


@dataclass
class SensitivityResult:
    """Sobol indices of the output to each input group."""

    indices: pd.DataFrame               # index = input group; S, ST (+ bootstrap quantiles)
    output: str
    base_samples: int
    runs: int
    variance: float
    y_a: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    y_b: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    y_ab: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))  # k × N
    seed: int = 0
    sampling: str = "sobol"


# --- compiling the spec into arrays ------------------------------------------------------


@dataclass
class _Node:
    code: str
    aggregation: str
    weights: np.ndarray              # nominal child weights (sum 1), child order
    leaf_pos: np.ndarray             # positions (in children) of indicator children
    leaf_idx: np.ndarray             # their column in the leaf matrix
    agg_pos: np.ndarray              # positions of aggregate children
    agg_ids: list[int]               # their index in _Model.nodes


@dataclass
class _Model:
    spec: Spec
    units: pd.Index
    indicators: list[str]
    nodes: list[_Node]               # bottom up; the root is last
    leaves: dict                     # (norm index, imputation index) → units × indicators
    norm_labels: list[str]
    agg_labels: list[str]
    imp_labels: list[str]
    nominal: Result
    nominal_ranks: np.ndarray        # index ranks of build()
    positive_cache: dict = field(default_factory=dict)


def _label(alt) -> str:
    if isinstance(alt, dict):
        return alt["method"] + "".join(f",{k}={v}" for k, v in alt.items() if k != "method")
    return str(alt)


def _compile(spec: Spec, data: pd.DataFrame, normalisations, aggregations,
             imputation) -> _Model:
    norm_alts = list(normalisations) if normalisations else [SPEC]
    agg_alts = [str(a) for a in aggregations] if aggregations else [SPEC]
    imp_alts = [str(p) for p in imputation] if imputation else [SPEC]
    for a in agg_alts:
        if a != SPEC and a not in _SUPPORTED_AGG:
            raise SpecError("aggregations", f"{a!r}: use {SPEC!r} or one of {_SUPPORTED_AGG}")
    for p in imp_alts:
        if p not in (SPEC, "reweight", "impute_mean", "impute_median", "impute_group_mean"):
            raise SpecError("imputation", f"{p!r} is not a missing-data policy")
    nominal = build(spec, data)
    codes = [i.code for i in spec.indicators]
    directions = np.array([i.direction for i in spec.indicators], dtype=float)
    col = {c: j for j, c in enumerate(codes)}
    leaves = {}
    for ii, policy in enumerate(imp_alts):
        if policy == SPEC or policy == spec.missing["policy"]:
            res = nominal
        else:
            missing = {"policy": policy}
            if policy == "impute_group_mean":
                group = spec.missing.get("group")
                if not group:
                    raise SpecError("imputation", "impute_group_mean needs the spec's "
                                                  "missing.group column")
                missing["group"] = group
            res = build(replace(spec, missing=missing), data)
        prepared = res.prepared[codes].to_numpy(float)
        for ni, alt in enumerate(norm_alts):
            if alt == SPEC:
                x = res.scores[codes].to_numpy(float)
            else:
                params = dict(alt) if isinstance(alt, dict) else {"method": str(alt)}
                method = params.pop("method")
                x = normalise(prepared, method, direction=directions, names=codes, **params)
            leaves[(ni, ii)] = np.ascontiguousarray(x, dtype=float)
    ids: dict[str, int] = {}
    nodes: list[_Node] = []
    for node in spec.aggregates_bottom_up():
        kids = node.children
        w = nominal.weights[node.code].reindex([c.code for c in kids]).to_numpy(float)
        leaf_pos = np.array([k for k, c in enumerate(kids) if c.is_indicator], dtype=int)
        agg_pos = np.array([k for k, c in enumerate(kids) if not c.is_indicator], dtype=int)
        nodes.append(_Node(
            code=node.code, aggregation=node.aggregation, weights=w, leaf_pos=leaf_pos,
            leaf_idx=np.array([col[kids[k].code] for k in leaf_pos], dtype=int),
            agg_pos=agg_pos, agg_ids=[ids[kids[k].code] for k in agg_pos]))
        ids[node.code] = len(nodes) - 1
    units = nominal.scores.index
    return _Model(spec=spec, units=units, indicators=codes, nodes=nodes, leaves=leaves,
                  norm_labels=[_label(a) for a in norm_alts], agg_labels=agg_alts,
                  imp_labels=imp_alts, nominal=nominal,
                  nominal_ranks=nominal.ranks[spec.root.code].to_numpy(float))


def _positive(x: np.ndarray) -> np.ndarray:
    """Each column linearly mapped onto [1, 100] (constant or empty column → NaN)."""
    obs = ~np.isnan(x)
    lo = np.where(obs, x, np.inf).min(axis=0)
    hi = np.where(obs, x, -np.inf).max(axis=0)
    span = hi - lo
    ok = np.isfinite(span) & (span > 0)
    a, b = GEOMETRIC_RANGE
    scale = np.divide(b - a, span, out=np.zeros_like(span), where=ok)
    use = obs & ok[None, :]
    out = a + (np.where(use, x, 0.0) - np.where(ok, lo, 0.0)[None, :]) * scale[None, :]
    return np.where(use, out, np.nan)


def _leaf_matrix(model: _Model, ni: int, ii: int, needs_positive: bool) -> np.ndarray:
    x = model.leaves[(ni, ii)]
    if not needs_positive:
        return x
    key = (ni, ii)
    if key not in model.positive_cache:
        obs = x[~np.isnan(x)]
        model.positive_cache[key] = _positive(x) if obs.size and obs.min() <= 0 else x
    return model.positive_cache[key]


# --- the vectorised model ----------------------------------------------------------------


@dataclass
class _Design:
    """Per run: discrete choices and the (already renormalised) weights of every node."""

    norm: np.ndarray                 # R ints
    agg: np.ndarray
    imp: np.ndarray
    drop: np.ndarray                 # R ints, −1: nothing dropped, else indicator column
    weights: list[np.ndarray]        # per model node, R × children


def _node_aggregation(model: _Model, node: _Node, ai: int) -> str:
    label = model.agg_labels[ai]
    return node.aggregation if label == SPEC else label


def _evaluate(model: _Model, design: _Design, keep: Sequence[int]) -> dict[int, np.ndarray]:
    """Scores (R × units) of the nodes in `keep` for every run of the design."""
    r_total = len(design.norm)
    n_units = len(model.units)
    out = {k: np.full((r_total, n_units), np.nan) for k in keep}
    config = np.stack([design.norm, design.agg, design.imp], axis=1)
    combos, inverse = np.unique(config, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    chunk = _chunk_rows(n_units)
    for c, (ni, ai, ii) in enumerate(combos):
        rows_all = np.flatnonzero(inverse == c)
        hows = [_node_aggregation(model, n, ai) for n in model.nodes]
        needs_positive = any(h in ("geometric", "harmonic") for h in hows)
        x = _leaf_matrix(model, ni, ii, needs_positive)
        prepared = [_prepare_leaves(x, n, h) for n, h in zip(model.nodes, hows, strict=True)]
        for start in range(0, len(rows_all), chunk):
            rows = rows_all[start:start + chunk]
            scores: list[np.ndarray] = []
            for k, (node, how) in enumerate(zip(model.nodes, hows, strict=True)):
                w = design.weights[k][rows]
                scores.append(_aggregate(node, how, w, prepared[k], scores))
            for k in keep:
                out[k][rows] = scores[k]
    return out


def _chunk_rows(n_units: int) -> int:
    return max(1, min(_CHUNK_MAX, _CHUNK_CELLS // max(n_units, 1)))


def _f(how: str, v: np.ndarray) -> np.ndarray:
    """The transform whose weighted mean is taken (id, log, reciprocal); 0 where v ≤ 0."""
    if how == "arithmetic":
        return v
    safe = np.where(v > 0, v, 1.0)
    if how == "geometric":
        return np.where(v > 0, np.log(safe), 0.0)
    return np.where(v > 0, 1.0 / safe, 0.0)


def _prepare_leaves(x: np.ndarray, node: _Node, how: str):
    """(f(x) with 0 for missing, availability, zeros) for the node's indicator children;
    for TOPSIS (squared distances to the ideal, to the anti-ideal, availability)."""
    if node.leaf_idx.size == 0:
        return None
    v = x[:, node.leaf_idx]
    avail = ~np.isnan(v)
    vz = np.where(avail, v, 0.0)
    if how == "topsis":
        best, worst = _extremes(v, axis=0)
        to_best = np.where(avail, (vz - best[None, :]) ** 2, 0.0)
        to_worst = np.where(avail, (vz - worst[None, :]) ** 2, 0.0)
        return to_best.T.copy(), to_worst.T.copy(), avail.astype(float).T.copy()
    fv = np.where(avail, _f(how, vz), 0.0)
    zero = (avail & (vz <= 0)).astype(float) if how != "arithmetic" else None
    return fv.T.copy(), avail.astype(float).T.copy(), None if zero is None else zero.T.copy()


def _extremes(v: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """TOPSIS's ideal and anti-ideal: maximum and minimum over the units' observed values,
    0 where there is none (as build(), whose ideals are learnt on the children's scores)."""
    obs = ~np.isnan(v)
    best = np.where(obs, v, -np.inf).max(axis=axis)
    worst = np.where(obs, v, np.inf).min(axis=axis)
    seen = obs.any(axis=axis)
    return np.where(seen, best, 0.0), np.where(seen, worst, 0.0)


def _topsis(node: _Node, w: np.ndarray, leaves, scores) -> np.ndarray:
    """Closeness d⁻ / (d⁺ + d⁻) with the weights renormalised over each unit's available
    children, as build(): d± = √Σ_k (w̃_k (x_k − ideal±_k))², w̃_k = w_k δ_k / Σ_j w_j δ_j.
    An aggregate child's ideals are its own replication's maximum and minimum over units
    (a rebuilt index learns them from that child's scores)."""
    if leaves is not None:
        to_best, to_worst, avail = leaves
        wl = w[:, node.leaf_pos]
        squared = wl * wl
        plus, minus, den = squared @ to_best, squared @ to_worst, wl @ avail
    else:
        shape = (w.shape[0], scores[node.agg_ids[0]].shape[1])
        plus, minus, den = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for pos, k in zip(node.agg_pos, node.agg_ids, strict=True):
        s = scores[k]
        obs = ~np.isnan(s)
        best, worst = _extremes(s, axis=1)
        sz = np.where(obs, s, 0.0)
        wk = w[:, pos][:, None]
        plus += wk * wk * np.where(obs, (sz - best[:, None]) ** 2, 0.0)
        minus += wk * wk * np.where(obs, (sz - worst[:, None]) ** 2, 0.0)
        den += wk * obs
    has = den > 0
    safe = np.where(has, den, 1.0)
    d_plus, d_minus = np.sqrt(plus) / safe, np.sqrt(minus) / safe
    total = d_plus + d_minus
    closeness = np.divide(d_minus, total, out=np.ones_like(total), where=total > 0)
    return np.where(has, closeness, np.nan)


def _aggregate(node: _Node, how: str, w: np.ndarray, leaves, scores) -> np.ndarray:
    """Weighted mean over the available children, reweighted (as build's `reweight`)."""
    if how == "topsis":
        return _topsis(node, w, leaves, scores)
    r = w.shape[0]
    if leaves is not None:
        fv, avail, zero = leaves
        wl = w[:, node.leaf_pos]
        num = wl @ fv
        den = wl @ avail
        zeros = (wl > 0).astype(float) @ zero if zero is not None else None
    else:
        n_units = scores[node.agg_ids[0]].shape[1]
        num = np.zeros((r, n_units))
        den = np.zeros((r, n_units))
        zeros = np.zeros((r, n_units)) if how != "arithmetic" else None
    for pos, k in zip(node.agg_pos, node.agg_ids, strict=True):
        s = scores[k]
        avail = ~np.isnan(s)
        wk = w[:, pos][:, None]
        sz = np.where(avail, s, 0.0)
        num += wk * np.where(avail, _f(how, sz), 0.0)
        den += wk * avail
        if zeros is not None:
            zeros += (wk > 0) * (avail & (sz <= 0))
    has = den > 0
    mean = np.divide(num, den, out=np.zeros_like(num), where=has)
    if how == "arithmetic":
        score = mean
    elif how == "geometric":
        score = np.exp(mean)
    else:
        score = np.divide(1.0, mean, out=np.zeros_like(mean), where=mean > 0)
    if zeros is not None:
        score = np.where(zeros > 0, 0.0, score)
    return np.where(has, score, np.nan)


# --- ranks -------------------------------------------------------------------------------


def rank_rows(scores: np.ndarray, ties: str = "competition") -> np.ndarray:
    """Ranks (1 = highest) of each row of `scores`; NaN gets NaN. ties as build()."""
    s = np.asarray(scores, dtype=float)
    r, n = s.shape
    key = np.where(np.isnan(s), np.inf, -s)
    order = np.argsort(key, axis=1, kind="stable")
    sk = np.take_along_axis(key, order, axis=1)
    new = np.ones((r, n), dtype=bool)
    new[:, 1:] = sk[:, 1:] != sk[:, :-1]
    pos = np.broadcast_to(np.arange(n), (r, n))
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    if ties == "competition":
        ranked = start + 1.0
    elif ties == "dense":
        ranked = np.cumsum(new, axis=1).astype(float)
    elif ties == "average":
        last = np.ones((r, n), dtype=bool)
        last[:, :-1] = new[:, 1:]
        end = np.flip(np.minimum.accumulate(np.flip(np.where(last, pos, n), axis=1), axis=1),
                      axis=1)
        ranked = (start + end) / 2.0 + 1.0
    else:
        raise SpecError("rank_ties", f"unknown ties rule {ties!r}")
    out = np.empty((r, n))
    np.put_along_axis(out, order, ranked, axis=1)
    return np.where(np.isnan(s), np.nan, out)


def _final_ranks(model: _Model, root_scores: np.ndarray, rescale: bool) -> np.ndarray:
    """Index ranks as build() would give them: rescale (own min/max), round, rank."""
    spec = model.spec
    s = root_scores
    if spec.rank_round is not None:
        if rescale and spec.rescale is not None:
            lo, hi = spec.rescale
            obs = ~np.isnan(s)
            mn = np.where(obs, s, np.inf).min(axis=1, keepdims=True)
            mx = np.where(obs, s, -np.inf).max(axis=1, keepdims=True)
            span = mx - mn
            ok = np.isfinite(span) & (span > 0)
            s = lo + np.divide(s - np.where(ok, mn, 0.0), span, out=np.zeros_like(s),
                               where=ok & obs) * (hi - lo)
            s = np.where(obs, s, np.nan)
        s = np.round(s, spec.rank_round)
    return _rank_in_chunks(s, spec.rank_ties)


def _rank_in_chunks(scores: np.ndarray, ties: str) -> np.ndarray:
    """rank_rows() a block of replications at a time (its sort needs several arrays of the
    block's size)."""
    out = np.empty(scores.shape)
    chunk = _chunk_rows(scores.shape[1])
    for start in range(0, scores.shape[0], chunk):
        out[start:start + chunk] = rank_rows(scores[start:start + chunk], ties)
    return out


@contextmanager
def _blas_threads():
    """BLAS limited to BLAS_THREADS threads while the replications are evaluated: their
    matrix products are thin (a node's children × thousands of units), and on a small
    machine the threads cost more than they give (BENCHMARKS.md)."""
    if BLAS_THREADS is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an install without it: BLAS as it is
        yield
        return
    with threadpool_limits(BLAS_THREADS, user_api="blas"):
        yield


# --- sampling ----------------------------------------------------------------------------


def _weights_from_unit(model: _Model, u_w: list[np.ndarray], noise: float,
                       drop: np.ndarray) -> list[np.ndarray]:
    """Nominal weights × U(1 − noise, 1 + noise) (from u in [0, 1)), drop, renormalise."""
    out = []
    for node, u in zip(model.nodes, u_w, strict=True):
        w = node.weights[None, :] * (1.0 - noise + 2.0 * noise * u)
        if node.leaf_pos.size:
            hit = drop[:, None] == node.leaf_idx[None, :]
            wl = w[:, node.leaf_pos]
            w[:, node.leaf_pos] = np.where(hit, 0.0, wl)
        total = w.sum(axis=1, keepdims=True)
        out.append(np.divide(w, total, out=np.zeros_like(w), where=total > 0))
    return out


def _choice(u: np.ndarray, m: int) -> np.ndarray:
    return np.minimum((u * m).astype(int), m - 1)


def _nominal_design(model: _Model, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def at(labels):
        return np.full(r, labels.index(SPEC) if SPEC in labels else 0, dtype=int)

    return at(model.norm_labels), at(model.agg_labels), at(model.imp_labels)


# --- Monte Carlo -------------------------------------------------------------------------


def uncertainty(spec, data: pd.DataFrame, *, n: int = 1000, seed: int = 0,
                weight_noise: float = 0.25, normalisations=None, aggregations=None,
                imputation=None, drop_one: bool = False,
                all_nodes: bool = False) -> UncertaintyResult:
    """Monte-Carlo uncertainty analysis of the index ranks (docs/index-uncertainty.md).

    normalisations: alternatives such as ("minmax", "zscore", "rank") or dicts
    ({"method": "minmax", "low": 1, "high": 100}); "spec" = the spec's own normalisation;
    None = the spec's only. aggregations: e.g. ("arithmetic", "geometric") applied at every
    node; "spec" = each node's own. imputation: missing-data policies to choose among,
    e.g. ("reweight", "impute_mean"). drop_one: each replication drops one indicator
    (chosen uniformly among "none" and the indicators). all_nodes: also rank statistics of
    every aggregate node (pillars).
    """
    spec = _as_spec(spec)
    if not 0 <= weight_noise < 1:
        raise SpecError("weight_noise", "must be in [0, 1)")
    if n < 1:
        raise SpecError("n", "at least one replication")
    model = _compile(spec, data, normalisations, aggregations, imputation)
    rng = np.random.default_rng(seed)
    u_w = [rng.random((n, len(node.weights))) for node in model.nodes]
    norm = _choice(rng.random(n), len(model.norm_labels))
    agg = _choice(rng.random(n), len(model.agg_labels))
    imp = _choice(rng.random(n), len(model.imp_labels))
    n_ind = len(model.indicators)
    drop = (_choice(rng.random(n), n_ind + 1) - 1) if drop_one else np.full(n, -1)
    weights = _weights_from_unit(model, u_w, weight_noise, drop)
    design = _Design(norm=norm, agg=agg, imp=imp, drop=drop, weights=weights)
    root = len(model.nodes) - 1
    keep = list(range(len(model.nodes))) if all_nodes else [root]
    with _blas_threads():
        scores = _evaluate(model, design, keep)
    ranks = _final_ranks(model, scores[root], rescale=True)
    units = model.units
    summary = _rank_summary(ranks, model.nominal_ranks, units)
    node_summary, node_ranks = {}, {}
    if all_nodes:
        for k, node in enumerate(model.nodes):
            rk = ranks if k == root else _rank_in_chunks(scores[k], spec.rank_ties)
            node_ranks[node.code] = rk
            node_summary[node.code] = _rank_summary(
                rk, model.nominal.ranks[node.code].to_numpy(float), units)
    inputs = pd.DataFrame({
        "normalisation": np.array(model.norm_labels, dtype=object)[norm],
        "aggregation": np.array(model.agg_labels, dtype=object)[agg],
        "imputation": np.array(model.imp_labels, dtype=object)[imp],
        "dropped": np.where(drop >= 0, np.array([*model.indicators, ""], dtype=object)[drop],
                            None),
    })
    return UncertaintyResult(
        summary=summary, ranks=ranks, scores=scores[root], units=units, inputs=inputs,
        weights={node.code: w for node, w in zip(model.nodes, weights, strict=True)},
        nominal=model.nominal.ranks[spec.root.code], node_summary=node_summary,
        node_ranks=node_ranks, seed=seed)


def _quantile_cols(ranks: np.ndarray, q) -> np.ndarray:
    """Quantiles per column (R's type 7), ignoring NaN, NaN for an all-NaN column."""
    if not np.isnan(ranks).any():
        return np.quantile(ranks, q, axis=0)
    out = np.full((len(q), ranks.shape[1]), np.nan)
    for j in range(ranks.shape[1]):
        col = ranks[:, j][~np.isnan(ranks[:, j])]
        if col.size:
            out[:, j] = np.quantile(col, q)
    return out


def _rank_summary(ranks: np.ndarray, nominal: np.ndarray, units: pd.Index) -> pd.DataFrame:
    p5, med, p95 = _quantile_cols(ranks, [0.05, 0.5, 0.95])
    obs = ~np.isnan(ranks)
    count = obs.sum(axis=0)
    mean = np.divide(np.where(obs, ranks, 0.0).sum(axis=0), count,
                     out=np.full(ranks.shape[1], np.nan), where=count > 0)
    return pd.DataFrame({"nominal_rank": nominal, "median_rank": med, "mean_rank": mean,
                         "p5_rank": p5, "p95_rank": p95}, index=units)


def run_uncertainty_for_cli(spec, data: pd.DataFrame, n: int, seed: int,
                            **options) -> pd.DataFrame:
    """The CLI table: unit, nominal rank, median rank, p5, p95 (sorted by nominal rank).

    `options` go to :func:`uncertainty` (default: weights ×U(0.75, 1.25) only).
    """
    res = uncertainty(spec, data, n=n, seed=seed, **options)
    out = res.summary[["nominal_rank", "median_rank", "p5_rank", "p95_rank"]].copy()
    unit = _as_spec(spec).unit
    out.index.name = unit
    out = out.reset_index().sort_values(["nominal_rank", unit], kind="stable")
    return out.reset_index(drop=True)


# --- Sobol sensitivity -------------------------------------------------------------------


def _groups(model: _Model, inputs, drop_one: bool) -> tuple[list[tuple[str, list[int]]], int]:
    """Input groups → their columns in the unit-hypercube design."""
    cols: dict[str, list[int]] = {}
    d = 0
    for node in model.nodes:
        cols[f"weights:{node.code}"] = list(range(d, d + len(node.weights)))
        d += len(node.weights)
    for name in ("normalisation", "aggregation", "imputation", "drop"):
        cols[name] = [d]
        d += 1
    if inputs is None:
        chosen = [f"weights:{n.code}" for n in model.nodes if len(n.weights) > 1]
        chosen += [name for name, labels in (("normalisation", model.norm_labels),
                                             ("aggregation", model.agg_labels),
                                             ("imputation", model.imp_labels))
                   if len(labels) > 1]
        if drop_one:
            chosen.append("drop")
    else:
        chosen = [str(i) for i in inputs]
    for name in chosen:
        if name not in cols:
            raise SpecError("inputs", f"unknown input {name!r}; use one of {', '.join(cols)}")
    return [(name, cols[name]) for name in chosen], d


def _design_from_unit(model: _Model, u: np.ndarray, active: set[int], noise: float,
                      drop_one: bool) -> _Design:
    """Map unit-hypercube rows to a design; inactive columns stay at the nominal."""
    r = u.shape[0]
    u = np.where(np.isin(np.arange(u.shape[1]), list(active))[None, :], u, 0.5)
    d = 0
    u_w = []
    for node in model.nodes:
        u_w.append(u[:, d:d + len(node.weights)])
        d += len(node.weights)
    nom = _nominal_design(model, r)
    parts = []
    for j, (labels, nominal) in enumerate(((model.norm_labels, nom[0]),
                                           (model.agg_labels, nom[1]),
                                           (model.imp_labels, nom[2]))):
        parts.append(_choice(u[:, d + j], len(labels)) if d + j in active else nominal)
    n_ind = len(model.indicators)
    drop = (_choice(u[:, d + 3], n_ind + 1) - 1) if (drop_one and d + 3 in active) \
        else np.full(r, -1)
    return _Design(norm=parts[0], agg=parts[1], imp=parts[2], drop=drop,
                   weights=_weights_from_unit(model, u_w, noise, drop))


def saltelli_design(base_samples: int, dim: int, groups: Sequence[Sequence[int]], *,
                    seed: int = 0, sampling: str = "sobol") -> np.ndarray:
    """Saltelli's design in the unit hypercube: rows A (N), B (N), then A_B^(i) (N each) —
    A with group i's columns taken from B — for every group; N·(k + 2) rows × `dim`.

    sampling "sobol": A and B are the two halves of one scrambled Sobol sequence of
    dimension 2·dim (``scipy.stats.qmc.Sobol``, seeded; a power of two for N keeps its
    balance); "random": independent uniform numbers (``numpy.random.default_rng``).
    """
    if sampling not in SAMPLINGS:
        raise SpecError("sampling", f"{sampling!r}: use one of {', '.join(SAMPLINGS)}")
    n = base_samples
    if sampling == "sobol":
        import warnings

        from scipy.stats import qmc

        sobol = qmc.Sobol(d=2 * dim, scramble=True, rng=np.random.default_rng(seed))
        with warnings.catch_warnings():  # the balance warning for N not a power of two
            warnings.simplefilter("ignore", UserWarning)
            points = sobol.random(n)
        a, b = points[:, :dim], points[:, dim:]
    else:
        rng = np.random.default_rng(seed)
        a = rng.random((n, dim))
        b = rng.random((n, dim))
    blocks = [a, b]
    for cols in groups:
        ab = a.copy()
        ab[:, list(cols)] = b[:, list(cols)]
        blocks.append(ab)
    return np.concatenate(blocks, axis=0)


def sobol_indices(y: np.ndarray, groups: int, base_samples: int) -> tuple:
    """(S, S_T, V) from the outputs of the rows of :func:`saltelli_design`."""
    n = base_samples
    return _sobol(y[:n], y[n:2 * n], y[2 * n:].reshape(groups, n))


def sensitivity(spec, data: pd.DataFrame, *, base_samples: int = 1024, seed: int = 0,
                inputs=None, weight_noise: float = 0.25, normalisations=None,
                aggregations=None, imputation=None, drop_one: bool = False,
                output: str = "avg_abs_rank_shift", bootstrap: int = 0,
                sampling: str = "sobol") -> SensitivityResult:
    """First-order and total Sobol indices of `output` to each input group.

    inputs: group names — "weights:<node>" (all child weights of a node), "normalisation",
    "aggregation", "imputation", "drop"; None = every group that can vary. output:
    "avg_abs_rank_shift" (mean over units of |rank − nominal rank|, COINr's SA output) or a
    unit identifier (that unit's index rank). bootstrap: resamples for 5–95 % intervals.
    sampling: "sobol" (scrambled Sobol points, the default) or "random" (plain Monte Carlo).
    """
    spec = _as_spec(spec)
    if not 0 <= weight_noise < 1:
        raise SpecError("weight_noise", "must be in [0, 1)")
    if base_samples < 2:
        raise SpecError("base_samples", "at least 2")
    if sampling not in SAMPLINGS:
        raise SpecError("sampling", f"{sampling!r}: use one of {', '.join(SAMPLINGS)}")
    model = _compile(spec, data, normalisations, aggregations, imputation)
    groups, dim = _groups(model, inputs, drop_one)
    if not groups:
        raise SpecError("inputs", "no uncertain input to analyse")
    active = {c for _, cols in groups for c in cols}
    n = base_samples
    u = saltelli_design(n, dim, [cols for _, cols in groups], seed=seed, sampling=sampling)
    design = _design_from_unit(model, u, active, weight_noise, drop_one)
    root = len(model.nodes) - 1
    with _blas_threads():
        root_scores = _evaluate(model, design, [root])[root]
    ranks = _final_ranks(model, root_scores, rescale=True)
    if output == "avg_abs_rank_shift":
        diff = np.abs(ranks - model.nominal_ranks[None, :])
        ok = ~np.isnan(diff)
        y = np.divide(np.where(ok, diff, 0.0).sum(axis=1), ok.sum(axis=1),
                      out=np.full(len(diff), np.nan), where=ok.sum(axis=1) > 0)
    else:
        where = np.flatnonzero(model.units.astype(str) == str(output))
        if where.size != 1:
            raise SpecError("output", f"{output!r}: not avg_abs_rank_shift nor a unit")
        y = ranks[:, where[0]]
    if np.isnan(y).any():
        raise SpecError("output", "the output is undefined for some runs (a unit without "
                                  "any indicator left)")
    ya, yb = y[:n], y[n:2 * n]
    yab = y[2 * n:].reshape(len(groups), n)
    s, st, var = _sobol(ya, yb, yab)
    table = pd.DataFrame({"S": s, "ST": st}, index=[g for g, _ in groups])
    table.index.name = "input"
    if bootstrap:
        brng = np.random.default_rng([seed, 1])
        idx = brng.integers(0, n, size=(bootstrap, n))
        bs = np.empty((bootstrap, len(groups)))
        bst = np.empty((bootstrap, len(groups)))
        for i in range(bootstrap):
            bs[i], bst[i], _ = _sobol(ya[idx[i]], yb[idx[i]], yab[:, idx[i]])
        table["S_q5"], table["S_q95"] = np.nanquantile(bs, [0.05, 0.95], axis=0)
        table["ST_q5"], table["ST_q95"] = np.nanquantile(bst, [0.05, 0.95], axis=0)
    return SensitivityResult(indices=table, output=str(output), base_samples=n,
                             runs=len(y), variance=var, y_a=ya, y_b=yb, y_ab=yab, seed=seed,
                             sampling=sampling)


def _sobol(ya: np.ndarray, yb: np.ndarray, yab: np.ndarray):
    """Saltelli 2010 first order, Jansen 1999 total; V = variance of f(A) ∪ f(B)."""
    var = float(np.var(np.concatenate([ya, yb])))
    if not var > 0:
        k = yab.shape[0]
        return np.full(k, np.nan), np.full(k, np.nan), var
    s = (yb[None, :] * (yab - ya[None, :])).mean(axis=1) / var
    st = 0.5 * ((ya[None, :] - yab) ** 2).mean(axis=1) / var
    return s, st, var


__all__ = ["SensitivityResult", "UncertaintyResult", "rank_rows", "run_uncertainty_for_cli",
           "saltelli_design", "sensitivity", "sobol_indices", "uncertainty"]
