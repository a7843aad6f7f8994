"""Files of the index engine: read DATA.csv, write RESULTS.csv (UTF-8, comma separated).

DATA.csv: one row per unit, the unit column named in the spec, one column per indicator
(and per denominator / group column the spec uses). Indicator columns must be numbers: a
column holding text is refused, naming it, rather than silently turned into NaN.
RESULTS.csv: one row per unit: the unit, every node's score (``<code>``, indicators
normalised) and the rank at every aggregate node (``<code>_rank``). Beside it the command
line writes the contributions, the strengths and weaknesses and the missing values as long
tables (one row per unit and node), with the nodes' names from the spec.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from bianhe.index.build import round_half_up
from bianhe.index.errors import SpecError
from bianhe.index.spec import Spec

MISSING_MARKERS = ["", "NA", "N/A", "NaN", "nan", "..", "-", "—"]


def read_data(path: str | Path, spec: Spec) -> pd.DataFrame:
    """Read DATA.csv for `spec`; unit and group columns stay text, the others are numbers."""
    path = Path(path)
    text_columns = {spec.unit}
    if spec.missing.get("group"):
        text_columns.add(spec.missing["group"])
    try:
        data = pd.read_csv(path, dtype={c: str for c in text_columns}, keep_default_na=False,
                           na_values=MISSING_MARKERS, encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(str(path), "data file not found") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SpecError(str(path), f"not a readable UTF-8 CSV file: {exc}") from None
    data.columns = [str(c).strip() for c in data.columns]
    for col in spec.columns_needed():
        if col in text_columns or col not in data.columns:
            continue  # a missing column is reported by validate_data
        if not pd.api.types.is_numeric_dtype(data[col]):
            converted = pd.to_numeric(data[col].astype(str).str.strip()
                                      .replace(MISSING_MARKERS, np.nan), errors="coerce")
            bad = data[col][converted.isna() & data[col].notna()]
            if len(bad):
                raise SpecError(col, f"text in a numeric column (e.g. {bad.iloc[0]!r} in row "
                                     f"{bad.index[0] + 2} of {path.name})")
            data[col] = converted
    return data


def results_table(result, *, decimals: int | None = None) -> pd.DataFrame:
    """The RESULTS.csv table of a :class:`~bianhe.index.build.Result`; scores rounded half
    up to `decimals` (None: as computed). Ranks are never rounded: they come from the build."""
    table = result.table()
    if decimals is not None:
        scores = list(result.scores.columns)
        table[scores] = round_half_up(table[scores].to_numpy(dtype=float), decimals)
    return table.reset_index()


def write_results(result, path: str | Path, *, float_format: str | None = None,
                  decimals: int | None = None) -> Path:
    """RESULTS.csv; ranks as whole numbers when they are (competition and dense ranks)."""
    table = results_table(result, decimals=decimals)
    for col in table.columns:
        if col.endswith("_rank"):
            ranks = table[col].dropna()
            if (ranks == ranks.round()).all():  # competition and dense ranks are whole
                table[col] = table[col].round().astype("Int64")
    if float_format is not None:
        path = Path(path)
        table.to_csv(path, index=False, float_format=float_format, encoding="utf-8")
        return path
    return write_table(table, path)


def contributions_table(result, *, decimals: int | None = None) -> pd.DataFrame:
    """One row per unit and node, in the spec's tree order: the node's ``code``, ``name``
    and ``parent`` (code), its ``score`` (indicators: normalised), its ``contribution`` to
    the index score (before any rescale; docs/index-engine.md) and ``share``, that
    contribution as a percentage of the index score."""
    spec = result.spec
    nodes = list(spec.nodes())
    codes = [n.code for n in nodes]
    parent = {child.code: node.code for node in spec.aggregates for child in node.children}
    scores = result.scores[codes].to_numpy(dtype=float)
    parts = result.contributions[codes].to_numpy(dtype=float)
    root = parts[:, 0:1]
    with np.errstate(all="ignore"):
        share = np.where(root != 0, parts / root * 100.0, np.nan)
    n_units, n_nodes = scores.shape
    table = pd.DataFrame({
        spec.unit: np.repeat(result.scores.index.to_numpy(), n_nodes),
        "code": np.tile(np.array(codes, dtype=object), n_units),
        "name": np.tile(np.array([n.name for n in nodes], dtype=object), n_units),
        "parent": np.tile(np.array([parent.get(c, "") for c in codes], dtype=object), n_units),
        "score": _rounded(scores.ravel(), decimals),
        "contribution": _rounded(parts.ravel(), decimals),
        "share": _rounded(share.ravel(), decimals),
    })
    return table


def strengths_table(result, *, decimals: int | None = None) -> pd.DataFrame:
    """One row per unit and indicator in its top (``strength``) or bottom (``weakness``)
    quartile across units: ``code``, ``name``, ``parent`` (code) and the normalised
    ``score``. Units in data order, strengths first, indicators in the spec's order."""
    spec = result.spec
    indicators = spec.indicators
    parent = {child.code: node.code for node in spec.aggregates for child in node.children}
    position = {ind.code: j for j, ind in enumerate(indicators)}
    values = result.scores[[ind.code for ind in indicators]].to_numpy(dtype=float)
    units, kinds, columns = [], [], []
    for u, unit in enumerate(result.scores.index.tolist()):
        key = str(unit)
        for kind, chosen in (("strength", result.strengths), ("weakness", result.weaknesses)):
            picked = [position[code] for code in chosen.get(key, [])]
            units += [u] * len(picked)
            kinds += [kind] * len(picked)
            columns += picked
    rows, cols = np.array(units, dtype=int), np.array(columns, dtype=int)
    inds = [indicators[j] for j in columns]
    return pd.DataFrame({
        spec.unit: result.scores.index.to_numpy()[rows],
        "kind": kinds,
        "code": [ind.code for ind in inds],
        "name": [ind.name for ind in inds],
        "parent": [parent[ind.code] for ind in inds],
        "score": _rounded(values[rows, cols], decimals),
    })


def missing_table(result) -> pd.DataFrame:
    """:attr:`Result.missing`, the value filled in written with 6 significant digits."""
    table = result.missing.copy()
    table["value"] = [f"{v:.6g}" if np.isfinite(v) else "" for v in table["value"].tolist()]
    return table


def _rounded(values: np.ndarray, decimals: int | None) -> np.ndarray:
    return values if decimals is None else round_half_up(values, decimals)


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write `table` as UTF-8 CSV, as ``to_csv(index=False)`` would (floats in their
    shortest form, a missing value empty) but without its per-block conversions, which
    cost more than the whole build on a small index."""
    path = Path(path)
    columns = [_as_text(table[c]) for c in table.columns]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow([str(c) for c in table.columns])
        out.writerows(zip(*columns, strict=True))
    return path


def _as_text(column: pd.Series) -> list[str]:
    if pd.api.types.is_float_dtype(column.dtype):
        return ["" if v != v else repr(v) for v in column.to_numpy(dtype=float).tolist()]
    return ["" if _missing(v) else str(v) for v in column.tolist()]


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
