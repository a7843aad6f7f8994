"""The analytics dashboard of each role, as plain data (the page is in ``dashboard_views``).

One URL, content by role:

* **ministry** — headline tiles (the latest year-to-date total over all zones with its 同比
  growth), the top and bottom zones of one key indicator, a trend of yearly totals and the
  reporting status of the latest monthly period;
* **province reviewer** and **observer** — the key indicators of each zone in scope beside
  the all-zone median, with growth (the scope's totals a link away in the pivot page) and
  the same reporting status;
* **zone reporter** — its own figures, growth, rank among all zones and the all-zone
  median, with yearly trends beside that median.

Every figure comes from the analytics engine: what ``queries.run`` does — the official basis,
:func:`~bianhe.analytics.queries.compute` over the zones of
:func:`~bianhe.analytics.queries.zones_for` (the user's scope) — with those zones loaded once
per page for the few queries a dashboard runs (:class:`Runner`). Each block keeps the
:class:`~bianhe.analytics.query.Query` that produced it and links to the pivot page with it.
Medians and ranks over every zone come from :class:`bianhe.analytics.profile.Peers` (only
the median or the rank leaves).

"Latest" is the newest period with official (accepted) figures among the key indicators in
the user's scope, never later than today: a month gives year-to-date figures (1—N月), a
December the whole year. An indicator reported quarterly or yearly is shown at its newest
period that ends by then (GDP for 1—9月 when the latest month is October).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import replace
from urllib.parse import urlencode

import numpy as np
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import can
from bianhe.analytics import cube, timeaxis
from bianhe.analytics.models import Fact
from bianhe.analytics.queries import (
    TOTAL_MEMBER,
    Result,
    compute,
    indicator_definitions,
    zones_for,
)
from bianhe.analytics.query import (
    ALL,
    INDICATOR,
    OFFICIAL,
    PERIOD,
    UNIT,
    YOY,
    ZONE,
    Query,
    QueryError,
)
from bianhe.catalog.models import Indicator
from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period
from bianhe.reporting.models import Report, ReportForm, Status
from bianhe.roles import Action, Role
from bianhe.zones.models import OrgUnit

#: The indicators of the headline tiles and of the scoped tables, in display order.
KEY_INDICATORS = ("TRADE_TOTAL", "BORDER_TRADE", "FAI", "FISCAL_REVENUE", "INVEST_IN_PLACE",
                  "GDP")
#: The indicator whose top and bottom zones the ministry sees.
RANKED_INDICATOR = "TRADE_TOTAL"
#: The totals drawn in the ministry's trend chart (each costs a read of every zone).
TREND_INDICATORS = ("TRADE_TOTAL",)
TREND_YEARS = 5
REPORTER_TREND_YEARS = 3
TOP = 5
#: Statuses in which a report counts as submitted (out of the zone's hands).
SENT = (Status.SUBMITTED, Status.APPROVED, Status.ACCEPTED)


# --- small helpers shared with the zone profile ------------------------------------------------
def pivot_url(query: Query) -> str:
    """The pivot page showing ``query``."""
    return reverse("analytics:pivot") + "?" + urlencode(query.as_params(), doseq=True)


def is_number(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def format_value(value, decimals: int) -> str | None:
    """12345.67 → "12,345.7" at one decimal; None for a missing figure."""
    if not is_number(value):
        return None
    return f"{value:,.{decimals}f}"


def format_growth(value) -> str | None:
    """同比 in percent with one decimal and its sign: "+5.2%"; None when not available."""
    if not is_number(value):
        return None
    return f"{value:+.1f}%"


def growth_direction(value) -> str | None:
    """"up", "down" or "flat" for styling a growth figure; None when there is none."""
    if not is_number(value):
        return None
    return "up" if value > 0 else "down" if value < 0 else "flat"


def json_number(value):
    """A figure for a chart: NaN becomes null."""
    return float(value) if is_number(value) else None


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


#: Up to this many zones, the latest period is found through the zones' own reports.
FEW_ZONES = 20


def latest_month(user, definitions: dict[str, Indicator], today: dt.date,
                 zone_ids=None) -> Period | None:
    """The month (a YTD period code) at which the newest official figure of any of the
    indicators ends, within the user's scope (and ``zone_ids`` if given), not after today.

    For a few zones, one query through their reports (indexed by zone); otherwise one short
    indexed query per indicator: its newest accepted period.
    """
    facts = Fact.objects.restrict(user, Action.VIEW).filter(member="", status=Status.ACCEPTED)
    caps = {code: Period.containing(today, indicator.frequency).code
            for code, indicator in definitions.items()}
    newest: dict[str, str] = {}
    if zone_ids is not None and len(zone_ids) <= FEW_ZONES:
        reports = Report.objects.filter(zone_id__in=list(zone_ids), status=Status.ACCEPTED)
        by_cap = defaultdict(list)
        for code, cap in caps.items():
            by_cap[cap].append(code)
        within = Q()
        for cap, codes in by_cap.items():
            within |= Q(indicator_code__in=codes, period__lte=cap)
        newest = dict(facts.filter(within, report__in=reports.values("id")).order_by()
                      .values("indicator_code").annotate(newest=Max("period"))
                      .values_list("indicator_code", "newest"))
    else:
        if zone_ids is not None:
            facts = facts.filter(zone_id__in=list(zone_ids))
        for code, cap in caps.items():
            found = (facts.filter(indicator_code=code, period__lte=cap).order_by("-period")
                     .values_list("period", flat=True).first())
            if found is not None:
                newest[code] = found
    best: Period | None = None
    for code, found in newest.items():
        try:
            period = Period.parse(found)
        except ValueError:
            continue
        if period.frequency != definitions[code].frequency:
            continue
        month = Period(MONTHLY, period.year, period.last_month)
        if best is None or month > best:
            best = month
    return best


def period_for(indicator: Indicator, latest: Period) -> Period:
    """The YTD month at which ``indicator`` is shown when the latest month is ``latest``."""
    year, month = latest.year, latest.number
    if indicator.frequency == QUARTERLY:
        month -= month % 3
    elif indicator.frequency == ANNUAL and month != 12:
        month = 0
    if month == 0:
        return Period(MONTHLY, year - 1, 12)
    return Period(MONTHLY, year, month)


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


# --- reporting status ---------------------------------------------------------------------------
def reporting_status(user, today: dt.date) -> dict:
    """Reports of the latest ended month by status, and zones that have not submitted.

    Two aggregate queries whatever the number of zones: the reports by status, and the
    zones in scope assigned a monthly form with and without a submitted report.
    """
    period = Period.containing(today, MONTHLY).previous()
    counts = dict(Report.objects.restrict(user, Action.VIEW)
                  .filter(period=period.code, form__frequency=MONTHLY, form__is_active=True)
                  .order_by().values("status").annotate(n=Count("id"))
                  .values_list("status", "n"))
    sent = Report.objects.filter(zone=OuterRef("pk"), period=period.code,
                                 form__frequency=MONTHLY, form__is_active=True,
                                 status__in=SENT)
    zones = (OrgUnit.objects.restrict(user, Action.VIEW).zones()
             .active_in_year(period.year)
             .filter(report_forms__frequency=MONTHLY, report_forms__is_active=True))
    totals = zones.aggregate(expected=Count("id", distinct=True),
                             missing=Count("id", distinct=True, filter=~Q(Exists(sent))))
    form = (ReportForm.objects.filter(frequency=MONTHLY, is_active=True).order_by("code")
            .values_list("code", flat=True).first())
    link = None
    if form:
        link = reverse("reporting:timeliness") + "?" + urlencode(
            {"form": form, "period": period.code})
    return {
        "period": period.code,
        "period_label": period.label(),
        "statuses": [{"code": status, "label": Status(status).label,
                      "count": counts.get(status, 0)} for status in Status.values],
        "reports": sum(counts.values()),
        "expected": totals["expected"] or 0,
        "not_submitted": totals["missing"] or 0,
        "url": link,
    }


# --- the dashboards -----------------------------------------------------------------------------
def build_dashboard(user, today: dt.date | None = None) -> dict:
    """The data of ``user``'s dashboard. ``kind`` says which: ministry, scoped, zone, none."""
    today = today or timezone.localdate()
    if not can(user, Action.VIEW):
        return {"kind": "none", "has_data": False, "footnotes": [], "is_demo": False}
    runner = Runner.for_user(user)
    if user.role in (Role.MINISTRY_ADMIN, Role.MINISTRY_ANALYST):
        kind = "ministry"
    elif user.role == Role.ZONE_REPORTER and len(runner.zones) == 1:
        kind = "zone"
    else:
        kind = "scoped"
    data = {"kind": kind, "has_data": False, "footnotes": [], "is_demo": False,
            "period": None, "zone_count": len(runner.zones)}
    definitions = key_definitions(today.year)
    zone_ids = runner.zones.ids.tolist() if runner.scoped else None
    latest = latest_month(user, definitions, today, zone_ids) \
        if definitions and len(runner.zones) else None
    if latest is not None:
        data["period"] = {"code": latest.code, "label": period_label(latest)}
    if kind == "ministry":
        if latest is not None:
            data.update(_ministry(runner, definitions, latest))
        data["reporting"] = reporting_status(user, today)
    elif kind == "scoped":
        if latest is not None:
            data.update(_scoped(runner, definitions, latest))
        data["reporting"] = reporting_status(user, today)
    else:
        data.update(_zone(runner, definitions, latest))
    return data


