"""The YAML specification of a composite index: load, validate, dataclasses.

A spec is a tree — index → pillars → sub-pillars → indicators, any depth — plus a few global
settings. It can be written nested (``index:`` with ``children:``) or flat (``nodes:``, each
with a ``parent``, as in COINr's iMeta table). Everything that can be checked without the data
is checked by :func:`load_spec`; the rest (columns, text, missing units, logs of non-positive
values) by :func:`validate_data`, which :func:`bianhe.index.build.build` calls before computing
anything. Every problem raises :class:`~bianhe.index.errors.SpecError` naming the node or
column. No Django here: numpy, pandas and PyYAML only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from bianhe.index.errors import SpecError

AGGREGATIONS = ("arithmetic", "geometric", "harmonic", "topsis")
WEIGHT_METHODS = ("equal", "entropy", "critic", "pca", "ahp")
DATA_WEIGHT_METHODS = ("entropy", "critic", "pca")
MISSING_POLICIES = ("reweight", "impute_mean", "impute_median", "impute_group_mean",
                    "impute_previous", "fail")
RANK_TIES = ("competition", "dense", "average")
TRANSFORMS = ("log", "log1p", "boxcox", "ctlog", "winsorise")
NORMALISE_METHODS = ("minmax", "goalposts", "zscore", "rank", "percentile", "target", "frontier",
                     "ratio_mean", "ratio_median", "efficacy", "none")
# COINr's default treatment: winsorise up to 5 points while |skew| ≥ 2 and kurtosis ≥ 3.5.
COINR_TREATMENT = {"skew_threshold": 2.0, "kurt_threshold": 3.5, "max_points": 5}

# libyaml's loader when PyYAML was built with it (about 9× faster on examples/asem.yaml),
# else the pure-Python one; both are the safe loader and give the same mapping.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DIRECTIONS = {1: 1, -1: -1, "+1": 1, "-1": -1, "higher_better": 1, "lower_better": -1,
               "positive": 1, "negative": -1}
_INDICATOR_KEYS = {"code", "name", "direction", "transform", "normalise", "weight",
                   "denominator", "parent"}
_AGGREGATE_KEYS = {"code", "name", "aggregation", "weights", "weight", "children", "parent"}
_TOP_KEYS = {"index", "nodes", "unit", "treatment", "normalise", "missing", "rescale",
             "rank_ties", "rank_round", "name", "description"}


@dataclass(frozen=True)
class Indicator:
    """A leaf: one data column."""

    code: str
    name: str
    direction: int = 1
    transform: dict | None = None       # {"method": "log"} / {"method": "boxcox", "lambda": 0.5}
    normalise: dict | None = None       # None: the spec's default
    weight: float | None = None         # weight within the parent (None: parent decides)
    denominator: str | None = None      # divide by this data column first

    @property
    def is_indicator(self) -> bool:
        return True


@dataclass(frozen=True)
class Aggregate:
    """An inner node: aggregates its children."""

    code: str
    name: str
    children: tuple[Node, ...]
    aggregation: str = "arithmetic"
    weights: dict = field(default_factory=lambda: {"method": "children"})
    weight: float | None = None

    @property
    def is_indicator(self) -> bool:
        return False


Node = Indicator | Aggregate


@dataclass(frozen=True)
class Spec:
    root: Aggregate
    unit: str
    treatment: dict | None = None          # None, or {"method": "coinr", thresholds…}
    normalise: dict = field(default_factory=lambda: {"method": "minmax", "low": 0, "high": 1})
    missing: dict = field(default_factory=lambda: {"policy": "reweight"})
    rescale: tuple[float, float] | None = None
    rank_ties: str = "competition"
    rank_round: int | None = None
    name: str = ""

    def nodes(self) -> Iterator[Node]:
        """Every node, depth first, parents before children."""
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            yield node
            if not node.is_indicator:
                stack.extend(reversed(node.children))

    @property
    def indicators(self) -> list[Indicator]:
        return [n for n in self.nodes() if n.is_indicator]

    @property
    def aggregates(self) -> list[Aggregate]:
        return [n for n in self.nodes() if not n.is_indicator]

    def aggregates_bottom_up(self) -> list[Aggregate]:
        return list(reversed(self.aggregates))

    def node(self, code: str) -> Node:
        for n in self.nodes():
            if n.code == code:
                return n
        raise KeyError(code)

    def normalise_for(self, ind: Indicator) -> dict:
        return dict(ind.normalise) if ind.normalise is not None else dict(self.normalise)

    def columns_needed(self) -> list[str]:
        cols = [i.code for i in self.indicators]
        cols += [i.denominator for i in self.indicators if i.denominator]
        group = self.missing.get("group")
        if group:
            cols.append(group)
        return list(dict.fromkeys(cols))


def _error(message: str, *, where: str) -> SpecError:
    return SpecError(where, message)


# --- loading -----------------------------------------------------------------------------


def load_spec(source: str | Path | Mapping) -> Spec:
    """Read a spec from a YAML file (path) or an already-parsed mapping, and validate it."""
    if isinstance(source, Mapping):
        raw = dict(source)
        where = "spec"
    else:
        path = Path(source)
        where = str(path)
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
        except OSError as exc:
            raise _error(f"cannot read spec: {exc.strerror}", where=where) from None
        except yaml.YAMLError as exc:
            raise _error(f"not valid YAML: {exc}", where=where) from None
    if not isinstance(raw, Mapping):
        raise _error("the spec must be a mapping", where=where)
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise _error(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}", where=where)
    if ("index" in raw) == ("nodes" in raw):
        raise _error("give the tree either as `index:` (nested) or `nodes:` (flat)",
                        where=where)
    root = _parse_node(raw["index"], path=()) if "index" in raw else _parse_flat(raw["nodes"])
    if root.is_indicator:
        raise _error("the index must aggregate something (it has no children)",
                        where=root.code)
    unit = raw.get("unit")
    if not isinstance(unit, str) or not unit:
        raise _error("`unit` (the name of the unit column) is required", where="unit")
    spec = Spec(
        root=root,
        unit=unit,
        treatment=_parse_treatment(raw.get("treatment")),
        normalise=_parse_normalise(raw.get("normalise", {"method": "minmax"}), "normalise"),
        missing=_parse_missing(raw.get("missing", "reweight")),
        rescale=_parse_rescale(raw.get("rescale")),
        rank_ties=_choice(raw.get("rank_ties", "competition"), RANK_TIES, "rank_ties",
                          aliases={"1224": "competition", "min": "competition",
                                   "1223": "dense", "mean": "average"}),
        rank_round=_parse_rank_round(raw.get("rank_round")),
        name=str(raw.get("name", "")),
    )
    _check_tree(spec)
    return spec


def _choice(value, allowed, where, aliases=None):
    value = str(value).strip().lower() if value is not None else value
    if aliases and value in aliases:
        value = aliases[value]
    if value not in allowed:
        raise _error(f"{value!r} is not one of {', '.join(allowed)}", where=where)
    return value


def _number(value, where) -> float:
    """A number, or a string ``ln(x)``/``log(x)`` (natural log) for log-scale goalposts."""
    if isinstance(value, bool):
        raise _error(f"{value!r} is not a number", where=where)
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*(ln|log|log10|log1p)\(\s*([-+0-9.eE]+)\s*\)\s*", value)
        try:
            if m:
                arg = float(m.group(2))
                if (arg <= 0 and m.group(1) != "log1p") or arg <= -1:
                    raise _error(f"{value}: log of a non-positive number", where=where)
                fn = {"ln": math.log, "log": math.log, "log10": math.log10,
                      "log1p": math.log1p}[m.group(1)]
                out = fn(arg)
            else:
                out = float(value)
        except ValueError:
            raise _error(f"{value!r} is not a number", where=where) from None
    else:
        raise _error(f"{value!r} is not a number", where=where)
    if not math.isfinite(out):
        raise _error(f"{value!r} is not a finite number", where=where)
    return out


def _parse_direction(value, where) -> int:
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, float) and key in (1.0, -1.0):
        key = int(key)
    if key not in _DIRECTIONS:
        raise _error(f"direction {value!r}: use +1/-1 or higher_better/lower_better",
                        where=where)
    return _DIRECTIONS[key]


def _parse_transform(value, where) -> dict | None:
    if value in (None, "none"):
        return None
    raw = {"method": value} if isinstance(value, str) else dict(value)
    method = _choice(raw.pop("method", None), TRANSFORMS, f"{where}.transform",
                     aliases={"ln": "log", "winsorize": "winsorise"})
    out: dict[str, Any] = {"method": method}
    if method == "boxcox":
        lam = raw.pop("lambda", raw.pop("lmbda", None))
        if lam is None:
            raise _error("boxcox needs `lambda`", where=f"{where}.transform")
        out["lmbda"] = _number(lam, f"{where}.transform.lambda")
    for key, val in raw.items():
        if key == "makepos":
            out[key] = bool(val)
        elif key in ("lower", "upper"):
            out[key] = _number(val, f"{where}.transform.{key}")
        else:
            raise _error(f"unknown transform parameter {key}", where=f"{where}.transform")
    return out


def _parse_normalise(value, where) -> dict:
    raw = {"method": value} if isinstance(value, str) else dict(value or {})
    method = _choice(raw.pop("method", "minmax"), NORMALISE_METHODS, f"{where}.method",
                     aliases={"min-max": "minmax", "min_max": "minmax", "z": "zscore",
                              "z-score": "zscore", "distance_to_target": "target"})
    out: dict[str, Any] = {"method": method}
    for key, val in raw.items():
        if key in ("clip", "cap_max"):
            out[key] = bool(val)
        else:
            out[key] = _number(val, f"{where}.{key}")
    if method == "goalposts":
        if "min" not in out or "max" not in out:
            raise _error("goalposts need `min` and `max`", where=where)
        if out["min"] >= out["max"]:
            raise _error(f"goalposts min {out['min']:g} ≥ max {out['max']:g}", where=where)
    if method == "minmax" and out.get("low", 0) >= out.get("high", 1):
        raise _error("minmax: low must be below high", where=where)
    if method == "target" and "target" not in out:
        raise _error("target normalisation needs `target`", where=where)
    return out


def _parse_weights(value, where, n_children) -> dict:
    if value is None:
        return {"method": "children"}
    if isinstance(value, str):
        value = {"method": value}
    if isinstance(value, list | tuple):
        ws = [_number(v, f"{where}.weights") for v in value]
        if len(ws) != n_children:
            raise _error(f"{len(ws)} weights for {n_children} children", where=where)
        _check_weight_values(ws, where)
        return {"method": "explicit", "values": ws}
    raw = dict(value)
    method = _choice(raw.pop("method", None), (*WEIGHT_METHODS, "explicit"),
                     f"{where}.weights")
    out: dict[str, Any] = {"method": method}
    if method == "explicit":
        return _parse_weights(raw.get("values"), where, n_children)
    if method == "ahp":
        matrix = raw.pop("matrix", None)
        if matrix is None:
            raise _error("AHP weights need a pairwise `matrix`", where=where)
        out["matrix"] = _check_ahp(matrix, where, n_children)
    if raw:
        raise _error(f"unknown weight key(s) {', '.join(map(str, raw))}", where=where)
    return out


def _check_weight_values(ws, where):
    if any(w < 0 for w in ws):
        raise _error("weights must not be negative", where=where)
    if not sum(ws) > 0:
        raise _error("weights must sum to a positive number", where=where)


def _check_ahp(matrix, where, n) -> list[list[float]]:
    try:
        m = np.array([[_number(v, f"{where}.matrix") if not isinstance(v, str) or "/" not in v
                       else _fraction(v, where) for v in row] for row in matrix], dtype=float)
    except TypeError:
        raise _error("the AHP matrix must be a list of rows", where=where) from None
    if m.shape != (n, n):
        raise _error(f"the AHP matrix must be {n}×{n} (one row per child)", where=where)
    if np.any(m <= 0):
        raise _error("AHP judgements must be positive", where=where)
    # Judgements such as 1/3 are often written 0.333: accept 0.1 % and make it exact.
    if not np.allclose(m * m.T, 1.0, rtol=1e-3, atol=1e-3):
        i, j = np.argwhere(~np.isclose(m * m.T, 1.0, rtol=1e-3, atol=1e-3))[0]
        raise _error(f"the AHP matrix is not reciprocal: a[{i + 1},{j + 1}]={m[i, j]:g} "
                     f"but a[{j + 1},{i + 1}]={m[j, i]:g}", where=where)
    upper = np.triu_indices(n, 1)
    m[(upper[1], upper[0])] = 1.0 / m[upper]
    from bianhe.index.weights import ahp

    ahp(m, name=where)  # raises SpecError when CR ≥ 0.1
    return m.tolist()


def _fraction(text, where) -> float:
    num, _, den = text.partition("/")
    a, b = _number(num, f"{where}.matrix"), _number(den, f"{where}.matrix")
    if b == 0:
        raise _error(f"{text}: division by zero", where=where)
    return a / b


def _parse_treatment(value) -> dict | None:
    if value in (None, "none", False):
        return None
    raw = {"method": value} if isinstance(value, str) else dict(value)
    method = _choice(raw.pop("method", "coinr"), ("coinr", "default"), "treatment")
    out = dict(COINR_TREATMENT, method="coinr" if method == "default" else method)
    for key, val in raw.items():
        if key not in COINR_TREATMENT:
            raise _error(f"unknown key {key}", where="treatment")
        out[key] = _number(val, f"treatment.{key}")
    out["max_points"] = int(out["max_points"])
    return out


def _parse_missing(value) -> dict:
    raw = {"policy": value} if isinstance(value, str) else dict(value or {})
    policy = _choice(raw.pop("policy", "reweight"), MISSING_POLICIES, "missing")
    out: dict[str, Any] = {"policy": policy}
    if policy == "impute_group_mean":
        group = raw.pop("group", None)
        if not isinstance(group, str) or not group:
            raise _error("impute_group_mean needs `group` (a column name)", where="missing")
        out["group"] = group
    if policy == "impute_previous":
        suffix = raw.pop("suffix", "_prev")
        if not isinstance(suffix, str) or not suffix:
            raise _error("impute_previous needs `suffix` (text added to an indicator's code "
                         "to name its previous-year column, e.g. _prev)", where="missing")
        out["suffix"] = suffix
    if raw:
        raise _error(f"unknown key(s) {', '.join(map(str, raw))}", where="missing")
    return out


def _parse_rescale(value) -> tuple[float, float] | None:
    if value in (None, "none", False):
        return None
    if isinstance(value, str):
        m = re.fullmatch(r"\s*([-+0-9.]+)\s*[-–,]\s*([-+0-9.]+)\s*", value)
        if not m:
            raise _error(f"{value!r}: use e.g. 0-100 or {{min: 0, max: 100}}",
                            where="rescale")
        lo, hi = float(m.group(1)), float(m.group(2))
    elif isinstance(value, Mapping):
        lo, hi = _number(value.get("min", 0), "rescale"), _number(value.get("max"), "rescale")
    else:
        lo, hi = (_number(v, "rescale") for v in value)
    if lo >= hi:
        raise _error("rescale: min must be below max", where="rescale")
    return (lo, hi)


def _parse_rank_round(value) -> int | None:
    if value in (None, "none"):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error("rank_round must be a whole number of decimals", where="rank_round")
    return value


def _code(raw, path) -> str:
    if not isinstance(raw, Mapping):
        raise _error("each node must be a mapping", where="/".join(path) or "index")
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip():
        raise _error("every node needs a `code`", where="/".join(path) or "index")
    return code.strip()


def _parse_node(raw, path: tuple[str, ...]) -> Node:
    code = _code(raw, path)
    if code in path:
        raise _error(f"cycle: {' → '.join((*path, code))}", where=code)
    if "children" in raw:
        unknown = set(raw) - _AGGREGATE_KEYS
        if unknown:
            raise _error(f"unknown key(s) {', '.join(sorted(unknown))} for an aggregate",
                            where=code)
        kids_raw = raw["children"]
        if not isinstance(kids_raw, list) or not kids_raw:
            raise _error("`children` must be a non-empty list", where=code)
        children = tuple(_parse_node(k, (*path, code)) for k in kids_raw)
        return _aggregate(raw, code, children)
    unknown = set(raw) - _INDICATOR_KEYS
    if unknown:
        raise _error(f"unknown key(s) {', '.join(sorted(unknown))} for an indicator",
                        where=code)
    return Indicator(
        code=code,
        name=str(raw.get("name", code)),
        direction=_parse_direction(raw.get("direction", 1), code),
        transform=_parse_transform(raw.get("transform"), code),
        normalise=(_parse_normalise(raw["normalise"], f"{code}.normalise")
                   if raw.get("normalise") is not None else None),
        weight=_weight(raw, code),
        denominator=raw.get("denominator") or None,
    )


def _weight(raw, code) -> float | None:
    if raw.get("weight") is None:
        return None
    w = _number(raw["weight"], f"{code}.weight")
    if w < 0:
        raise _error("weights must not be negative", where=code)
    return w


def _aggregate(raw, code, children) -> Aggregate:
    aggregation = _choice(raw.get("aggregation", "arithmetic"), AGGREGATIONS,
                          f"{code}.aggregation",
                          aliases={"arith_mean": "arithmetic", "geom_mean": "geometric",
                                   "harm_mean": "harmonic", "mean": "arithmetic"})
    weights = _parse_weights(raw.get("weights"), code, len(children))
    if weights["method"] == "children":
        ws = [c.weight if c.weight is not None else 1.0 for c in children]
        _check_weight_values(ws, code)
    return Aggregate(code=code, name=str(raw.get("name", code)), children=children,
                     aggregation=aggregation, weights=weights, weight=_weight(raw, code))


def _parse_flat(rows) -> Aggregate:
    """Nodes given as a list with `parent` (COINr iMeta style): rebuild the tree."""
    if not isinstance(rows, list) or not rows:
        raise _error("`nodes` must be a non-empty list", where="nodes")
    by_code: dict[str, Mapping] = {}
    for raw in rows:
        code = _code(raw, ())
        if code in by_code:
            raise _error("listed twice (a node can have one parent only)", where=code)
        by_code[code] = raw
    roots = [c for c, r in by_code.items() if not r.get("parent")]
    for code, raw in by_code.items():
        parent = raw.get("parent")
        if parent and parent not in by_code:
            raise _error(f"unknown parent {parent}", where=code)
        seen = [code]
        while parent:
            if parent in seen:
                raise _error(f"cycle: {' → '.join([*seen, parent])}", where=code)
            seen.append(parent)
            parent = by_code[parent].get("parent")
    if len(roots) != 1:
        raise _error(f"exactly one node without a parent (the index) is needed, found "
                        f"{len(roots)}: {', '.join(roots)}", where="nodes")
    kids: dict[str, list[str]] = {c: [] for c in by_code}
    for code, raw in by_code.items():
        if raw.get("parent"):
            kids[raw["parent"]].append(code)

    def make(code):
        raw = {k: v for k, v in by_code[code].items() if k != "parent"}
        if kids[code]:
            if raw.get("children"):
                raise _error("give children by `parent` or `children`, not both", where=code)
            raw["children"] = [{"code": k} for k in kids[code]]
            children = tuple(make(k) for k in kids[code])
            return _aggregate(raw, code, children)
        return _parse_node(raw, ())

    return make(roots[0])


def _check_tree(spec: Spec) -> None:
    seen: set[str] = set()
    for node in spec.nodes():
        if node.code in seen:
            raise _error("the same code appears twice in the tree (a node under two "
                            "parents, or an indicator used twice)", where=node.code)
        seen.add(node.code)
        if node.code == spec.unit:
            raise _error("a node code equals the unit column", where=node.code)


# --- data validation ---------------------------------------------------------------------


def validate_data(spec: Spec, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Check the data against the spec before computing anything; raise SpecError.

    Returns every indicator and denominator column as a float array (rows of one matrix), so
    that a build converts the data once. The checks run column-wise on that matrix, but in
    the order of the column-by-column checks they replace: the first problem is reported.
    """
    if spec.unit not in data.columns:
        raise _error("the unit column is not in the data", where=spec.unit)
    units = data[spec.unit]
    if units.isna().any():
        raise _error("a unit has no identifier", where=spec.unit)
    dup = units[units.duplicated()]
    if len(dup):
        raise _error(f"unit {dup.iloc[0]} appears twice", where=spec.unit)
    indicators = spec.indicators  # one walk of the tree for all the checks
    group = spec.missing.get("group")
    names = _numeric_columns(indicators)
    for col in dict.fromkeys([*names, group] if group else names):  # spec.columns_needed()
        if col not in data.columns:
            raise _error("unknown indicator: not a column of the data", where=col)
    names += previous_columns(spec, data.columns)  # optional: used where present
    checked = [col for col in names if col != group]
    dtypes = dict(zip(data.columns, data.dtypes, strict=True))
    text = {col for col in checked if _is_text(data, col, dtypes[col])}
    columns = _as_floats(data, [col for col in names if col not in text], dtypes)
    for col in checked:
        if col in text:
            raise _error(f"a text column (e.g. {_first_text(data[col])!r}), numbers expected",
                         where=col)
        if np.isinf(columns[col]).any():
            raise _error("infinite value", where=col)
    if group and data[group].isna().any():
        raise _error("the group column has missing values", where=group)
    _check_units(indicators, units, columns)
    _check_indicators(indicators, units, columns)
    return columns


