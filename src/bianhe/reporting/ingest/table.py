"""The ingest table and the vectorised helpers the checks share.

An ingest table has the columns ``zone, period, indicator, member, value, comment,
location``; every helper here works on whole columns (pandas / numpy), never row by row.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

COLUMNS = ("zone", "period", "indicator", "member", "value", "comment", "location")
KEY = ["zone", "period", "indicator", "member"]
CHUNK = 5000


def frame_from_records(records) -> pd.DataFrame:
    """A list of dicts (JSON, CSV rows) as an ingest table; missing columns become ''."""
    frame = pd.DataFrame.from_records(list(records))
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    return frame[list(COLUMNS)]


def prepare(rows: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``rows`` with every column present, codes upper-cased, text stripped."""
    frame = rows.reset_index(drop=True).copy()
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    for column in ("zone", "period", "indicator", "member"):
        frame[column] = clean_text(frame[column], upper=True)
    frame["comment"] = clean_text(frame["comment"])
    frame["location"] = clean_text(frame["location"])
    # Blank locations are labelled "row N" only for the rows a problem lists (see Checks).
    return frame


def clean_text(series: pd.Series, upper: bool = False) -> pd.Series:
    if isinstance(series.dtype, pd.StringDtype):
        # Already text (read_csv with dtype=str): clean each distinct value once; codes,
        # periods and indicators repeat, so this is a few hundred strings, not a million.
        codes, uniques = pd.factorize(series)
        clean = pd.Series(uniques, dtype=object).str.strip()
        if upper:
            clean = clean.str.upper()
        cleaned = np.append(clean.to_numpy(dtype=object), "")  # code -1 (missing) → ""
        return pd.Series(cleaned[codes], index=series.index, dtype="str")
    text = series.astype(object).where(series.notna(), "").map(str).str.strip()
    return text.str.upper() if upper else text


class Codes:
    """Packs (zone id, period, indicator, member) into one int64 for hash look-ups."""

    def __init__(self, *columns: list[pd.Series]):
        self.uniques = [pd.Index(pd.unique(pd.concat([c.astype(object) for c in parts],
                                                     ignore_index=True)))
                        for parts in columns]

    def key(self, *columns: pd.Series) -> pd.Index:
        key = np.zeros(len(columns[0]), dtype="int64")
        for uniques, column in zip(self.uniques, columns, strict=True):
            key = key * (len(uniques) + 1) + uniques.get_indexer(column.astype(object)) + 1
        return pd.Index(key)


def pairs_in(first: pd.Series, second: pd.Series, pairs) -> pd.Series:
    """Whether each (first, second) is one of ``pairs``, as a boolean Series."""
    pairs = list(pairs)
    if not pairs:
        return pd.Series(False, index=first.index)
    found = pd.MultiIndex.from_arrays([first, second]).isin(pairs)
    return pd.Series(found, index=first.index)


def positions(keys: list[tuple], columns: list[pd.Series]) -> np.ndarray:
    """Position of each row's key in ``keys`` (a list of tuples), -1 where absent."""
    if not keys:
        return np.full(len(columns[0]), -1, dtype="int64")
    index = pd.MultiIndex.from_tuples(keys)
    return index.get_indexer(pd.MultiIndex.from_arrays(columns))


def messages(bounds: pd.Series, mask: pd.Series, message) -> pd.Series | str:
    """The message of each row in ``mask``, formatted once per distinct bound."""
    if not mask.any():
        return ""
    chosen = bounds[mask]
    text = {bound: message(plain(bound)) for bound in chosen.unique()}
    return chosen.map(text)


def plain(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return format(Decimal(str(value)).normalize(), "f")
