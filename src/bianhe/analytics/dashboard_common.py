"""What the dashboards and the zone profile share: queries, tiles, figures, charts and notes.

Every figure on these pages is written by :mod:`bianhe.formatting` (thousands separators,
the indicator's decimals, the unit with every figure, 万元 optionally in 亿元, growth as
"增长9.6%" and changes of rates in 百分点); this module only decides which figure and how.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from bianhe import formatting
from bianhe.analytics import cube, timeaxis
from bianhe.analytics.queries import (
    STATUSES,
    TOTAL_MEMBER,
    Result,
    compute,
    indicator_definitions,
    zone_series,
    zones_for,
)
from bianhe.analytics.query import INDICATOR, OFFICIAL, PERIOD, UNIT, YOY, ZONE, Query, QueryError
from bianhe.catalog.models import Indicator
from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period

#: The indicators of the headline tiles and of the scoped tables, in display order.
KEY_INDICATORS = ("TRADE_TOTAL", "BORDER_TRADE", "FAI", "FISCAL_REVENUE", "INVEST_IN_PLACE",
                  "GDP")
#: Pages about single zones also show the zone's own rates (never summed across zones).
ZONE_KEY_INDICATORS = (*KEY_INDICATORS, "GDP_GROWTH")
#: A median or a rank is shown only when at least this many zones reported: with fewer, a
#: median and one's own figure would give away another zone's value, and a rank means little.
MIN_PEERS = 3
#: The unit switch of the pages (GET ``unit``): amounts in 万元 as stored, or in 亿元.
UNIT_WAN, UNIT_YI = "wan", "yi"


def unit_choice(unit: str | None) -> tuple[bool, str]:
    """(show 万元 in 亿元, an error message for a value that is not a choice)."""
    if unit in (None, "", UNIT_WAN):
        return False, ""
    if unit == UNIT_YI:
        return True, ""
    return False, _("The unit you chose is not valid; figures are shown in the stored unit.")


def pivot_url(query: Query) -> str:
    """The pivot page showing ``query``."""
    return reverse("analytics:pivot") + "?" + urlencode(query.as_params(), doseq=True)


is_number = formatting.is_number


def json_number(value, unit: str = "", yi: bool = False):
    """A figure for a chart (in the display unit): NaN becomes null."""
    if not is_number(value):
        return None
    shown, _unit, _places = formatting.in_display_unit(value, unit, 0, yi=yi)
    return shown


def display_unit(unit: str, yi: bool) -> str:
    """The unit figures of ``unit`` are shown in: 亿元 for 万元 when switched."""
    return formatting.in_display_unit(None, unit, 0, yi=yi)[1]


def figure(value, decimals: int, unit: str, yi: bool = False) -> str | None:
    """A figure with its unit ("1,234.5万元"); None when there is none (the page shows —)."""
    if not is_number(value):
        return None
    return formatting.with_unit(value, decimals, unit, yi=yi)


def is_rate(indicator: Indicator) -> bool:
    """A rate or ratio in percent: its change is a difference in 百分点."""
    return formatting.is_percent_unit(indicator.unit)


def growth_text(value, *, points: bool = False, decimals: int = 1) -> str | None:
    """"增长9.6%" / "下降0.1%", or "提高0.15个百分点" for a rate (at the rate's own
    ``decimals``); None when there is none."""
    if not is_number(value):
        return None
    if points:
        return formatting.change(value, points=True, decimals=decimals)
    return formatting.change(value)


def chart_spec(chart_id: str, kind: str, categories: list[str], series: list[dict],
               unit: str, title: str = "", **extra) -> dict:
    """A chart for the pages' ECharts renderer (passed with ``json_script``)."""
    slug = chart_id.lower().replace("_", "-")
    return {"id": slug, "dom_id": f"chart-{slug}", "script_id": f"chart-{slug}-data",
            "kind": kind, "categories": categories, "series": series, "unit": unit,
            "title": title, **extra}


