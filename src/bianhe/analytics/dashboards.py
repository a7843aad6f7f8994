"""The analytics dashboard of each role, as plain data (the page is in ``dashboard_views``).

One URL, content by role:

* **ministry** — headline tiles (the year-to-date total of each key indicator with its 同比
  growth and its coverage), the top and bottom zones of one key indicator, a trend of yearly
  totals and the reporting status of the latest monthly period;
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

The period shown is chosen by :mod:`bianhe.analytics.coverage`: the latest year-to-date
month whose coverage reaches ``BIANHE_COVERAGE_THRESHOLD``, or the month the user picks. A
total over fewer zones than expected says so ("已确认园区合计（2/20）"), never "全部园区".
An indicator reported quarterly or yearly is shown at its newest period that ends by then
(GDP for 1—9月 when the month is October).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import urlencode

import numpy as np
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import can
from bianhe.analytics import cube, timeaxis
from bianhe.analytics.coverage import EVERY, SCOPE, Coverage, choose
from bianhe.analytics.dashboard_common import (
    KEY_INDICATORS,
    MIN_PEERS,
    ZONE_KEY_INDICATORS,
    Runner,
    cells,
    chart_spec,
    display_unit,
    figure,
    json_number,
    key_definitions,
    last_complete_year,
    merge_notes,
    peer_note,
    period_for,
    period_label,
    pivot_url,
    rate_note,
    reported_code,
    tile_figures,
    tiles,
    unit_choice,
    year_query,
    ytd_query,
)
from bianhe.analytics.profile import Peers, standing_texts
from bianhe.analytics.queries import TOTAL_MEMBER, Result
from bianhe.analytics.query import ALL, INDICATOR, UNIT, ZONE, Query
from bianhe.catalog.models import Indicator
from bianhe.periods import ANNUAL, MONTHLY, Period
from bianhe.reporting.models import Report, ReportForm, Status
from bianhe.roles import Action, Role
from bianhe.zones.models import OrgUnit

#: The indicator whose top and bottom zones the ministry sees.
RANKED_INDICATOR = "TRADE_TOTAL"
#: The totals drawn in the ministry's trend chart (each costs a read of every zone).
TREND_INDICATORS = ("TRADE_TOTAL",)
TREND_YEARS = 5
REPORTER_TREND_YEARS = 3
TOP = 5
#: Statuses in which a report counts as submitted (out of the zone's hands).
SENT = (Status.SUBMITTED, Status.APPROVED, Status.ACCEPTED)


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
def build_dashboard(user, today: dt.date | None = None, *, period: str | None = None,
                    unit: str | None = None) -> dict:
    """The data of ``user``'s dashboard. ``kind`` says which: ministry, scoped, zone, none.

    ``period``: the YTD month the user picked (GET); ``unit``: ``"yi"`` shows 万元 in 亿元.
    """
    today = today or timezone.localdate()
    if not can(user, Action.VIEW):
        return {"kind": "none", "has_data": False, "footnotes": [], "is_demo": False}
    yi, unit_error = unit_choice(unit)
    runner = Runner.for_user(user)
    if user.role in (Role.MINISTRY_ADMIN, Role.MINISTRY_ANALYST):
        kind = "ministry"
    elif user.role == Role.ZONE_REPORTER and len(runner.zones) == 1:
        kind = "zone"
    else:
        kind = "scoped"
    data = {"kind": kind, "has_data": False, "footnotes": [], "is_demo": False,
            "period": None, "zone_count": len(runner.zones), "yi": yi,
            "errors": [unit_error] if unit_error else []}
    definitions = key_definitions(today.year,
                                  KEY_INDICATORS if kind == "ministry" else ZONE_KEY_INDICATORS)
    latest, coverage, peers = None, None, Peers()
    if definitions and len(runner.zones):
        extra = ()
        if kind == "ministry":
            extra = tuple(
                (code, found) for code in TREND_INDICATORS if code in definitions
                for year in range(today.year - TREND_YEARS - 2, today.year)
                if (found := reported_code(definitions[code], Period(MONTHLY, year, 12))))
        coverage = Coverage.count(
            definitions, today, scope_zones=runner.zones, scoped=runner.scoped,
            every_zones=None if kind == "ministry" else peers.zones,
            zone_id=int(runner.zones.ids[0]) if kind == "zone" else None, extra=extra)
        choice = choose(coverage, period, own_zone=kind == "zone")
        data["choice"] = choice
        if choice.error:
            data["errors"].append(choice.error)
        latest = choice.period
    if latest is not None:
        data["period"] = {"code": latest.code, "label": period_label(latest)}
    if kind == "ministry":
        if latest is not None:
            data.update(_ministry(runner, definitions, latest, coverage, yi))
        data["reporting"] = reporting_status(user, today)
    elif kind == "scoped":
        if latest is not None:
            data.update(_scoped(runner, definitions, latest, coverage, peers, yi))
        data["reporting"] = reporting_status(user, today)
    else:
        data.update(_zone(runner, definitions, latest, coverage, peers, yi))
    return data


def total_label(cover) -> str:
    """"全部20个园区" for a complete total, else "已确认园区合计（2/20）"."""
    if cover.complete:
        return _("All %(count)d zones") % {"count": cover.expected}
    return _("Total of the confirmed zones (%(coverage)s)") % {"coverage": cover.text}


def comparable_note() -> str:
    return _("Growth compares only the zones confirmed in both periods (comparable basis).")


def _ministry(runner: Runner, definitions, latest: Period, coverage: Coverage,
              yi: bool) -> dict:
    found_tiles, results = tiles(runner, definitions, latest, ALL)
    headline = []
    for tile in found_tiles:
        cover = coverage.at(tile["code"], latest, SCOPE)
        headline.append({
            "code": tile["code"], "name": tile["name"], "period_label": tile["period_label"],
            "unit": display_unit(tile["unit"], yi), **tile_figures(tile, "ALL", yi),
            "coverage": cover.text, "complete": cover.complete,
            "total_label": total_label(cover),
            "growth_note": None if cover.complete else comparable_note(),
            "url": pivot_url(tile["query"]),
        })
    data = {"tiles": headline,
            "has_data": any(tile["value"] is not None for tile in headline)}

    # Top and bottom zones: one zone-level query for the ranked indicator.
    if RANKED_INDICATOR in definitions:
        indicator = definitions[RANKED_INDICATOR]
        period = period_for(indicator, latest)
        query = ytd_query((RANKED_INDICATOR,), period, level=ZONE, rows=(UNIT,))
        result = runner(query)
        results.append(result)
        data["ranking"] = _ranking(result, indicator, period, runner, yi)

    # Trend of yearly totals over the last complete years.
    trend_codes = [code for code in TREND_INDICATORS if code in definitions]
    if trend_codes:
        last = last_complete_year(latest)
        query = year_query(trend_codes, last - TREND_YEARS + 1, last, level=ALL)
        result = runner(query)
        results.append(result)
        data["trend"] = _trend_chart(result, "ALL", query, definitions, coverage, yi)

    data["footnotes"], data["is_demo"] = merge_notes(results)
    return data


def _ranking(result: Result, indicator: Indicator, period: Period, runner: Runner,
             yi: bool) -> dict:
    """Top and bottom zones of one zone-level result (no overlap when few zones report);
    none listed when fewer than MIN_PEERS zones reported."""
    frame = result.frame[result.frame["member"] == TOTAL_MEMBER]
    values = frame["value"].to_numpy(dtype=np.float64)
    units = frame["unit"].tolist()
    reported = ~np.isnan(values)
    ranks = cube.ranks(values[:, None],
                       higher_is_better=indicator.direction != "lower_better")[:, 0]
    order = sorted(np.flatnonzero(reported), key=lambda i: (ranks[i], units[i]))
    if len(order) < MIN_PEERS:
        order = []
    decimals = result.decimals[indicator.code]
    unit = result.measure_units[indicator.code]

    def row(i: int) -> dict:
        return {"rank": int(ranks[i]), "code": units[i], "name": result.labels["unit"][units[i]],
                "value_text": figure(values[i], decimals, unit, yi),
                "url": reverse("analytics:profile", args=[units[i]])}

    top = [row(i) for i in order[:TOP]]
    rest = order[TOP:]
    bottom = [row(i) for i in rest[-TOP:]]
    valid = int(runner.zones.valid_in(np.array([period.year]))[:, 0].sum())
    return {
        "name": result.labels["indicator"][indicator.code],
        "unit": display_unit(unit, yi),
        "period_label": result.labels["period"][period.code],
        "top": top, "bottom": bottom, "reported": int(reported.sum()), "zones": valid,
        "url": pivot_url(replace(result.query, measure="rank")),
        "value_url": pivot_url(result.query),
    }


def _trend_chart(result: Result, unit_code: str, query: Query, definitions,
                 coverage: Coverage, yi: bool) -> dict | None:
    """A line per indicator over the result's periods, from the first with a figure, with
    the written figures and each year's coverage for the table beside it."""
    found = cells(result)
    periods = result.order["period"]
    series = []
    for code in result.order["indicator"]:
        indicator = definitions[code]
        raw = [found.get((code, unit_code, p)) for p in periods]
        covers = [coverage.cell(code, reported_code(indicator, Period(MONTHLY, int(p), 12)))
                  for p in periods]
        series.append({
            "name": result.labels["indicator"][code],
            "data": [json_number(v, indicator.unit, yi) for v in raw],
            "texts": [figure(v, result.decimals[code], indicator.unit, yi) or "—"
                      for v in raw],
            "coverage": [c.text for c in covers],
            "complete": [c.complete for c in covers]})
    series = [s for s in series if any(v is not None for v in s["data"])]
    if not series:
        return None
    first = min(next(i for i, v in enumerate(s["data"]) if v is not None) for s in series)
    for s in series:
        for key in ("data", "texts", "coverage", "complete"):
            s[key] = s[key][first:]
    partial = any(not done for s in series for done in s["complete"])
    units = sorted({display_unit(result.measure_units[c], yi)
                    for c in result.order["indicator"]})
    title = _("Yearly totals of the confirmed zones") if partial else \
        _("Yearly totals, all zones")
    return chart_spec("trend", "line", [result.labels["period"][p] for p in periods[first:]],
                      series, "、".join(units), title=title, partial=partial,
                      url=pivot_url(query))