def _tiles(runner: Runner, definitions, latest: Period, level: str) -> tuple[list, list]:
    """Value and growth of each key indicator at its period, for the ``level`` groups."""
    tiles, results = {}, []
    for period, codes in by_period(definitions, latest).items():
        values_query = ytd_query(codes, period, level=level,
                                 rows=(UNIT,) if level == ZONE else (INDICATOR,))
        values, growth = runner(values_query), runner(replace(values_query, measure=YOY))
        results += [values, growth]
        found, grown = cells(values), cells(growth)
        for code in codes:
            tiles[code] = {
                "code": code, "name": values.labels["indicator"][code],
                "unit": values.measure_units[code], "decimals": values.decimals[code],
                "period": period.code, "period_label": values.labels["period"][period.code],
                "query": replace(values_query, indicators=(code,)),
                "values": found, "growth": grown,
            }
    ordered = [tiles[code] for code in definitions if code in tiles]
    return ordered, results


def _headline(tile: dict, unit_code: str) -> dict:
    key = (tile["code"], unit_code, tile["period"])
    value, growth = tile["values"].get(key), tile["growth"].get(key)
    return {
        "code": tile["code"], "name": tile["name"], "unit": tile["unit"],
        "period_label": tile["period_label"],
        "value": json_number(value), "value_text": format_value(value, tile["decimals"]),
        "growth": json_number(growth), "growth_text": format_growth(growth),
        "direction": growth_direction(growth),
        "url": pivot_url(tile["query"]),
    }


