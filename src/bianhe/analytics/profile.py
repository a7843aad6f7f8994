"""The profile of one zone, as plain data (the page is in ``dashboard_views``).

Registry facts as the registry holds them (an empty fact is shown as not verified, never
filled in), the key indicators at the latest year-to-date period with 同比 growth, the
zone's rank among all zones and its peers' medians, yearly trends, and trade by partner
country.

The zone's own figures are computed by the analytics engine over that one zone only
(:func:`bianhe.analytics.queries.compute` with the zone as the whole set, found through the
user's scope), so a profile reads a handful of rows however many zones exist. The peer
figures — the median of all zones, the median of the zone's regional orientation group and
the zone's rank — need every zone's official values: :class:`Peers` reads them as
:func:`bianhe.analytics.queries.all_zone_figures` does and lets only those statistics leave,
never another zone's value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import get_restricted
from bianhe.analytics import cube, timeaxis
from bianhe.analytics.coverage import EVERY, Coverage, choose
from bianhe.analytics.dashboard_common import (
    MIN_PEERS,
    ZONE_KEY_INDICATORS,
    Runner,
    cells,
    chart_spec,
    display_unit,
    figure,
    is_number,
    json_number,
    key_definitions,
    last_complete_year,
    merge_notes,
    peer_note,
    period_for,
    period_label,
    pivot_url,
    rate_note,
    tile_figures,
    tiles,
    unit_choice,
    year_query,
    ytd_query,
)
from bianhe.analytics.queries import STATUSES, TOTAL_MEMBER, zone_series
from bianhe.analytics.query import MEMBER, OFFICIAL, PERIOD, ZONE
from bianhe.analytics.registry import all_zones, load_zones
from bianhe.catalog.models import Indicator
from bianhe.formatting import number
from bianhe.periods import Period
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit

__all__ = ["MIN_PEERS", "Peers", "Standing", "build_profile", "standing_texts"]

PROFILE_TREND_YEARS = 5
PARTNER_INDICATOR = "TRADE_BY_PARTNER"


@dataclass(frozen=True)
class Standing:
    """Statistics over every zone for one period: nothing that names another zone."""

    median: float  # NaN when fewer than MIN_PEERS zones reported
    reported: int  # zones with an official figure
    rank: float = float("nan")  # the zone's rank (1 = best), NaN without a figure
    group_median: float = float("nan")
    group_reported: int = 0


def _median(values: np.ndarray) -> tuple[float, int]:
    """(median over the zones that reported, how many) for one period's column."""
    reported = int((~np.isnan(values)).sum())
    if reported < MIN_PEERS:
        return float("nan"), reported
    return float(cube.median_over_zones(values[:, None])[0]), reported


class Peers:
    """Medians and ranks over every zone's official figures; nothing else leaves.

    Every zone's official values come from :func:`bianhe.analytics.queries.zone_series`,
    with the registry's zones loaded once for every indicator a page asks about rather than
    once per statistic: a profile asks about six indicators, and loading 2,543 zones six
    times cost more than all their values.
    """

    def __init__(self):
        self._zones = None
        self.is_demo = False

    @property
    def zones(self):
        """Every zone of the registry (loaded once)."""
        if self._zones is None:
            self._zones = all_zones()
        return self._zones

    def _figures(self, indicator: Indicator, wanted: list[Period], granularity: str):
        series = zone_series(indicator, wanted, granularity, self.zones,
                             STATUSES[OFFICIAL], zone_filter=False, breakdown=False)
        self.is_demo |= series.is_demo
        return next(iter(series.by_member.values())), self._zones

    def standing(self, indicator: Indicator, wanted: list[Period], granularity: str, *,
                 zone_code: str | None = None,
                 orientation: str | None = None) -> list[Standing]:
        """Per wanted period: the all-zone median, the zone's rank among all zones and the
        median of the zones of regional ``orientation``, on official data."""
        values, zones = self._figures(indicator, wanted, granularity)
        ranks = cube.ranks(values, higher_is_better=indicator.direction != "lower_better")
        row = zones.codes.index(zone_code) if zone_code in zones.codes else None
        in_group = np.array([o == orientation for o in zones.orientations], dtype=bool) \
            if orientation else None
        result = []
        for p in range(len(wanted)):
            median, reported = _median(values[:, p])
            group_median, group_reported = (float("nan"), 0) if in_group is None else \
                _median(values[in_group, p])
            result.append(Standing(
                median=median, reported=reported,
                rank=float(ranks[row, p]) if row is not None else float("nan"),
                group_median=group_median, group_reported=group_reported))
        return result


