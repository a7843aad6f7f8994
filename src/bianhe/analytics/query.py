"""An analytics query: what to compute and how to lay it out, parsed and checked.

The same query arrives from the pivot page's form, a saved view, a dashboard tile's link and
the JSON API, always as flat parameters (``indicator=GDP&indicator=EXPORT&level=province…``),
so one parser serves them all. Every refusal is a :class:`QueryError` with a message fit for
the user; nothing is computed until the query is whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bianhe.analytics import timeaxis
from bianhe.formatting import period_label
from bianhe.periods import PeriodError

INDICATOR, UNIT, PERIOD, MEMBER, MEASURE = "indicator", "unit", "period", "member", "measure"
#: The dimensions of a result. ``measure`` has one item unless several measures are asked
#: for side by side (金额, 同比, 占比 in one table).
DIMENSIONS = (INDICATOR, UNIT, PERIOD, MEMBER, MEASURE)
DIMENSION_LABELS = {
    INDICATOR: gettext_lazy("Indicator"),
    UNIT: gettext_lazy("Org unit"),
    PERIOD: gettext_lazy("Period"),
    MEMBER: gettext_lazy("Breakdown"),
    MEASURE: gettext_lazy("Measure"),
}

ZONE, PROVINCE, ORIENTATION, ALL = "zone", "province", "orientation", "all"
LEVELS = {
    ZONE: gettext_lazy("Zone"),
    PROVINCE: gettext_lazy("Province"),
    ORIENTATION: gettext_lazy("Regional orientation group"),
    ALL: gettext_lazy("All zones"),
}
GRANULARITY_LABELS = {
    timeaxis.MONTH: gettext_lazy("Month"),
    timeaxis.QUARTER: gettext_lazy("Quarter"),
    timeaxis.YEAR: gettext_lazy("Year"),
    timeaxis.YTD: gettext_lazy("Year to date (1—N months)"),
}

VALUE, YOY, POP, SHARE, RANK, PER_KM2, CONTRIBUTION = (
    "value", "yoy", "pop", "share", "rank", "per_km2", "contribution")
MEASURES = {
    VALUE: gettext_lazy("Value"),
    YOY: gettext_lazy("Year-on-year growth (%)"),
    POP: gettext_lazy("Period-on-period growth (%)"),
    SHARE: gettext_lazy("Share of the total (%)"),
    RANK: gettext_lazy("Rank"),
    PER_KM2: gettext_lazy("Per km²"),
    CONTRIBUTION: gettext_lazy("Contribution to growth (percentage points)"),
}
#: Short headings of the measures, for a table that shows several side by side; the unit
#: of each is added where the table is laid out (a rate's 同比 is in 百分点, not %).
MEASURE_HEADINGS = {
    VALUE: gettext_lazy("Value"),
    YOY: gettext_lazy("Year on year"),
    POP: gettext_lazy("Period on period"),
    SHARE: gettext_lazy("Share"),
    RANK: gettext_lazy("Rank"),
    PER_KM2: gettext_lazy("Per km²"),
    CONTRIBUTION: gettext_lazy("Contribution to growth"),
}
#: Display scales: ``yi`` shows 万元 amounts in 亿元 (pages and, when asked, exports).
SCALES = {"": gettext_lazy("As stored"), "yi": gettext_lazy("Amounts in 100 million yuan")}

OFFICIAL, REVIEWED = "official", "reviewed"
BASES = {
    OFFICIAL: gettext_lazy("Official: accepted by the ministry"),
    REVIEWED: gettext_lazy("Including submitted and province-approved data"),
}
CHARTS = {
    "line": gettext_lazy("Line"),
    "bar": gettext_lazy("Bar"),
    "stacked": gettext_lazy("Stacked bar"),
    "radar": gettext_lazy("Radar"),
}
MAX_INDICATORS = 20


class QueryError(ValueError):
    """A query that cannot run; the message says why, in the user's language."""


@dataclass(frozen=True)
class Query:
    indicators: tuple[str, ...]
    level: str = PROVINCE
    units: tuple[str, ...] = ()
    granularity: str = timeaxis.YEAR
    start: str = ""
    end: str = ""
    measure: str = VALUE
    breakdown: bool = False
    basis: str = OFFICIAL
    rows: tuple[str, ...] = (UNIT,)
    columns: tuple[str, ...] = (PERIOD,)
    chart: str = "bar"
    #: Several measures side by side; empty means ``(measure,)``. ``measure`` is always the
    #: first of them, so code that asks for one measure keeps working.
    measures: tuple[str, ...] = ()
    scale: str = ""

    @property
    def all_measures(self) -> tuple[str, ...]:
        return self.measures or (self.measure,)

    def periods(self):
        return timeaxis.period_range(self.start, self.end, self.granularity)

    def as_params(self) -> dict[str, list[str] | str]:
        """The query as flat URL parameters (the inverse of :func:`parse_query`)."""
        params: dict[str, list[str] | str] = {
            "indicator": list(self.indicators),
            "level": self.level, "granularity": self.granularity,
            "start": self.start, "end": self.end,
            "measure": list(self.measures) if len(self.measures) > 1 else self.measure,
            "basis": self.basis, "rows": ",".join(self.rows),
            "columns": ",".join(self.columns), "chart": self.chart,
        }
        if self.units:
            params["unit"] = list(self.units)
        if self.breakdown:
            params["breakdown"] = "1"
        if self.scale:
            params["scale"] = self.scale
        return params