def previous_columns(spec: Spec, columns) -> list[str]:
    """For `missing: impute_previous`, the previous-year columns (``<code><suffix>``) the
    data has; an indicator without one is left missing (and reweighted)."""
    suffix = spec.missing.get("suffix") if spec.missing["policy"] == "impute_previous" else None
    if not suffix:
        return []
    return [f"{i.code}{suffix}" for i in spec.indicators if f"{i.code}{suffix}" in columns]


def _numeric_columns(indicators: list[Indicator]) -> list[str]:
    """Indicator and denominator columns, in the order of the spec's indicators."""
    cols = [i.code for i in indicators]
    cols += [i.denominator for i in indicators if i.denominator]
    return list(dict.fromkeys(cols))


def _is_text(data: pd.DataFrame, col: str, dtype) -> bool:
    """Not a numeric (non-boolean) column; a column with no value at all passes."""
    if pd.api.types.is_bool_dtype(dtype):
        return True
    return not (pd.api.types.is_numeric_dtype(dtype) or data[col].isna().all())


def _as_floats(data: pd.DataFrame, cols: list[str], dtypes: dict) -> dict[str, np.ndarray]:
    """Each column as float64, the rows of one C-contiguous matrix (one conversion when every
    column is a plain numpy number type; column by column otherwise)."""
    plain = all(isinstance(dtypes[c], np.dtype) and dtypes[c].kind in "fiu" for c in cols)
    matrix = data[cols].to_numpy(dtype=float).T if plain and cols else None
    if matrix is None or matrix.shape[0] != len(cols):  # also a duplicated column name
        matrix = np.array([data[c].to_numpy(dtype=float) for c in cols], dtype=float)
    matrix = np.ascontiguousarray(matrix).reshape(len(cols), len(data))
    return dict(zip(cols, matrix, strict=True))


