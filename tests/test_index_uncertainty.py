"""Monte-Carlo uncertainty and Sobol sensitivity of composite-index ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bianhe.index.build import build
from bianhe.index.errors import SpecError
from bianhe.index.spec import load_spec
from bianhe.index.uncertainty import (
    rank_rows,
    run_uncertainty_for_cli,
    saltelli_design,
    sensitivity,
    sobol_indices,
    uncertainty,
)


def make(units=40, pillars=3, per=4, seed=1, missing=0.0, dominant=False, **top):
    rng = np.random.default_rng(seed)
    nodes = [{"code": "Index"}]
    cols = {}
    k = 0
    for p in range(pillars):
        nodes.append({"code": f"P{p}", "parent": "Index", "weight": 1 + p})
        for _ in range(per):
            code = f"i{k}"
            nodes.append({"code": code, "parent": f"P{p}", "direction": -1 if k % 3 == 0 else 1,
                          "weight": 1 + k % 2})
            col = rng.normal(size=units) * (k + 1) + 10 * k
            if dominant:  # unit 0 best on every indicator
                col[0] = col.min() - 1 if k % 3 == 0 else col.max() + 1
            if missing:
                col[1:][rng.random(units - 1) < missing] = np.nan
            cols[code] = col
            k += 1
    spec = load_spec({"unit": "u", "nodes": nodes, **top})
    data = pd.DataFrame({"u": [f"U{i:03d}" for i in range(units)], **cols})
    return spec, data


def test_reproducible_with_seed():
    spec, data = make()
    opts = {"n": 200, "normalisations": ("minmax", "zscore"), "drop_one": True}
    a = uncertainty(spec, data, seed=7, **opts)
    b = uncertainty(spec, data, seed=7, **opts)
    c = uncertainty(spec, data, seed=8, **opts)
    np.testing.assert_array_equal(a.ranks, b.ranks)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.ranks, c.ranks)


@pytest.mark.parametrize("top", [
    {},
    {"normalise": {"method": "zscore"}},
    {"normalise": {"method": "minmax", "low": 1, "high": 100}, "rank_ties": "average"},
])
def test_no_noise_equals_build(top):
    spec, data = make(**top)
    res = uncertainty(spec, data, n=30, weight_noise=0.0, all_nodes=True)
    nominal = build(spec, data)
    for node in ("Index", "P0", "P1", "P2"):
        expected = nominal.ranks[node].to_numpy(float)
        got = res.ranks if node == "Index" else res.node_ranks[node]
        np.testing.assert_array_equal(got, np.broadcast_to(expected, got.shape))
    np.testing.assert_allclose(res.scores, np.broadcast_to(
        nominal.scores["Index"].to_numpy(float), res.scores.shape), rtol=1e-12, atol=1e-12)
    assert (res.summary["median_rank"] == res.summary["nominal_rank"]).all()


def test_no_noise_with_missing_values_equals_build():
    spec, data = make(missing=0.15)
    assert data.isna().any().any()
    res = uncertainty(spec, data, n=10, weight_noise=0.0)
    expected = build(spec, data).ranks["Index"].to_numpy(float)
    np.testing.assert_array_equal(res.ranks, np.broadcast_to(expected, res.ranks.shape))


def test_single_alternatives_equal_build_geometric():
    spec, data = make()
    geo = load_spec({"unit": "u", "normalise": {"method": "minmax", "low": 1, "high": 100},
                     "nodes": [dict(n, aggregation="geometric") if n["code"][0] in "IP" else n
                               for n in _nodes(spec)]})
    res = uncertainty(spec, data, n=10, weight_noise=0.0,
                      normalisations=({"method": "minmax", "low": 1, "high": 100},),
                      aggregations=("geometric",))
    expected = build(geo, data).ranks["Index"].to_numpy(float)
    np.testing.assert_array_equal(res.ranks, np.broadcast_to(expected, res.ranks.shape))


def _nodes(spec):
    out = []
    for node in spec.nodes():
        parent = next((a.code for a in spec.aggregates if node in a.children), None)
        row = {"code": node.code}
        if parent:
            row["parent"] = parent
        if node.weight is not None:
            row["weight"] = node.weight
        if node.is_indicator:
            row["direction"] = node.direction
        out.append(row)
    return out


def test_dominant_unit_median_rank_one_and_percentiles_ordered():
    spec, data = make(dominant=True)
    res = uncertainty(spec, data, n=500, seed=3, weight_noise=0.5,
                      normalisations=("minmax", "zscore", "rank"),
                      aggregations=("arithmetic", "geometric"), drop_one=True)
    s = res.summary
    assert s.loc["U000", "median_rank"] == 1
    assert s.loc["U000", "nominal_rank"] == 1
    assert (s["p5_rank"] <= s["median_rank"]).all()
    assert (s["median_rank"] <= s["p95_rank"]).all()
    assert res.ranks.shape == (500, len(data))
    assert set(res.inputs["normalisation"]) == {"minmax", "zscore", "rank"}
    assert set(res.inputs["aggregation"]) == {"arithmetic", "geometric"}
    assert res.inputs["dropped"].notna().sum() > 400
    for code, w in res.weights.items():
        np.testing.assert_allclose(w.sum(axis=1), 1.0, err_msg=code)
    # each row of ranks is a permutation-with-ties of 1..n (competition ranks)
    assert (res.ranks.min(axis=1) == 1).all()


def test_weights_sampled_in_band():
    spec, data = make()
    res = uncertainty(spec, data, n=300, weight_noise=0.25)
    nominal = build(spec, data).weights["P1"].to_numpy()
    ratio = res.weights["P1"] / nominal[None, :]
    # multipliers in [0.75, 1.25] before renormalising → ratio within [0.75/1.25, 1.25/0.75]
    assert ratio.min() >= 0.75 / 1.25 - 1e-12 and ratio.max() <= 1.25 / 0.75 + 1e-12
    assert ratio.std() > 0.05


def test_imputation_alternatives_and_missing():
    spec, data = make(missing=0.2)
    res = uncertainty(spec, data, n=200, imputation=("reweight", "impute_mean"))
    assert set(res.inputs["imputation"]) == {"reweight", "impute_mean"}
    assert not np.isnan(res.ranks).any()


def test_rank_rows_matches_pandas():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 5, size=(20, 15)).astype(float)
    s[3, 4] = np.nan
    for ties, method in (("competition", "min"), ("dense", "dense"), ("average", "average")):
        expected = pd.DataFrame(s).T.rank(method=method, ascending=False).T.to_numpy()
        np.testing.assert_array_equal(rank_rows(s, ties), expected)


def test_cli_table():
    spec, data = make()
    table = run_uncertainty_for_cli(spec, data, 100, 5)
    assert list(table.columns) == ["u", "nominal_rank", "median_rank", "p5_rank", "p95_rank"]
    assert len(table) == len(data)
    assert table["nominal_rank"].is_monotonic_increasing
    again = run_uncertainty_for_cli(spec, data, 100, 5)
    pd.testing.assert_frame_equal(table, again)


def test_bad_arguments():
    spec, data = make()
    with pytest.raises(SpecError):
        uncertainty(spec, data, n=5, aggregations=("median",))
    with pytest.raises(SpecError):
        uncertainty(spec, data, n=5, weight_noise=1.5)
    with pytest.raises(SpecError):
        sensitivity(spec, data, base_samples=8, inputs=["weights:nope"])
    with pytest.raises(SpecError, match="sampling"):
        sensitivity(spec, data, base_samples=8, sampling="latin")


def _toy_one_input(units=30, seed=2):
    """Only the weights of P1 matter: every indicator is a permutation of the same values
    (so min–max and z-score are one affine map for all), and P2's two indicators are
    equal (its weights cannot matter)."""
    rng = np.random.default_rng(seed)
    base = np.sort(rng.normal(size=units))
    a, b, c = (rng.permutation(base) for _ in range(3))
    spec = load_spec({"unit": "u", "nodes": [
        {"code": "Index"},
        {"code": "P1", "parent": "Index"}, {"code": "P2", "parent": "Index"},
        {"code": "a", "parent": "P1"}, {"code": "b", "parent": "P1"},
        {"code": "c", "parent": "P2"}, {"code": "d", "parent": "P2"}]})
    data = pd.DataFrame({"u": [f"U{i}" for i in range(units)], "a": a, "b": b, "c": c, "d": c})
    return spec, data


def test_sobol_only_one_input_matters():
    spec, data = _toy_one_input()
    res = sensitivity(spec, data, base_samples=1024, seed=1, weight_noise=0.5,
                      normalisations=("minmax", "zscore"),
                      inputs=["weights:P1", "weights:P2", "normalisation"])
    t = res.indices
    assert res.runs == 1024 * 5
    assert res.variance > 0
    assert abs(t.loc["weights:P1", "ST"] - 1) < 0.15
    assert abs(t.loc["weights:P1", "S"] - 1) < 0.15
    for name in ("weights:P2", "normalisation"):
        assert abs(t.loc[name, "ST"]) < 0.02
        assert abs(t.loc[name, "S"]) < 0.02


def test_sobol_reproducible_and_bootstrap():
    spec, data = make()
    kw = {"base_samples": 128, "seed": 4, "normalisations": ("minmax", "rank"),
          "aggregations": ("arithmetic", "geometric"), "bootstrap": 50}
    a = sensitivity(spec, data, **kw)
    b = sensitivity(spec, data, **kw)
    pd.testing.assert_frame_equal(a.indices, b.indices)
    assert list(a.indices.index) == ["weights:P2", "weights:P1", "weights:P0", "weights:Index",
                                     "normalisation", "aggregation"]
    assert (a.indices["ST"] >= 0).all()
    assert (a.indices["ST_q5"] <= a.indices["ST_q95"]).all()
    unit = sensitivity(spec, data, base_samples=64, output="U001",
                       inputs=["weights:Index"])
    assert unit.indices.shape[0] == 1


@pytest.mark.parametrize("where", ["root", "pillars", "both"])
def test_topsis_without_noise_equals_build(where):
    """TOPSIS nodes (ideals learnt over the units, weights renormalised over a unit's
    available children) give build()'s ranks, with missing values too."""
    spec, data = make(missing=0.1)
    raw = {"unit": "u", "nodes": [
        {"code": "Index", "aggregation": "topsis" if where != "pillars" else "arithmetic"},
        *[{"code": f"P{p}", "parent": "Index", "weight": 1 + p,
           "aggregation": "topsis" if where != "root" else "arithmetic"} for p in range(3)],
        *[{"code": f"i{k}", "parent": f"P{k // 4}", "direction": -1 if k % 3 == 0 else 1,
           "weight": 1 + k % 2} for k in range(12)]]}
    spec = load_spec(raw)
    res = uncertainty(spec, data, n=20, weight_noise=0.0, all_nodes=True)
    nominal = build(spec, data)
    for node in ("Index", "P0", "P1", "P2"):
        expected = nominal.ranks[node].to_numpy(float)
        got = res.ranks if node == "Index" else res.node_ranks[node]
        np.testing.assert_array_equal(got, np.broadcast_to(expected, got.shape))
    np.testing.assert_allclose(res.scores, np.broadcast_to(
        nominal.scores["Index"].to_numpy(float), res.scores.shape), rtol=1e-12, atol=1e-12)
    # With noise the ranks move, and the sensitivity analysis runs on the same model.
    noisy = uncertainty(spec, data, n=200, seed=1)
    assert (noisy.summary["p95_rank"] > noisy.summary["p5_rank"]).any()
    assert sensitivity(spec, data, base_samples=64).indices["ST"].notna().all()


