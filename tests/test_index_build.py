"""The composite-index engine: spec, build, ranks, contributions, CLI, HDI and ASEM checks."""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bianhe.index.build import CompositeIndex, build, rank_values, round_half_up
from bianhe.index.errors import SpecError
from bianhe.index.io import read_data, write_results
from bianhe.index.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
VALIDATION = Path(os.environ.get("BIANHE_SHARED_DIR")
                  or Path(__file__).resolve().parents[2] / "shared") / "validation"
HDI_DIR = VALIDATION / "hdi"
COINR_DIR = VALIDATION / "coinr"

# --- a small tree: 2 pillars × 2 indicators, goalposts 0–10 so that x/10 is the score ----

GOAL = {"method": "goalposts", "min": 0, "max": 10}


def small_spec(**changes) -> dict:
    spec = {
        "unit": "unit",
        "normalise": GOAL,
        "index": {
            "code": "idx",
            "children": [
                {"code": "P1", "children": [{"code": "a1"}, {"code": "a2"}]},
                {"code": "P2", "children": [{"code": "b1"}, {"code": "b2"}]},
            ],
        },
    }
    index_changes = changes.pop("index", {})
    spec["index"].update(index_changes)
    spec.update(changes)
    return spec


def small_data() -> pd.DataFrame:
    # Normalised: A (.2 .4 | .6 .8), B (1 0 | .5 .5), C (.5 .5 | .5 .5), D (.8 .8 | .4 .4)
    return pd.DataFrame({
        "unit": ["A", "B", "C", "D"],
        "a1": [2.0, 10.0, 5.0, 8.0],
        "a2": [4.0, 0.0, 5.0, 8.0],
        "b1": [6.0, 5.0, 5.0, 4.0],
        "b2": [8.0, 5.0, 5.0, 4.0],
        "grp": ["x", "x", "y", "x"],
    })


def scores_of(result, code):
    return result.scores[code].to_dict()


def test_arithmetic_hand_computed():
    r = build(small_spec(), small_data())
    assert scores_of(r, "P1") == pytest.approx({"A": .3, "B": .5, "C": .5, "D": .8})
    assert scores_of(r, "P2") == pytest.approx({"A": .7, "B": .5, "C": .5, "D": .4})
    assert scores_of(r, "idx") == pytest.approx({"A": .5, "B": .5, "C": .5, "D": .6})
    assert r.ranks["idx"].to_dict() == {"A": 2, "B": 2, "C": 2, "D": 1}  # competition 1224
    assert r.scores["a1"]["A"] == pytest.approx(.2)  # indicators' normalised values
    assert "a1" not in r.ranks.columns


def test_explicit_weights_and_tie_methods():
    spec = small_spec(index={"weights": [3, 1]})
    r = build(spec, small_data())
    # A: .75·.3 + .25·.7 = .4; B, C: .5; D: .75·.8 + .25·.4 = .7
    assert scores_of(r, "idx") == pytest.approx({"A": .4, "B": .5, "C": .5, "D": .7})
    assert r.weights["idx"].to_dict() == pytest.approx({"P1": .75, "P2": .25})
    assert r.ranks["idx"].to_dict() == {"A": 4, "B": 2, "C": 2, "D": 1}
    dense = build({**spec, "rank_ties": "dense"}, small_data()).ranks["idx"].to_dict()
    assert dense == {"A": 3, "B": 2, "C": 2, "D": 1}
    average = build({**spec, "rank_ties": "average"}, small_data()).ranks["idx"].to_dict()
    assert average == {"A": 4, "B": 2.5, "C": 2.5, "D": 1}


def test_child_weight_keys():
    spec = small_spec()
    spec["index"]["children"][0]["weight"] = 3
    r = build(spec, small_data())
    assert r.scores["idx"]["A"] == pytest.approx(.4)


def test_geometric_hand_computed():
    r = build(small_spec(index={"aggregation": "geometric"}), small_data())
    assert r.scores["idx"]["A"] == pytest.approx(math.sqrt(.3 * .7))
    assert r.scores["idx"]["D"] == pytest.approx(math.sqrt(.8 * .4))
    assert r.scores["idx"]["B"] == pytest.approx(.5)