def _check_units(indicators: list[Indicator], units: pd.Series,
                 columns: dict[str, np.ndarray]) -> None:
    """A unit with every indicator missing cannot be scored."""
    observed = np.zeros(len(units), dtype=bool)
    for ind in indicators:
        observed |= ~np.isnan(columns[ind.code])
    if not observed.all():
        unit = units.iloc[int(np.argmin(observed))]
        raise _error(f"unit {unit} has every indicator missing", where=str(unit))


def _check_indicators(indicators: list[Indicator], units: pd.Series,
                      columns: dict[str, np.ndarray]) -> None:
    """Zero denominators and values a log-type transform cannot take, indicator by indicator."""
    for ind in indicators:
        values = columns[ind.code]
        if ind.denominator:
            den = columns[ind.denominator]
            if (den == 0).any():
                raise _error(f"denominator {ind.denominator} is zero for a unit",
                             where=ind.code)
        t = ind.transform
        if t and t["method"] in ("log", "boxcox"):
            ratio = values / columns[ind.denominator] if ind.denominator else values
            bad = np.flatnonzero(ratio <= 0)
            if bad.size:
                raise _error(f"{t['method']} of a non-positive value ({ratio[bad[0]]:g} for "
                             f"unit {units.iloc[bad[0]]})", where=ind.code)
        if t and t["method"] == "log1p" and (values <= -1).any():
            raise _error("log1p of a value ≤ −1", where=ind.code)


def _first_text(series: pd.Series):
    for v in series:
        if isinstance(v, str):
            try:
                float(v)
            except ValueError:
                return v
    return series.dropna().iloc[0] if series.notna().any() else None
