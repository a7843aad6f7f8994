"""Validating and writing many values at once: the one path every input takes.

Web cells, Excel workbooks, CSV/JSON files and the API all arrive here as a table of
``zone, period, indicator, member, value, comment, location`` rows. Every check is a
vectorised pandas operation or one set-based query, so a million values cost seconds, not
a Python loop per value. The result is all or nothing: any problem and nothing is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.models import CatalogVersion, Indicator, TimeBehaviour
from bianhe.periods import Period, PeriodError
from bianhe.reporting.models import EDITABLE, DataValue, Report, ReportForm, ValueChange
from bianhe.reporting.numbers import parse
from bianhe.reporting.signals import values_written
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
                location = self.frame.at[index, "location"] or \
                    _("row %(n)d") % {"n": index + 1}
                listed.append((index, Problem(location, self.frame.at[index, "indicator"],
                                              str(text))))
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
    if isinstance(series.dtype, pd.StringDtype):
        # Already text (read_csv with dtype=str): clean each distinct value once; codes,
        # periods and indicators repeat, so this is a few hundred strings, not a million.
        codes, uniques = pd.factorize(series)
        clean = pd.Series(uniques, dtype=object).str.strip()
        if upper:
            clean = clean.str.upper()
        cleaned = np.append(clean.to_numpy(dtype=object), "")  # code -1 (missing) → ""
        return pd.Series(cleaned[codes], index=series.index, dtype="str")
    text = series.astype(object).where(series.notna(), "").map(str).str.strip()
    return text.str.upper() if upper else text


def ingest(rows: pd.DataFrame, *, actor, source: str, dry_run: bool = False,
           today: dt.date | None = None, label: str = "",
           ip_address: str | None = None) -> IngestResult:
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
    # Blank locations are labelled "row N" only for the rows a problem lists (see _Checks).
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
    frame["year"] = frame["period"].map({c: p.year for c, p in periods.items()}) \
        .fillna(0).astype("int64")
    frame["frequency"] = frame["period"].map(
        {c: p.frequency for c, p in periods.items()}).astype(object).fillna("")

    inactive = {(code, year) for code, year in
                frame.loc[frame["zone"].isin(zone_rows), ["zone", "year"]]
                .drop_duplicates().itertuples(index=False)
                if year and not zone_rows[code].is_active_in_year(year)}
    if inactive:
        checks.add(_pairs_in(frame["zone"], frame["year"], inactive),
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

    allowed = {("", "")} | {(key, m[0]) for key, spec in DISAGGREGATIONS.items()
                            for m in spec["members"]}
    member_ok = _pairs_in(frame["disaggregation"].fillna(""), frame["member"], allowed)
    checks.add(known & ~member_ok,
               _("This breakdown does not fit the indicator (no breakdown, or an unknown "
                 "member)."))

    # --- forms: which form carries each indicator at each frequency ------------------------
    forms = list(ReportForm.objects.filter(is_active=True).prefetch_related("zones"))
    form_of = {f"{code}\x1f{form.frequency}": form.pk for form in forms
               for code in form.indicator_codes}
    assigned = {(z.code, form.pk) for form in forms for z in form.zones.all()}
    frame["form_id"] = (frame["indicator"] + "\x1f" + frame["frequency"]).map(form_of) \
        .fillna(0).astype("int64")
    checks.add(known & frame["form_id"].eq(0), _("No active report form carries this indicator."))
    checks.add(frame["form_id"].gt(0) & ~_pairs_in(frame["zone"], frame["form_id"], assigned),
               _("This zone is not assigned the form that carries this indicator."))

    # --- values --------------------------------------------------------------------------
    percent = frame["value_type"].eq("percent")
    numbers, canonical, problem = parse(frame["value"], percent)
    frame["number"], frame["canonical"] = numbers, canonical
    checks.add(problem.ne(""), problem)
    has_number = frame["number"].notna()
    minimum = pd.to_numeric(frame["min_value"], errors="coerce")
    maximum = pd.to_numeric(frame["max_value"], errors="coerce")
    below = has_number & minimum.notna() & (frame["number"] < minimum)
    checks.add(below, _messages(frame["min_value"], below,
                                lambda m: _("Below the minimum of %(min)s.") % {"min": m}))
    above = has_number & maximum.notna() & (frame["number"] > maximum)
    checks.add(above, _messages(frame["max_value"], above,
                                lambda m: _("Above the maximum of %(max)s.") % {"max": m}))
    checks.add(has_number & frame["value_type"].eq("integer") & (frame["number"] % 1 != 0),
               _("This indicator takes whole numbers."))
    # The column holds 16 digits before the point and 4 after; more would overflow or be
    # rounded away silently.
    length = canonical.str.len().to_numpy()
    point = canonical.str.find(".").to_numpy()
    signed = canonical.str.startswith(("+", "-")).to_numpy()
    whole = np.where(point < 0, length, point) - signed
    decimals = np.where(point < 0, 0, length - point - 1)
    checks.add(has_number & pd.Series((whole > 16) | (decimals > 4), index=frame.index),
               _("Too many digits: at most 16 before the decimal point and 4 after it."))

    # --- the reports these rows belong to (one per zone × form × period) ----------------------
    frame["zone_id"] = frame["zone"].map({c: z.pk for c, z in zone_rows.items()}) \
        .fillna(0).astype("int64")
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
    report_pos = _positions(list(existing), [frame["zone_id"], frame["form_id"], frame["period"]])
    report_pks = np.array([r.pk for r in existing.values()] + [0], dtype="int64")
    frame["report_id"] = report_pks[report_pos]  # -1 picks the 0 appended: no report yet
    old = _existing_values([r.pk for r in existing.values()])
    value_pos = _positions(list(old), [frame["report_id"], frame["indicator"], frame["member"]])
    is_new = value_pos < 0
    stored = np.flatnonzero(~is_new)
    olds = list(old.values())
    old_value = np.full(len(frame), None, dtype=object)
    old_comment = np.full(len(frame), "", dtype=object)
    old_value[stored] = [olds[p][0] for p in value_pos[stored]]
    old_comment[stored] = [olds[p][1] for p in value_pos[stored]]
    frame["is_new"] = is_new
    frame["old_value"] = pd.Series(old_value, index=frame.index, dtype=object)
    frame["old_comment"] = pd.Series(old_comment, index=frame.index, dtype=object)
    # What the database is given: the canonical digits without a leading "+", None if empty.
    new_value = frame["canonical"].str.removeprefix("+").to_numpy(dtype=object)
    new_value[new_value == ""] = None
    frame["new_value"] = pd.Series(new_value, index=frame.index, dtype=object)
    differs = is_new.copy()  # stored rows: compare as Decimal, as the database holds them
    differs[stored] = [o != (Decimal(c) if c else None) or oc != cm for o, c, oc, cm in zip(
        old_value[stored], frame["canonical"].to_numpy()[stored], old_comment[stored],
        frame["comment"].to_numpy()[stored], strict=True)]
    # An empty cell with no comment where nothing is stored is not a value: it is skipped.
    frame["nothing"] = frame["is_new"] & frame["canonical"].eq("") & frame["comment"].eq("")
    frame["changed"] = ~frame["nothing"] & differs

    # --- windows and locks, for the rows that would change something ------------------------
    # A re-uploaded workbook repeats the figures of locked reports: unchanged, so allowed.
    changing = frame["changed"] & usable
    if actor is not None:
        closed = {(f, p) for f, p in frame.loc[changing, ["form_id", "period"]]
                  .drop_duplicates().itertuples(index=False)
                  if not is_open(forms_by_id[f], periods[p], today)}
        if closed:
            checks.add(changing & _pairs_in(frame["form_id"], frame["period"], closed),
                       _("The entry window for this period is closed."))
    locked = {key: report.get_status_display() for key, report in existing.items()
              if report.status not in EDITABLE}
    if locked:
        keys = pd.MultiIndex.from_arrays([frame["zone_id"], frame["form_id"], frame["period"]])
        in_locked = pd.Series(keys.isin(list(locked)), index=frame.index)
        checks.add(changing & in_locked, pd.Series(
            [_("The report is locked (%(status)s).") % {"status": locked[k]}
             for k in keys[in_locked.to_numpy()]], index=frame.index[in_locked], dtype=object))

    result = IngestResult(dry_run=dry_run)
    result.problems, result.problem_count = checks.problems()
    if result.problem_count:
        return result

    frame = frame[~frame["nothing"]]
    result.created = int(frame["is_new"].sum())
    result.updated = int((frame["changed"] & ~frame["is_new"]).sum())
    result.unchanged = int((~frame["changed"]).sum())
    touched = frame.loc[frame["changed"], ["zone_id", "form_id", "period"]].drop_duplicates()
    result.reports_created = len(set(touched.itertuples(index=False, name=None))
                                 - set(existing))
    result.changes = [
        {"zone": z, "period": p, "indicator": i, "member": m,
         "old": None if o is None else str(o), "new": str(Decimal(c)) if c else None}
        for z, p, i, m, o, c in frame.loc[frame["changed"], [
            "zone", "period", "indicator", "member", "old_value", "canonical"]]
        .head(200).itertuples(index=False)]
    if dry_run or not frame["changed"].any():
        return result
    summary = {"created": result.created, "updated": result.updated,
               "unchanged": result.unchanged, "reports_created": result.reports_created}
    try:
        _write(frame[frame["changed"]], existing, zone_rows, versions, forms_by_id, periods,
               actor=actor, source=source, label=label, summary=summary,
               ip_address=ip_address)
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
    prev_of, next_of = {}, {}
    for code in flows["period"].unique():
        current = Period.parse(code)
        before = current.previous_in_year()
        if before:
            prev_of[code] = before.code
        if current.number < (12 if current.frequency == "monthly" else 4):
            next_of[code] = Period(current.frequency, current.year, current.number + 1).code
    neighbours = set(prev_of.values()) | set(next_of.values())
    reports = Report.objects.filter(zone_id__in=flows["zone_id"].unique(),
                                    form_id__in=flows["form_id"].unique(),
                                    period__in=neighbours)
    stored = pd.DataFrame.from_records(
        DataValue.objects.filter(
            report__in=reports, indicator_code__in=flows["indicator"].unique(),
            value__isnull=False).values_list("report__zone_id", "report__period",
                                             "indicator_code", "member", "value"),
        columns=["zone_id", "period", "indicator", "member", "value"])
    # One integer per (zone, period, indicator, member), shared by the batch and the store.
    codes = _Codes([flows["zone_id"], stored["zone_id"]],
                   [flows["period"], stored["period"], pd.Series(list(neighbours), dtype=object)],
                   [flows["indicator"], stored["indicator"]],
                   [flows["member"], stored["member"]])
    here = codes.key(flows["zone_id"], flows["period"], flows["indicator"], flows["member"])
    batch = pd.Series(flows["number"].to_numpy(), index=here)
    batch = batch[~batch.index.duplicated(keep="last")]
    kept = codes.key(stored["zone_id"], stored["period"], stored["indicator"],
                     stored["member"])
    store = pd.Series(stored["value"].astype(float).to_numpy(), index=kept)
    store = store[~store.index.duplicated(keep="last")]
    number = flows["number"].to_numpy()

    prev_period = flows["period"].map(prev_of).astype(object)
    has_prev = prev_period.notna().to_numpy()
    prev_key = codes.key(flows["zone_id"], prev_period.fillna(flows["period"]),
                         flows["indicator"], flows["member"])
    prev_value = batch.reindex(prev_key).to_numpy(dtype=float, copy=True)
    missing = np.isnan(prev_value)
    if missing.any() and len(store):
        prev_value[missing] = store.reindex(prev_key[missing]).to_numpy()
    prev_value[~has_prev] = np.nan

    next_period = flows["period"].map(next_of).astype(object)
    has_next = next_period.notna().to_numpy()
    next_key = codes.key(flows["zone_id"], next_period.fillna(flows["period"]),
                         flows["indicator"], flows["member"])
    next_value = store.reindex(next_key).to_numpy(dtype=float, copy=True) if len(store) else \
        np.full(len(flows), np.nan)
    # A next period in this batch is checked from its own row ("below the previous"),
    # so each broken pair is reported once.
    next_value[~has_next | next_key.isin(batch.index)] = np.nan

    below = ~np.isnan(prev_value) & (number < prev_value)
    above = ~np.isnan(next_value) & (number > next_value)
    checks.add(pd.Series(below, index=flows.index).reindex(frame.index, fill_value=False),
               _("A year-to-date value cannot be below the previous period's value."))
    checks.add(pd.Series(above, index=flows.index).reindex(frame.index, fill_value=False),
               _("A year-to-date value cannot be above the next period's stored value."))


class _Codes:
    """Packs (zone id, period, indicator, member) into one int64 for hash look-ups."""

    def __init__(self, *columns: list[pd.Series]):
        self.uniques = [pd.Index(pd.unique(pd.concat([c.astype(object) for c in parts],
                                                     ignore_index=True)))
                        for parts in columns]

    def key(self, *columns: pd.Series) -> pd.Index:
        key = np.zeros(len(columns[0]), dtype="int64")
        for uniques, column in zip(self.uniques, columns, strict=True):
            key = key * (len(uniques) + 1) + uniques.get_indexer(column.astype(object)) + 1
        return pd.Index(key)


def _pairs_in(first: pd.Series, second: pd.Series, pairs) -> pd.Series:
    """Whether each (first, second) is one of ``pairs``, as a boolean Series."""
    pairs = list(pairs)
    if not pairs:
        return pd.Series(False, index=first.index)
    found = pd.MultiIndex.from_arrays([first, second]).isin(pairs)
    return pd.Series(found, index=first.index)


def _positions(keys: list[tuple], columns: list[pd.Series]) -> np.ndarray:
    """Position of each row's key in ``keys`` (a list of tuples), -1 where absent."""
    if not keys:
        return np.full(len(columns[0]), -1, dtype="int64")
    index = pd.MultiIndex.from_tuples(keys)
    return index.get_indexer(pd.MultiIndex.from_arrays(columns))