def _ministry(runner: Runner, definitions, latest: Period) -> dict:
    tiles, results = _tiles(runner, definitions, latest, ALL)
    headline = [_headline(tile, "ALL") for tile in tiles]
    data = {"tiles": headline,
            "has_data": any(tile["value"] is not None for tile in headline)}

    # Top and bottom zones: one zone-level query for the ranked indicator.
    if RANKED_INDICATOR in definitions:
        indicator = definitions[RANKED_INDICATOR]
        period = period_for(indicator, latest)
        query = ytd_query((RANKED_INDICATOR,), period, level=ZONE, rows=(UNIT,))
        result = runner(query)
        results.append(result)
        data["ranking"] = _ranking(result, indicator, period, runner)

    # Trend of yearly totals over the last complete years.
    trend_codes = [code for code in TREND_INDICATORS if code in definitions]
    if trend_codes:
        last = last_complete_year(latest)
        query = year_query(trend_codes, last - TREND_YEARS + 1, last, level=ALL)
        result = runner(query)
        results.append(result)
        data["trend"] = _trend_chart(result, "ALL", query)

    data["footnotes"], data["is_demo"] = merge_notes(results)
    return data


def _ranking(result: Result, indicator: Indicator, period: Period, runner: Runner) -> dict:
    """Top and bottom zones of one zone-level result (no overlap when few zones report)."""
    frame = result.frame[result.frame["member"] == TOTAL_MEMBER]
    values = frame["value"].to_numpy(dtype=np.float64)
    units = frame["unit"].tolist()
    reported = ~np.isnan(values)
    ranks = cube.ranks(values[:, None],
                       higher_is_better=indicator.direction != "lower_better")[:, 0]
    order = sorted(np.flatnonzero(reported), key=lambda i: (ranks[i], units[i]))
    decimals = result.decimals[indicator.code]

    def row(i: int) -> dict:
        return {"rank": int(ranks[i]), "code": units[i], "name": result.labels["unit"][units[i]],
                "value_text": format_value(values[i], decimals),
                "url": reverse("analytics:profile", args=[units[i]])}

    top = [row(i) for i in order[:TOP]]
    rest = order[TOP:]
    bottom = [row(i) for i in rest[-TOP:]]
    valid = int(runner.zones.valid_in(np.array([period.year]))[:, 0].sum())
    return {
        "name": result.labels["indicator"][indicator.code],
        "unit": result.measure_units[indicator.code],
        "period_label": result.labels["period"][period.code],
        "top": top, "bottom": bottom, "reported": int(reported.sum()), "zones": valid,
        "url": pivot_url(replace(result.query, measure="rank")),
        "value_url": pivot_url(result.query),
    }


