"""One evaluation from its snapshot: the engine's build, the Monte-Carlo rank bands, the
statistical audit, what is missing, and how each zone moved since last year.

Pure apart from the digest of the engine's source: :func:`evaluate` takes the input table
and the engine spec and returns plain, JSON-ready results, so that recomputing a stored
snapshot and comparing :func:`results_hash` proves a published run bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bianhe.index.audit import audit
from bianhe.index.build import build, round_half_up
from bianhe.index.diagnostics import coherence_flag
from bianhe.index.spec import load_spec
from bianhe.index.uncertainty import sensitivity, uncertainty
from bianhe.index.weights import ahp

#: Normalisations the Monte-Carlo chooses among, besides the scheme's own.
ALTERNATIVE_NORMALISATIONS = ("spec", "zscore", "rank")
WEIGHT_NOISE = 0.25
MOVERS = 3


# --- snapshot and hashes ---------------------------------------------------------------------
def canonical(obj) -> bytes:
    """JSON with sorted keys and no spaces: the bytes that are hashed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(frame: pd.DataFrame) -> dict:
    """The input table as JSON (NaN → null); floats keep every bit (shortest repr)."""
    values = frame.to_numpy(float)
    return {"zones": [str(z) for z in frame.index], "columns": [str(c) for c in frame.columns],
            "values": [[None if math.isnan(v) else float(v) for v in row] for row in values]}


def frame_of(snap: dict) -> pd.DataFrame:
    values = np.array([[np.nan if v is None else v for v in row] for row in snap["values"]],
                      dtype=float).reshape(len(snap["zones"]), len(snap["columns"]))
    return pd.DataFrame(values, index=pd.Index(snap["zones"], name="zone"),
                        columns=snap["columns"])


def engine_digest() -> str:
    """SHA-256 of the engine's source files: a different engine may compute differently."""
    folder = Path(__file__).resolve().parent.parent / "index"
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_hash(input_hash: str, spec: dict, engine: str, options: dict) -> str:
    return sha256(canonical({"inputs": input_hash, "spec": spec, "engine": engine,
                             "options": options}))


# --- the evaluation ----------------------------------------------------------------------------
@dataclass
class Evaluation:
    zones: dict[str, dict]   # zone code → its results
    summary: dict            # run-wide results


def without_empty_indicators(spec_dict: dict, frame: pd.DataFrame) -> tuple[dict, list[str]]:
    """The spec without the indicators no zone has a figure for (an indicator in its first
    year, a measure whose source is not collected yet): nothing can be normalised from no
    data, and the run says which it left out. A pillar left with no indicator is an error."""
    dropped = [str(c) for c in frame.columns if not frame[c].notna().any()]
    if not dropped:
        return spec_dict, []
    spec_dict = json.loads(json.dumps(spec_dict))

    def prune(node: dict) -> None:
        children = node.get("children")
        if not children:
            return
        keep = [i for i, child in enumerate(children) if child.get("code") not in dropped]
        if not keep:
            raise ValueError(f"no zone has a figure for any indicator of {node.get('code')}")
        weights = node.get("weights")
        if isinstance(weights, list):
            node["weights"] = [weights[i] for i in keep]
        elif isinstance(weights, dict) and weights.get("method") == "ahp":
            # The remaining children keep the weights the full judgements gave them
            # (load_spec reads judgements such as "1/3").
            judged = load_spec({"unit": "u", "index": {
                "code": "X", "weights": weights,
                "children": [{"code": f"c{i}"} for i in range(len(children))]}}).root
            full, _cr = ahp(judged.weights["matrix"])
            node["weights"] = [float(full[i]) for i in keep]
        node["children"] = [children[i] for i in keep]
        for child in node["children"]:
            prune(child)

    prune(spec_dict["index"])
    return spec_dict, dropped


def coverage(frame: pd.DataFrame, spec, min_coverage: float) -> dict[str, str]:
    """Zones that are not ranked, with the reason: figures for fewer than ``min_coverage``
    of the indicators, or none at all in a pillar. Reweighting would otherwise rank a zone
    on the pillars it happens to have — a zone whose annual report is not accepted yet
    could come first on its trade growth alone."""
    present = frame.notna()
    out = {}
    share = present.mean(axis=1)
    for pillar in spec.root.children:
        codes = [ind.code for ind in _leaves(pillar)]
        empty = ~present[codes].any(axis=1)
        for zone in frame.index[empty]:
            out.setdefault(str(zone), f"no_pillar:{pillar.code}")
    for zone in frame.index[share < min_coverage - 1e-12]:
        out[str(zone)] = f"coverage:{share[zone]:.4f}"
    return out


