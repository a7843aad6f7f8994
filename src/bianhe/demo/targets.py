"""Demo annual work targets (演示数据) for the two years before and this year, set-based.

Built after the demo statistics, from them: each zone gets targets for a few indicators
(trade, investment, revenue, retail sales, GDP, enterprises, work-safety accidents, GDP
growth), each checked by the same rules as a zone's own proposal
(:func:`bianhe.targets.validation.clean_targets`).

* This year's targets are chosen so that tracking shows every case: ahead, on track and
  lagging, and — for trade and investment, which peak in December — lagging by the linear
  时序进度 while on track by the zone's own seasonal pattern. A target level is derived
  from the zone's latest year-to-date figure and its expected progress
  (:func:`bianhe.targets.tracking.observe`): ``target = actual / wanted progress``.
* Last year's targets are met, narrowly met, narrowly missed or missed at the year's end.
* Every set is approved by the province, except this year's sets of two zones, left
  submitted for their province reviewers to decide.

Each set gets its audit trail (targets saved and submitted by the zone's demo reporter,
approved by the province's demo reviewer), written with ``bulk_create`` like the review
history of the demo reports (:mod:`bianhe.demo.history`).
"""

from __future__ import annotations

import datetime as dt
import zlib
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.db import transaction

from bianhe.audit.actions import record
from bianhe.audit.models import AuditLog, Source
from bianhe.catalog.models import CatalogVersion
from bianhe.demo.users import DemoDataError, reporter_username, reviewer_username
from bianhe.reporting.models import Report
from bianhe.targets import progress as calc
from bianhe.targets.actions import target_record
from bianhe.targets.models import Kind, SetStatus, Target, TargetSet
from bianhe.targets.tracking import definitions, observe, tolerance
from bianhe.targets.validation import catalogue, clean_targets
from bianhe.zones.models import OrgUnit

_TZ = ZoneInfo("Asia/Shanghai")
#: (indicator, kind of target) for every demo zone.
INDICATORS = (("TRADE_TOTAL", Kind.GROWTH), ("FAI", Kind.LEVEL),
              ("FISCAL_REVENUE", Kind.GROWTH), ("RETAIL_SALES", Kind.LEVEL),
              ("GDP", Kind.GROWTH), ("ENTERPRISES", Kind.LEVEL),
              ("SAFETY_INCIDENTS", Kind.LEVEL), ("GDP_GROWTH", Kind.LEVEL))
#: December-peaking series: where the linear and the seasonal expectation part most.
SEASONAL = ("TRADE_TOTAL", "FAI")
#: This year's sets left waiting for the province.
PENDING = ("BECZ-GX-02", "BECZ-XJ-02")
AHEAD, ON_TRACK, LAGGING, SPLIT = "ahead", "on_track", "lagging", "split"
#: Year-end completion rates of last year's targets, in turn.
COMPLETIONS = (1.08, 1.01, 0.97, 0.88)
PLAN_GROWTH = (6.0, 7.0, 8.0, 10.0)
NOTE = "演示数据"


def _pick(*parts, n: int) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode()) % n


def _years(today: dt.date) -> list[int]:
    """The two years before and this year, where the demo has statistics and no demo targets
    yet (the year before last feeds the evaluation already published in the demo)."""
    wanted = [today.year - 2, today.year - 1, today.year]
    with_data = {y for y in wanted if Report.objects.filter(
        is_demo=True, period__startswith=str(y)).exists()
        and CatalogVersion.objects.filter(year=y).exists()}
    done = set(TargetSet.objects.filter(is_demo=True, year__in=wanted)
               .values_list("year", flat=True))
    return [y for y in wanted if y in with_data and y not in done]


def _keys(zones: list[OrgUnit], year: int) -> pd.DataFrame:
    codes = [code for code, _kind in INDICATORS]
    found = definitions(year)
    found = found[found["indicator_code"].isin(codes)]
    kinds = dict(INDICATORS)
    frame = pd.DataFrame({"zone_id": [z.pk for z in zones],
                          "zone_code": [z.code for z in zones]}).merge(found, how="cross")
    frame["kind"] = frame["indicator_code"].map(kinds)
    return frame


def _scenario(zone: str, code: str, behaviour: str, linear: float, seasonal: float) -> str:
    if code in SEASONAL and seasonal < linear * 0.985 and _pick(zone, code, "split", n=3):
        return SPLIT
    if behaviour == calc.RATE:
        return (AHEAD, LAGGING, ON_TRACK)[_pick(zone, code, n=3)]
    return (AHEAD, ON_TRACK, LAGGING, ON_TRACK)[_pick(zone, code, n=4)]