def test_geometric_zero_gives_zero_and_negative_is_refused():
    data = small_data()
    data.loc[0, ["a1", "a2"]] = 0.0  # A's P1 = 0
    r = build(small_spec(index={"aggregation": "geometric"}), data)
    assert r.scores["idx"]["A"] == 0.0
    spec = small_spec(index={"aggregation": "geometric"},
                      normalise={"method": "zscore"})
    with pytest.raises(SpecError) as exc:
        build(spec, small_data())
    assert exc.value.where == "idx"


def test_harmonic_hand_computed():
    r = build(small_spec(index={"aggregation": "harmonic"}), small_data())
    assert r.scores["idx"]["A"] == pytest.approx(2 / (1 / .3 + 1 / .7))
    assert r.scores["idx"]["D"] == pytest.approx(2 / (1 / .8 + 1 / .4))


def test_topsis_hand_computed():
    r = build(small_spec(index={"aggregation": "topsis"}), small_data())
    # ideal (.8, .7), anti-ideal (.3, .4), weights ½: A d+ = .25, d− = .15; D the mirror
    assert r.scores["idx"]["A"] == pytest.approx(.15 / .40)
    assert r.scores["idx"]["D"] == pytest.approx(.25 / .40)
    b = math.sqrt(.05) / (math.sqrt(.13) + math.sqrt(.05))
    assert r.scores["idx"]["B"] == pytest.approx(b)


@pytest.mark.parametrize(("missing", "expected_p1_d"), [
    ("reweight", .8),                                       # a1 alone
    ("impute_mean", (.8 + .3) / 2),                         # a2 := mean(4, 0, 5) = 3
    ("impute_median", (.8 + .4) / 2),                       # a2 := median = 4
    ({"policy": "impute_group_mean", "group": "grp"}, (.8 + .2) / 2),  # x: mean(4, 0) = 2
])
def test_missing_policies(missing, expected_p1_d):
    data = small_data()
    data.loc[3, "a2"] = np.nan
    r = build(small_spec(missing=missing), data)
    assert r.scores["P1"]["D"] == pytest.approx(expected_p1_d)
    assert r.scores["idx"]["D"] == pytest.approx((expected_p1_d + .4) / 2)


def test_missing_fail_names_the_column():
    data = small_data()
    data.loc[3, "a2"] = np.nan
    with pytest.raises(SpecError) as exc:
        build(small_spec(missing="fail"), data)
    assert exc.value.where == "a2"
    assert "D" in str(exc.value)


def test_rescale_and_rank_round():
    r = build(small_spec(rescale="0-100"), small_data())
    assert scores_of(r, "idx") == pytest.approx({"A": 0, "B": 0, "C": 0, "D": 100})
    assert rank_values(pd.Series([0.4625, 0.4634, 0.46249]), decimals=3).tolist() == [1, 1, 3]
    assert round_half_up(pd.Series([0.0005, 0.0015]), 3).tolist() == [0.001, 0.002]


def test_direction_and_transform():
    spec = small_spec()
    spec["index"]["children"][0]["children"][0].update(direction="lower_better")
    r = build(spec, small_data())
    assert r.scores["a1"]["A"] == pytest.approx(.8)
    spec["index"]["children"][0]["children"][1].update(
        transform="log", normalise={"method": "goalposts", "min": "ln(1)", "max": "ln(10)"})
    data = small_data()
    data.loc[1, "a2"] = 1.0
    r = build(spec, data)
    assert r.scores["a2"]["A"] == pytest.approx(math.log(4) / math.log(10))


def test_flat_spec_equals_nested():
    flat = {
        "unit": "unit", "normalise": GOAL,
        "nodes": [
            {"code": "a1", "parent": "P1"}, {"code": "a2", "parent": "P1"},
            {"code": "b1", "parent": "P2"}, {"code": "b2", "parent": "P2"},
            {"code": "P1", "parent": "idx"}, {"code": "P2", "parent": "idx"},
            {"code": "idx"},
        ],
    }
    a = build(flat, small_data()).scores
    b = build(small_spec(), small_data()).scores
    pd.testing.assert_frame_equal(a[b.columns], b)


def test_data_driven_weights_and_ahp():
    data = pd.DataFrame({"unit": list("ABCDEF"), "a1": [1, 2, 3, 4, 5, 9.0],
                         "a2": [5, 3, 4, 1, 2, 0.0], "b1": [1, 1, 2, 2, 3, 3.0],
                         "b2": [9, 8, 7, 1, 2, 3.0]})
    for method in ("entropy", "critic", "pca", "equal"):
        spec = small_spec(normalise={"method": "minmax"}, index={"weights": method})
        r = build(spec, data)
        assert r.weights["idx"].sum() == pytest.approx(1)
    spec = small_spec(index={"weights": {"method": "ahp", "matrix": [[1, 3], ["1/3", 1]]}})
    r = build(spec, small_data())
    assert r.weights["idx"].to_dict() == pytest.approx({"P1": .75, "P2": .25})