def cells(result: Result) -> dict[tuple[str, str, str], float]:
    """The result's totals keyed by (indicator, unit, period)."""
    frame = result.frame[result.frame["member"] == TOTAL_MEMBER]
    return {(i, u, p): v for i, u, p, v in zip(frame["indicator"], frame["unit"],
                                              frame["period"], frame["value"], strict=True)}


def demo_note() -> str:
    """The engine's own words for demo data (its results carry it as their first note)."""
    return _("Demonstration data: not real statistics.")


def merge_notes(results, *, demo: bool = False) -> tuple[list[str], bool]:
    """The footnotes of several results, each once, the demo note first; and whether any
    of it is demo data (``demo``: demo figures from elsewhere, such as the peers')."""
    demo_notes: list[str] = []
    notes: list[str] = []
    for result in results:
        footnotes = list(result.footnotes)
        if result.is_demo and footnotes:
            demo, first = True, footnotes.pop(0)
            if first not in demo_notes:
                demo_notes.append(first)
        for note in footnotes:
            if note not in notes:
                notes.append(note)
    if demo and not demo_notes:
        demo_notes.append(demo_note())
    return demo_notes + [n for n in notes if n not in demo_notes], demo


def peer_note() -> str:
    return _("Medians and ranks are computed over every zone's official figures; only the "
             "median or the rank is shown, and a median only when at least %(count)d zones "
             "reported.") % {"count": MIN_PEERS}


def rate_note() -> str:
    return _("Changes of rates and ratios measured in percent are differences in percentage "
             "points.")


class Runner:
    """Computes several official-basis queries over one set of zones loaded once."""

    def __init__(self, zones, scoped: bool):
        self.zones, self.scoped = zones, scoped

    @classmethod
    def for_user(cls, user) -> Runner:
        zones, scoped = zones_for(user)
        return cls(zones, scoped)

    def __call__(self, query: Query) -> Result:
        if query.basis != OFFICIAL:  # dashboards show official figures only
            raise QueryError(_("Only reviewers may include data that is not yet accepted."))
        return compute(query, self.zones, scoped=self.scoped)


def key_definitions(year: int, codes=KEY_INDICATORS) -> dict[str, Indicator]:
    """The catalogue entries of those ``codes`` the catalogue has (none before it is loaded)."""
    present = set(Indicator.objects.filter(code__in=codes).values_list("code", flat=True))
    wanted = [code for code in codes if code in present]
    if not wanted:
        return {}
    found = indicator_definitions(wanted, year)
    return {code: found[code] for code in wanted}


def period_for(indicator: Indicator, latest: Period) -> Period:
    """The YTD month at which ``indicator`` is shown when the page's month is ``latest``."""
    year, month = latest.year, latest.number
    if indicator.frequency == QUARTERLY:
        month -= month % 3
    elif indicator.frequency == ANNUAL and month != 12:
        month = 0
    if month == 0:
        return Period(MONTHLY, year - 1, 12)
    return Period(MONTHLY, year, month)


def reported_code(indicator: Indicator, month: Period) -> str | None:
    """The reported period whose figure gives ``indicator`` at ``month`` (YTD): 2026M08,
    2026Q2, 2025; None when it has none."""
    found = timeaxis.terms(period_for(indicator, month), timeaxis.YTD, indicator.frequency,
                           indicator.time_behaviour)
    return found[0][0] if found else None


def by_period(definitions: dict[str, Indicator], latest: Period) -> dict[Period, list[str]]:
    """Indicator codes grouped by the period each is shown at (one query per group)."""
    groups: dict[Period, list[str]] = defaultdict(list)
    for code, indicator in definitions.items():
        groups[period_for(indicator, latest)].append(code)
    return dict(sorted(groups.items(), reverse=True))


def last_complete_year(latest: Period) -> int:
    return latest.year if latest.number == 12 else latest.year - 1