def _wanted_progress(scenario: str, linear: float, seasonal: float, tol: float) -> float:
    low, high = min(linear, seasonal), max(linear, seasonal)
    if scenario == AHEAD:
        return high * (1 + 2.5 * tol)
    if scenario == LAGGING:
        return low * (1 - 3 * tol)
    if scenario == SPLIT:  # between the seasonal floor and the linear one
        return (seasonal * (1 - tol) + linear * (1 - tol)) / 2
    middle = (linear + seasonal) / 2
    return middle if abs(middle / low - 1) < tol and abs(middle / high - 1) < tol else seasonal


def _level_from_progress(frame: pd.DataFrame, tol: float) -> np.ndarray:
    """This year's target levels that give each row its scenario's progress."""
    levels = []
    for row in frame.itertuples(index=False):
        linear = row.month / 12 if row.behaviour != calc.RATE else 1.0
        seasonal = row.share if row.share_years >= calc.SEASONAL_MIN_YEARS else linear
        if row.behaviour == calc.RATE:
            seasonal = linear
        if not row.month or not np.isfinite(row.actual):
            levels.append(row.base * 1.06 if np.isfinite(row.base) else np.nan)
            continue
        scenario = _scenario(row.zone_code, row.indicator_code, row.behaviour, linear,
                             seasonal)
        if row.lower_is_better:  # a ceiling: ahead means using less of it than expected
            scenario = {AHEAD: LAGGING, LAGGING: AHEAD}.get(scenario, ON_TRACK)
        wanted = _wanted_progress(scenario, linear, seasonal, tol)
        if row.behaviour == calc.STOCK:
            if not np.isfinite(row.base) or row.actual <= row.base:
                levels.append((row.base if np.isfinite(row.base) else row.actual) * 1.08)
                continue
            levels.append(row.base + (row.actual - row.base) / wanted)
        elif row.lower_is_better and row.actual == 0:
            levels.append(2.0 + _pick(row.zone_code, n=3))
        else:
            levels.append(row.actual / wanted)
    return np.asarray(levels, dtype=float)


def _level_from_completion(frame: pd.DataFrame) -> np.ndarray:
    """Last year's target levels, met or missed by the year-end figure in turn."""
    rates = np.array([COMPLETIONS[_pick(z, c, "year-end", n=len(COMPLETIONS))]
                      for z, c in zip(frame["zone_code"], frame["indicator_code"],
                                      strict=True)])
    at_end, base = frame["at_end"].to_numpy(float), frame["base"].to_numpy(float)
    lower = frame["lower_is_better"].to_numpy(bool)
    with np.errstate(invalid="ignore"):
        levels = np.where(lower, at_end * rates, at_end / rates)
    levels = np.where(lower & (at_end == 0), 2.0, levels)
    return np.where(np.isfinite(levels), levels, base * 1.06)


def _rows(frame: pd.DataFrame, levels: np.ndarray) -> list[tuple[int, dict]]:
    """(zone id, the row a zone would type) for every target that has a level."""
    rows = []
    for row, level in zip(frame.itertuples(index=False), levels, strict=True):
        if not np.isfinite(level) or level <= 0:
            continue
        places = 0 if row.decimals == 0 or level >= 100 else int(row.decimals)
        growth_plan = (Kind.GROWTH, PLAN_GROWTH[_pick(row.zone_code, row.indicator_code,
                                                      n=len(PLAN_GROWTH))])
        # A zone plans growth, not decline: a target below last year is set as a level.
        kind = row.kind if np.isfinite(row.base) and 0 < row.base <= level else Kind.LEVEL
        if row.behaviour == calc.RATE:
            value, plan = round(level, 1), (Kind.LEVEL, round(level + 0.5, 1))
        elif row.lower_is_better:  # a ceiling (accidents): the plan caps the level too
            value = round(float(level), places)
            kind, plan = Kind.LEVEL, (Kind.LEVEL, value)
        elif kind == Kind.GROWTH:
            value, plan = round((level / row.base - 1) * 100, 1), growth_plan
        else:
            value = round(float(level), places)
            plan = (Kind.LEVEL, round(float(level) * 1.1, places)) \
                if row.behaviour == calc.STOCK else growth_plan
        rows.append((row.zone_id, {"indicator": row.indicator_code, "kind": kind,
                                   "value": str(value), "unit": "",
                                   "fyp_2025_kind": plan[0], "fyp_2025_value": str(plan[1]),
                                   "note": NOTE}))
    return rows


