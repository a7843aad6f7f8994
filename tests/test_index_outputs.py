"""What a build hands over besides the scores: the missing values and what was done with
them, and the files `bianhe index build` writes (names from the spec, rounded scores)."""

import json
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bianhe.cli import main
from bianhe.index.build import build, round_half_up
from bianhe.index.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# The team's shared reference data: ../shared beside the checkout, or $BIANHE_SHARED_DIR.
ASEM_DATA = (Path(os.environ.get("BIANHE_SHARED_DIR")
                  or Path(__file__).resolve().parents[2] / "shared")
             / "validation" / "coinr" / "ASEM_iData.csv")


def spec(missing, **changes) -> dict:
    return {
        "unit": "zone",
        "missing": missing,
        "normalise": {"method": "minmax", "low": 0, "high": 100},
        "index": {"code": "I", "name": "综合得分", "children": [
            {"code": "P", "name": "经济发展", "children": [
                {"code": "gdp", "name": "地区生产总值"},
                {"code": "tax", "name": "税收收入", "denominator": "pop"}]},
            {"code": "Q", "name": "对外开放", "children": [
                {"code": "trade", "name": "进出口总额"},
                {"code": "fdi", "name": "实际使用外资金额"}]}]},
        **changes,
    }


def data() -> pd.DataFrame:
    return pd.DataFrame({
        "zone": ["Z1", "Z2", "Z3", "Z4"],
        "gdp": [10.0, np.nan, 30.0, 40.0],
        "tax": [2.0, 4.0, 6.0, 8.0],
        "pop": [1.0, 2.0, np.nan, 2.0],   # Z3's tax per person cannot be computed
        "trade": [5.0, 6.0, 7.0, 9.0],
        "fdi": [1.0, 3.0, 2.0, np.nan],
        "g": ["a", "a", "b", "b"],
    })


def test_reweighted_cells_are_listed_per_zone_with_their_parent():
    result = build(spec("reweight"), data())
    missing = result.missing
    assert list(missing.columns) == ["zone", "indicator", "name", "action", "how", "value"]
    # Zones in data order, each zone's indicators in the spec's order.
    assert list(zip(missing["zone"], missing["indicator"], strict=True)) == [
        ("Z2", "gdp"), ("Z3", "tax"), ("Z4", "fdi")]
    assert set(missing["action"]) == {"reweighted"} and missing["value"].isna().all()
    assert missing.iloc[0]["name"] == "地区生产总值"
    assert missing.iloc[0]["how"].endswith("other children of P (经济发展)")
    # Reweighted indeed: Z2's pillar P is its tax alone.
    assert result.scores.loc["Z2", "P"] == result.scores.loc["Z2", "tax"]


def test_imputed_cells_carry_the_value_and_the_method():
    result = build(spec({"policy": "impute_group_mean", "group": "g"}), data())
    rows = result.missing.set_index(["zone", "indicator"])
    assert set(rows["action"]) == {"imputed"}
    assert rows.loc[("Z2", "gdp"), "value"] == 10.0  # group a: Z1 only
    assert rows.loc[("Z2", "gdp"), "how"] == "mean of group a"
    assert rows.loc[("Z3", "tax"), "value"] == 4.0  # tax per person of Z4 (8 / 2), group b
    assert rows.loc[("Z4", "fdi"), "value"] == 2.0
    assert result.prepared.loc["Z2", "gdp"] == 10.0  # what is listed is what was used
    mean = build(spec("impute_mean"), data()).missing.set_index(["zone", "indicator"])
    assert mean.loc[("Z2", "gdp"), "how"] == "mean over all units"
    assert mean.loc[("Z2", "gdp"), "value"] == pytest.approx((10 + 30 + 40) / 3)


def test_a_group_without_a_value_falls_back_and_says_so():
    frame = data().assign(g=["a", "b", "b", "b"], gdp=[10.0, np.nan, np.nan, np.nan])
    frame.loc[2, "pop"] = 3.0
    rows = build(spec({"policy": "impute_group_mean", "group": "g"}), frame).missing
    gdp = rows[rows["indicator"] == "gdp"]
    assert set(gdp["how"]) == {"mean over all units (group b has no value)"}
    assert (gdp["value"] == 10.0).all()


