"""Validating and writing many values at once: the one path every input takes.

Web cells, Excel workbooks, CSV/JSON files and the API all arrive here as a table of
``zone, period, indicator, member, value, comment, location`` rows. Every check is a
vectorised pandas operation or one set-based query, so a million values cost seconds, not
a Python loop per value. The result is all or nothing: any problem and nothing is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import can
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.models import CatalogVersion, Indicator, TimeBehaviour
from bianhe.periods import Period, PeriodError
from bianhe.reporting.models import EDITABLE, DataValue, Report, ReportForm, ValueChange
from bianhe.reporting.numbers import parse
from bianhe.reporting.windows import is_open
from bianhe.roles import Action, Level
from bianhe.zones.models import OrgUnit

COLUMNS = ("zone", "period", "indicator", "member", "value", "comment", "location")
KEY = ["zone", "period", "indicator", "member"]
MAX_PROBLEMS_LISTED = 500
CHUNK = 5000


@dataclass
class Problem:
    location: str
    indicator: str
    message: str


@dataclass
class IngestResult:
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reports_created: int = 0
    dry_run: bool = False
    changes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


class _Checks:
    """Collects (mask, message) pairs and turns the first few into Problem rows."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.failed = pd.Series(False, index=frame.index)
        self.found: list[tuple[pd.Series, object]] = []

    def add(self, mask: pd.Series, message) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            self.failed |= mask
            self.found.append((mask, message))

    def problems(self) -> tuple[list[Problem], int]:
        listed: list[tuple[int, Problem]] = []
        total = 0
        for mask, message in self.found:
            rows = self.frame.index[mask]
            total += len(rows)
            for index in rows[:MAX_PROBLEMS_LISTED]:
                text = message[index] if isinstance(message, pd.Series) else message
                listed.append((index, Problem(self.frame.at[index, "location"],
                                              self.frame.at[index, "indicator"], str(text))))
        listed.sort(key=lambda pair: pair[0])
        return [problem for _i, problem in listed[:MAX_PROBLEMS_LISTED]], total


def frame_from_records(records) -> pd.DataFrame:
    """A list of dicts (JSON, CSV rows) as an ingest table; missing columns become ''."""
    frame = pd.DataFrame.from_records(list(records))
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    return frame[list(COLUMNS)]


def _text(series: pd.Series, upper: bool = False) -> pd.Series:
    text = series.astype(object).where(series.notna(), "").map(str).str.strip()
    return text.str.upper() if upper else text


