"""The input table of a run: one row per zone valid in the year, one column per indicator
of the scheme, computed from accepted statistics only.

Every column is a measure (:data:`bianhe.evaluation.schemes.MEASURES`) of catalogue
indicators read through the analytics engine's :func:`zone_series` — the same time rules
(a flow's 1—12月 cumulative, a stock at year end) and the same registry validity as every
table of the platform — but from reports the ministry has accepted, nothing less. A cell
without an accepted figure is NaN: the scheme's missing-data policy deals with it and the
run lists it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.analytics.queries import indicator_definitions, zone_series
from bianhe.analytics.registry import Zones, load_zones
from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.models import Indicator
from bianhe.evaluation.schemes import ParsedScheme, SchemeError
from bianhe.periods import ANNUAL, Period
from bianhe.reporting.models import Report, Status
from bianhe.zones.models import OrgUnit

#: Only figures the ministry has accepted count in an evaluation.
STATUSES = (Status.ACCEPTED,)


@dataclass
class InputTable:
    frame: pd.DataFrame  # index: zone code; columns: the scheme's indicator codes
    zones: Zones         # the zones valid in the year, rows in the frame's order
    is_demo: bool


def zones_valid_in(year: int) -> Zones:
    return load_zones(OrgUnit.objects.active_in_year(year))


def check_catalogue(scheme: ParsedScheme, year: int) -> None:
    """Every catalogue indicator the scheme reads is in the year's catalogue."""
    codes = scheme.indicator_codes()
    known = set(Indicator.objects.filter(version__year=year, code__in=codes)
                .values_list("code", flat=True))
    missing = sorted(codes - known)
    if not known and codes and not Indicator.objects.filter(version__year=year).exists():
        raise SchemeError(_("There is no indicator catalogue for %(year)d.") % {"year": year})
    if missing:
        leaf = next(leaf for leaf in scheme.leaves()
                    if {leaf.input.get("indicator"), leaf.input.get("per")} & set(missing))
        raise SchemeError(_("The %(year)d catalogue has no indicator %(codes)s, which the "
                            "scheme reads.") % {"year": year, "codes": "、".join(missing)},
                          scheme.lines.get(leaf.code))


def has_accepted_data(year: int) -> bool:
    return Report.objects.filter(period__startswith=str(year), status=Status.ACCEPTED).exists()


def build_inputs(scheme: ParsedScheme, year: int) -> InputTable:
    zones = zones_valid_in(year)
    codes = sorted(scheme.indicator_codes())
    definitions = indicator_definitions(codes, year) if codes else {}
    years = [Period(ANNUAL, year - 1), Period(ANNUAL, year)]
    series: dict[str, np.ndarray] = {}
    members: dict[str, dict[str, np.ndarray]] = {}
    is_demo = False
    wants_members = {leaf.input["indicator"] for leaf in scheme.leaves()
                     if leaf.input.get("measure") == "neighbour_share"}
    for code in codes:
        found = zone_series(definitions[code], years, "year", zones, STATUSES,
                            zone_filter=True, breakdown=code in wants_members)
        is_demo = is_demo or found.is_demo
        total_key = "" if "" in found.by_member else next(iter(found.by_member))
        series[code] = found.by_member[total_key]
        members[code] = {k: v for k, v in found.by_member.items() if k != total_key}
    columns = {}
    for leaf in scheme.leaves():
        columns[leaf.code] = _measure(leaf.input, series, members, zones, year)
    frame = pd.DataFrame(columns, index=pd.Index(zones.codes, name="zone"))
    frame = frame[[leaf.code for leaf in scheme.leaves()]]
    return InputTable(frame=frame.astype(float), zones=zones, is_demo=is_demo)


def _measure(spec: dict, series, members, zones: Zones, year: int) -> np.ndarray:
    measure = spec["measure"]
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "value":
            return series[spec["indicator"]][:, 1]
        if measure == "growth":
            prev, now = series[spec["indicator"]][:, 0], series[spec["indicator"]][:, 1]
            return np.where(prev > 0, (now / prev - 1.0) * 100.0, np.nan)
        if measure == "ratio":
            num, den = series[spec["indicator"]][:, 1], series[spec["per"]][:, 1]
            return np.where(den > 0, num / den * float(spec.get("scale", 1)), np.nan)
        if measure == "neighbour_share":
            return _neighbour_share(spec, series, members, zones)
        if measure == "target_completion":
            return _target_completion(zones, year)
        if measure == "reporting_score":
            return reporting_score(zones, year)
    raise AssertionError(f"unhandled measure {measure}")  # parse() allows no other


def _neighbour_share(spec, series, members, zones: Zones) -> np.ndarray:
    """Share (%) of the zone's trade with the countries it borders, as the registry names
    them; NaN when the registry records no neighbour or nothing was reported by country."""
    by_member = members[spec["indicator"]]
    names = {code: zh for code, zh, _en in DISAGGREGATIONS["partner_country"]["members"]}
    out = np.full(len(zones), np.nan)
    denominator = series[spec["per"]][:, 1]
    for row, neighbours in enumerate(zones.neighbours):
        wanted = [code for code, zh in names.items() if zh in neighbours]
        if not wanted:
            continue
        parts = [by_member[code][row, 1] for code in wanted if code in by_member]
        reported = [p for p in parts if not np.isnan(p)]
        if reported and denominator[row] > 0:
            out[row] = sum(reported) / denominator[row] * 100.0
    return out


def _target_completion(zones: Zones, year: int) -> np.ndarray:
    from bianhe.targets.completion import completion_by_zone

    table = completion_by_zone(year)
    if table is None or not len(table):
        return np.full(len(zones), np.nan)
    return (table["completion"].reindex(zones.codes).to_numpy(float)) * 100.0


def reporting_score(zones: Zones, year: int) -> np.ndarray:
    """The data-quality and timeliness score (0–100) of each zone's reports of the year:
    the mean of the share first submitted by their deadline and the share never returned
    by a reviewer, over the reports whose deadline has passed (this platform's measure,
    docs/evaluation.md)."""
    today = timezone.localdate()
    rows = (Report.objects.filter(zone_id__in=[int(i) for i in zones.ids],
                                  period__startswith=str(year), deadline__lt=today)
            .values("zone_id")
            .annotate(due=Count("id"),
                      on_time=Count("id", filter=Q(first_submitted_at__isnull=False,
                                                   first_submitted_at__date__lte=F("deadline"))),
                      clean=Count("id", filter=Q(first_submitted_at__isnull=False,
                                                 return_count=0))))
    out = np.full(len(zones), np.nan)
    position = {int(z): i for i, z in enumerate(zones.ids)}
    for row in rows:
        if row["due"]:
            out[position[row["zone_id"]]] = 50.0 * (row["on_time"] + row["clean"]) / row["due"]
    return out