def _scoped(runner: Runner, definitions, latest: Period, coverage: Coverage, peers: Peers,
            yi: bool) -> dict:
    """Province reviewer and observer: each zone in scope beside the all-zone median."""
    zone_tiles, results = tiles(runner, definitions, latest, ZONE)
    columns = []
    for tile in zone_tiles:
        standing = peers.standing(tile["indicator"], [Period.parse(tile["period"])],
                                  timeaxis.YTD)[0]
        expected = coverage.at(tile["code"], latest, EVERY).expected
        texts = standing_texts(standing, expected, tile, yi)
        columns.append({"code": tile["code"], "name": tile["name"],
                        "unit": display_unit(tile["unit"], yi),
                        "period_label": tile["period_label"], "url": pivot_url(tile["query"]),
                        "median": standing.median if texts["median_text"] else None,
                        "median_text": texts["median_text"],
                        "median_coverage": texts["median_coverage"]})
    rows = []
    for code, name in zip(runner.zones.codes, runner.zones.names, strict=True):
        row_cells = []
        for tile, column in zip(zone_tiles, columns, strict=True):
            shown = tile_figures(tile, code, yi)
            position, value, median = None, shown["value"], column["median"]
            if value is not None and median is not None:
                position = "above" if value > median else "below" if value < median else "at"
            row_cells.append({**shown, "position": position})
        rows.append({"code": code, "name": name, "cells": row_cells,
                     "url": reverse("analytics:profile", args=[code])})
    has_data = any(c["value_text"] for row in rows for c in row["cells"])
    notes, demo = merge_notes(results, demo=peers.is_demo)
    if has_data:
        notes.append(peer_note())
        if any(tile["points"] for tile in zone_tiles):
            notes.append(rate_note())
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


