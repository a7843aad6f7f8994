"""The data side of a build: the checked input, imputation, transforms, outlier treatment.

Every table is a float matrix with one ROW per column (indicator or node) and one column per
unit, C-contiguous. A node's children are then ``matrix[rows].T``: units × children laid out
exactly as ``DataFrame.to_numpy()`` lays them out, so sums across children add in the same
order — and give the same bits — as the column-by-column computation this replaced.
:class:`Layout` says which row is which node; :class:`CheckedData` is one data table,
checked (:func:`~bianhe.index.spec.validate_data`) and converted once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bianhe.index.errors import SpecError
from bianhe.index.spec import Aggregate, Indicator, Spec, validate_data


@dataclass(frozen=True)
class Layout:
    """Where each node lives in the internal matrices; walked from the spec tree once."""

    order: list[str]                  # every node, parents first: rows of the score matrix
    row: dict[str, int]               # node code → row of the score matrix
    indicators: list[Indicator]       # rows of the prepared-values matrix
    codes: list[str]
    column: dict[str, int]            # indicator code → row of the prepared-values matrix
    indicator_rows: np.ndarray        # score-matrix rows of the indicators
    bottom_up: list[Aggregate]
    children: dict[str, np.ndarray]   # aggregate code → score-matrix rows of its children
    order_index: pd.Index             # `order` and `codes` as column labels, made once
    codes_index: pd.Index

    @classmethod
    def of(cls, spec: Spec) -> Layout:
        nodes = list(spec.nodes())
        row = {n.code: i for i, n in enumerate(nodes)}
        indicators = [n for n in nodes if n.is_indicator]
        aggregates = [n for n in nodes if not n.is_indicator]
        return cls(order=[n.code for n in nodes], row=row, indicators=indicators,
                   codes=[i.code for i in indicators],
                   column={i.code: j for j, i in enumerate(indicators)},
                   indicator_rows=np.array([row[i.code] for i in indicators], dtype=int),
                   bottom_up=aggregates[::-1],
                   children={a.code: np.array([row[c.code] for c in a.children], dtype=int)
                             for a in aggregates},
                   order_index=pd.Index([n.code for n in nodes]),
                   codes_index=pd.Index([i.code for i in indicators]))

    def children_of(self, scores: np.ndarray, node: Aggregate) -> np.ndarray:
        """Units × children (column-major, as ``DataFrame.to_numpy()`` gives it)."""
        return scores[self.children[node.code]].T


@dataclass
class CheckedData:
    """One checked data table: units, indicator values after denominators, groups."""

    units: pd.Index
    raw: np.ndarray                   # indicators × units
    groups: np.ndarray | None         # the imputation group of each unit
    previous: np.ndarray | None = None  # `impute_previous`: last year's values, same shape

    @classmethod
    def read(cls, spec: Spec, layout: Layout, data: pd.DataFrame) -> CheckedData:
        columns = validate_data(spec, data)
        raw = np.array([columns[code] for code in layout.codes], dtype=float)
        raw = raw.reshape(len(layout.codes), len(data))
        previous = None
        if spec.missing["policy"] == "impute_previous":
            suffix = spec.missing["suffix"]
            blank = np.full(len(data), np.nan)
            previous = np.array([columns.get(f"{code}{suffix}", blank) for code in layout.codes],
                                dtype=float).reshape(raw.shape)
        for i, ind in enumerate(layout.indicators):
            if ind.denominator:
                raw[i] = raw[i] / columns[ind.denominator]
                if previous is not None:  # last year's value over this year's denominator
                    previous[i] = previous[i] / columns[ind.denominator]
        group = spec.missing.get("group")
        return cls(units=pd.Index(data[spec.unit].to_numpy(), name=spec.unit), raw=raw,
                   groups=data[group].to_numpy() if group else None, previous=previous)

    def frame(self, values: np.ndarray, columns: pd.Index) -> pd.DataFrame:
        """Units × columns from a matrix with one row per column (its own label object)."""
        return pd.DataFrame(values.T, index=self.units, columns=columns.copy())


def learn_imputation(spec: Spec, layout: Layout, inp: CheckedData) -> dict:
    """Imputation values, by pandas on a frame of the raw values (its NaN-skipping mean and
    median, its group means): exactly what a column-by-column build learnt."""
    policy = spec.missing["policy"]
    if policy == "fail":
        _fail_on_missing(layout, inp, inp.raw)
        return {}
    if policy not in ("impute_mean", "impute_median", "impute_group_mean"):
        return {}
    raw = inp.frame(inp.raw, layout.codes_index)
    if policy == "impute_group_mean":
        by_group = _group_means(raw, inp.groups)
        return {"overall": raw.mean().to_dict(),
                "groups": {g: row.to_dict() for g, row in by_group.iterrows()}}
    stat = raw.mean() if policy == "impute_mean" else raw.median()
    return {"overall": stat.to_dict()}


def _group_means(raw: pd.DataFrame, groups: np.ndarray) -> pd.DataFrame:
    """Groups × columns: pandas' group means, as pandas computes them column by column.

    pandas decides per block of columns how to add up: with ``np.add.reduceat`` when the
    groups come sorted and the block has no NaN, else with a compensated sum. A frame of
    separate columns and one 2-D block can therefore differ in the last bit; columns
    without and with gaps go in two calls so each column is summed as it is on its own.
    """
    gaps = raw.isna().to_numpy().any(axis=0)
    parts = [raw.loc[:, which].groupby(groups).mean() for which in (~gaps, gaps)
             if which.any()]
    return pd.concat(parts, axis=1)[raw.columns] if len(parts) > 1 else parts[0]


def _fail_on_missing(layout: Layout, inp: CheckedData, raw: np.ndarray) -> None:
    """`missing: fail`: name the first indicator (spec order) with a gap, and its unit."""
    missing = np.isnan(raw)
    if missing.any():
        i = int(np.flatnonzero(missing.any(axis=1))[0])
        unit = inp.units[int(np.flatnonzero(missing[i])[0])]
        raise SpecError(layout.codes[i], f"missing value for unit {unit} (missing: fail)")


def impute(spec: Spec, layout: Layout, inp: CheckedData, learnt: dict) -> np.ndarray:
    """Indicator values (rows) with the learnt imputation values filled in; a new matrix."""
    policy = spec.missing["policy"]
    if policy == "fail":
        _fail_on_missing(layout, inp, inp.raw)
    if policy in ("fail", "reweight"):
        return inp.raw.copy()
    if policy == "impute_previous":
        # Last year's value where this year's is missing; still missing: reweighted.
        return np.where(np.isnan(inp.raw), inp.previous, inp.raw)
    overall = np.array([learnt["overall"][code] for code in layout.codes], dtype=float)
    fill = overall[:, None]
    if policy == "impute_group_mean":
        # A group the fit did not see, or a column all missing in the group: overall mean.
        which, groups = pd.factorize(inp.groups)
        by_group = np.array([[learnt["groups"].get(g, {}).get(code, np.nan)
                              for code in layout.codes] for g in groups], dtype=float)
        fill = by_group.reshape(len(groups), len(layout.codes))[which].T
        fill = np.where(np.isnan(fill), overall[:, None], fill)
    return np.where(np.isnan(inp.raw), fill, inp.raw)


MISSING_COLUMNS = ("indicator", "name", "action", "how", "value")


def missing_cells(spec: Spec, layout: Layout, inp: CheckedData, imputed: np.ndarray,
                  learnt: dict) -> pd.DataFrame:
    """One row per missing value (unit × indicator, after denominators): what was done.

    ``action`` is ``imputed`` (``value`` = the value filled in, in the indicator's units
    after its denominator) or ``reweighted`` (left out: its weight is shared among the
    unit's other children of the same node); ``how`` says it in words. Units in data
    order, each unit's indicators in the spec's order.
    """
    gap_units, gap_rows = np.nonzero(np.isnan(inp.raw.T))
    columns = [spec.unit, *MISSING_COLUMNS]
    if gap_units.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object)
                             for c in columns})
    parent = {child.code: _label(node) for node in spec.aggregates for child in node.children}
    policy = spec.missing["policy"]
    filled = imputed[gap_rows, gap_units]
    rows = []
    for u, i, value in zip(gap_units.tolist(), gap_rows.tolist(), filled.tolist(),
                           strict=True):
        ind = layout.indicators[i]
        if np.isnan(value):
            action, how = "reweighted", (f"left out; its weight is shared among the other "
                                         f"children of {parent[ind.code]}")
        else:
            action, how = "imputed", _imputed_how(spec, policy, learnt, inp, u, ind.code)
        rows.append((inp.units[u], ind.code, ind.name, action, how, value))
    return pd.DataFrame(rows, columns=columns)


def _label(node) -> str:
    return node.code if node.name in ("", node.code) else f"{node.code} ({node.name})"


def _imputed_how(spec: Spec, policy: str, learnt: dict, inp: CheckedData, u: int,
                 code: str) -> str:
    if policy == "impute_mean":
        return "mean over all units"
    if policy == "impute_median":
        return "median over all units"
    if policy == "impute_previous":
        return f"last year's value ({code}{spec.missing['suffix']})"
    group = inp.groups[u]
    if np.isnan(learnt["groups"].get(group, {}).get(code, np.nan)):
        return f"mean over all units (group {group} has no value)"
    return f"mean of group {group}"


def transformed(layout: Layout, values: np.ndarray) -> np.ndarray:
    """The analyst's per-indicator transforms (a copy only when there is one)."""
    from bianhe.index.treatment import transform

    out = values
    for i, ind in enumerate(layout.indicators):
        if ind.transform:
            out = values.copy() if out is values else out
            params = {k: v for k, v in ind.transform.items() if k != "method"}
            with np.errstate(all="ignore"):
                out[i] = transform(values[i], ind.transform["method"], **params)
    return out


def learn_treatment(spec: Spec, layout: Layout, values: np.ndarray):
    """(indicator → TreatmentRecord, treated values) by COINr's treatment, per indicator."""
    if spec.treatment is None:
        return {}, values
    from bianhe.index.treatment import treat

    out = values.copy()
    records = {}
    t = spec.treatment
    for i, ind in enumerate(layout.indicators):
        if ind.transform:  # the analyst chose a transform: no automatic treatment on top
            continue
        out[i], records[ind.code] = treat(values[i], skew_threshold=t["skew_threshold"],
                                          kurt_threshold=t["kurt_threshold"],
                                          max_points=t["max_points"], column=ind.code)
    return records, out


def treatment_bounds(layout: Layout, records: dict, before: np.ndarray,
                     after: np.ndarray) -> dict:
    """Per treated indicator with a value: (min, max) before and after the treatment."""
    rows = [layout.column[code] for code in records]
    if not rows or before.shape[1] == 0:
        return {}
    b, a = before[rows], after[rows]
    stats = np.stack([np.fmin.reduce(b, axis=1), np.fmax.reduce(b, axis=1),
                      np.fmin.reduce(a, axis=1), np.fmax.reduce(a, axis=1)], axis=1)
    seen = ~np.isnan(a).all(axis=1)
    return {code: tuple(float(s) for s in stats[j])
            for j, code in enumerate(records) if seen[j]}


def apply_treatment(col: np.ndarray, record, bounds) -> np.ndarray:
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


__all__ = ["CheckedData", "Layout", "apply_treatment", "impute", "learn_imputation",
           "learn_treatment", "missing_cells", "transformed", "treatment_bounds"]
