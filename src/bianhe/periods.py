"""Reporting periods: ``2024`` (year), ``2024Q2`` (quarter), ``2024M06`` (month).

Flow indicators are reported as year-to-date cumulative values (1—N月累计), so a month's
label for a flow reads "2024年1—6月" (``label(cumulative=True)``) while other indicators'
read "2024年6月". Pure Python: no Django import, so the numeric code can use it too.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

MONTHLY = "monthly"
QUARTERLY = "quarterly"
ANNUAL = "annual"
FREQUENCIES = (MONTHLY, QUARTERLY, ANNUAL)

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:(?P<kind>[MQ])(?P<number>\d{1,2}))?$")
_CHINESE_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}


class PeriodError(ValueError):
    """A period code that is not ``YYYY``, ``YYYYQn`` or ``YYYYMmm``."""


@total_ordering
@dataclass(frozen=True)
class Period:
    frequency: str
    year: int
    number: int = 1  # month 1–12, quarter 1–4, or 1 for a year

    # --- construction --------------------------------------------------------------------
    @classmethod
    def parse(cls, code: str) -> Period:
        match = _PATTERN.match(str(code).strip().upper())
        if not match:
            raise PeriodError(f"{code!r} is not a period (use 2024, 2024Q2 or 2024M06)")
        year = int(match["year"])
        if not 1949 <= year <= 2100:
            raise PeriodError(f"{code!r}: year out of range")
        if match["kind"] is None:
            return cls(ANNUAL, year)
        number = int(match["number"])
        if match["kind"] == "M":
            if not 1 <= number <= 12:
                raise PeriodError(f"{code!r}: month must be 01–12")
            return cls(MONTHLY, year, number)
        if not 1 <= number <= 4:
            raise PeriodError(f"{code!r}: quarter must be 1–4")
        return cls(QUARTERLY, year, number)

    @classmethod
    def containing(cls, day: dt.date, frequency: str) -> Period:
        if frequency == MONTHLY:
            return cls(MONTHLY, day.year, day.month)
        if frequency == QUARTERLY:
            return cls(QUARTERLY, day.year, (day.month - 1) // 3 + 1)
        return cls(ANNUAL, day.year)

    # --- identity ------------------------------------------------------------------------
    @property
    def code(self) -> str:
        if self.frequency == MONTHLY:
            return f"{self.year}M{self.number:02d}"
        if self.frequency == QUARTERLY:
            return f"{self.year}Q{self.number}"
        return str(self.year)

    def __str__(self) -> str:
        return self.code

    def _key(self):
        return (self.end, FREQUENCIES.index(self.frequency))

    def __lt__(self, other: Period) -> bool:
        return self._key() < other._key()

    # --- calendar ------------------------------------------------------------------------
    @property
    def last_month(self) -> int:
        """The last calendar month the period covers (6 for 2024M06 and for 2024Q2)."""
        if self.frequency == MONTHLY:
            return self.number
        if self.frequency == QUARTERLY:
            return self.number * 3
        return 12

    @property
    def start(self) -> dt.date:
        first = {MONTHLY: self.number, QUARTERLY: self.number * 3 - 2, ANNUAL: 1}
        return dt.date(self.year, first[self.frequency], 1)

    @property
    def end(self) -> dt.date:
        month = self.last_month
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def previous(self) -> Period:
        """The period before, within the same frequency (2024M01 → 2023M12)."""
        if self.frequency == ANNUAL:
            return Period(ANNUAL, self.year - 1)
        if self.number > 1:
            return Period(self.frequency, self.year, self.number - 1)
        last = 12 if self.frequency == MONTHLY else 4
        return Period(self.frequency, self.year - 1, last)

    def previous_in_year(self) -> Period | None:
        """The period before within the same year, or None for the first (for YTD checks)."""
        if self.frequency == ANNUAL or self.number == 1:
            return None
        return Period(self.frequency, self.year, self.number - 1)

    def same_period_last_year(self) -> Period:
        return Period(self.frequency, self.year - 1, self.number)

    def deadline(self, days_after_end: int) -> dt.date:
        return self.end + dt.timedelta(days=days_after_end)

    # --- labels --------------------------------------------------------------------------
    def label(self, cumulative: bool = False) -> str:
        """Chinese statistical label: 2024年、2024年二季度、2024年6月 or 2024年1—6月."""
        if self.frequency == ANNUAL:
            return f"{self.year}年"
        if self.frequency == QUARTERLY:
            if cumulative and self.number > 1:
                return f"{self.year}年1—{self.last_month}月"
            return f"{self.year}年{_CHINESE_QUARTER[self.number]}季度"
        if cumulative and self.number > 1:
            return f"{self.year}年1—{self.number}月"
        return f"{self.year}年{self.number}月"


class RangeOrderError(PeriodError):
    """A range of periods whose last period ends before its first one starts."""


def parse_range(first: str, last: str) -> tuple[Period, Period]:
    """The first and last period of a range from their codes; :class:`PeriodError` for a
    code that is not a period, :class:`RangeOrderError` when the range ends before it
    starts."""
    start, end = Period.parse(first), Period.parse(last)
    if end.end < start.start:
        raise RangeOrderError(f"{end.code} ends before {start.code} starts")
    return start, end


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period of ``first``'s frequency from ``first`` to ``last`` inclusive."""
    if first.frequency != last.frequency:
        raise PeriodError("a range needs two periods of the same frequency")
    if last < first:
        raise PeriodError(f"the range {first}–{last} is in the wrong order")
    result, current = [], first
    while current <= last:
        result.append(current)
        current = _next(current)
    return result


def _next(period: Period) -> Period:
    if period.frequency == ANNUAL:
        return Period(ANNUAL, period.year + 1)
    last = 12 if period.frequency == MONTHLY else 4
    if period.number < last:
        return Period(period.frequency, period.year, period.number + 1)
    return Period(period.frequency, period.year + 1, 1)
