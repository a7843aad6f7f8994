"""Files of the index engine: read DATA.csv, write RESULTS.csv (UTF-8, comma separated).

DATA.csv: one row per unit, the unit column named in the spec, one column per indicator
(and per denominator / group column the spec uses). Indicator columns must be numbers: a
column holding text is refused, naming it, rather than silently turned into NaN.
RESULTS.csv: one row per unit: the unit, every node's score (``<code>``, indicators
normalised) and the rank at every aggregate node (``<code>_rank``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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


def results_table(result) -> pd.DataFrame:
    """The RESULTS.csv table of a :class:`~bianhe.index.build.Result`."""
    table = result.table()
    return table.reset_index()


def write_results(result, path: str | Path, *, float_format: str | None = None) -> Path:
    path = Path(path)
    table = results_table(result)
    for col in table.columns:
        if col.endswith("_rank"):
            ranks = table[col].dropna()
            if (ranks == ranks.round()).all():  # competition and dense ranks are whole
                table[col] = table[col].round().astype("Int64")
    table.to_csv(path, index=False, float_format=float_format, encoding="utf-8")
    return path