# --- bad input: every case names the node or column ---------------------------------------


def raises_at(where, spec, data=None):
    with pytest.raises(SpecError) as exc:
        if data is None:
            load_spec(spec)
        else:
            build(spec, data)
    assert exc.value.where == where, str(exc.value)
    return exc.value


def test_cycle_in_flat_spec():
    flat = {"unit": "unit", "nodes": [
        {"code": "idx"}, {"code": "P1", "parent": "P2"}, {"code": "P2", "parent": "P1"},
        {"code": "a1", "parent": "P1"}]}
    err = raises_at("P1", flat)
    assert "cycle" in str(err)


def test_node_under_two_parents():
    spec = small_spec()
    spec["index"]["children"][1]["children"].append({"code": "a1"})
    raises_at("a1", spec)
    flat = {"unit": "unit", "nodes": [
        {"code": "idx"}, {"code": "P1", "parent": "idx"}, {"code": "a1", "parent": "P1"},
        {"code": "a1", "parent": "idx"}]}
    raises_at("a1", flat)
    nested = small_spec()
    nested["index"]["children"][0]["children"].append(
        {"code": "idx", "children": [{"code": "z"}]})
    assert "cycle" in str(raises_at("idx", nested))


def test_unknown_indicator():
    raises_at("a2", small_spec(), small_data().drop(columns="a2"))


def test_weights_must_sum_to_positive():
    raises_at("idx", small_spec(index={"weights": [0, 0]}))
    raises_at("idx", small_spec(index={"weights": [1, -1]}))
    raises_at("idx", small_spec(index={"weights": [1, 2, 3]}))


def test_goalposts_min_not_below_max():
    spec = small_spec()
    spec["index"]["children"][0]["children"][0]["normalise"] = {
        "method": "goalposts", "min": 5, "max": 5}
    raises_at("a1.normalise", spec)


def test_log_of_non_positive_value_names_the_column():
    spec = small_spec()
    spec["index"]["children"][0]["children"][1]["transform"] = "log"
    err = raises_at("a2", spec, small_data())  # B's a2 is 0
    assert "B" in str(err)


def test_text_column_refused(tmp_path):
    data = small_data()
    data["b1"] = data["b1"].astype(object)
    data.loc[2, "b1"] = "n/a?"
    raises_at("b1", small_spec(), data)
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    with pytest.raises(SpecError) as exc:
        read_data(path, load_spec(small_spec()))
    assert exc.value.where == "b1" and "n/a?" in str(exc.value)


def test_unit_with_every_value_missing():
    data = small_data()
    data.loc[1, ["a1", "a2", "b1", "b2"]] = np.nan
    raises_at("B", small_spec(), data)


def test_ahp_not_reciprocal_or_inconsistent():
    raises_at("idx", small_spec(index={"weights": {"method": "ahp", "matrix": [[1, 3], [3, 1]]}}))
    three = {
        "code": "idx",
        "weights": {"method": "ahp", "matrix": [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]},
        "children": [{"code": "a1"}, {"code": "a2"}, {"code": "b1"}],
    }
    err = raises_at("idx", {"unit": "unit", "index": three})
    assert "CR" in str(err)


def test_other_spec_errors():
    raises_at("unit", {"index": small_spec()["index"]})
    raises_at("idx.aggregation", small_spec(index={"aggregation": "median"}))
    raises_at("missing", small_spec(missing={"policy": "impute_group_mean"}))
    raises_at("unit", small_spec(), small_data().drop(columns="unit"))


def test_nothing_half_computed_estimator_unfitted():
    with pytest.raises(ValueError, match="not fitted"):
        CompositeIndex(small_spec()).transform(small_data())


# --- properties ---------------------------------------------------------------------------

values = st.floats(min_value=0, max_value=100, allow_nan=False, width=32)


def random_frame(draw, n):
    cols = {c: draw(st.lists(values, min_size=n, max_size=n)) for c in ("a1", "a2", "b1", "b2")}
    return pd.DataFrame({"unit": [f"U{i}" for i in range(n)], **cols})


