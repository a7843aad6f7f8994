"""A dense panel of reported values of one frequency: zones × periods, per indicator cell.

Rules and outlier checks compare every zone and period at once, so values are laid out as
(zones, periods) float arrays with NaN for missing, one per (indicator, member). Period
columns run over whole consecutive years (``years * periods_per_year``), which turns "the
previous period", "the same period last year" and "the year to date" into plain shifts and
reshapes along the time axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period

PERIODS_PER_YEAR = {MONTHLY: 12, QUARTERLY: 4, ANNUAL: 1}
_FREQUENCY_OF = {12: MONTHLY, 4: QUARTERLY, 1: ANNUAL}
_PERIOD_PATTERN = r"^([0-9]{4})(?:([MQ])([0-9]{1,2}))?$"


@dataclass
class Panel:
    """Values of one frequency: rows are ``zones``, columns the periods of ``years`` whole
    years from January (or Q1) of ``first_year``. Arrays handed out are the panel's own;
    callers read them and do not write to them."""

    zones: list[str]  # zone codes, row order
    first_year: int
    years: int  # consecutive years covered
    periods_per_year: int  # 12 monthly, 4 quarterly, 1 annual
    data: dict[tuple[str, str], np.ndarray]  # (indicator, member) -> (Z, T) float, NaN = missing
    present: np.ndarray  # bool (Z, T): the zone reported some value for that period

    @property
    def frequency(self) -> str:
        return _FREQUENCY_OF[self.periods_per_year]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.zones), self.years * self.periods_per_year

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_long(cls, frame: pd.DataFrame, frequency: str, *, first_year: int | None = None,
                  last_year: int | None = None, zones: Sequence[str] | None = None) -> Panel:
        """Lay out a long table (zone, period, indicator, member, value) as a panel.

        ``value`` may be float, Decimal, numeric text or empty (None/NaN = missing; inf is
        treated as missing too). Every period must have ``frequency``. The years default to
        the data's range; rows outside the years or of zones not in ``zones`` are left out.
        A repeated (zone, period, indicator, member) raises ValueError.
        """
        if frequency not in PERIODS_PER_YEAR:
            raise ValueError(f"unknown frequency {frequency!r}")
        per_year = PERIODS_PER_YEAR[frequency]

        period_index, year, number = _parse_periods(frame["period"], frequency)
        zone_codes, zone_uniques = pd.factorize(frame["zone"].astype(str), sort=True)
        if zones is None:
            zones = list(zone_uniques)
        zones = [str(zone) for zone in zones]
        if len(set(zones)) != len(zones):
            raise ValueError("zones are repeated")
        row_of_unique = pd.Index(zones).get_indexer(zone_uniques)
        row = row_of_unique[zone_codes] if len(frame) else np.zeros(0, dtype=np.int64)

        year_of_row = year[period_index]
        first = first_year if first_year is not None else (
            int(year_of_row.min()) if len(frame) else last_year)
        last = last_year if last_year is not None else (
            int(year_of_row.max()) if len(frame) else first)
        if first is None or last is None:
            first, years = 0, 0
        elif last < first:
            raise ValueError(f"last_year {last} is before first_year {first}")
        else:
            years = last - first + 1
        T = years * per_year
        column = (year_of_row - first) * per_year + (number[period_index] - 1)

        member = frame["member"] if "member" in frame else pd.Series("", index=frame.index)
        key_codes, keys = _factorize_keys(frame["indicator"], member)
        values = _numbers(frame["value"])

        keep = (row >= 0) & (column >= 0) & (column < T)
        row, column, key_codes, values = row[keep], column[keep], key_codes[keep], values[keep]
        Z = len(zones)
        flat = np.sort((key_codes.astype(np.int64) * Z + row) * T + column)
        if (flat[1:] == flat[:-1]).any():
            raise ValueError("a zone, period, indicator and member appear more than once")

        block = np.full((len(keys), Z, T), np.nan)
        block[key_codes, row, column] = values
        present = np.zeros((Z, T), dtype=bool)
        reported = ~np.isnan(values)
        present[row[reported], column[reported]] = True
        used = np.zeros(len(keys), dtype=bool)
        used[key_codes] = True
        data = {keys[k]: block[k] for k in np.flatnonzero(used)}
        return cls(zones=zones, first_year=first, years=years, periods_per_year=per_year,
                   data=data, present=present)

    # --- periods -----------------------------------------------------------------------------
    def period_code(self, t: int) -> str:
        year, position = divmod(t, self.periods_per_year)
        return Period(self.frequency, self.first_year + year, position + 1).code

    def period_codes(self) -> list[str]:
        return [self.period_code(t) for t in range(self.years * self.periods_per_year)]

    def position_in_year(self) -> np.ndarray:
        """0 for the first period of each year up to periods_per_year - 1 for the last."""
        return np.arange(self.years * self.periods_per_year) % self.periods_per_year

    # --- values ------------------------------------------------------------------------------
    def column(self, code: str, member: str = "") -> np.ndarray:
        """Values of one (indicator, member) as (Z, T); all NaN if nothing was reported."""
        found = self.data.get((code, member))
        return found if found is not None else np.full(self.shape, np.nan)

    def members(self, code: str) -> list[str]:
        """The breakdown members of ``code`` that have data, sorted."""
        return sorted(member for key, member in self.data if key == code and member)


def _parse_periods(codes: pd.Series, frequency: str):
    """Period codes → (index into the unique codes per row, year and number per unique code).

    Only the distinct codes are parsed, so a national table of millions of rows costs a
    handful of string operations.
    """
    index, uniques = pd.factorize(codes.astype(str))
    text = pd.Series(uniques, dtype=object).str.strip().str.upper()
    parts = text.str.extract(_PERIOD_PATTERN)
    bad = parts[0].isna()
    kind = parts[1].fillna("")
    number = pd.to_numeric(parts[2], errors="coerce").fillna(1).astype(np.int64)
    wanted = {MONTHLY: ("M", 12), QUARTERLY: ("Q", 4), ANNUAL: ("", 1)}[frequency]
    bad |= (kind != wanted[0]) | (number < 1) | (number > wanted[1])
    if bad.any():
        example = uniques[int(np.flatnonzero(bad.to_numpy())[0])]
        raise ValueError(f"period {example!r} is not a {frequency} period code")
    year = pd.to_numeric(parts[0], errors="coerce").fillna(0).astype(np.int64).to_numpy()
    return index, year, number.to_numpy()


def _factorize_keys(indicators: pd.Series, members: pd.Series):
    """(indicator, member) per row → (index into the distinct keys per row, the keys).

    Indicators and members are factorised apart and combined as integers: hashing tuples
    of millions of rows costs several times more.
    """
    members = members.where(members.notna(), "")
    indicator_index, indicator_uniques = pd.factorize(indicators.astype(str))
    member_index, member_uniques = pd.factorize(members.astype(str))
    width = max(len(member_uniques), 1)
    combined = indicator_index.astype(np.int64) * width + member_index
    seen = np.zeros(len(indicator_uniques) * width, dtype=bool)
    seen[combined] = True
    distinct = np.flatnonzero(seen)
    lookup = np.zeros(len(seen), dtype=np.int64)
    lookup[distinct] = np.arange(len(distinct))
    keys = [(str(indicator_uniques[k // width]), str(member_uniques[k % width]))
            for k in distinct]
    return lookup[combined], keys


def _numbers(values: pd.Series) -> np.ndarray:
    """Values as float64 with NaN for missing; Decimal and numeric text are accepted."""
    if values.dtype.kind in "fiu":
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            numbers = pd.to_numeric(values.astype(object), errors="raise").to_numpy(
                dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a value is not a number: {exc}") from None
    return np.where(np.isfinite(numbers), numbers, np.nan)