def _trend_chart(result: Result, unit_code: str, query: Query) -> dict | None:
    """A line per indicator over the result's periods, from the first with a figure."""
    found = cells(result)
    periods = result.order["period"]
    series = [{"name": result.labels["indicator"][code],
               "data": [json_number(found.get((code, unit_code, p))) for p in periods]}
              for code in result.order["indicator"]]
    series = [s for s in series if any(v is not None for v in s["data"])]
    if not series:
        return None
    first = min(next(i for i, v in enumerate(s["data"]) if v is not None) for s in series)
    for s in series:
        s["data"] = s["data"][first:]
    units = sorted({result.measure_units[c] for c in result.order["indicator"]})
    return chart_spec("trend", "line", [result.labels["period"][p] for p in periods[first:]],
                      series, "、".join(units), title=_("Yearly totals, all zones"),
                      url=pivot_url(query))


def _scoped(runner: Runner, definitions, latest: Period) -> dict:
    """Province reviewer and observer: each zone in scope beside the all-zone median."""
    from bianhe.analytics.profile import Peers

    zone_tiles, results = _tiles(runner, definitions, latest, ZONE)
    columns, medians, peers = [], [], Peers()
    for tile in zone_tiles:
        indicator = definitions[tile["code"]]
        median = peers.standing(indicator, [Period.parse(tile["period"])],
                                timeaxis.YTD)[0].median
        medians.append(median)
        columns.append({"code": tile["code"], "name": tile["name"], "unit": tile["unit"],
                        "period_label": tile["period_label"], "url": pivot_url(tile["query"]),
                        "median_text": format_value(median, tile["decimals"])})
    rows = []
    for code, name in zip(runner.zones.codes, runner.zones.names, strict=True):
        row_cells = []
        for tile, median in zip(zone_tiles, medians, strict=True):
            key = (tile["code"], code, tile["period"])
            value, growth = tile["values"].get(key), tile["growth"].get(key)
            position = None
            if is_number(value) and is_number(median):
                position = "above" if value > median else "below" if value < median else "at"
            row_cells.append({"value_text": format_value(value, tile["decimals"]),
                              "growth_text": format_growth(growth),
                              "direction": growth_direction(growth), "position": position})
        rows.append({"code": code, "name": name, "cells": row_cells,
                     "url": reverse("analytics:profile", args=[code])})
    has_data = any(c["value_text"] for row in rows for c in row["cells"])
    notes, demo = merge_notes(results, demo=peers.is_demo)
    if has_data:
        notes.append(peer_note())
    table_url = total_url = None
    if zone_tiles:
        first = zone_tiles[0]
        same_period = replace(first["query"], indicators=tuple(
            t["code"] for t in zone_tiles if t["period"] == first["period"]),
            columns=(INDICATOR,))
        table_url = pivot_url(same_period)
        # The totals of the scope are one click away rather than computed here: they would
        # read every value of the table a second time.
        total_url = pivot_url(replace(same_period, level=ALL, rows=(UNIT,)))
    return {"columns": columns, "rows": rows, "has_data": has_data, "total_url": total_url,
            "footnotes": notes, "is_demo": demo, "table_url": table_url}