def _leaves(node) -> list:
    if node.is_indicator:
        return [node]
    return [leaf for child in node.children for leaf in _leaves(child)]


def evaluate(frame: pd.DataFrame, spec_dict: dict, *, replications: int, seed: int,
             min_coverage: float = 2 / 3, with_sensitivity: bool = False,
             previous: dict[str, dict] | None = None, progress=None) -> Evaluation:
    """Evaluate the zones of ``frame`` (index: zone code) with the engine spec.

    Zones below ``min_coverage`` (:func:`coverage`) are left out of the computation (so
    they do not shift anyone's normalisation) and listed as not ranked. ``previous``: last
    year's published results per zone code (rank and contributions), for rank changes and
    what moved them. ``progress(step, total, message)``.
    """
    step = progress or (lambda *args: None)
    spec_dict, dropped = without_empty_indicators(spec_dict, frame)
    frame = frame.drop(columns=dropped)
    spec = load_spec(spec_dict)
    excluded = coverage(frame, spec, min_coverage)
    ranked = frame.loc[[code for code in frame.index if str(code) not in excluded]]
    if len(ranked) < 2:
        raise ValueError("fewer than two zones have enough accepted figures to be ranked")
    data = ranked.reset_index().rename(columns={ranked.index.name or "index": spec.unit})
    step(1, 4, "build")
    result = build(spec, data)
    root = spec.root.code
    pillars = [child.code for child in spec.root.children]
    leaves = [ind.code for ind in spec.indicators]
    step(2, 4, "uncertainty")
    mc = uncertainty(spec, data, n=replications, seed=seed, weight_noise=WEIGHT_NOISE,
                     normalisations=ALTERNATIVE_NORMALISATIONS)
    sobol = None
    if with_sensitivity:
        step(3, 4, "sensitivity")
        sa = sensitivity(spec, data, base_samples=max(64, replications // 8), seed=seed,
                         weight_noise=WEIGHT_NOISE, normalisations=ALTERNATIVE_NORMALISATIONS)
        sobol = {str(name): {"S": _num(row["S"]), "ST": _num(row["ST"])}
                 for name, row in sa.indices.iterrows()}
    checks = audit(result)
    flags = incoherent_pillars(checks, spec)
    missing = missing_cells(frame, spec.missing.get("policy", "reweight"))
    zones = {}
    # Every per-zone figure as plain Python values, converted once per table (not cell by
    # cell: at national scale that is thousands of zones × dozens of columns).
    score_of = _table(result.scores[[root, *pillars, *leaves]], rounded=True)
    rank_of = _table(result.ranks[[root, *pillars]])
    contribution_of = _table(result.contributions[[*pillars, *leaves]], rounded=True)
    band_of = _table(mc.summary[["p5_rank", "p95_rank", "median_rank"]])
    input_of = _table(frame[leaves])
    for code in frame.index:
        if str(code) in excluded:
            zones[code] = _not_ranked(code, input_of, pillars, excluded[str(code)],
                                      missing, previous)
            continue
        zone_previous = (previous or {}).get(code)
        own_score, own_rank, own_contrib = score_of[code], rank_of[code], contribution_of[code]
        movers = []
        if zone_previous:
            before = zone_previous.get("contributions", {})
            changes = [(c, own_contrib[c] - before[c]) for c in leaves
                       if own_contrib.get(c) is not None and before.get(c) is not None]
            changes.sort(key=lambda item: (-abs(item[1]), item[0]))
            movers = [[c, _round(delta)] for c, delta in changes[:MOVERS]]
        zones[code] = {
            "score": own_score[root],
            "rank": _int(own_rank[root]),
            "rank_p5": band_of[code]["p5_rank"],
            "rank_p95": band_of[code]["p95_rank"],
            "rank_median": band_of[code]["median_rank"],
            "previous_rank": _int(zone_previous.get("rank")) if zone_previous else None,
            "pillars": {c: {"score": own_score[c], "rank": _int(own_rank[c])}
                        for c in pillars},
            "contributions": own_contrib,
            "indicators": {c: own_score[c] for c in leaves},
            "inputs": input_of[code],
            "strengths": list(result.strengths.get(str(code), [])),
            "weaknesses": list(result.weaknesses.get(str(code), [])),
            "missing": missing.get(code, []),
            "movers": movers,
            "not_ranked": "",
        }
    step(4, 4, "summary")
    summary = {
        "zones": len(frame), "ranked": len(ranked), "min_coverage": min_coverage,
        "indicators": len(leaves), "pillars": pillars,
        "median": {"score": _median([z["score"] for z in zones.values()]),
                   **{c: _median([z["pillars"][c]["score"] for z in zones.values()])
                      for c in pillars}},
        "cronbach_alpha": checks["cronbach_alpha"],
        "flags": flags,
        "correlation": {c: checks["correlation"]["pearson"].get(c, {}).get(root)
                        for c in pillars},
        "missing_cells": sum(len(v) for v in missing.values()),
        "dropped": dropped,
        "missing_policy": spec.missing.get("policy", "reweight"),
        "weights": {node: {k: _num(v) for k, v in w.items()}
                    for node, w in checks["weights"].items()},
        "sobol": sobol,
        "replications": replications,
        "normalisations": [str(n) for n in ALTERNATIVE_NORMALISATIONS],
        "weight_noise": WEIGHT_NOISE,
    }
    return Evaluation(zones=zones, summary=summary)


def _not_ranked(code, input_of, pillars, reason, missing, previous) -> dict:
    zone_previous = (previous or {}).get(code)
    return {"score": None, "rank": None, "rank_p5": None, "rank_p95": None,
            "rank_median": None,
            "previous_rank": _int(zone_previous.get("rank")) if zone_previous else None,
            "pillars": {c: {"score": None, "rank": None} for c in pillars},
            "contributions": {}, "indicators": {},
            "inputs": input_of[code],
            "strengths": [], "weaknesses": [],
            "missing": [{"indicator": item["indicator"], "handled": "not_ranked"}
                        for item in missing.get(str(code), [])],
            "movers": [], "not_ranked": reason}


def _table(part: pd.DataFrame, *, rounded: bool = False) -> dict[str, dict]:
    """Row label → {column: value} as Python floats, NaN and ±∞ as None; ``rounded``:
    half up to 6 decimals first (as :func:`_round` rounds one value)."""
    values = part.to_numpy(float)
    if rounded:
        values = round_half_up(values, 6)
    columns = [str(c) for c in part.columns]
    return {str(label): {c: v if math.isfinite(v) else None
                         for c, v in zip(columns, row, strict=True)}
            for label, row in zip(part.index, values.tolist(), strict=True)}


def results_hash(evaluation: Evaluation) -> str:
    return sha256(canonical({"zones": evaluation.zones, "summary": evaluation.summary}))


def incoherent_pillars(checks: dict, spec) -> list[dict]:
    """The engine's coherence flags (:func:`bianhe.index.diagnostics.coherence_flag`): a
    node whose children's Cronbach's α is negative ("incoherent": its score adds numbers
    that pull in opposite directions) or undefined with two or more children
    ("coherence_unknown")."""
    flags = []
    for node in spec.aggregates:
        own = coherence_flag(node.code, checks["cronbach_alpha"].get(node.code),
                             len(node.children))
        if own:
            flags.append({"node": node.code, "alpha": own["alpha"], "check": own["flag"]})
    return flags


def missing_cells(frame: pd.DataFrame, policy: str) -> dict[str, list[dict]]:
    """Zone → the indicators it has no accepted figure for, and what the policy did."""
    out: dict[str, list[dict]] = {}
    rows, cols = np.nonzero(np.isnan(frame.to_numpy(float)))
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        out.setdefault(str(frame.index[r]), []).append(
            {"indicator": str(frame.columns[c]), "handled": policy})
    return out


def _num(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def _round(value) -> float | None:
    value = _num(value)
    return None if value is None else float(round_half_up(value, 6))


def _int(value) -> int | None:
    value = _num(value)
    return None if value is None else int(value)


def _median(values) -> float | None:
    present = [v for v in values if v is not None]
    return _round(float(np.median(present))) if present else None