def ingest(rows: pd.DataFrame, *, actor, source: str, dry_run: bool = False,
           today: dt.date | None = None, label: str = "") -> IngestResult:
    """Check every row; write all of them (unless ``dry_run``) or none.

    ``actor`` None is the platform itself (demo and fixture loaders), which may write into
    closed periods; people and integrations need the REPORT right over each zone and an
    open entry window.
    """
    today = today or timezone.localdate()
    frame = rows.reset_index(drop=True).copy()
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    for column in ("zone", "period", "indicator", "member"):
        frame[column] = _text(frame[column], upper=True)
    frame["comment"] = _text(frame["comment"])
    frame["location"] = _text(frame["location"])
    blank = frame["location"] == ""
    frame.loc[blank, "location"] = [_("row %(n)d") % {"n": i + 1} for i in frame.index[blank]]
    checks = _Checks(frame)

    checks.add(frame.duplicated(KEY, keep="first"),
               _("Duplicate: this zone, period, indicator and breakdown appear twice."))

    # --- zones: unknown and out-of-scope look the same ---------------------------------
    zones = OrgUnit.objects.filter(level=Level.ZONE, code__in=frame["zone"].unique())
    if actor is not None:
        zones = zones & OrgUnit.objects.restrict(actor, Action.REPORT)
    zone_rows = {z.code: z for z in zones.select_related("parent")}
    checks.add(~frame["zone"].isin(zone_rows),
               _("Unknown zone, or a zone you may not report for."))

    # --- periods -------------------------------------------------------------------------
    periods: dict[str, Period] = {}
    for code in frame["period"].unique():
        with contextlib.suppress(PeriodError):
            periods[code] = Period.parse(code)
    checks.add(~frame["period"].isin(periods), _("Not a period: use 2024, 2024Q2 or 2024M06."))
    frame["year"] = frame["period"].map(lambda c: periods[c].year if c in periods else 0)
    frame["frequency"] = frame["period"].map(
        lambda c: periods[c].frequency if c in periods else "")

    inactive = {(code, year) for code, year in
                frame.loc[frame["zone"].isin(zone_rows), ["zone", "year"]]
                .drop_duplicates().itertuples(index=False)
                if year and not zone_rows[code].is_active_in_year(year)}
    if inactive:
        checks.add(pd.Series([(z, y) in inactive for z, y in zip(frame["zone"], frame["year"],
                                                                   strict=True)]),
                   _("The zone is not in the registry for that year."))

    # --- catalogue -----------------------------------------------------------------------
    years = sorted(y for y in frame["year"].unique() if y)
    versions = {v.year: v.pk for v in CatalogVersion.objects.filter(year__in=years)}
    checks.add(frame["year"].gt(0) & ~frame["year"].isin(versions),
               _("There is no indicator catalogue for that year."))
    meta = pd.DataFrame.from_records(
        Indicator.objects.filter(version__year__in=years, code__in=frame["indicator"].unique())
        .values("version__year", "code", "frequency", "value_type", "min_value", "max_value",
                "time_behaviour", "disaggregation"),
        columns=["version__year", "code", "frequency", "value_type", "min_value",
                 "max_value", "time_behaviour", "disaggregation"],
    ).rename(columns={"version__year": "year", "code": "indicator",
                      "frequency": "ind_frequency"})
    frame = frame.merge(meta, how="left", on=["year", "indicator"], validate="many_to_one")
    frame.index = checks.frame.index
    checks.frame = frame
    known = frame["ind_frequency"].notna()
    checks.add(frame["year"].isin(versions) & ~known,
               _("Unknown indicator code for that year's catalogue."))
    checks.add(known & frame["frequency"].ne("") & frame["ind_frequency"].ne(frame["frequency"]),
               _("This indicator is reported at another frequency than the period's."))

    allowed_members = {key: set(codes) for key, codes in
                       ((k, [m[0] for m in spec["members"]]) for k, spec in
                        DISAGGREGATIONS.items())}
    disagg = frame["disaggregation"].fillna("")
    member_ok = pd.Series([
        (member == "" if not d else member in allowed_members.get(d, ()))
        for d, member in zip(disagg, frame["member"], strict=True)], index=frame.index)
    checks.add(known & ~member_ok,
               _("This breakdown does not fit the indicator (no breakdown, or an unknown "
                 "member)."))

    # --- forms: which form carries each indicator at each frequency ------------------------
    forms = list(ReportForm.objects.filter(is_active=True).prefetch_related("zones"))
    form_of = {(code, form.frequency): form for form in forms for code in form.indicator_codes}
    assigned = {form.pk: {z.code for z in form.zones.all()} for form in forms}
    frame["form_id"] = [form_of[(i, f)].pk if (i, f) in form_of else 0
                        for i, f in zip(frame["indicator"], frame["frequency"], strict=True)]
    checks.add(known & frame["form_id"].eq(0), _("No active report form carries this indicator."))
    checks.add(frame["form_id"].gt(0) & pd.Series(
        [z not in assigned.get(f, ()) for z, f in zip(frame["zone"], frame["form_id"],
                                                       strict=True)], index=frame.index),
        _("This zone is not assigned the form that carries this indicator."))

    # --- values --------------------------------------------------------------------------
    percent = frame["value_type"].eq("percent")
    numbers, canonical, problem = parse(frame["value"], percent)
    frame["number"], frame["canonical"] = numbers, canonical
    checks.add(problem.ne(""), problem)
    has_number = frame["number"].notna()
    minimum = pd.to_numeric(frame["min_value"], errors="coerce")
    maximum = pd.to_numeric(frame["max_value"], errors="coerce")
    checks.add(has_number & minimum.notna() & (frame["number"] < minimum),
               pd.Series([_("Below the minimum of %(min)s.") % {"min": _plain(m)}
                          for m in frame["min_value"]], index=frame.index))
    checks.add(has_number & maximum.notna() & (frame["number"] > maximum),
               pd.Series([_("Above the maximum of %(max)s.") % {"max": _plain(m)}
                          for m in frame["max_value"]], index=frame.index))
    checks.add(has_number & frame["value_type"].eq("integer") & (frame["number"] % 1 != 0),
               _("This indicator takes whole numbers."))
    # The column holds 16 digits before the point and 4 after; more would overflow or be
    # rounded away silently.
    parts = canonical.str.lstrip("+-").str.partition(".")
    checks.add(has_number & ((parts[0].str.len() > 16) | (parts[2].str.len() > 4)),
               _("Too many digits: at most 16 before the decimal point and 4 after it."))

    # --- the reports these rows belong to (one per zone × form × period) ----------------------
    frame["zone_id"] = frame["zone"].map(lambda c: zone_rows[c].pk if c in zone_rows else 0)
    usable = frame["zone_id"].gt(0) & frame["form_id"].gt(0) & frame["period"].isin(periods)
    combos = frame.loc[usable, ["zone_id", "form_id", "period"]].drop_duplicates()
    existing = {}
    if len(combos):
        for report in Report.objects.filter(zone_id__in=combos["zone_id"].unique(),
                                            form_id__in=combos["form_id"].unique(),
                                            period__in=combos["period"].unique()):
            existing[(report.zone_id, report.form_id, report.period)] = report
    forms_by_id = {form.pk: form for form in forms}

    # --- cumulative flows never fall within a year ------------------------------------------
    _check_cumulative(frame, checks, existing)

    # --- what each row would change ------------------------------------------------------
    frame["report_key"] = list(zip(frame["zone_id"], frame["form_id"], frame["period"],
                                   strict=True))
    old = _existing_values([r.pk for r in existing.values()])
    report_id = {key: report.pk for key, report in existing.items()}
    frame["report_id"] = frame["report_key"].map(lambda k: report_id.get(k, 0))
    previous = [old.get((r, i, m)) for r, i, m in zip(frame["report_id"], frame["indicator"],
                                                      frame["member"], strict=True)]
    frame["old_value"] = [p[0] if p else None for p in previous]
    frame["old_comment"] = [p[1] if p else "" for p in previous]
    frame["is_new"] = [p is None for p in previous]
    frame["new_value"] = [Decimal(c) if c else None for c in frame["canonical"]]
    # An empty cell with no comment where nothing is stored is not a value: it is skipped.
    frame["nothing"] = frame["is_new"] & frame["canonical"].eq("") & frame["comment"].eq("")
    frame["changed"] = ~frame["nothing"] & pd.Series([
        new or o != v or oc != c for new, o, v, oc, c in zip(
            frame["is_new"], frame["old_value"], frame["new_value"], frame["old_comment"],
            frame["comment"], strict=True)], index=frame.index)

    # --- windows and locks, for the rows that would change something ------------------------
    # A re-uploaded workbook repeats the figures of locked reports: unchanged, so allowed.
    changing = frame["changed"] & usable
    if actor is not None:
        closed = {(f, p) for f, p in frame.loc[changing, ["form_id", "period"]]
                  .drop_duplicates().itertuples(index=False)
                  if not is_open(forms_by_id[f], periods[p], today)}
        if closed:
            checks.add(changing & pd.Series([(f, p) in closed for f, p in zip(
                frame["form_id"], frame["period"], strict=True)], index=frame.index),
                _("The entry window for this period is closed."))
    locked = {key: report.get_status_display() for key, report in existing.items()
              if report.status not in EDITABLE}
    if locked:
        checks.add(changing & frame["report_key"].isin(locked),
                   frame["report_key"].map(lambda k: _("The report is locked (%(status)s).")
                                           % {"status": locked[k]} if k in locked else ""))

    result = IngestResult(dry_run=dry_run)
    result.problems, result.problem_count = checks.problems()
    if result.problem_count:
        return result

    frame = frame[~frame["nothing"]]
    result.created = int(frame["is_new"].sum())
    result.updated = int((frame["changed"] & ~frame["is_new"]).sum())
    result.unchanged = int((~frame["changed"]).sum())
    result.reports_created = len(set(frame.loc[frame["changed"], "report_key"]) - set(existing))
    result.changes = [
        {"zone": z, "period": p, "indicator": i, "member": m,
         "old": None if o is None else str(o), "new": None if n is None else str(n)}
        for z, p, i, m, o, n, ch in frame[["zone", "period", "indicator", "member",
                                           "old_value", "new_value", "changed"]]
        .itertuples(index=False) if ch][:200]
    if dry_run or not frame["changed"].any():
        return result
    summary = {"created": result.created, "updated": result.updated,
               "unchanged": result.unchanged, "reports_created": result.reports_created}
    try:
        _write(frame[frame["changed"]], existing, zone_rows, versions, forms_by_id, periods,
               actor=actor, source=source, label=label, summary=summary)
    except _Conflict as conflict:
        result.problems = [Problem("", "", str(conflict))]
        result.problem_count = 1
        result.created = result.updated = result.unchanged = result.reports_created = 0
    return result