def peer_note() -> str:
    from bianhe.analytics.profile import MIN_PEERS

    return _("Medians and ranks are computed over every zone's official figures; only the "
             "median or the rank is shown, and a median only when at least %(count)d zones "
             "reported.") % {"count": MIN_PEERS}


def _zone(runner: Runner, definitions, latest: Period | None) -> dict:
    """A zone reporter: its figures, growth, rank and the all-zone median; yearly trends."""
    from bianhe.analytics.profile import Peers

    code, name = runner.zones.codes[0], runner.zones.names[0]
    data = {"zone": {"code": code, "name": name,
                     "url": reverse("analytics:profile", args=[code])}}
    if latest is None:
        return data
    tiles, results = _tiles(runner, definitions, latest, ZONE)
    last = last_complete_year(latest)
    first = last - REPORTER_TREND_YEARS + 1
    trend_query = year_query(list(definitions), first, last, level=ZONE, units=(code,),
                             chart="bar")
    trend = runner(trend_query)
    results.append(trend)
    yearly = cells(trend)
    years = [Period(ANNUAL, y) for y in range(first, last + 1)]
    rows, charts, peers = [], [], Peers()
    for tile in tiles:
        indicator = definitions[tile["code"]]
        key = (tile["code"], code, tile["period"])
        standing = peers.standing(indicator, [Period.parse(tile["period"])], timeaxis.YTD,
                                  zone_code=code)[0]
        history = peers.standing(indicator, years, timeaxis.YEAR)
        rows.append({
            "code": tile["code"], "name": tile["name"], "unit": tile["unit"],
            "period_label": tile["period_label"],
            "value_text": format_value(tile["values"].get(key), tile["decimals"]),
            "growth_text": format_growth(tile["growth"].get(key)),
            "direction": growth_direction(tile["growth"].get(key)),
            "median_text": format_value(standing.median, tile["decimals"]),
            "rank": int(standing.rank) if is_number(standing.rank) else None,
            "ranked": standing.reported, "url": pivot_url(tile["query"]),
        })
        own = [json_number(yearly.get((tile["code"], code, p.code))) for p in years]
        median = [json_number(s.median) for s in history]
        if any(v is not None for v in own + median):
            charts.append(chart_spec(
                f"zone-{tile['code']}", "bar",
                [trend.labels["period"][p.code] for p in years],
                [{"name": name, "data": own},
                 {"name": _("Median of all zones"), "data": median}],
                tile["unit"], title=tile["name"],
                url=pivot_url(replace(trend_query, indicators=(tile["code"],)))))
    notes, demo = merge_notes(results, demo=peers.is_demo)
    has_data = any(row["value_text"] for row in rows) or any(
        v is not None for chart in charts for v in chart["series"][0]["data"])
    if has_data:
        notes.append(peer_note())
    data.update({"rows": rows, "charts": charts, "has_data": has_data, "footnotes": notes,
                 "is_demo": demo})
    return data