def _messages(bounds: pd.Series, mask: pd.Series, message) -> pd.Series | str:
    """The message of each row in ``mask``, formatted once per distinct bound."""
    if not mask.any():
        return ""
    chosen = bounds[mask]
    text = {bound: message(_plain(bound)) for bound in chosen.unique()}
    return chosen.map(text)


def _write(changed: pd.DataFrame, existing: dict, zone_rows: dict, versions: dict,
           forms_by_id: dict, periods: dict, *, actor, source: str, label: str,
           summary: dict, ip_address: str | None = None) -> None:
    """Write the changed rows, their history and the import's audit row in one transaction.

    The reports are locked and their status checked again first: a report submitted between
    the checks and this write is not written into.
    """
    now = timezone.now()
    by_id = {z.pk: z for z in zone_rows.values()}
    key_frame = changed[["zone_id", "form_id", "period"]].drop_duplicates()
    keys = set(key_frame.itertuples(index=False, name=None))
    with transaction.atomic():
        missing = sorted(keys - set(existing))
        if missing:
            if connection.vendor == "postgresql":
                # ignore_conflicts: a report created meanwhile by another upload is reused.
                # (Django 5.2 inserts these with UNNEST on PostgreSQL: already fast there.)
                Report.objects.bulk_create([
                    Report(zone_id=z, form_id=f, period=p,
                           catalog_version_id=versions[periods[p].year],
                           province_code=by_id[z].parent.code,
                           deadline=periods[p].deadline(forms_by_id[f].deadline_days))
                    for z, f, p in missing], batch_size=1000, ignore_conflicts=True)
            else:
                # ON CONFLICT DO NOTHING: a report created meanwhile by another upload is kept.
                _insert_reports(missing, versions, by_id, forms_by_id, periods)
        current = {}
        for pk, zone_id, form_id, period, status in Report.objects.select_for_update().filter(
                zone_id__in={k[0] for k in keys}, form_id__in={k[1] for k in keys},
                period__in={k[2] for k in keys}).values_list(
                "pk", "zone_id", "form_id", "period", "status"):
            key = (zone_id, form_id, period)
            if key in keys:
                current[key] = (pk, status)
        if any(status not in EDITABLE for _pk, status in current.values()):
            raise _Conflict(_("A report was submitted while these values were being saved; "
                              "nothing was written. Reload and try again."))
        pks = np.array([pk for pk, _status in current.values()], dtype="int64")
        report_ids = pks[_positions(list(current), [changed["zone_id"], changed["form_id"],
                                                    changed["period"]])].tolist()
        indicator, member = changed["indicator"].tolist(), changed["member"].tolist()
        new_value, comment = changed["new_value"].tolist(), changed["comment"].tolist()
        values = zip(report_ids, indicator, member, new_value, comment, strict=True)
        old_value = [None if v is None else str(v) for v in changed["old_value"].tolist()]
        changes = zip(report_ids, indicator, member, old_value, new_value,
                      changed["old_comment"].tolist(), comment, strict=True)
        actor_id = actor.pk if actor is not None and actor.is_authenticated else None
        actor_name = actor.get_username() if actor_id else "system"
        if connection.vendor == "postgresql":
            _write_copy(values, changes, now, actor_id, actor_name, source,
                        all_new=bool(changed["is_new"].all()))
        else:
            _write_rows(values, changes, now, actor_id, actor_name, source)
        # The quality app supersedes the explanations of changed values (reporting.signals).
        values_written.send(sender=Report, changes=zip(
            report_ids, indicator, member, old_value, new_value, strict=True),
            actor=actor, source=source)
        ids = sorted({pk for key, (pk, _s) in current.items() if key in existing})
        for start in range(0, len(ids), CHUNK):  # PostgreSQL takes at most 65,535 parameters
            # values_changed_at tells the quality checks their flags are stale.
            Report.objects.filter(pk__in=ids[start:start + CHUNK]).update(
                updated_at=now, values_changed_at=now)
        if source in (Source.EXCEL, Source.IMPORT, Source.API):
            # The reports written into: the one report's id (an Excel form is one report),
            # else the list, so the row leads to what changed.
            touched = sorted(pk for pk, _status in current.values())
            record(actor=actor, action="reporting.values.import",
                   object_type="reporting.report",
                   object_id=str(touched[0]) if len(touched) == 1 else "",
                   object_repr=label[:200], source=source, ip_address=ip_address,
                   after={**summary, "reports": touched[:100]})