def _zone(runner: Runner, definitions, latest: Period | None, coverage, peers: Peers,
          yi: bool) -> dict:
    """A zone reporter: its figures, growth, rank and the all-zone median; yearly trends."""
    code, name = runner.zones.codes[0], runner.zones.names[0]
    data = {"zone": {"code": code, "name": name,
                     "url": reverse("analytics:profile", args=[code])}}
    if latest is None:
        return data
    found_tiles, results = tiles(runner, definitions, latest, ZONE)
    last = last_complete_year(latest)
    first = last - REPORTER_TREND_YEARS + 1
    trend_query = year_query(list(definitions), first, last, level=ZONE, units=(code,),
                             chart="bar")
    trend = runner(trend_query)
    results.append(trend)
    yearly = cells(trend)
    years = [Period(ANNUAL, y) for y in range(first, last + 1)]
    rows, charts = [], []
    for tile in found_tiles:
        indicator = tile["indicator"]
        standing = peers.standing(indicator, [Period.parse(tile["period"])], timeaxis.YTD,
                                  zone_code=code)[0]
        history = peers.standing(indicator, years, timeaxis.YEAR)
        expected = coverage.at(tile["code"], latest, EVERY).expected
        rows.append({
            "code": tile["code"], "name": tile["name"],
            "unit": display_unit(tile["unit"], yi), "period_label": tile["period_label"],
            **tile_figures(tile, code, yi), **standing_texts(standing, expected, tile, yi),
            "url": pivot_url(tile["query"]),
        })
        own = [json_number(yearly.get((tile["code"], code, p.code)), tile["unit"], yi)
               for p in years]
        median = [json_number(s.median, tile["unit"], yi) for s in history]
        if any(v is not None for v in own + median):
            charts.append(chart_spec(
                f"zone-{tile['code']}", "bar",
                [trend.labels["period"][p.code] for p in years],
                [{"name": name, "data": own},
                 {"name": _("Median of all zones"), "data": median}],
                display_unit(tile["unit"], yi), title=tile["name"],
                url=pivot_url(replace(trend_query, indicators=(tile["code"],)))))
    notes, demo = merge_notes(results, demo=peers.is_demo)
    has_data = any(row["value_text"] for row in rows) or any(
        v is not None for chart in charts for v in chart["series"][0]["data"])
    if has_data:
        notes.append(peer_note())
        if any(tile["points"] for tile in found_tiles):
            notes.append(rate_note())
    data.update({"rows": rows, "charts": charts, "has_data": has_data, "footnotes": notes,
                 "is_demo": demo})
    return data
