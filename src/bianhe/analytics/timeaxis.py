"""From reported periods to the periods an analysis asks for, by time behaviour.

Zones report flows as year-to-date cumulatives (1—N月累计), stocks at the end of the period
and rates for the period. An analysis asks for one of four granularities:

* ``month`` and ``quarter`` — the period's own value. A flow is the difference of two
  cumulatives (Q2 = 1—6月 − 1—3月, June = 1—6月 − 1—5月; January and Q1 are the cumulative
  itself); a stock or a rate is the value reported at the period's last month or quarter.
* ``year`` — a flow's 1—12月 cumulative; a stock's or a rate's value at the year's end.
* ``ytd`` — 1—N月累计 at month N: a flow's cumulative as reported; a stock or rate at month N.

Stocks are never summed over time. Each wanted period becomes a list of (reported period,
sign) *terms*; an indicator reported less often than asked (a quarterly GDP by month) has
no terms, and the analysis shows it as not available. Pure Python, no Django import.
"""

from __future__ import annotations

from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period, PeriodError, periods_between

MONTH, QUARTER, YEAR, YTD = "month", "quarter", "year", "ytd"
GRANULARITIES = (MONTH, QUARTER, YEAR, YTD)
#: The period-code frequency each granularity is written in (ytd at month N: 2024M06).
CODE_FREQUENCY = {MONTH: MONTHLY, QUARTER: QUARTERLY, YEAR: ANNUAL, YTD: MONTHLY}
FLOW, STOCK, RATE = "flow_ytd", "stock", "rate"

Term = tuple[str, int]


def parse_period(code: str, granularity: str) -> Period:
    """A period code of the granularity's frequency, else :class:`PeriodError`."""
    period = Period.parse(code)
    if period.frequency != CODE_FREQUENCY[granularity]:
        raise PeriodError(f"{code!r} is not a {granularity} period")
    return period


def period_range(start: str, end: str, granularity: str) -> list[Period]:
    """The periods from ``start`` to ``end``; PeriodError when in the wrong order."""
    return periods_between(parse_period(start, granularity), parse_period(end, granularity))


def _reported(frequency: str, year: int, month: int) -> Period | None:
    """The reported period of ``frequency`` that ends with calendar ``month``, if any."""
    if frequency == MONTHLY:
        return Period(MONTHLY, year, month)
    if frequency == QUARTERLY:
        return Period(QUARTERLY, year, month // 3) if month % 3 == 0 else None
    return Period(ANNUAL, year) if month == 12 else None


def terms(period: Period, granularity: str, frequency: str, behaviour: str) -> list[Term]:
    """How to compute ``period`` at ``granularity`` from reported values.

    ``frequency`` and ``behaviour`` are the indicator's (catalogue) reporting frequency and
    time behaviour. Returns [] when the indicator cannot give that period.

    >>> terms(Period.parse("2024Q2"), "quarter", "monthly", "flow_ytd")
    [('2024M06', 1), ('2024M03', -1)]
    >>> terms(Period.parse("2024Q2"), "quarter", "monthly", "stock")
    [('2024M06', 1)]
    >>> terms(Period.parse("2024"), "year", "quarterly", "flow_ytd")
    [('2024Q4', 1)]
    >>> terms(Period.parse("2024M05"), "month", "quarterly", "flow_ytd")
    []
    """
    year = period.year
    if granularity == YEAR:
        end_month, start_month = 12, 1
    elif granularity == YTD:
        end_month, start_month = period.number, 1
    elif granularity == QUARTER:
        end_month, start_month = period.number * 3, period.number * 3 - 2
    else:
        end_month, start_month = period.number, period.number
    end = _reported(frequency, year, end_month)
    if end is None:
        return []
    if behaviour != FLOW or start_month == 1:
        return [(end.code, 1)]
    before = _reported(frequency, year, start_month - 1)
    if before is None:  # a quarterly flow cannot give one month
        return []
    return [(end.code, 1), (before.code, -1)]


def same_period_last_year(period: Period) -> Period:
    return Period(period.frequency, period.year - 1, period.number)


def previous_period(period: Period, granularity: str) -> Period | None:
    """The period before, for 环比: only months and quarters have one that means anything.

    A year's "previous period" is last year (that is 同比), and year-to-date cumulatives of
    consecutive months are not comparable.
    """
    if granularity not in (MONTH, QUARTER):
        return None
    return period.previous()


def label(period: Period, granularity: str) -> str:
    """The Chinese statistical label: 2024年、2024年二季度、2024年5月 or 2024年1—5月."""
    return period.label(cumulative=granularity == YTD)


__all__ = ["GRANULARITIES", "MONTH", "QUARTER", "YEAR", "YTD", "PeriodError", "label",
           "parse_period", "period_range", "previous_period", "same_period_last_year",
           "terms"]