def test_last_years_value_and_the_cells_left_over():
    frame = data().assign(gdp_prev=[9.0, 15.0, 25.0, 35.0])
    rows = build(spec({"policy": "impute_previous"}), frame).missing.set_index(
        ["zone", "indicator"])
    assert rows.loc[("Z2", "gdp"), "action"] == "imputed"
    assert rows.loc[("Z2", "gdp"), "how"] == "last year's value (gdp_prev)"
    assert rows.loc[("Z2", "gdp"), "value"] == 15.0
    assert rows.loc[("Z4", "fdi"), "action"] == "reweighted"  # no fdi_prev column


def test_no_missing_value_gives_an_empty_table():
    frame = data().fillna({"gdp": 20.0, "pop": 1.0, "fdi": 2.0})
    missing = build(spec("reweight"), frame).missing
    assert missing.empty and missing.columns[0] == "zone"


def run_build(tmp_path, *extra, spec_dict=None, frame=None):
    spec_path, data_path = tmp_path / "spec.yaml", tmp_path / "data.csv"
    spec_path.write_text(json.dumps(spec_dict or spec("reweight"), ensure_ascii=False),
                         encoding="utf-8")
    (data() if frame is None else frame).to_csv(data_path, index=False)
    out = tmp_path / "out.csv"
    code = main(["index", "build", "--spec", str(spec_path), "--data", str(data_path),
                 "--out", str(out), *extra])
    return code, out


def test_the_cli_writes_contributions_strengths_and_missing_values_with_names(tmp_path,
                                                                             capsys):
    code, out = run_build(tmp_path)
    assert code == 0
    said = capsys.readouterr().out
    assert "missing values: 3 cells (0 imputed, 3 reweighted)" in said
    contributions = pd.read_csv(tmp_path / "out.contributions.csv")
    assert list(contributions.columns) == ["zone", "code", "name", "parent", "score",
                                           "contribution", "share"]
    z3 = contributions[contributions["zone"] == "Z3"].set_index("code")
    assert z3.loc["gdp", "name"] == "地区生产总值" and z3.loc["gdp", "parent"] == "P"
    assert z3.loc["I", "share"] == 100.0
    # Rounded to 2 decimals, and the indicators' contributions add up to the index.
    assert (contributions["contribution"].dropna() * 100).round(6).mod(1).eq(0).all()
    leaves = z3.loc[["gdp", "tax", "trade", "fdi"], "contribution"].sum()  # tax: missing
    assert leaves == pytest.approx(z3.loc["I", "contribution"], abs=0.021)
    assert z3.loc[["P", "Q"], "share"].sum() == pytest.approx(100, abs=0.011)
    strengths = pd.read_csv(tmp_path / "out.strengths.csv")
    assert list(strengths.columns) == ["zone", "kind", "code", "name", "parent", "score"]
    assert {"strength", "weakness"} == set(strengths["kind"])
    named = dict(zip(strengths["code"], strengths["name"], strict=True))
    assert named["trade"] == "进出口总额"
    missing = pd.read_csv(tmp_path / "out.missing.csv", keep_default_na=False)
    assert list(missing["indicator"]) == ["gdp", "tax", "fdi"]
    results = pd.read_csv(out)
    assert (results["I"] * 100).round(6).mod(1).eq(0).all()  # 2 decimals by default


def test_full_precision_and_decimals_on_request(tmp_path, capsys):
    assert run_build(tmp_path, "--full-precision")[0] == 0
    exact = pd.read_csv(tmp_path / "out.csv").set_index("zone")
    result = build(spec("reweight"), data())
    np.testing.assert_array_equal(exact["I"].to_numpy(), result.scores["I"].to_numpy())
    assert "full precision" in capsys.readouterr().out
    assert run_build(tmp_path, "--decimals", "0")[0] == 0
    whole = pd.read_csv(tmp_path / "out.contributions.csv")
    assert whole["score"].dropna().mod(1).eq(0).all()
    with pytest.raises(SystemExit):  # argparse: one or the other
        run_build(tmp_path, "--decimals", "2", "--full-precision")
    assert run_build(tmp_path, "--decimals", "20")[0] == 1


def test_the_spec_rank_round_sets_the_default_decimals(tmp_path, capsys):
    assert run_build(tmp_path, spec_dict=spec("reweight", rank_round=3))[0] == 0
    assert "scores to 3 decimals" in capsys.readouterr().out