def get_list(params: Mapping, name: str) -> list[str]:
    if hasattr(params, "getlist"):
        values = params.getlist(name)
    else:
        raw = params.get(name, [])
        values = raw if isinstance(raw, list | tuple) else [raw]
    result = []
    for value in values:
        result += [part.strip() for part in str(value).split(",") if part.strip()]
    return result


def _get(params: Mapping, name: str, default: str) -> str:
    values = get_list(params, name)
    return values[0] if values else default


KNOWN_PARAMETERS = {"indicator", "level", "unit", "granularity", "start", "end", "measure",
                    "breakdown", "basis", "rows", "columns", "chart", "format", "view",
                    "scale"}


def parse_query(params: Mapping, *, defaults: Query, can_review: bool) -> Query:
    """Parse flat parameters over ``defaults``; QueryError names the first problem."""
    unknown = sorted(set(params) - KNOWN_PARAMETERS)
    if unknown:
        raise QueryError(_("Unknown parameter: %(names)s.") % {"names": ", ".join(unknown)})
    indicators = tuple(dict.fromkeys(get_list(params, "indicator"))) or defaults.indicators
    level = _get(params, "level", defaults.level)
    granularity = _get(params, "granularity", defaults.granularity)
    measures = tuple(dict.fromkeys(get_list(params, "measure"))) or defaults.all_measures
    measure = measures[0]
    scale = _get(params, "scale", defaults.scale)
    if scale not in SCALES:
        raise QueryError(_("Unknown %(name)s %(value)s; choose one of: %(allowed)s.")
                         % {"name": "scale", "value": scale, "allowed": "yi"})
    basis = _get(params, "basis", defaults.basis)
    chart = _get(params, "chart", defaults.chart)
    rows = tuple(get_list(params, "rows")) or defaults.rows
    columns = tuple(get_list(params, "columns")) or defaults.columns
    if len(measures) > 1 and MEASURE not in rows + columns:
        columns = (*columns, MEASURE)  # several measures side by side, inside each column
    checks = [("level", level, LEVELS), ("granularity", granularity, GRANULARITY_LABELS),
              *(("measure", m, MEASURES) for m in measures), ("basis", basis, BASES),
              ("chart", chart, CHARTS)]
    for name, value, allowed in checks:
        if value not in allowed:
            raise QueryError(_("Unknown %(name)s %(value)s; choose one of: %(allowed)s.")
                             % {"name": name, "value": value, "allowed": ", ".join(allowed)})
    for dimension in rows + columns:
        if dimension not in DIMENSIONS:
            raise QueryError(_("Unknown dimension %(name)s; the dimensions are: %(allowed)s.")
                             % {"name": dimension, "allowed": ", ".join(DIMENSIONS)})
    if set(rows) & set(columns) or len(set(rows)) != len(rows) or \
            len(set(columns)) != len(columns):
        raise QueryError(_("A dimension can be in the rows or in the columns, once."))
    if not rows or not columns:
        raise QueryError(_("Choose at least one dimension for the rows and one for the "
                           "columns."))
    if basis == REVIEWED and not can_review:
        raise QueryError(_("Only reviewers may include data that is not yet accepted."))
    if not indicators:
        raise QueryError(_("Choose at least one indicator."))
    if len(indicators) > MAX_INDICATORS:
        raise QueryError(_("Choose at most %(count)d indicators.") % {"count": MAX_INDICATORS})
    start = _get(params, "start", defaults.start if granularity == defaults.granularity else "")
    end = _get(params, "end", defaults.end if granularity == defaults.granularity else "")
    if not start or not end:
        raise QueryError(_("Give the first and the last period."))
    query = Query(
        indicators=indicators, level=level, units=tuple(dict.fromkeys(get_list(params, "unit"))),
        granularity=granularity, start=start.upper(), end=end.upper(), measure=measure,
        breakdown=_get(params, "breakdown", "1" if defaults.breakdown else "") in (
            "1", "true", "on", "yes"),
        basis=basis, rows=rows, columns=columns, chart=chart,
        measures=measures if len(measures) > 1 else (), scale=scale)
    try:
        periods = query.periods()
    except PeriodError:
        example = {timeaxis.MONTH: "2024M01", timeaxis.QUARTER: "2024Q1", timeaxis.YEAR: "2024",
                   timeaxis.YTD: "2024M06"}[granularity]
        first, last = query.start, query.end
        try:
            wrong_order = timeaxis.parse_period(last, granularity) < \
                timeaxis.parse_period(first, granularity)
        except PeriodError:
            wrong_order = False
        if wrong_order:
            cumulative = granularity == timeaxis.YTD
            raise QueryError(_("The period range %(first)s–%(last)s is in the wrong order.")
                             % {"first": period_label(first, cumulative=cumulative),
                                "last": period_label(last, cumulative=cumulative)}) from None
        raise QueryError(_("Periods for this granularity are written like %(example)s.")
                         % {"example": example}) from None
    if POP in measures and timeaxis.previous_period(periods[0], granularity) is None:
        raise QueryError(_("Period-on-period growth needs months or quarters."))
    return query


def check_size(query: Query, units: int, members: int) -> None:
    """Refuse a pivot larger than the configured number of cells, before computing it."""
    cells = len(query.indicators) * units * len(query.periods()) * members * \
        len(query.all_measures)
    limit = settings.BIANHE_PIVOT_MAX_CELLS
    if cells > limit:
        raise QueryError(_("This table would have %(cells)s cells; the limit is %(limit)s. "
                           "Choose fewer indicators, org units or periods.")
                         % {"cells": f"{cells:,}", "limit": f"{limit:,}"})