class _Conflict(Exception):
    """A report changed status between the checks and the write."""


def _plain(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def _existing_values(report_ids: list[int]) -> dict:
    found = {}
    for start in range(0, len(report_ids), CHUNK):
        for rid, code, member, value, comment in DataValue.objects.filter(
                report_id__in=report_ids[start:start + CHUNK]).values_list(
                "report_id", "indicator_code", "member", "value", "comment"):
            found[(rid, code, member)] = (value, comment)
    return found


def _check_cumulative(frame: pd.DataFrame, checks: _Checks, existing: dict) -> None:
    """A year-to-date value may not be below the period before it, nor above the one after.

    This holds for flows that cannot be negative (minimum 0); a flow such as profit, which
    may be negative, can fall within a year.

    Neighbours come from the same batch first, else from values already stored.
    """
    # Only flows that cannot be negative: a year-to-date profit falls in a month of losses.
    non_negative = pd.to_numeric(frame["min_value"], errors="coerce").ge(0)
    flows = frame[frame["time_behaviour"].eq(TimeBehaviour.FLOW_YTD) & frame["number"].notna()
                  & non_negative & frame["frequency"].isin(["monthly", "quarterly"])
                  & ~checks.failed]
    if flows.empty:
        return
    batch = {(z, p, i, m): n for z, p, i, m, n in
             flows[["zone_id", "period", "indicator", "member", "number"]]
             .itertuples(index=False)}
    neighbours = set()
    for period in flows["period"].unique():
        current = Period.parse(period)
        before = current.previous_in_year()
        if before:
            neighbours.add(before.code)
        if current.number < (12 if current.frequency == "monthly" else 4):
            neighbours.add(Period(current.frequency, current.year, current.number + 1).code)
    stored = {}
    reports = Report.objects.filter(zone_id__in=flows["zone_id"].unique(),
                                    form_id__in=flows["form_id"].unique(),
                                    period__in=neighbours)
    for zone_id, period, code, member, value in DataValue.objects.filter(
            report__in=reports, indicator_code__in=flows["indicator"].unique(),
            value__isnull=False).values_list("report__zone_id", "report__period",
                                             "indicator_code", "member", "value"):
        stored[(zone_id, period, code, member)] = float(value)

    def neighbour(zone_id, period, code, member):
        key = (zone_id, period, code, member)
        return batch.get(key, stored.get(key))

    below, above = [], []
    for zone_id, period, code, member, number in flows[[
            "zone_id", "period", "indicator", "member", "number"]].itertuples(index=False):
        current = Period.parse(period)
        before = current.previous_in_year()
        prev_value = neighbour(zone_id, before.code, code, member) if before else None
        after = None if current.number == (12 if current.frequency == "monthly" else 4) \
            else Period(current.frequency, current.year, current.number + 1).code
        # A next period in this batch is checked from its own row ("below the previous"),
        # so each broken pair is reported once.
        next_key = (zone_id, after, code, member)
        next_value = stored.get(next_key) if after and next_key not in batch else None
        below.append(prev_value is not None and number < prev_value)
        above.append(next_value is not None and number > next_value)
    checks.add(pd.Series(below, index=flows.index).reindex(frame.index, fill_value=False),
               _("A year-to-date value cannot be below the previous period's value."))
    checks.add(pd.Series(above, index=flows.index).reindex(frame.index, fill_value=False),
               _("A year-to-date value cannot be above the next period's stored value."))


def _write(changed: pd.DataFrame, existing: dict, zone_rows: dict, versions: dict,
           forms_by_id: dict, periods: dict, *, actor, source: str, label: str,
           summary: dict) -> None:
    """Write the changed rows, their history and the import's audit row in one transaction.

    The reports are locked and their status checked again first: a report submitted between
    the checks and this write is not written into.
    """
    now = timezone.now()
    by_id = {z.pk: z for z in zone_rows.values()}
    keys = set(changed["report_key"])
    with transaction.atomic():
        missing = sorted(keys - set(existing))
        if missing:
            # ignore_conflicts: a report created meanwhile by another upload is reused.
            Report.objects.bulk_create([
                Report(zone_id=z, form_id=f, period=p,
                       catalog_version_id=versions[periods[p].year],
                       province_code=by_id[z].parent.code,
                       deadline=periods[p].deadline(forms_by_id[f].deadline_days))
                for z, f, p in missing], batch_size=1000, ignore_conflicts=True)
        current = {}
        for report in Report.objects.select_for_update().filter(
                zone_id__in={k[0] for k in keys}, form_id__in={k[1] for k in keys},
                period__in={k[2] for k in keys}):
            key = (report.zone_id, report.form_id, report.period)
            if key in keys:
                current[key] = report
        if any(report.status not in EDITABLE for report in current.values()):
            raise _Conflict(_("A report was submitted while these values were being saved; "
                              "nothing was written. Reload and try again."))
        report_ids = [current[key].pk for key in changed["report_key"]]
        values = list(zip(report_ids, changed["indicator"], changed["member"],
                          changed["new_value"], changed["comment"], strict=True))
        ops = connection.ops
        stamp = ops.adapt_datetimefield_value(now)
        table = ops.quote_name(DataValue._meta.db_table)
        history = ops.quote_name(ValueChange._meta.db_table)
        actor_id = actor.pk if actor is not None and actor.is_authenticated else None
        actor_name = actor.get_username() if actor_id else "system"
        with connection.cursor() as cursor:
            for start in range(0, len(values), CHUNK):
                chunk = values[start:start + CHUNK]
                cursor.executemany(
                    f"INSERT INTO {table} (report_id, indicator_code, member, value, comment, "
                    "updated_at) VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (report_id, indicator_code, member) DO UPDATE SET "
                    "value = excluded.value, comment = excluded.comment, "
                    "updated_at = excluded.updated_at",
                    [(*row, stamp) for row in chunk])
            changes = list(zip(report_ids, changed["indicator"], changed["member"],
                               changed["old_value"], changed["new_value"],
                               changed["old_comment"], changed["comment"], strict=True))
            for start in range(0, len(changes), CHUNK):
                cursor.executemany(
                    f"INSERT INTO {history} (report_id, indicator_code, member, old_value, "
                    "new_value, old_comment, new_comment, actor_id, actor_name, source, at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(*row, actor_id, actor_name, source, stamp)
                     for row in changes[start:start + CHUNK]])
        Report.objects.filter(pk__in=set(report_ids)).update(updated_at=now)
        if source in (Source.EXCEL, Source.IMPORT, Source.API):
            record(actor=actor, action="reporting.values.import",
                   object_type="reporting.report", object_repr=label[:200], source=source,
                   after=summary)


def can_ingest(user) -> bool:
    return user is None or can(user, Action.REPORT)


def group_problems(problems: list[Problem]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        grouped[problem.location.split("!")[0]].append(problem)
    return dict(grouped)