@st.composite
def frames(draw):
    return random_frame(draw, draw(st.integers(min_value=2, max_value=9)))


HUNDRED = {"method": "goalposts", "min": 0, "max": 100}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(), seed=st.integers(0, 2**32 - 1),
       aggregation=st.sampled_from(["arithmetic", "geometric", "harmonic", "topsis"]))
def test_ranks_invariant_to_row_order(data, seed, aggregation):
    spec = small_spec(normalise={"method": "minmax"}, index={"aggregation": aggregation,
                                                             "weights": [2, 1]})
    shuffled = data.sample(frac=1, random_state=np.random.RandomState(seed % 2**32))
    a = build(spec, data)
    b = build(spec, shuffled.reset_index(drop=True))
    pd.testing.assert_frame_equal(a.ranks, b.ranks.loc[a.ranks.index])
    pd.testing.assert_frame_equal(a.scores, b.scores.loc[a.scores.index])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(), unit=st.integers(0, 8), column=st.sampled_from(["a1", "a2", "b1", "b2"]),
       step=st.floats(min_value=0, max_value=50, allow_nan=False),
       aggregation=st.sampled_from(["arithmetic", "geometric"]),
       method=st.sampled_from(["goalposts", "minmax"]))
def test_improving_an_indicator_never_lowers_the_score(data, unit, column, step, aggregation,
                                                       method):
    unit = unit % len(data)
    norm = HUNDRED if method == "goalposts" else {"method": "minmax"}
    spec = small_spec(normalise=norm, index={"aggregation": aggregation})
    spec["index"]["children"][0]["aggregation"] = aggregation
    better = data.copy()
    better.loc[unit, column] = min(better.loc[unit, column] + step, 100.0)
    before = build(spec, data).scores["idx"].iloc[unit]
    after = build(spec, better).scores["idx"].iloc[unit]
    if np.isnan(before):
        return  # a constant min–max column gives NaN for everyone (documented)
    assert after >= before - 1e-12


@settings(max_examples=50, deadline=None)
@given(data=frames(), w=st.lists(st.floats(0.1, 10), min_size=2, max_size=2))
def test_contributions_sum_to_the_score(data, w):
    data.loc[0, "a2"] = np.nan  # reweighting included
    spec = small_spec(normalise=HUNDRED, index={"weights": w})
    r = build(spec, data)
    total = r.contributions[["a1", "a2", "b1", "b2"]].sum(axis=1, min_count=1)
    np.testing.assert_allclose(total, r.scores["idx"], rtol=1e-12, atol=1e-12)
    pillars = r.contributions[["P1", "P2"]].sum(axis=1)
    np.testing.assert_allclose(pillars, r.scores["idx"], rtol=1e-12, atol=1e-12)


def test_geometric_contributions_are_log_shares():
    r = build(small_spec(index={"aggregation": "geometric"}), small_data())
    c = r.contributions.loc["A"]
    assert c["P1"] + c["P2"] == pytest.approx(r.scores["idx"]["A"])
    share = math.log(.3) / (math.log(.3) + math.log(.7))
    assert c["P1"] == pytest.approx(share * math.sqrt(.21))


def test_strengths_weaknesses_and_rank_change():
    r = build(small_spec(), small_data())
    assert "a1" in r.strengths["B"] and "a2" in r.weaknesses["B"]
    previous = pd.DataFrame({"unit": ["A", "B", "C", "D"], "idx_rank": [1, 2, 3, 4]})
    r2 = build(small_spec(), small_data(), previous=previous)
    assert r2.rank_change["idx"].to_dict() == {"A": -1, "B": 0, "C": 1, "D": 3}
    assert build(small_spec(), small_data(), previous=r).rank_change["idx"].eq(0).all()


# --- estimator contract ------------------------------------------------------------------


def test_estimator_contract():
    data = small_data()
    spec = small_spec(normalise={"method": "minmax"}, treatment="coinr",
                      index={"weights": "entropy"})
    est = CompositeIndex(spec)
    assert est.get_params() == {"spec": spec}
    assert not [k for k in vars(est) if k.endswith("_")]  # __init__ only stores
    out = est.fit(data).transform(data)
    pd.testing.assert_frame_equal(out, build(spec, data).scores)
    pd.testing.assert_frame_equal(CompositeIndex(spec).fit_transform(data), out)
    assert set(est.normalisation_) == {"a1", "a2", "b1", "b2"} and "idx" in est.weights_
    # transform applies what was learnt: the fitted min–max range, not the new data's
    new = data.iloc[:2].copy()
    new.loc[0, "a1"] = 6.0  # fitted a1 range 2–10
    assert est.transform(new)["a1"].iloc[0] == pytest.approx(.5)
    # min–max matches normalise() of the interface on the fitting data
    from bianhe.index.normalise import normalise

    np.testing.assert_allclose(out["a1"], normalise(data["a1"].to_numpy(float), "minmax"))