def _stamp(year: int, month: int, day: int, zone: OrgUnit) -> dt.datetime:
    return dt.datetime(year, month, day + _pick(zone.code, n=10), 10 + _pick(zone.code, "h",
                                                                               n=7),
                       tzinfo=_TZ)


def build_demo_targets(today: dt.date) -> dict:
    """Create the demo target sets (see the module docstring); returns counts per year.

    Idempotent: a year with demo target sets is skipped.
    """
    from bianhe.accounts.models import User

    users = {u.username: u for u in User.objects.filter(username__startswith="demo-",
                                                        is_active=True)}
    counts: dict[int, dict] = {}
    for year in _years(today):
        zones = list(OrgUnit.objects.zones().active_in_year(year).select_related("parent")
                     .order_by("path"))
        keys = _keys(zones, year)
        if keys.empty:
            continue
        observed, _as_of = observe(keys, year, 12 if year < today.year else None)
        levels = _level_from_completion(observed) if year < today.year else \
            _level_from_progress(observed, tolerance())
        counts[year] = _write(year, zones, _rows(observed, levels), users,
                              pending=PENDING if year == today.year else ())
    if counts:
        record(actor=None, action="targets.demo.build", object_type="targets.targetset",
               object_repr=f"演示目标 {min(counts)}–{max(counts)}", source=Source.SYSTEM,
               after={"years": sorted(counts), "zones": sum(c["sets"] for c in counts.values()),
                      "values": sum(c["targets"] for c in counts.values())})
    return counts


@transaction.atomic
def _write(year: int, zones: list[OrgUnit], rows: list[tuple[int, dict]], users: dict, *,
           pending=()) -> dict:
    indicators = catalogue(year)
    by_zone: dict[int, list[dict]] = {}
    for zone_id, row in rows:
        by_zone.setdefault(zone_id, []).append(row)
    sets, targets, audit = [], [], []
    for zone in zones:
        if zone.pk not in by_zone:
            continue
        cleaned = clean_targets(by_zone[zone.pk], indicators, year)
        reporter = users.get(reporter_username(zone.code))
        reviewer = users.get(reviewer_username(zone.parent.code))
        if reporter is None or reviewer is None:
            raise DemoDataError(f"demo users missing for {zone.code}")
        waiting = zone.code in pending
        sets.append(TargetSet(
            zone=zone, year=year, is_demo=True,
            status=SetStatus.SUBMITTED if waiting else SetStatus.APPROVED,
            submitted_by=reporter, submitted_at=_stamp(year, 1, 10, zone),
            decided_by=None if waiting else reviewer,
            decided_at=None if waiting else _stamp(year, 2, 5, zone)))
        targets.append(cleaned)
    TargetSet.objects.bulk_create(sets)
    created = {s.zone_id: s for s in TargetSet.objects.filter(year=year, is_demo=True)
               .select_related("zone")}
    objects = []
    for target_set, cleaned in zip(sets, targets, strict=True):
        saved = created[target_set.zone_id]
        for fields in cleaned:
            objects.append(Target(target_set=saved, indicator_code=fields["indicator_code"],
                                  **{k: fields[k] for k in ("kind", "value", "unit",
                                                           "fyp_2025_value", "fyp_2025_kind",
                                                           "note")}))
        audit += _trail(saved, cleaned, target_set.submitted_by, target_set.decided_by)
    Target.objects.bulk_create(objects, batch_size=500)
    AuditLog.objects.bulk_create(audit, batch_size=500)
    return {"sets": len(sets), "targets": len(objects),
            "pending": sum(1 for s in sets if s.status == SetStatus.SUBMITTED)}


def _trail(target_set: TargetSet, cleaned: list[dict], reporter, reviewer) -> list[AuditLog]:
    """The audit rows a zone's proposal and the province's decision would have written."""

    def row(actor, action, before, after):
        return AuditLog(actor=actor, actor_name=actor.get_username(), action=action,
                        object_type=TargetSet._meta.label_lower, object_id=str(target_set.pk),
                        object_repr=str(target_set)[:200], before=before, after=after,
                        source=Source.SYSTEM)

    trail = [row(reporter, "targets.target.save",
                 {"targets": [{"indicator": f["indicator_code"]} for f in cleaned]},
                 {"targets": [target_record(f) for f in cleaned]}),
             row(reporter, "targets.set.submit", {"status": SetStatus.DRAFT},
                 {"status": SetStatus.SUBMITTED})]
    if reviewer is not None:
        trail.append(row(reviewer, "targets.set.approve", {"status": SetStatus.SUBMITTED},
                         {"status": SetStatus.APPROVED}))
    return trail
