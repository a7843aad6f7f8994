"""The open-data subset as SDMX observations: accepted figures only, within the user's scope.

What is published: every catalogue indicator (partner-country and enterprise-size members
included), on the official basis (accepted by the ministry), per year (``FREQ=A``) or as
the year-to-date cumulative of a month (``FREQ=M``), for each zone in the user's reach;
provinces only when the user reaches the whole province, and all zones together only for
roles that see every zone — a total over part of a province would be mistaken for the
province's figure once it leaves the platform.

The codelists are built from the same reach, so the structure never names a zone the user
may not see. Demonstration data carry ``DATA_NATURE=DEMO``; every observation carries its
coverage (``OBS_INCLUDED`` of ``OBS_EXPECTED`` zones), so a total of the zones confirmed so
far is never read as the total of all zones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bianhe.access import scope_paths
from bianhe.analytics import timeaxis
from bianhe.analytics.queries import TOTAL_MEMBER, compute, indicator_definitions, zones_for
from bianhe.analytics.query import ALL, PROVINCE, ZONE, Query
from bianhe.analytics.sdmx import sdmx_time_period
from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.models import CatalogVersion, Indicator
from bianhe.catalog.models import TimeBehaviour as TB
from bianhe.zones.models import OrgUnit

FREQ = {timeaxis.YEAR: "A", timeaxis.YTD: "M"}


def _value_basis(behaviour: str, granularity: str) -> str:
    if behaviour == TB.STOCK:
        return "EOP"
    if behaviour == TB.FLOW_YTD and granularity == timeaxis.YTD:
        return "YTD"
    return "PERIOD"


def published_levels(user) -> list[tuple[str, set[str] | None]]:
    """(level, allowed group codes or None for all) that this user may publish."""
    paths = scope_paths(user)
    if paths is None:
        return [(ZONE, None), (PROVINCE, None), (ALL, None)]
    whole = set(user.scope_units.filter(level="province").values_list("code", flat=True))
    levels: list[tuple[str, set[str] | None]] = [(ZONE, None)]
    if whole:
        levels.append((PROVINCE, whole))
    return levels


def catalogue_codes(year: int) -> list[str]:
    version = (CatalogVersion.objects.filter(year__lte=year).order_by("-year").first()
               or CatalogVersion.objects.order_by("-year").first())
    if version is None:
        return []
    return list(Indicator.objects.filter(version=version).order_by("position", "code")
                .values_list("code", flat=True))


def observations(user, *, granularity: str, start: str, end: str,
                 indicators: list[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """(SDMX observations, codelists) of the open-data subset for ``user``."""
    zones, scoped = zones_for(user)
    wanted = timeaxis.period_range(start, end, granularity)
    codes = indicators or catalogue_codes(wanted[-1].year)
    definitions = indicator_definitions(codes, wanted[-1].year) if codes else {}
    frames = []
    areas: dict[str, tuple[str, str]] = {}
    for level, allowed in published_levels(user):
        for code in codes:
            indicator = definitions[code]
            query = Query(indicators=(code,), level=level, granularity=granularity,
                          start=start, end=end, breakdown=bool(indicator.disaggregation))
            result = compute(query, zones, scoped=scoped)
            frame = result.frame.dropna(subset=["value"])
            if allowed is not None:
                frame = frame[frame["unit"].isin(allowed)]
            if frame.empty:
                continue
            areas.update({unit: (result.labels["unit"][unit], "") for unit in frame["unit"]})
            frames.append(pd.DataFrame({
                "FREQ": FREQ[granularity],
                "REF_AREA": frame["unit"].to_numpy(),
                "INDICATOR": code,
                "BREAKDOWN": frame["member"].replace({"": TOTAL_MEMBER}).to_numpy(),
                "TIME_PERIOD": [_sdmx_period(p) for p in frame["period"]],
                "OBS_VALUE": frame["value"].to_numpy(dtype=np.float64),
                "UNIT_MEASURE": indicator.unit,
                "VALUE_BASIS": _value_basis(indicator.time_behaviour, granularity),
                "DATA_NATURE": "DEMO" if result.is_demo else "OFFICIAL",
                "OBS_INCLUDED": frame["included"].to_numpy(dtype=np.int64),
                "OBS_EXPECTED": frame["expected"].to_numpy(dtype=np.int64),
            }))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[
        "FREQ", "REF_AREA", "INDICATOR", "BREAKDOWN", "TIME_PERIOD", "OBS_VALUE",
        "UNIT_MEASURE", "VALUE_BASIS", "DATA_NATURE", "OBS_INCLUDED", "OBS_EXPECTED"])
    return table, codelists(user, zones, definitions, areas)


def _sdmx_period(code: str) -> str:
    return sdmx_time_period(code)


def codelists(user, zones, definitions: dict[str, Indicator], areas: dict) -> dict:
    """CL_AREA, CL_INDICATOR and CL_BREAKDOWN for what this user may publish."""
    english = dict(OrgUnit.objects.restrict(user).filter(
        code__in=[*zones.codes, *zones.province_codes]).values_list("code", "name_en"))
    area = {code: (name, english.get(code) or code) for code, (name, _en) in areas.items()}
    for code, name in zip(zones.codes, zones.names, strict=True):
        area.setdefault(code, (name, english.get(code) or code))
    if ALL in area:
        area[ALL] = ("全部合作区", "All zones")
    breakdown = {TOTAL_MEMBER: ("合计", "Total")}
    for spec in DISAGGREGATIONS.values():
        for member, zh, en in spec["members"]:
            breakdown[member] = (zh, en)
    indicators = {code: (d.name_zh, d.name_en or code) for code, d in definitions.items()}
    return {"CL_AREA": area, "CL_INDICATOR": indicators or {"NONE": ("无", "None")},
            "CL_BREAKDOWN": breakdown}
