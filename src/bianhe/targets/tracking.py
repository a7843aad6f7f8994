"""Tracking targets against the reported figures: a thin query layer over the fact table,
then the array arithmetic of :mod:`bianhe.targets.progress`.

The actual figures are the analytics fact table's (:class:`bianhe.analytics.models.Fact`):
the values of reports the zone has submitted, the province has approved or the ministry has
accepted (:data:`BASIS`). Drafts and returned reports are still the zone's to change and
never count. Only approved targets are tracked.

Reading costs a fixed number of queries whatever the number of targets: the targets with
their zones, the catalogue of the year, this year's facts up to the month asked for, and the
earlier years' facts at the months the seasonal expectation needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone

from bianhe import formatting
from bianhe.analytics.facts import LOCKED
from bianhe.analytics.models import Fact
from bianhe.catalog.models import Direction, Indicator
from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period
from bianhe.targets import progress as calc
from bianhe.targets import texts
from bianhe.targets.models import SetStatus, Target, TargetSet
from bianhe.targets.validation import indicator_name
from bianhe.zones.models import OrgUnit

#: Report statuses whose figures count as actuals (the whole fact table).
BASIS = tuple(str(status) for status in LOCKED)
#: Earlier years read: the seasonal window, and one more for a stock's prior year-end.
HISTORY_YEARS = calc.SEASONAL_YEARS + 1


def tolerance() -> float:
    """The band around the expected progress within which a target is on track (fraction)."""
    return settings.BIANHE_TARGET_TOLERANCE_PERCENT / 100


# --- periods ---------------------------------------------------------------------------------
def period_code(frequency: str, year: int, month: int) -> str | None:
    """The reported period of ``frequency`` ending with calendar ``month`` (None if none)."""
    if frequency == MONTHLY:
        return Period(MONTHLY, year, month).code
    if frequency == QUARTERLY:
        return Period(QUARTERLY, year, month // 3).code if month % 3 == 0 else None
    return str(year) if month == 12 else None


def month_of(code: str) -> int:
    """The calendar month a reported period ends with (2026M11 → 11, 2026Q3 → 9, 2026 → 12)."""
    return Period.parse(code).last_month


def year_periods(year: int, last_month: int) -> list[str]:
    """Every period code of ``year`` ending by ``last_month``, of all three frequencies."""
    codes = [Period(MONTHLY, year, m).code for m in range(1, last_month + 1)]
    codes += [Period(QUARTERLY, year, q).code for q in range(1, last_month // 3 + 1)]
    return codes + ([str(year)] if last_month == 12 else [])


# --- reading -----------------------------------------------------------------------------------
def read_facts(zone_ids, codes, periods) -> pd.DataFrame:
    """zone_id, indicator_code, period, value (breakdown members summed), is_demo."""
    columns = ["zone_id", "indicator_code", "period", "value", "is_demo"]
    if not len(zone_ids) or not len(codes) or not len(periods):
        return pd.DataFrame(columns=columns)
    rows = Fact.objects.filter(indicator_code__in=sorted(set(codes)),
                               period__in=sorted(set(periods)), status__in=BASIS,
                               zone_id__in=sorted({int(z) for z in zone_ids})) \
        .values_list(*columns)
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    if frame.empty:
        return frame
    return frame.groupby(["zone_id", "indicator_code", "period"], as_index=False) \
        .agg(value=("value", "sum"), is_demo=("is_demo", "max"))


def targets_frame(target_sets) -> pd.DataFrame:
    """One row per target of ``target_sets`` (a queryset), with its zone and set."""
    columns = ["target_id", "set_id", "year", "zone_id", "indicator_code", "kind", "value",
               "unit", "fyp_value", "fyp_kind", "note", "set_is_demo", "set_status"]
    rows = Target.objects.filter(target_set__in=target_sets).values_list(
        "id", "target_set_id", "target_set__year", "target_set__zone_id", "indicator_code",
        "kind", "value", "unit", "fyp_2025_value", "fyp_2025_kind", "note",
        "target_set__is_demo", "target_set__status")
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for column in ("value", "fyp_value"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def definitions(year: int) -> pd.DataFrame:
    """The catalogue of ``year``: one row per indicator code (name in the reader's language)."""
    indicators = list(Indicator.objects.filter(version__year=year))
    return pd.DataFrame({
        "indicator_code": [i.code for i in indicators],
        "indicator_name": [indicator_name(i) for i in indicators],
        "indicator_unit": [i.unit for i in indicators],
        "decimals": [i.decimals for i in indicators],
        "frequency": [i.frequency for i in indicators],
        "behaviour": [i.time_behaviour for i in indicators],
        "lower_is_better": [i.direction == Direction.LOWER_BETTER for i in indicators],
    }, columns=["indicator_code", "indicator_name", "indicator_unit", "decimals",
                "frequency", "behaviour", "lower_is_better"])


def zones_frame(zone_ids) -> pd.DataFrame:
    zones = OrgUnit.objects.filter(pk__in=sorted({int(z) for z in zone_ids})) \
        .select_related("parent")
    return pd.DataFrame({
        "zone_id": [z.pk for z in zones], "zone_code": [z.code for z in zones],
        "zone_name": [z.name for z in zones], "zone_path": [z.path for z in zones],
        "province_code": [z.parent.code if z.parent_id else "" for z in zones],
        "province_name": [z.parent.name if z.parent_id else "" for z in zones],
    }, columns=["zone_id", "zone_code", "zone_name", "zone_path", "province_code",
                "province_name"])


# --- observing: actuals, last year's base, earlier years' shares -----------------------------
def stamp(facts: pd.DataFrame) -> pd.DataFrame:
    """Add each fact's ``year``, ``month`` (the calendar month its period ends with) and
    ``frequency``, read from the period codes (``2026M11``, ``2026Q3``, ``2026``)."""
    code = facts["period"].astype(str)
    kind = code.str[4:5]
    number = pd.to_numeric(code.str[5:], errors="coerce").fillna(12).astype(int)
    return facts.assign(
        year=code.str[:4].astype(int),
        month=np.where(kind == "Q", number * 3, number),
        frequency=np.select([kind == "M", kind == "Q"], [MONTHLY, QUARTERLY], ANNUAL))


def observe(keys: pd.DataFrame, year: int, as_of: int | None = None) -> tuple[pd.DataFrame,
                                                                                int | None]:
    """What the facts say for each target key (``zone_id``, ``indicator_code``,
    ``frequency``, ``behaviour``), independent of the target's value.

    Adds ``period`` (the latest reported period of ``year`` ending by month ``as_of``, ''
    when none), ``month``, ``actual``, ``base`` (last year's end), ``at_end`` (this year's
    end, for the year-end table), ``share`` and ``share_years`` (the seasonal expectation
    at ``month``) and ``facts_demo``. ``as_of`` None: the latest month with any figure.
    Returns the frame and the month used.
    """
    keys = keys.reset_index(drop=True).rename_axis("key").reset_index()
    zone_ids, codes = keys["zone_id"].unique(), keys["indicator_code"].unique()
    join = ["zone_id", "indicator_code", "frequency"]
    current = stamp(read_facts(zone_ids, codes, year_periods(year, as_of or 12)))
    if as_of is None and not current.empty:
        as_of = int(current["month"].max())
    current = current[current["month"] <= (as_of or 0)]
    latest = current.sort_values("month").groupby(join).tail(1)
    keys = keys.merge(latest[[*join, "period", "month", "value", "is_demo"]].rename(
        columns={"value": "actual", "is_demo": "facts_demo"}), on=join, how="left")
    ends = current[current["month"] == 12][[*join, "value"]]
    keys = keys.merge(ends.rename(columns={"value": "at_end"}), on=join, how="left")
    keys["period"] = keys["period"].fillna("")
    keys["month"] = keys["month"].fillna(0).astype(int)
    keys["facts_demo"] = keys["facts_demo"].astype("boolean").fillna(False).astype(bool)

    # Earlier years: each target's month and each year's end, in one query for all.
    points = {(f, 12) for f in keys["frequency"].unique()} | {
        (f, int(m)) for f, m in keys[["frequency", "month"]].drop_duplicates()
        .itertuples(index=False) if m}
    wanted = {period_code(f, past, m) for f, m in points
              for past in range(year - HISTORY_YEARS, year)} - {None}
    history = stamp(read_facts(zone_ids, codes, wanted))[[*join, "year", "month", "value"]]
    year_ends = history[history["month"] == 12].drop(columns="month")
    base = year_ends[year_ends["year"] == year - 1].drop(columns="year")
    keys = keys.merge(base.rename(columns={"value": "base"}), on=join, how="left")

    past = keys[(keys["month"] > 0) & (keys["month"] < 12)][[*join, "key", "month",
                                                             "behaviour"]]
    past = past.merge(pd.DataFrame({"year": range(year - calc.SEASONAL_YEARS, year)}),
                      how="cross")
    past = past.merge(history.rename(columns={"value": "at_month"}),
                      on=[*join, "year", "month"], how="left")
    past = past.merge(year_ends.rename(columns={"value": "at_end"}), on=[*join, "year"],
                      how="left")
    prior = year_ends.assign(year=year_ends["year"] + 1).rename(columns={"value": "prior_end"})
    past = past.merge(prior, on=[*join, "year"], how="left")
    shares = calc.seasonal_shares(past, year)
    keys["share"] = shares["share"].reindex(keys["key"]).to_numpy(float)
    keys["share_years"] = shares["years"].reindex(keys["key"]).fillna(0).astype(int) \
        .to_numpy()
    return keys.drop(columns="key"), as_of


def assess(frame: pd.DataFrame, tol: float | None = None) -> pd.DataFrame:
    """Target levels, progress, both expectations and both statuses for observed targets."""
    tol = tolerance() if tol is None else tol
    frame = frame.copy()
    frame["target_level"] = calc.target_levels(frame["kind"], frame["value"], frame["base"])
    hold = calc.holds_level(frame["behaviour"], frame["target_level"], frame["base"])
    frame["holds_level"] = hold
    frame["progress"] = calc.progress(frame["behaviour"], frame["actual"],
                                      frame["target_level"], frame["base"])
    reported = frame["month"].to_numpy() > 0
    linear = calc.linear_expected(frame["behaviour"], frame["month"], hold)
    seasonal, fell_back = calc.seasonal_expected(linear, frame["share"], frame["share_years"],
                                                 frame["behaviour"], hold)
    frame["expected_linear"] = np.where(reported, linear, np.nan)
    frame["expected_seasonal"] = np.where(reported, seasonal, np.nan)
    frame["seasonal_fallback"] = fell_back & reported
    lower = frame["lower_is_better"].to_numpy(bool)
    frame["status_linear"] = calc.classify(frame["progress"], frame["expected_linear"], tol,
                                           lower)
    frame["status_seasonal"] = calc.classify(frame["progress"], frame["expected_seasonal"],
                                             tol, lower)
    rate, met = calc.completion(frame["at_end"], frame["target_level"], lower)
    frame["completion"], frame["met"] = rate, met
    return frame


@dataclass
class Tracking:
    """The tracked targets of some sets for one year, as of one month."""

    year: int
    as_of: int | None  # the month; None when nothing is reported yet
    frame: pd.DataFrame
    is_demo: bool

    @property
    def as_of_label(self) -> str:
        return Period(MONTHLY, self.year, self.as_of).label(cumulative=True) \
            if self.as_of else ""

    def rows(self) -> list[TargetRow]:
        return [TargetRow.from_record(record) for record in self.frame.to_dict("records")]


FRAME_ORDER = ["zone_path", "position", "indicator_code"]


def track(target_sets, year: int, as_of: int | None = None, *, tol: float | None = None,
          statuses=(SetStatus.APPROVED,)) -> Tracking:
    """Track the targets of ``target_sets`` (a queryset) for ``year``: the approved ones,
    or those of the sets in ``statuses`` (a set's page shows a proposal beside last year's
    figures before it is approved)."""
    sets = target_sets.filter(year=year, status__in=statuses)
    targets = targets_frame(sets)
    definitions_ = definitions(year).reset_index(names="position")
    frame = targets.merge(definitions_, on="indicator_code", how="inner")
    if frame.empty:
        empty = assess(_empty_observed(frame), tol)
        return Tracking(year, as_of, empty, False)
    observed, as_of = observe(frame, year, as_of)
    observed = observed.merge(zones_frame(observed["zone_id"].unique()), on="zone_id")
    assessed = assess(observed, tol).sort_values(FRAME_ORDER, kind="stable") \
        .reset_index(drop=True)
    is_demo = bool(assessed["set_is_demo"].any() or assessed["facts_demo"].any())
    return Tracking(year, as_of, assessed, is_demo)


def _empty_observed(frame: pd.DataFrame) -> pd.DataFrame:
    extra = {"period": str, "month": int, "actual": float, "base": float, "at_end": float,
             "share": float, "share_years": int, "facts_demo": bool, "zone_code": str,
             "zone_name": str, "zone_path": str, "province_code": str, "province_name": str}
    for column, kind in extra.items():
        frame[column] = pd.Series(dtype=kind)
    return frame


# --- one zone's scorecard ----------------------------------------------------------------------
@dataclass(frozen=True)
class TargetRow:
    """One tracked target, as pages, exports and the API show it."""

    zone_code: str
    zone_name: str
    province_code: str
    province_name: str
    indicator_code: str
    indicator_name: str
    unit: str  # the indicator's unit (a growth target's own unit is %)
    decimals: int
    frequency: str
    behaviour: str
    lower_is_better: bool
    kind: str
    target: float  # as set: a level in ``unit`` or a growth rate in %
    target_level: float  # the level it asks for, in ``unit``
    fyp_value: float
    fyp_kind: str
    note: str
    period: str  # the reported period of the actual ('' when none yet)
    actual: float
    base: float  # last year's end
    progress: float
    expected_linear: float
    expected_seasonal: float
    seasonal_years: int
    seasonal_fallback: bool
    holds_level: bool
    status_linear: str
    status_seasonal: str
    at_end: float
    completion: float
    met: bool

    @classmethod
    def from_record(cls, r: dict) -> TargetRow:
        return cls(
            zone_code=r["zone_code"], zone_name=r["zone_name"],
            province_code=r["province_code"], province_name=r["province_name"],
            indicator_code=r["indicator_code"], indicator_name=r["indicator_name"],
            unit=r["indicator_unit"], decimals=int(r["decimals"]), frequency=r["frequency"],
            behaviour=r["behaviour"],
            lower_is_better=bool(r["lower_is_better"]), kind=r["kind"],
            target=float(r["value"]), target_level=float(r["target_level"]),
            fyp_value=float(r["fyp_value"]), fyp_kind=r["fyp_kind"] or "", note=r["note"],
            period=r["period"], actual=float(r["actual"]), base=float(r["base"]),
            progress=float(r["progress"]), expected_linear=float(r["expected_linear"]),
            expected_seasonal=float(r["expected_seasonal"]),
            seasonal_years=int(r["share_years"]),
            seasonal_fallback=bool(r["seasonal_fallback"]),
            holds_level=bool(r["holds_level"]), status_linear=r["status_linear"],
            status_seasonal=r["status_seasonal"], at_end=float(r["at_end"]),
            completion=float(r["completion"]), met=bool(r["met"]))

    @property
    def period_label(self) -> str:
        if not self.period:
            return ""
        return Period.parse(self.period).label(cumulative=self.behaviour == "flow_ytd")

    @property
    def is_growth(self) -> bool:
        return self.kind == calc.GROWTH

    # --- in words (bianhe.targets.texts), for pages, exports and notices ---------------------
    @property
    def target_text(self) -> str:
        return texts.target_words(self.kind, self.target, self.unit, self.decimals)

    @property
    def level_text(self) -> str:
        return formatting.with_unit(self.target_level, self.decimals, self.unit)

    @property
    def plan_text(self) -> str:
        return texts.plan_words(self.fyp_kind, self.fyp_value, self.unit, self.decimals)

    @property
    def actual_text(self) -> str:
        return formatting.with_unit(self.actual, self.decimals, self.unit)

    @property
    def base_text(self) -> str:
        return formatting.with_unit(self.base, self.decimals, self.unit)

    @property
    def at_end_text(self) -> str:
        return formatting.with_unit(self.at_end, self.decimals, self.unit)

    @property
    def progress_text(self) -> str:
        return texts.percent(self.progress)

    @property
    def linear_text(self) -> str:
        return texts.percent(self.expected_linear)

    @property
    def seasonal_text(self) -> str:
        return texts.percent(self.expected_seasonal)

    @property
    def linear_gap_text(self) -> str:
        """Progress minus the linear expectation, in 百分点."""
        return formatting.signed((self.progress - self.expected_linear) * 100, points=True)

    @property
    def seasonal_gap_text(self) -> str:
        return formatting.signed((self.progress - self.expected_seasonal) * 100, points=True)

    @property
    def status_linear_label(self) -> str:
        return texts.status_label(self.status_linear)

    @property
    def status_seasonal_label(self) -> str:
        return texts.status_label(self.status_seasonal)

    @property
    def completion_text(self) -> str:
        return texts.percent(self.completion)



def zone_targets(zone: OrgUnit, year: int) -> list[TargetRow]:
    """The zone's approved targets of ``year``, tracked as of its latest figures.

    For a scorecard or profile page; the caller has checked that the reader may see the
    zone. Render with ``{% include "targets/_zone_targets.html" with rows=… %}``.
    """
    return track(TargetSet.objects.filter(zone=zone), year).rows()


def current_year() -> int:
    return timezone.localdate().year


def default_as_of(year: int, today: dt.date | None = None) -> int | None:
    """December for a past year; None (the latest reported month) for this year."""
    today = today or timezone.localdate()
    return 12 if year < today.year else None


__all__ = ["ANNUAL", "BASIS", "TargetRow", "Tracking", "assess", "observe", "track",
           "zone_targets"]
