"""Running an analytics query: facts → zone × period arrays → groups → the chosen measure.

One query per indicator reads the fact table for exactly the reported periods the answer
needs (a yearly pivot of a monthly flow reads the December cumulatives, nothing else), with
the user's scope and the status basis in the ``WHERE`` clause. Everything after that is
numpy (:mod:`bianhe.analytics.cube`).

Scope: a scoped user's groups (province, orientation, all) are made of the zones in the
user's scope only, and the result says so. Two figures are computed over every zone for
everybody, because they are published statistics of the whole programme rather than any
one zone's data: the all-zone median and a zone's rank among all zones, both on official
(accepted) data only (:class:`bianhe.analytics.profile.Peers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection
from django.utils.translation import gettext as _

from bianhe.access import can, scope_paths
from bianhe.analytics import cube, timeaxis
from bianhe.analytics.models import Fact
from bianhe.analytics.query import (
    CONTRIBUTION,
    MEASURE_HEADINGS,
    MEASURES,
    OFFICIAL,
    PER_KM2,
    POP,
    RANK,
    SHARE,
    VALUE,
    YOY,
    ZONE,
    Query,
    QueryError,
    check_size,
)
from bianhe.analytics.registry import Zones, load_zones
from bianhe.catalog.disaggregations import DISAGGREGATIONS, member_label, members
from bianhe.catalog.models import Indicator
from bianhe.formatting import is_percent_unit
from bianhe.periods import Period
from bianhe.reporting.models import Status
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit

STATUSES = {
    OFFICIAL: (Status.ACCEPTED,),
    "reviewed": (Status.SUBMITTED, Status.APPROVED, Status.ACCEPTED),
}
TOTAL_MEMBER = "_T"


FRAME_COLUMNS = ("indicator", "unit", "period", "member", "measure", "value", "included",
                 "expected")


@dataclass
class Result:
    """A computed query in long form: one row per (indicator, unit, period, member, measure).

    ``included`` and ``expected`` are each cell's coverage: the zones whose figures went
    into it, and the zones that count in that group for that period (valid in the
    registry that year, within the user's scope). A cell with included < expected is a
    partial total and is always shown as such.
    """

    query: Query
    frame: pd.DataFrame  # FRAME_COLUMNS
    labels: dict[str, dict[str, str]]  # dimension -> code -> label
    order: dict[str, list[str]]  # dimension -> codes in display order
    measure_units: dict[str, str]  # indicator -> unit of the figures of the first measure
    decimals: dict[str, int]  # indicator -> decimals of the first measure
    footnotes: list[str] = field(default_factory=list)
    is_demo: bool = False
    scoped: bool = False
    cell_units: dict[tuple[str, str], str] = field(default_factory=dict)  # (ind., measure)
    cell_decimals: dict[tuple[str, str], int] = field(default_factory=dict)

    def unit_of(self, indicator: str, measure: str) -> str:
        return self.cell_units.get((indicator, measure), self.measure_units.get(indicator, ""))

    def decimals_of(self, indicator: str, measure: str) -> int:
        return self.cell_decimals.get((indicator, measure), self.decimals.get(indicator, 1))


# --- definitions ---------------------------------------------------------------------------
def indicator_definitions(codes, year: int) -> dict[str, Indicator]:
    """The catalogue entry of each code: the version of ``year``, else the nearest earlier,
    else the newest. Unknown codes raise QueryError."""
    found: dict[str, Indicator] = {}
    for indicator in (Indicator.objects.filter(code__in=codes).select_related("version")
                      .order_by("-version__year")):
        current = found.get(indicator.code)
        if current is None or (current.version.year > year >= indicator.version.year):
            found[indicator.code] = indicator
    missing = [code for code in codes if code not in found]
    if missing:
        raise QueryError(_("Unknown indicator: %(codes)s.") % {"codes": ", ".join(missing)})
    return found


# --- reading facts ---------------------------------------------------------------------------
@dataclass
class FactRows:
    """Facts of one indicator as parallel numeric arrays (positions, not codes)."""

    zone_ids: np.ndarray  # int64
    period_at: np.ndarray  # int64: position in the ``periods`` asked for
    member_at: np.ndarray  # int64: position in the ``member_codes`` asked for
    values: np.ndarray  # float64
    is_demo: bool


def read_facts(code: str, periods: list[str], statuses, zone_ids: np.ndarray | None,
               member_codes: list[str]) -> FactRows:
    """The facts of one indicator for these periods, members, statuses and zones.

    ``zone_ids`` are the zones of the caller's scope (from ``OrgUnit.objects.restrict``);
    None reads every zone (the caller may see them all, or only aggregates leave this
    module). Naming members and periods lets the covering index seek (indicator, member,
    period, status) directly. The database maps each period and member to its position
    (``CASE``), so every column comes back as a number and the rows become one float array
    without a Python loop over strings — at national scale that halves the read.
    """
    if not periods or not member_codes or (zone_ids is not None and not len(zone_ids)):
        empty = np.zeros(0, np.int64)
        return FactRows(empty, empty, empty, np.zeros(0), False)
    q = connection.ops.quote_name

    def marks(items) -> str:
        return ", ".join(["%s"] * len(items))

    def position(column: str, items) -> str:
        cases = " ".join(f"WHEN %s THEN {i}" for i in range(len(items)))
        return f"CASE {q(column)} {cases} END"

    sql = (f"SELECT zone_id, {position('period', periods)}, {position('member', member_codes)},"
           f" value, is_demo FROM {q(Fact._meta.db_table)} WHERE indicator_code = %s"
           f" AND member IN ({marks(member_codes)}) AND period IN ({marks(periods)})"
           f" AND status IN ({marks(statuses)})")
    params = [*periods, *member_codes, code, *member_codes, *periods, *[str(s) for s in statuses]]
    if zone_ids is not None:
        ids = [int(z) for z in zone_ids]
        sql += f" AND zone_id IN ({marks(ids)})"
        params += ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    table = np.array(fetched, dtype=np.float64).reshape(-1, 5)
    return FactRows(table[:, 0].astype(np.int64), table[:, 1].astype(np.int64),
                    table[:, 2].astype(np.int64), table[:, 3], bool(table[:, 4].any()))


@dataclass
class Series:
    """One indicator's values per zone and wanted period, per breakdown member."""

    by_member: dict[str, np.ndarray]  # member ('' or TOTAL_MEMBER for the total) -> (Z, P)
    is_demo: bool


def zone_series(indicator: Indicator, wanted: list[Period], granularity: str, zones: Zones,
                statuses, *, zone_filter: bool, breakdown: bool) -> Series:
    """Values of ``indicator`` for every zone (rows of ``zones``) and wanted period.

    Flows become period values by differencing cumulatives (:mod:`timeaxis`), zones count
    only in years the registry says they were valid, and a disaggregated indicator's total
    is the sum of its members.
    """
    per_period = [timeaxis.terms(p, granularity, indicator.frequency,
                                 indicator.time_behaviour) for p in wanted]
    sources = sorted({code for column in per_period for code, _sign in column})
    source_index = {code: i for i, code in enumerate(sources)}
    columns = [[(source_index[code], sign) for code, sign in column] for column in per_period]
    member_codes = members(indicator.disaggregation)
    facts = read_facts(indicator.code, sources, statuses,
                       zones.ids if zone_filter else None, member_codes if len(zones) else [])
    rows = zones.rows_of(facts.zone_ids)
    valid = zones.valid_in(np.array([p.year for p in wanted])) if wanted else \
        np.zeros((len(zones), 0), bool)

    def build(selected: np.ndarray) -> np.ndarray:
        grid = np.full((len(zones), len(sources)), np.nan)
        keep = selected & (rows >= 0)
        grid[rows[keep], facts.period_at[keep]] = facts.values[keep]
        derived = cube.derive(grid, columns)
        return np.where(valid, derived, np.nan)

    by_member: dict[str, np.ndarray] = {}
    if member_codes == [""]:
        by_member[""] = build(facts.member_at == 0)
    else:
        parts = {code: build(facts.member_at == i) for i, code in enumerate(member_codes)}
        stacked = np.stack(list(parts.values()))
        has_any = ~np.isnan(stacked).all(axis=0)
        total = np.where(has_any, np.nansum(stacked, axis=0), np.nan) if len(member_codes) \
            else np.full(valid.shape, np.nan)
        by_member[TOTAL_MEMBER] = total
        if breakdown:
            by_member.update(parts)
    return Series(by_member, facts.is_demo)


# --- measures --------------------------------------------------------------------------------
def _counts(mask: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """(groups, periods) int: how many zones of each group ``mask`` (zones, periods) holds."""
    _total, count = cube.group_sum(np.ones(mask.shape), groups, n_groups, mask)
    return count.astype(np.int64)


def _usable(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    ok = ~np.isnan(values)
    if weights is not None:
        ok &= ~np.isnan(weights) & (weights > 0)
    return ok


def _measure(measure: str, query: Query, indicator: Indicator, values: np.ndarray, weights,
             groups, n_groups: int, zones: Zones, n: int, last_year_at: np.ndarray,
             previous_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(figures, included zones) of one measure per group and wanted period (the first
    ``n`` columns of the extended period axis; ``last_year_at``/``previous_at`` point at
    the comparison columns). ``included`` counts the zones whose figures went into each
    cell: for growth and contributions the zones that reported both periods (可比口径),
    for a weighted mean the zones with both the value and its weight.

    At zone level every cell is one zone's own figure, whatever the indicator's cross-zone
    rule: a growth rate that is never added across zones is still a zone's figure.
    """
    rule = cube.SUM if query.level == ZONE else indicator.aggregation
    if rule != cube.WEIGHTED_MEAN:
        weights = None
    if measure in (VALUE, RANK, SHARE):
        aggregated, count = cube.aggregate(values, groups, n_groups, rule, weights)
        included = count[:, :n].astype(np.int64)
        if measure == VALUE:
            return aggregated[:, :n], included
        if measure == RANK:
            higher = indicator.direction != "lower_better"
            return cube.ranks(aggregated[:, :n], higher_is_better=higher), included
        whole, _ = cube.aggregate(values, np.zeros(len(groups), np.int64), 1, rule, weights)
        return cube.share_percent(aggregated[:, :n], whole[:, :n]), included
    if measure == PER_KM2:
        area = np.where(~np.isnan(values), zones.area[:, None], np.nan)
        known = ~np.isnan(area)
        total, count = cube.group_sum(values, groups, n_groups, known)
        area_sum, _ = cube.group_sum(area, groups, n_groups, known)
        return cube.per_area(total[:, :n], area_sum[:, :n]), count[:, :n].astype(np.int64)
    base = last_year_at if measure in (YOY, CONTRIBUTION) else previous_at

    def earlier(array: np.ndarray) -> np.ndarray:
        return np.where(base[None, :] >= 0, array[:, np.maximum(base, 0)], np.nan)

    current, before = values[:, :n], earlier(values)
    if measure in (YOY, POP):
        w_now = weights[:, :n] if weights is not None else None
        w_before = earlier(weights) if weights is not None else None
        both = _usable(current, w_now) & _usable(before, w_before)
        now, _ = cube.aggregate(current, groups, n_groups, rule, w_now, mask=both)
        then, _ = cube.aggregate(before, groups, n_groups, rule, w_before, mask=both)
        included = _counts(both, groups, n_groups)
        if is_percent_unit(indicator.unit):
            # A rate moves in 百分点: the difference, never a percent of itself.
            return now - then, included
        return cube.growth_percent(now, then), included
    now, then = cube.comparable_pair(current, before, groups, n_groups)
    _now_all, then_all = cube.comparable_pair(current, before,
                                              np.zeros(len(groups), np.int64), 1)
    both = ~np.isnan(current) & ~np.isnan(before)
    return cube.contribution_points(now, then, then_all[0]), _counts(both, groups, n_groups)


def _measure_unit(measure: str, indicator: Indicator) -> str:
    if measure in (YOY, POP) and is_percent_unit(indicator.unit):
        return _("percentage points (difference)")
    return {VALUE: indicator.unit, YOY: "%", POP: "%", SHARE: "%", RANK: _("place"),
            PER_KM2: f"{indicator.unit}/km²", CONTRIBUTION: _("percentage points")}[measure]


def _measure_decimals(measure: str, indicator: Indicator) -> int:
    if measure in (YOY, POP) and is_percent_unit(indicator.unit):
        return indicator.decimals  # a difference of two rates keeps the rate's decimals
    return 1 if measure in (YOY, POP, SHARE, CONTRIBUTION) else 0 if measure == RANK else \
        indicator.decimals


def _not_meaningful(measure: str, query: Query, indicator: Indicator) -> str | None:
    """Why this measure cannot be given for this indicator, or None."""
    summed = indicator.aggregation == cube.SUM
    if measure in (CONTRIBUTION, SHARE, PER_KM2) and not summed:
        return _("%(name)s is a rate or ratio: %(measure)s is not computed for it.") % {
            "name": indicator.name_zh, "measure": MEASURES[measure]}
    if query.level != ZONE and indicator.aggregation == cube.NONE:
        return _("%(name)s is not aggregated across zones: only zone figures are shown.") % {
            "name": indicator.name_zh}
    return None


# --- the query -------------------------------------------------------------------------------
def zones_for(user) -> tuple[Zones, bool]:
    """The zones in the user's reach, and whether that is narrower than every zone."""
    scoped = scope_paths(user) is not None
    return load_zones(OrgUnit.objects.restrict(user, Action.VIEW)), scoped


def run(user, query: Query) -> Result:
    """Compute ``query`` for ``user``: only zones in the user's scope are ever read."""
    if query.basis != OFFICIAL and not can(user, Action.REVIEW):
        raise QueryError(_("Only reviewers may include data that is not yet accepted."))
    zones, scoped = zones_for(user)
    return compute(query, zones, scoped=scoped)


def compute(query: Query, zones: Zones, *, scoped: bool) -> Result:
    wanted = query.periods()
    groups, unit_codes, unit_labels = zones.groups(query.level)
    if query.units:
        position = {code: i for i, code in enumerate(unit_codes)}
        unknown = [code for code in query.units if code not in position]
        if unknown:
            # The same words for "absent" and "outside your scope".
            raise QueryError(_("No such org unit at this level: %(codes)s.")
                             % {"codes": ", ".join(unknown)})
        chosen = [position[code] for code in query.units]
    else:
        chosen = list(range(len(unit_codes)))
    definitions = indicator_definitions(query.indicators, wanted[-1].year)
    n_members = 1
    if query.breakdown:
        n_members = max(len(members(definitions[c].disaggregation)) + 1
                        if definitions[c].disaggregation else 1 for c in query.indicators)
    check_size(query, len(chosen), n_members)

    # Comparison periods ride on the same arrays: [wanted…, last year…, previous…].
    measures = query.all_measures
    n = len(wanted)
    extended = list(wanted)
    last_year_at = np.full(n, -1)
    previous_at = np.full(n, -1)
    if set(measures) & {YOY, CONTRIBUTION}:
        last_year_at = np.arange(len(extended), len(extended) + n)
        extended += [timeaxis.same_period_last_year(p) for p in wanted]
    if POP in measures:
        previous_at = np.arange(len(extended), len(extended) + n)
        extended += [timeaxis.previous_period(p, query.granularity) for p in wanted]

    # Coverage: the zones each group expects in each period (valid in the registry that
    # year and in the user's scope), the same for every indicator and measure.
    valid = zones.valid_in(np.array([p.year for p in wanted]))
    expected = _counts(valid, groups, len(unit_codes))[chosen].ravel()

    statuses = STATUSES[query.basis]
    frames, footnotes, is_demo = [], [], False
    member_labels: dict[str, str] = {}
    unit_column = np.repeat([unit_codes[i] for i in chosen], n)
    period_column = np.tile([p.code for p in wanted], len(chosen))
    for code in query.indicators:
        indicator = definitions[code]
        series = zone_series(indicator, extended, query.granularity, zones, statuses,
                             zone_filter=scoped, breakdown=query.breakdown)
        is_demo |= series.is_demo
        reasons = {m: _not_meaningful(m, query, indicator) for m in measures}
        weights = None
        if indicator.aggregation == cube.WEIGHTED_MEAN and indicator.weight_code and \
                query.level != ZONE and not all(reasons.values()):
            weight = indicator_definitions([indicator.weight_code], wanted[-1].year)[
                indicator.weight_code]
            weights = zone_series(weight, extended, query.granularity, zones, statuses,
                                  zone_filter=scoped, breakdown=False).by_member
            weights = next(iter(weights.values()))
        if all(not timeaxis.terms(p, query.granularity, indicator.frequency,
                                  indicator.time_behaviour) for p in wanted):
            footnotes.append(_("%(name)s is reported %(frequency)s: it has no figures at this "
                               "granularity.") % {"name": indicator.name_zh,
                                                 "frequency": indicator.get_frequency_display()})
        footnotes += [r for r in reasons.values() if r and r not in footnotes]
        for member, values in series.by_member.items():
            member_code = member or TOTAL_MEMBER
            member_labels[member_code] = (member_label(indicator.disaggregation, member)
                                          if member not in ("", TOTAL_MEMBER) else _("Total"))
            for measure in measures:
                if reasons[measure]:
                    result = np.full((len(unit_codes), n), np.nan)
                    included = _counts(~np.isnan(values[:, :n]), groups, len(unit_codes))
                else:
                    result, included = _measure(measure, query, indicator, values, weights,
                                                groups, len(unit_codes), zones, n,
                                                last_year_at, previous_at)
                frames.append(pd.DataFrame({
                    "indicator": code,
                    "unit": unit_column,
                    "period": period_column,
                    "member": member_code,
                    "measure": measure,
                    "value": result[chosen].ravel(),
                    "included": included[chosen].ravel(),
                    "expected": expected,
                }))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(FRAME_COLUMNS))
    frame["included"] = frame["included"].astype(np.int64)
    frame["expected"] = frame["expected"].astype(np.int64)
    if query.breakdown:
        frame = _actual_partners(frame, definitions, zones, groups, chosen)
        member_labels = {m: label for m, label in member_labels.items()
                         if m in set(frame["member"])}

    footnotes[:0] = _basis_notes(query, scoped, is_demo, definitions, frame)
    member_order = [TOTAL_MEMBER] + [m for m in member_labels if m != TOTAL_MEMBER]
    return Result(
        query=query,
        frame=frame,
        labels={
            "indicator": {c: definitions[c].name_zh for c in query.indicators},
            "unit": {unit_codes[i]: unit_labels[i] for i in chosen},
            "period": {p.code: timeaxis.label(p, query.granularity) for p in wanted},
            "member": member_labels,
            "measure": {m: str(MEASURE_HEADINGS[m]) for m in measures},
        },
        order={
            "indicator": list(query.indicators),
            "unit": [unit_codes[i] for i in chosen],
            "period": [p.code for p in wanted],
            "member": member_order,
            "measure": list(measures),
        },
        measure_units={c: _measure_unit(query.measure, definitions[c])
                       for c in query.indicators},
        decimals={c: _measure_decimals(query.measure, definitions[c])
                  for c in query.indicators},
        cell_units={(c, m): _measure_unit(m, definitions[c])
                    for c in query.indicators for m in measures},
        cell_decimals={(c, m): _measure_decimals(m, definitions[c])
                       for c in query.indicators for m in measures},
        footnotes=footnotes,
        is_demo=is_demo,
        scoped=scoped,
    )


def _actual_partners(frame: pd.DataFrame, definitions, zones: Zones, groups: np.ndarray,
                     chosen: list[int]) -> pd.DataFrame:
    """Partner-country rows limited to the countries the chosen units' zones border (as
    the registry records them), plus any country with a figure and 其他. When a chosen
    unit's zones have no bordering country recorded, every country is kept."""
    spec = DISAGGREGATIONS["partner_country"]
    if not any(d.disaggregation == "partner_country" for d in definitions.values()):
        return frame
    in_units = np.isin(groups, chosen)
    recorded = [zones.neighbours[z] if z < len(zones.neighbours) else []
                for z in np.flatnonzero(in_units)]
    if not recorded or not all(recorded):
        return frame
    names = {name for countries in recorded for name in countries}
    bordering = {code for code, zh, _en in spec["members"] if zh in names}
    countries = {code for code, _zh, _en in spec["members"]}
    with_figures = set(frame.loc[frame["value"].notna(), "member"])
    dropped = countries - bordering - with_figures - {"OTHER"}
    return frame[~frame["member"].isin(dropped)].reset_index(drop=True)


def partial(frame: pd.DataFrame) -> pd.Series:
    """Rows of a result frame that hold a figure over fewer zones than expected."""
    return frame["value"].notna() & (frame["included"] < frame["expected"])


def _basis_notes(query: Query, scoped: bool, is_demo: bool, definitions,
                 frame: pd.DataFrame) -> list[str]:
    notes = []
    measures = query.all_measures
    if is_demo:
        notes.append(_("Demonstration data: not real statistics."))
    notes.append(_("Basis: official figures, accepted by the ministry.") if query.basis ==
                 OFFICIAL else _("Basis: includes submitted and province-approved figures "
                                 "that the ministry has not yet accepted."))
    if scoped and query.level != ZONE:
        notes.append(_("Totals cover only the zones in your scope."))
    if query.level != ZONE:
        notes.append(_("Coverage n/N: the figure includes the confirmed data of n zones of "
                       "the N zones that count in that group and period."))
        if partial(frame).any():
            notes.append(_("Figures marked * cover only part of the zones: they are totals "
                           "of the confirmed zones, not of all zones."))
    if set(measures) & {YOY, POP, CONTRIBUTION}:
        notes.append(_("Growth compares the zones that reported both periods (comparable "
                       "basis)."))
    rates = [d.name_zh for d in definitions.values() if is_percent_unit(d.unit)]
    if rates and set(measures) & {YOY, POP}:
        notes.append(_("Changes of rates in percent (%(names)s) are differences in "
                       "percentage points.") % {"names": "、".join(rates)})
    flows = [d.name_zh for d in definitions.values() if d.is_cumulative]
    if flows and query.granularity in (timeaxis.MONTH, timeaxis.QUARTER):
        notes.append(_("Monthly and quarterly values of flows are differences of the "
                       "reported year-to-date cumulatives."))
    notes.append(_("Each year counts only the zones the registry lists as valid in it."))
    if PER_KM2 in measures:
        notes.append(_("Per km² uses only zones whose area the registry records."))
    return notes