# --- files and CLI -----------------------------------------------------------------------


def test_write_results(tmp_path):
    r = build(small_spec(), small_data())
    table = pd.read_csv(write_results(r, tmp_path / "out.csv"))
    assert list(table.columns[:3]) == ["unit", "idx", "P1"]
    assert table["idx_rank"].tolist() == [2, 2, 2, 1]


requires_hdi = pytest.mark.skipif(not HDI_DIR.is_dir(),
                                  reason=f"HDI reference data absent ({HDI_DIR})")
requires_coinr = pytest.mark.skipif(not COINR_DIR.is_dir(),
                                    reason=f"COINr reference data absent ({COINR_DIR})")


@requires_hdi
def test_cli_index_build(tmp_path):
    from bianhe.cli import main

    inputs = pd.read_csv(HDI_DIR / "inputs.csv")
    path = tmp_path / "hdi2022.csv"
    inputs[inputs.year == 2022].to_csv(path, index=False)
    out, audit = tmp_path / "out.csv", tmp_path / "audit.json"
    code = main(["index", "build", "--spec", str(REPO / "examples" / "hdi.yaml"),
                 "--data", str(path), "--out", str(out), "--audit", str(audit)])
    assert code == 0
    table = pd.read_csv(out)
    assert {"iso3", "hdi", "hdi_rank", "health_rank"} <= set(table.columns)
    assert table.set_index("iso3").loc["CHE", "hdi_rank"] == 1
    report = json.loads(audit.read_text())
    assert {"pearson", "spearman"} == set(report["correlation"])
    assert report["correlation"]["pearson"]["hdi"]["income"] > 0.8
    assert report["cronbach_alpha"]["education"] > 0.7


def test_cli_errors(tmp_path, capsys):
    from bianhe.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps(small_spec()))  # JSON is YAML
    data = tmp_path / "data.csv"
    small_data().drop(columns="b2").to_csv(data, index=False)
    args = ["index", "build", "--spec", str(spec), "--data", str(data),
            "--out", str(tmp_path / "o.csv")]
    assert main(args) == 1
    assert "b2" in capsys.readouterr().err
    small_data().to_csv(data, index=False)
    assert main([*args, "--uncertainty", "0"]) == 1
    assert "at least 1" in capsys.readouterr().err
    assert main(args) == 0
    assert main([*args, "--uncertainty", "200", "--seed", "3"]) == 0
    ranks = pd.read_csv(tmp_path / "o.uncertainty.csv")
    assert list(ranks.columns[1:]) == ["nominal_rank", "median_rank", "p5_rank", "p95_rank"]
    assert (ranks["p5_rank"] <= ranks["median_rank"]).all()
    assert (ranks["median_rank"] <= ranks["p95_rank"]).all()
    again = tmp_path / "again.csv"
    assert main([*args[:-1], str(again), "--uncertainty", "200", "--seed", "3"]) == 0
    assert pd.read_csv(tmp_path / "again.uncertainty.csv").equals(ranks)  # seeded


# --- validation against published results -------------------------------------------------


@requires_hdi
def test_hdi_reproduces_every_published_value():
    spec = load_spec(REPO / "examples" / "hdi.yaml")
    inputs = pd.read_csv(HDI_DIR / "inputs.csv")
    expected = pd.read_csv(HDI_DIR / "expected.csv")
    compared = matched = 0
    mismatches = []
    for year, frame in inputs.groupby("year"):
        result = build(spec, frame.reset_index(drop=True))
        published = expected[expected.year == year].set_index("iso3")
        ours = round_half_up(result.scores["hdi"], 3).reindex(published.index)
        compared += len(published)
        good = (ours - published["hdi"]).abs() < 1e-9
        matched += int(good.sum())
        mismatches += [(year, iso) for iso in published.index[~good.to_numpy()]]
        if year == 2022:
            ranks = result.ranks["hdi"].reindex(published.index)
            pd.testing.assert_series_equal(ranks, published["hdi_rank"].astype(float),
                                           check_names=False)
    assert compared == 5808
    assert matched == compared, mismatches[:20]