def test_topsis_as_an_alternative_for_every_node():
    spec, data = make()
    res = uncertainty(spec, data, n=50, aggregations=("arithmetic", "topsis"), seed=3)
    assert set(res.inputs["aggregation"]) == {"arithmetic", "topsis"}
    topsis = res.inputs["aggregation"].to_numpy() == "topsis"
    assert np.nanmax(res.scores[topsis]) <= 1.0 and np.nanmin(res.scores[topsis]) >= 0.0


@pytest.mark.parametrize("sampling", ["sobol", "random"])
def test_sobol_estimates_of_an_additive_linear_model(sampling):
    """y = Σ a_i u_i with independent U(0, 1) inputs: S_i = S_Ti = a_i² / Σ a_j² (and a
    group's index is the sum of its members')."""
    a = np.array([4.0, 2.0, 1.0, 0.0, 1.0])
    groups = [[0], [1], [2], [3], [4]]
    n = 4096
    u = saltelli_design(n, 5, groups, seed=11, sampling=sampling)
    assert u.shape == (n * 7, 5) and u.min() >= 0 and u.max() < 1
    s, st, var = sobol_indices(u @ a, len(groups), n)
    exact = a ** 2 / (a ** 2).sum()
    tolerance = 0.01 if sampling == "sobol" else 0.05
    np.testing.assert_allclose(s, exact, atol=tolerance)
    np.testing.assert_allclose(st, exact, atol=tolerance)
    assert var == pytest.approx((a ** 2).sum() / 12, rel=0.05)
    grouped = sobol_indices(saltelli_design(n, 5, [[0, 1], [2, 3, 4]], seed=11,
                                            sampling=sampling) @ a, 2, n)[1]
    np.testing.assert_allclose(grouped, [exact[:2].sum(), exact[2:].sum()], atol=tolerance)


def test_sobol_points_are_seeded_and_spread_more_evenly_than_random_ones():
    one = saltelli_design(256, 3, [[0]], seed=5)
    np.testing.assert_array_equal(one, saltelli_design(256, 3, [[0]], seed=5))
    assert not np.array_equal(one, saltelli_design(256, 3, [[0]], seed=6))

    def worst_gap(points):  # the largest deviation of a coordinate's mean from 1/2
        return np.abs(points[:512].mean(axis=0) - 0.5).max()

    assert worst_gap(one) < worst_gap(saltelli_design(256, 3, [[0]], seed=5,
                                                      sampling="random"))