def standing_texts(standing: Standing, expected: int, tile: dict, yi: bool) -> dict:
    """A zone's rank and the medians as the page writes them.

    A rank or a median is shown only when at least :data:`MIN_PEERS` zones reported; a rank
    says among how many zones, and both say when fewer zones than expected have confirmed.
    """
    reported = standing.reported
    rank_text = None
    if is_number(standing.rank) and reported >= MIN_PEERS:
        if reported >= expected:
            rank_text = _("No. %(rank)d of %(count)d zones") % {
                "rank": int(standing.rank), "count": reported}
        else:
            rank_text = _("No. %(rank)d of the %(count)d zones confirmed so far "
                          "(%(expected)d expected)") % {
                "rank": int(standing.rank), "count": reported, "expected": expected}
    median_text = figure(standing.median, tile["decimals"], tile["unit"], yi) \
        if reported >= MIN_PEERS else None
    return {
        "rank": int(standing.rank) if rank_text else None, "rank_text": rank_text,
        "ranked": reported, "expected": expected,
        "median_text": median_text,
        "median_coverage": f"{reported}/{expected}" if median_text and reported < expected
        else None,
        "group_median_text": figure(standing.group_median, tile["decimals"], tile["unit"], yi)
        if standing.group_reported >= MIN_PEERS else None,
        "group_reported": standing.group_reported,
    }


# --- registry facts ---------------------------------------------------------------------------
def registry_facts(zone: OrgUnit) -> list[dict]:
    """(label, value) pairs as recorded; ``value`` None for a fact the registry lacks."""
    area = None
    if zone.area_km2 is not None:
        area = f"{format(zone.area_km2.normalize(), 'f')} km²"
    approval = None
    if zone.approval_year is not None:
        approval = str(zone.approval_year)
        if zone.approved_on:
            approval += f"({zone.approved_on:%Y-%m-%d})"
    unverified = _("not verified")
    return [
        {"label": _("Name"), "value": zone.name, "missing": "—"},
        {"label": _("Province"), "value": zone.parent.name if zone.parent_id else None,
         "missing": "—"},
        {"label": _("Kind"), "value": zone.get_kind_display() or None, "missing": "—"},
        {"label": _("Host city or county"), "value": zone.host_area or None, "missing": "—"},
        {"label": _("Neighbouring countries"),
         "value": "、".join(zone.neighbour_countries) or None, "missing": "—"},
        {"label": _("Regional orientation"), "value": zone.get_orientation_display() or None,
         "missing": "—"},
        {"label": _("Year approved"), "value": approval, "missing": unverified},
        {"label": _("Area"), "value": area, "missing": unverified},
        {"label": _("Basis of the area figure"), "value": zone.area_basis or None,
         "missing": "—"},
    ]