def test_a_build_with_no_missing_value_says_so_and_empties_an_old_file(tmp_path, capsys):
    assert run_build(tmp_path)[0] == 0
    frame = data().fillna({"gdp": 20.0, "pop": 1.0, "fdi": 2.0})
    assert run_build(tmp_path, frame=frame)[0] == 0
    assert "missing values: none" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "out.missing.csv").empty


def test_the_zone_example_names_its_indicators_in_chinese(tmp_path):
    out = tmp_path / "zones.csv"
    assert main(["index", "build", "--spec", str(EXAMPLES / "zones-demo.yaml"), "--data",
                 str(EXAMPLES / "zones-demo-data.csv"), "--out", str(out)]) == 0
    contributions = pd.read_csv(tmp_path / "zones.contributions.csv")
    assert "综合得分" in set(contributions["name"]) and "地区生产总值" in set(contributions["name"])
    assert load_spec(EXAMPLES / "zones-demo.yaml").root.name == "综合得分"


def _decimal(x: float, decimals: int) -> float:
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(x)).quantize(quantum, rounding=ROUND_HALF_UP))


@settings(max_examples=300, deadline=None)
@given(st.integers(-10**9, 10**9), st.integers(0, 6), st.sampled_from([0, 5, 4999, 5001]))
def test_round_half_up_is_decimal_rounding_also_at_ties(whole, decimals, tail):
    # Values such as 2.675 or 1.005 sit just below the tie in binary; half up works on the
    # shortest decimal form, as a published table does.
    x = float(f"{whole / 10 ** decimals:.{decimals}f}{tail}")
    assert round_half_up(np.array([x]), decimals)[0] == _decimal(x, decimals)
    assert round_half_up(pd.Series([x]), decimals).iloc[0] == _decimal(x, decimals)


def test_round_half_up_known_cases():
    values = np.array([2.675, 1.005, 0.125, -2.5, np.nan, 1e300])
    np.testing.assert_array_equal(round_half_up(values, 2),
                                  [2.68, 1.01, 0.13, -2.5, np.nan, 1e300])
    # A single number, at a tie and away from one, comes back as a number.
    assert round_half_up(5.507812499999999, 6) == 5.507812
    assert round_half_up(2.675, 2) == 2.68 and isinstance(round_half_up(2.675, 2), float)


def test_a_target_can_be_left_uncapped_in_the_spec():
    uncapped = {"method": "target", "target": 20.0, "cap_max": False}
    result = build(spec("reweight", normalise=uncapped), data().assign(gdp=[10, 20, 30, 40.0]))
    assert result.scores["gdp"].tolist() == [0.0, 1.0, 2.0, 3.0]  # (x − 10) / (20 − 10)
    capped = build(spec("reweight", normalise={**uncapped, "cap_max": True}),
                   data().assign(gdp=[10, 20, 30, 40.0]))
    assert capped.scores["gdp"].tolist() == [0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", ["asem.yaml", "hdi.yaml", "zones-demo.yaml"])
def test_specs_read_with_libyaml_read_as_with_the_python_loader(name):
    import yaml

    from bianhe.index import spec as spec_module

    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert yaml.load(text, Loader=spec_module._SAFE_LOADER) == yaml.safe_load(text)
    if hasattr(yaml, "CSafeLoader"):
        assert spec_module._SAFE_LOADER is yaml.CSafeLoader
    assert load_spec(EXAMPLES / name) == load_spec(yaml.safe_load(text))


@pytest.mark.skipif(not ASEM_DATA.exists(), reason=f"COINr reference data absent ({ASEM_DATA})")
def test_the_asem_audit_names_its_incoherent_pillars(tmp_path, capsys):
    out, audit = tmp_path / "asem.csv", tmp_path / "asem.json"
    assert main(["index", "build", "--spec", str(EXAMPLES / "asem.yaml"), "--data",
                 str(ASEM_DATA), "--out", str(out), "--audit", str(audit)]) == 0
    said = capsys.readouterr().out
    assert "incoherent: Sust, SusEcFin" in said
    assert "missing values: 65 cells (65 imputed, 0 reweighted)" in said
    flags = json.loads(audit.read_text(encoding="utf-8"))["flags"]
    assert {f["node"] for f in flags if f["code"] == "incoherent"} == {"Sust", "SusEcFin"}