_VARYING = ("zone_id", "form_id", "period", "catalog_version_id", "province_code", "deadline")


def _insert_reports(missing, versions, by_id, forms_by_id, periods) -> None:
    """Insert new reports; the fields that are the same for all are prepared once."""
    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    template = Report(zone_id=0, form_id=0, period="", catalog_version_id=0, province_code="",
                      deadline=dt.date.today())
    constant = {f.attname: f.get_db_prep_save(f.pre_save(template, add=True), connection)
                for f in fields if f.attname not in _VARYING}
    deadline_field = Report._meta.get_field("deadline")
    deadlines = {}
    rows = []
    for z, f, p in missing:
        deadline = periods[p].deadline(forms_by_id[f].deadline_days)
        if deadline not in deadlines:
            deadlines[deadline] = deadline_field.get_db_prep_save(deadline, connection)
        varying = {"zone_id": z, "form_id": f, "period": p,
                   "catalog_version_id": versions[periods[p].year],
                   "province_code": by_id[z].parent.code, "deadline": deadlines[deadline]}
        rows.append(tuple(varying[f.attname] if f.attname in varying else constant[f.attname]
                          for f in fields))
    ops = connection.ops
    table = ops.quote_name(Report._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        _insert_many(cursor, rows, lambda values: f"INSERT INTO {table} ({columns}) "
                                                  f"VALUES {values} ON CONFLICT DO NOTHING")


_UPSERT = ("INSERT INTO {table} (report_id, indicator_code, member, value, comment, updated_at) "
           "{rows} ON CONFLICT (report_id, indicator_code, member) DO UPDATE SET "
           "value = excluded.value, comment = excluded.comment, updated_at = excluded.updated_at")
_HISTORY_COLUMNS = ("report_id, indicator_code, member, old_value, new_value, old_comment, "
                    "new_comment, actor_id, actor_name, source, at")


def _write_rows(values, changes, now, actor_id, actor_name, source) -> None:
    """Multi-row INSERTs, as many rows per statement as the database takes parameters."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    table = ops.quote_name(DataValue._meta.db_table)
    history = ops.quote_name(ValueChange._meta.db_table)
    with connection.cursor() as cursor:
        _insert_many(cursor, [(*row, stamp) for row in values],
                     lambda rows: _UPSERT.format(table=table, rows=f"VALUES {rows}"))
        _insert_many(cursor, [(*row, actor_id, actor_name, source, stamp) for row in changes],
                     lambda rows: f"INSERT INTO {history} ({_HISTORY_COLUMNS}) VALUES {rows}")


def _insert_many(cursor, rows: list[tuple], statement) -> None:
    if not rows:
        return
    width = len(rows[0])
    limit = connection.features.max_query_params or 65535  # PostgreSQL: the protocol's limit
    per = max(1, min(1000, limit // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    full = statement(", ".join([one] * per))
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        sql = full if len(chunk) == per else statement(", ".join([one] * len(chunk)))
        cursor.execute(sql, [value for row in chunk for value in row])


def _write_copy(values, changes, now, actor_id, actor_name, source, all_new=False) -> None:
    """PostgreSQL: COPY into a staging table and upsert from it; COPY the history rows."""
    ops = connection.ops
    table = ops.quote_name(DataValue._meta.db_table)
    history = ops.quote_name(ValueChange._meta.db_table)
    values = list(values)
    if all_new:
        try:
            # wrap_database_errors: psycopg's UniqueViolation (raised by the raw COPY) becomes
            # Django's IntegrityError, which the except below catches.
            with transaction.atomic(), connection.wrap_database_errors, \
                    connection.cursor() as cursor, cursor.cursor.copy(
                    f"COPY {table} (report_id, indicator_code, member, value, comment, "
                    "updated_at) FROM STDIN") as copy:
                for row in values:
                    copy.write_row((*row, now))
            values = []
        except IntegrityError:  # a value was stored meanwhile: upsert them all instead
            pass
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("DROP TABLE IF EXISTS bianhe_ingest_values")
        raw.execute("CREATE TEMP TABLE bianhe_ingest_values (report_id bigint, "
                    "indicator_code text, member text, value numeric, comment text) "
                    "ON COMMIT DROP")
        with raw.copy("COPY bianhe_ingest_values FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        raw.execute(_UPSERT.format(
            table=table, rows="SELECT report_id, indicator_code, member, value, comment, "
                              "%s FROM bianhe_ingest_values"), [now])
        with raw.copy(f"COPY {history} ({_HISTORY_COLUMNS}) FROM STDIN") as copy:
            for row in changes:
                copy.write_row((*row, actor_id, actor_name, source, now))