# --- the profile -----------------------------------------------------------------------------
def build_profile(user, zone_code: str, today: dt.date | None = None, *,
                  period: str | None = None, unit: str | None = None) -> dict:
    """The data of one zone's profile; NotInScope (404) when the zone is outside the scope.

    ``period``: the YTD month the user picked (GET); ``unit``: ``"yi"`` shows 万元 in 亿元.
    """
    zone = get_restricted(OrgUnit.objects.zones().select_related("parent"), user,
                          code=zone_code)
    today = today or timezone.localdate()
    yi, unit_error = unit_choice(unit)
    # The engine runs over this one zone: the scope check above already passed, and the
    # zone set is still read through restrict().
    runner = Runner(load_zones(OrgUnit.objects.restrict(user, Action.VIEW).filter(pk=zone.pk)),
                    scoped=True)
    data = {
        "zone": {"code": zone.code, "name": zone.name,
                 "registry_url": reverse("zones:detail", args=[zone.code])},
        "facts": registry_facts(zone),
        "orientation": zone.get_orientation_display() or None,
        "period": None, "indicators": [], "partners": None, "has_data": False,
        "footnotes": [], "is_demo": False, "yi": yi,
        "errors": [unit_error] if unit_error else [],
    }
    definitions = key_definitions(today.year, (*ZONE_KEY_INDICATORS, PARTNER_INDICATOR))
    partner = definitions.pop(PARTNER_INDICATOR, None)
    if not definitions:
        return data
    peers = Peers()
    coverage = Coverage.count(definitions, today, scope_zones=runner.zones, scoped=True,
                              every_zones=peers.zones, zone_id=zone.pk)
    choice = choose(coverage, period, own_zone=True)
    data["choice"] = choice
    if choice.error:
        data["errors"].append(choice.error)
    latest = choice.period
    if latest is None:
        return data
    data["period"] = {"code": latest.code, "label": period_label(latest)}

    found_tiles, results = tiles(runner, definitions, latest, ZONE, units=(zone.code,))
    rows = {}
    for tile in found_tiles:
        indicator = tile["indicator"]
        at = Period.parse(tile["period"])
        standing = peers.standing(indicator, [at], timeaxis.YTD, zone_code=zone.code,
                                  orientation=zone.orientation)[0]
        expected = coverage.at(tile["code"], latest, EVERY).expected
        rows[tile["code"]] = {
            "code": tile["code"], "name": tile["name"],
            "unit": display_unit(tile["unit"], yi), "period_label": tile["period_label"],
            **tile_figures(tile, zone.code, yi),
            **standing_texts(standing, expected, tile, yi),
            "url": pivot_url(tile["query"]),
        }

    # Yearly trends of the zone's own figures: one query for every key indicator.
    last = last_complete_year(latest)
    trend_query = year_query(list(definitions), last - PROFILE_TREND_YEARS + 1, last,
                             level=ZONE, units=(zone.code,))
    trend = runner(trend_query)
    results.append(trend)
    yearly = cells(trend)
    years = trend.order["period"]
    for code, row in rows.items():
        unit_of = definitions[code].unit
        points = [json_number(yearly.get((code, zone.code, p)), unit_of, yi) for p in years]
        row["trend"] = None
        if any(v is not None for v in points):
            row["trend"] = chart_spec(
                f"trend-{code}", "line", [trend.labels["period"][p] for p in years],
                [{"name": zone.name, "data": points}], row["unit"], title=row["name"],
                url=pivot_url(replace(trend_query, indicators=(code,))))
    data["indicators"] = [rows[code] for code in definitions if code in rows]

    if partner is not None:
        partners, result = _partners(runner, zone, partner, latest, yi)
        results.append(result)
        data["partners"] = partners

    notes, demo = merge_notes(results, demo=peers.is_demo)
    data["has_data"] = any(row["value_text"] or row["trend"] for row in data["indicators"]) \
        or bool(data["partners"] and data["partners"]["rows"])
    if data["has_data"]:
        notes.append(peer_note())
        if any(tile["points"] for tile in found_tiles):
            notes.append(rate_note())
    data.update({"footnotes": notes, "is_demo": demo})
    return data


def _partners(runner: Runner, zone: OrgUnit, indicator: Indicator, latest: Period,
              yi: bool = False):
    """Trade by partner country at the latest YTD period: members, values and shares."""
    period = period_for(indicator, latest)
    query = ytd_query((indicator.code,), period, level=ZONE, units=(zone.code,),
                      breakdown=True, rows=(MEMBER,), columns=(PERIOD,), chart="bar")
    result = runner(query)
    frame = result.frame
    values = dict(zip(frame["member"], frame["value"], strict=True))
    total = values.get(TOTAL_MEMBER)
    decimals = result.decimals[indicator.code]
    unit = result.measure_units[indicator.code]
    rows = []
    for member in result.order["member"]:
        value = values.get(member)
        if member == TOTAL_MEMBER or not is_number(value):
            continue
        share = value / total * 100 if is_number(total) and total > 0 else None
        rows.append({"code": member, "name": result.labels["member"][member],
                     "value": float(value), "value_text": figure(value, decimals, unit, yi),
                     "share_text": f"{number(share, 1)}%" if share is not None else None})
    rows.sort(key=lambda r: -r["value"])
    chart = None
    if rows:
        chart = chart_spec("partners", "pie", [r["name"] for r in rows],
                           [{"name": result.labels["period"][period.code],
                             "data": [json_number(r["value"], unit, yi) for r in rows]}],
                           display_unit(unit, yi),
                           title=result.labels["indicator"][indicator.code])
    partners = {
        "name": result.labels["indicator"][indicator.code],
        "unit": display_unit(unit, yi),
        "period_label": result.labels["period"][period.code],
        "rows": rows, "total_text": figure(total, decimals, unit, yi), "chart": chart,
        "url": pivot_url(query),
    }
    return partners, result