@requires_coinr
def test_asem_reproduces_coinr_default_build():
    spec = load_spec(REPO / "examples" / "asem.yaml")
    result = build(spec, read_data(COINR_DIR / "ASEM_iData.csv", spec))
    stored = COINR_DIR / "asem_coin_v06"
    aggregated = pd.read_csv(stored / "Data_Aggregated.csv").set_index("UnitCode")
    codes = [n.code for n in spec.nodes()]
    ours = result.scores[codes]
    np.testing.assert_allclose(ours, aggregated.loc[ours.index, codes], rtol=0, atol=1e-6)
    treated = pd.read_csv(stored / "Data_Treated.csv").set_index("UnitCode")
    inds = [i.code for i in spec.indicators]
    np.testing.assert_allclose(result.prepared[inds], treated.loc[ours.index, inds],
                               rtol=0, atol=1e-6)
    ranks = pd.read_csv(stored / "Results_AggregatesRank.csv").set_index("UnitCode")
    aggs = [n.code for n in spec.aggregates]
    pd.testing.assert_frame_equal(result.ranks[aggs],
                                  ranks.loc[result.ranks.index, aggs].astype(float),
                                  check_names=False)


def test_spec_dict_not_mutated():
    spec = small_spec()
    before = copy.deepcopy(spec)
    build(spec, small_data())
    assert spec == before


def test_the_shipped_zone_example_runs_from_a_fresh_clone(tmp_path):
    """examples/zones-demo.yaml needs nothing outside the repository."""
    import json

    from bianhe.cli import main

    root = Path(__file__).resolve().parents[1] / "examples"
    out, audit = tmp_path / "out.csv", tmp_path / "audit.json"
    assert main(["index", "build", "--spec", str(root / "zones-demo.yaml"), "--data",
                 str(root / "zones-demo-data.csv"), "--out", str(out),
                 "--audit", str(audit)]) == 0
    results = pd.read_csv(out)
    assert len(results) == 20 and results["INDEX_rank"].min() == 1
    assert results["INDEX"].between(0, 100).all()
    # The zone without FDI is reweighted within its pillar, not dropped.
    assert results.loc[results["zone"] == "BECZ-HL-02", "OPENING"].notna().all()
    assert "pearson" in json.dumps(json.loads(audit.read_text())).lower()


def test_missing_values_can_take_last_years_value():
    spec = load_spec({"unit": "u", "missing": {"policy": "impute_previous"},
                      "normalise": "none",
                      "index": {"code": "I", "children": [{"code": "a"}, {"code": "b"}]}})
    data = pd.DataFrame({"u": ["x", "y", "z"], "a": [1.0, np.nan, 3.0], "b": [4.0, 5.0, np.nan],
                         "a_prev": [9.0, 2.0, 9.0]})
    result = build(spec, data)
    # y's a comes from last year (2); z's b has no previous column: reweighted (a alone).
    assert result.scores.loc["y", "I"] == pytest.approx((2 + 5) / 2)
    assert result.scores.loc["z", "I"] == pytest.approx(3.0)
    assert result.scores.loc["x", "I"] == pytest.approx((1 + 4) / 2)  # no fill needed
    bad = data.assign(a_prev=["1", "two", "3"])
    with pytest.raises(SpecError) as caught:
        build(spec, bad)
    assert caught.value.where == "a_prev"
    with pytest.raises(SpecError):
        load_spec({"unit": "u", "missing": {"policy": "impute_previous", "suffix": ""},
                   "index": {"code": "I", "children": [{"code": "a"}]}})


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric", "harmonic", "topsis"])
def test_constant_data_gives_no_score_and_no_warning(aggregation):
    """Constant columns normalise to NaN (as in COINr): every node is left unscored, quietly
    (pytest turns numpy's RuntimeWarnings into errors)."""
    data = pd.DataFrame({"unit": ["U0", "U1"], "a1": [0.0, 0], "a2": [0.0, 0]})
    spec = load_spec({"unit": "unit", "index": {
        "code": "I", "aggregation": aggregation, "children": [{"code": "a1"}, {"code": "a2"}]}})
    assert build(spec, data).scores["I"].isna().all()