def ytd_query(codes, period: Period, **kwargs) -> Query:
    kwargs.setdefault("rows", (INDICATOR,))
    kwargs.setdefault("columns", (PERIOD,))
    return Query(indicators=tuple(codes), granularity=timeaxis.YTD, start=period.code,
                 end=period.code, **kwargs)


def year_query(codes, first: int, last: int, **kwargs) -> Query:
    kwargs.setdefault("rows", (INDICATOR,))
    kwargs.setdefault("columns", (PERIOD,))
    kwargs.setdefault("chart", "line")
    return Query(indicators=tuple(codes), granularity=timeaxis.YEAR, start=str(first),
                 end=str(last), **kwargs)


def period_label(period: Period) -> str:
    return timeaxis.label(period, timeaxis.YTD)


def tiles(runner: Runner, definitions: dict[str, Indicator], latest: Period, level: str,
          units: tuple[str, ...] = ()) -> tuple[list[dict], list[Result]]:
    """Value and change of each key indicator at its period, for the ``level`` groups.

    Amounts change by 同比 growth from the engine (on its comparable basis); a zone's rate in
    percent changes by the difference from the same period a year before, in 百分点 (never
    a percent of a percent). Other indicators that are not summed have no change here.
    """
    found_tiles, results = {}, []
    for period, codes in by_period(definitions, latest).items():
        rows = (UNIT,) if level == ZONE else (INDICATOR,)
        values_query = ytd_query(codes, period, level=level, rows=rows, units=units)
        values = runner(values_query)
        results.append(values)
        found, grown = cells(values), {}
        summed = [c for c in codes if definitions[c].aggregation == cube.SUM]
        rates = [c for c in codes if c not in summed and is_rate(definitions[c])]
        if summed:
            growth = runner(replace(values_query, indicators=tuple(summed), measure=YOY))
            results.append(growth)
            grown.update(cells(growth))
        if rates and level == ZONE:
            _zone_rates(runner, definitions, rates, period, units, found, grown)
        for code in codes:
            found_tiles[code] = {
                "code": code, "name": values.labels["indicator"][code],
                "unit": values.measure_units[code], "decimals": values.decimals[code],
                "points": code in rates, "indicator": definitions[code],
                "period": period.code, "period_label": values.labels["period"][period.code],
                "query": replace(values_query, indicators=(code,)),
                "values": found, "growth": grown,
            }
    ordered = [found_tiles[code] for code in definitions if code in found_tiles]
    return ordered, results


def _zone_rates(runner: Runner, definitions, rates: list[str], period: Period, units,
                found: dict, grown: dict) -> None:
    """Each zone's own rates at ``period`` and their change from a year before, in 百分点.

    A rate is never aggregated across zones, but a zone's own figure is always shown: read
    per zone (:func:`~bianhe.analytics.queries.zone_series`, the official basis, the zones of
    the runner) rather than through a zone-level query.
    """
    wanted = [period, timeaxis.same_period_last_year(period)]
    for code in rates:
        series = zone_series(definitions[code], wanted, timeaxis.YTD, runner.zones,
                             STATUSES[OFFICIAL], zone_filter=runner.scoped, breakdown=False)
        grid = next(iter(series.by_member.values()))
        for row, zone_code in enumerate(runner.zones.codes):
            if units and zone_code not in units:
                continue
            now, then = grid[row, 0], grid[row, 1]
            key = (code, zone_code, period.code)
            if is_number(now):
                found[key] = float(now)
                if is_number(then):
                    grown[key] = float(now) - float(then)


def tile_figures(tile: dict, unit_code: str, yi: bool) -> dict:
    """The value and change of one tile for one group, as the page writes them."""
    key = (tile["code"], unit_code, tile["period"])
    value, change = tile["values"].get(key), tile["growth"].get(key)
    return {"value": value if is_number(value) else None,
            "value_text": figure(value, tile["decimals"], tile["unit"], yi),
            "growth": change if is_number(change) else None,
            "growth_text": growth_text(change, points=tile["points"], decimals=tile["decimals"]),
            "direction": formatting.direction(change)}
