"""Audit diagnostics: PCA variance per node and flags for children that pull against their
node or dominate it, on hand-built data."""

import numpy as np
import pandas as pd

from bianhe.index.diagnostics import child_flags, coherence_flag, pca_variance


def test_one_underlying_factor_gives_a_strong_first_component():
    rng = np.random.default_rng(1)
    factor = rng.normal(size=200)
    children = pd.DataFrame({f"x{i}": factor + 0.1 * rng.normal(size=200) for i in range(4)})
    result = pca_variance(children)
    assert result["first"] > 0.95 and abs(sum(result["shares"]) - 1) < 1e-9


def test_two_identical_children_explain_everything_and_two_independent_half():
    x = np.arange(10.0)
    assert abs(pca_variance(pd.DataFrame({"a": x, "b": 2 * x + 1}))["first"] - 1) < 1e-12
    a = np.array([1, -1, 1, -1, 1, -1, 1, -1.0])
    b = np.array([1, 1, -1, -1, 1, 1, -1, -1.0])  # uncorrelated with a
    assert abs(pca_variance(pd.DataFrame({"a": a, "b": b}))["first"] - 0.5) < 1e-12
    assert pca_variance(pd.DataFrame({"a": [1.0, 2]}))["first"] is None


def test_a_child_against_its_siblings_and_a_dominant_child_are_flagged():
    rng = np.random.default_rng(2)
    base = rng.normal(size=100)
    children = pd.DataFrame({"a": base, "b": base + 0.2 * rng.normal(size=100),
                             "c": -base + 0.2 * rng.normal(size=100)})
    node = children["a"] + children["b"] - 0.1 * children["c"]
    flags = child_flags(node, children, pd.Series({"a": 1, "b": 1, "c": 1.0}))
    kinds = {(f["child"], f["flag"]) for f in flags}
    assert ("c", "negative_with_node") in kinds
    assert ("a", "negative_siblings") in kinds and ("b", "negative_siblings") in kinds
    # One child carries the node: it dominates.
    lone = pd.DataFrame({"a": base, "b": rng.normal(size=100), "c": rng.normal(size=100)})
    flags = child_flags(lone["a"] * 10 + lone["b"] * 0.1, lone,
                        pd.Series({"a": 1, "b": 1, "c": 1.0}))
    assert [f["child"] for f in flags if f["flag"] == "dominant"] == ["a"]


def test_the_audit_file_carries_the_diagnostics(tmp_path):
    import json
    from pathlib import Path

    from bianhe.index.audit import write_audit
    from bianhe.index.build import build
    from bianhe.index.spec import load_spec

    examples = Path(__file__).resolve().parents[1] / "examples"
    result = build(load_spec(examples / "zones-demo.yaml"),
                   pd.read_csv(examples / "zones-demo-data.csv"))
    audit = json.loads(write_audit(result, tmp_path / "audit.json").read_text())
    economy = audit["nodes_diagnostics"]["ECONOMY"]
    assert 0 < economy["pca"]["first"] <= 1 and isinstance(economy["flags"], list)
    assert set(audit["nodes_diagnostics"]) == {n.code for n in result.spec.aggregates}


def test_a_pillar_whose_children_cancel_out_is_flagged_incoherent():
    from bianhe.index.audit import audit
    from bianhe.index.build import build

    rng = np.random.default_rng(3)
    base = rng.normal(size=40)
    data = pd.DataFrame({"unit": [f"u{i}" for i in range(40)],
                         "a": base, "b": -base + 0.3 * rng.normal(size=40),   # against a
                         "c": base, "d": base + 0.3 * rng.normal(size=40)})  # with c
    spec = {"unit": "unit", "index": {"code": "I", "children": [
        {"code": "MIXED", "children": [{"code": "a"}, {"code": "b"}]},
        {"code": "FINE", "children": [{"code": "c"}, {"code": "d"}]},
        {"code": "ALONE", "children": [{"code": "e"}]}]}}
    data["e"] = rng.normal(size=40)
    report = audit(build(spec, data))
    assert report["cronbach_alpha"]["MIXED"] < 0 < report["cronbach_alpha"]["FINE"]
    own = report["nodes_diagnostics"]["MIXED"]["flags"][0]
    assert own["flag"] == "incoherent" and own["alpha"] < 0
    assert own["message"].startswith("MIXED is incoherent: Cronbach's alpha of its 2 children")
    listed = [(f["node"], f["code"]) for f in report["flags"]]
    assert ("MIXED", "incoherent") in listed
    assert not [f for f in report["flags"] if f["node"] in ("FINE", "ALONE")]
    assert all(f["message"] for f in report["flags"])


def test_an_undefined_alpha_is_flagged_unless_the_node_has_one_child():
    assert coherence_flag("P", float("nan"), 3)["flag"] == "coherence_unknown"
    assert coherence_flag("P", None, 2)["flag"] == "coherence_unknown"
    assert coherence_flag("P", float("nan"), 1) is None
    assert coherence_flag("P", 0.0, 2) is None
    assert coherence_flag("P", -0.01, 2)["flag"] == "incoherent"
