"""The checks of a batch, one function per rule of docs/reporting.md ("The checks, in order").

Each takes the :class:`~bianhe.reporting.ingest.batch.Batch`, adds a (mask, message) per
problem and, where a later rule needs it, what it looked up (zones, periods, catalogue,
forms). Every check is a vectorised pandas operation or one set-based query. The order
in :data:`bianhe.reporting.ingest.STEPS` is the order problems of one row are listed in.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.models import CatalogVersion, Indicator
from bianhe.periods import Period, PeriodError
from bianhe.reporting.ingest.batch import Batch
from bianhe.reporting.ingest.table import KEY, messages, pairs_in
from bianhe.reporting.models import EDITABLE, ReportForm
from bianhe.reporting.numbers import parse
from bianhe.reporting.windows import is_open
from bianhe.roles import Action, Level
from bianhe.zones.models import OrgUnit


def check_duplicates(batch: Batch) -> None:
    """1. A zone, period, indicator and member that appear again."""
    batch.add(batch.frame.duplicated(KEY, keep="first"),
              _("Duplicate: this zone, period, indicator and breakdown appear twice."))


def check_zone(batch: Batch) -> None:
    """2. A zone of the registry within the actor's REPORT scope: unknown and out-of-scope
    look the same."""
    frame = batch.frame
    zones = OrgUnit.objects.filter(level=Level.ZONE, code__in=frame["zone"].unique())
    if batch.actor is not None:
        zones = zones & OrgUnit.objects.restrict(batch.actor, Action.REPORT)
    batch.zone_rows = {z.code: z for z in zones.select_related("parent")}
    batch.add(~frame["zone"].isin(batch.zone_rows),
              _("Unknown zone, or a zone you may not report for."))


def check_period(batch: Batch) -> None:
    """3. A valid period code."""
    frame = batch.frame
    periods: dict[str, Period] = {}
    for code in frame["period"].unique():
        with contextlib.suppress(PeriodError):
            periods[code] = Period.parse(code)
    batch.periods = periods
    batch.add(~frame["period"].isin(periods), _("Not a period: use 2024, 2024Q2 or 2024M06."))
    frame["year"] = frame["period"].map({c: p.year for c, p in periods.items()}) \
        .fillna(0).astype("int64")
    frame["frequency"] = frame["period"].map(
        {c: p.frequency for c, p in periods.items()}).astype(object).fillna("")


def check_zone_in_year(batch: Batch) -> None:
    """4. The zone is in the registry for the period's year."""
    frame, zone_rows = batch.frame, batch.zone_rows
    inactive = {(code, year) for code, year in
                frame.loc[frame["zone"].isin(zone_rows), ["zone", "year"]]
                .drop_duplicates().itertuples(index=False)
                if year and not zone_rows[code].is_active_in_year(year)}
    if inactive:
        batch.add(pairs_in(frame["zone"], frame["year"], inactive),
                  _("The zone is not in the registry for that year."))


def check_catalogue(batch: Batch) -> None:
    """5. The period's year has an indicator catalogue."""
    frame = batch.frame
    years = sorted(y for y in frame["year"].unique() if y)
    batch.versions = {v.year: v.pk for v in CatalogVersion.objects.filter(year__in=years)}
    batch.add(frame["year"].gt(0) & ~frame["year"].isin(batch.versions),
              _("There is no indicator catalogue for that year."))


_META = ["version__year", "code", "frequency", "value_type", "min_value", "max_value",
         "time_behaviour", "disaggregation"]


def check_indicator(batch: Batch) -> None:
    """6. The code is in that year's catalogue; the table gains the indicator's fields."""
    frame = batch.frame
    years = sorted(batch.versions)
    meta = pd.DataFrame.from_records(
        Indicator.objects.filter(version__year__in=years, code__in=frame["indicator"].unique())
        .values(*_META), columns=_META,
    ).rename(columns={"version__year": "year", "code": "indicator",
                      "frequency": "ind_frequency"})
    merged = frame.merge(meta, how="left", on=["year", "indicator"], validate="many_to_one")
    merged.index = frame.index
    batch.frame = merged
    batch.known = merged["ind_frequency"].notna()
    batch.add(merged["year"].isin(batch.versions) & ~batch.known,
              _("Unknown indicator code for that year's catalogue."))


def check_frequency(batch: Batch) -> None:
    """7. The indicator's frequency is the period's."""
    frame = batch.frame
    batch.add(batch.known & frame["frequency"].ne("")
              & frame["ind_frequency"].ne(frame["frequency"]),
              _("This indicator is reported at another frequency than the period's."))


def check_breakdown(batch: Batch) -> None:
    """8. No member for an indicator without a breakdown, else one of its member codes."""
    frame = batch.frame
    allowed = {("", "")} | {(key, m[0]) for key, spec in DISAGGREGATIONS.items()
                            for m in spec["members"]}
    member_ok = pairs_in(frame["disaggregation"].fillna(""), frame["member"], allowed)
    batch.add(batch.known & ~member_ok,
              _("This breakdown does not fit the indicator (no breakdown, or an unknown "
                "member)."))


def check_form(batch: Batch) -> None:
    """9. An active report form carries the indicator at that frequency."""
    frame = batch.frame
    forms = list(ReportForm.objects.filter(is_active=True).prefetch_related("zones"))
    batch.forms = forms
    batch.forms_by_id = {form.pk: form for form in forms}
    form_of = {f"{code}\x1f{form.frequency}": form.pk for form in forms
               for code in form.indicator_codes}
    frame["form_id"] = (frame["indicator"] + "\x1f" + frame["frequency"]).map(form_of) \
        .fillna(0).astype("int64")
    batch.add(batch.known & frame["form_id"].eq(0),
              _("No active report form carries this indicator."))


def check_assignment(batch: Batch) -> None:
    """10. The zone is assigned the form that carries the indicator."""
    frame = batch.frame
    assigned = {(z.code, form.pk) for form in batch.forms for z in form.zones.all()}
    batch.add(frame["form_id"].gt(0) & ~pairs_in(frame["zone"], frame["form_id"], assigned),
              _("This zone is not assigned the form that carries this indicator."))


def check_number(batch: Batch) -> None:
    """11. The value follows the number rules (``reporting/numbers.py``)."""
    frame = batch.frame
    percent = frame["value_type"].eq("percent")
    numbers, canonical, problem = parse(frame["value"], percent)
    frame["number"], frame["canonical"] = numbers, canonical
    batch.add(problem.ne(""), problem)


def check_minimum(batch: Batch) -> None:
    """12. Not below the indicator's ``min_value``."""
    frame = batch.frame
    minimum = pd.to_numeric(frame["min_value"], errors="coerce")
    below = frame["number"].notna() & minimum.notna() & (frame["number"] < minimum)
    batch.add(below, messages(frame["min_value"], below,
                              lambda m: _("Below the minimum of %(min)s.") % {"min": m}))


def check_maximum(batch: Batch) -> None:
    """13. Not above the indicator's ``max_value``."""
    frame = batch.frame
    maximum = pd.to_numeric(frame["max_value"], errors="coerce")
    above = frame["number"].notna() & maximum.notna() & (frame["number"] > maximum)
    batch.add(above, messages(frame["max_value"], above,
                              lambda m: _("Above the maximum of %(max)s.") % {"max": m}))


def check_whole_number(batch: Batch) -> None:
    """14. ``integer`` indicators take whole numbers (``12.0`` passes)."""
    frame = batch.frame
    batch.add(frame["number"].notna() & frame["value_type"].eq("integer")
              & (frame["number"] % 1 != 0),
              _("This indicator takes whole numbers."))


def check_digits(batch: Batch) -> None:
    """15. At most 16 digits before the point and 4 after: the column holds no more, and
    more would overflow or be rounded away silently."""
    frame = batch.frame
    canonical = frame["canonical"]
    length = canonical.str.len().to_numpy()
    point = canonical.str.find(".").to_numpy()
    signed = canonical.str.startswith(("+", "-")).to_numpy()
    whole = np.where(point < 0, length, point) - signed
    decimals = np.where(point < 0, 0, length - point - 1)
    batch.add(frame["number"].notna()
              & pd.Series((whole > 16) | (decimals > 4), index=frame.index),
              _("Too many digits: at most 16 before the decimal point and 4 after it."))


def check_window(batch: Batch) -> None:
    """17. For rows that would change something: the form's period is open today (not
    asked of the platform)."""
    if batch.actor is None:
        return
    frame, periods = batch.frame, batch.periods
    changing = frame["changed"] & batch.usable
    closed = {(f, p) for f, p in frame.loc[changing, ["form_id", "period"]]
              .drop_duplicates().itertuples(index=False)
              if not is_open(batch.forms_by_id[f], periods[p], batch.today)}
    if closed:
        batch.add(changing & pairs_in(frame["form_id"], frame["period"], closed),
                  _("The entry window for this period is closed."))


def check_lock(batch: Batch) -> None:
    """18. For rows that would change something: the report, if it exists, is a draft or
    returned. A re-uploaded workbook repeats the figures of locked reports: unchanged, so
    allowed."""
    frame = batch.frame
    locked = {key: report.get_status_display() for key, report in batch.existing.items()
              if report.status not in EDITABLE}
    if not locked:
        return
    changing = frame["changed"] & batch.usable
    keys = pd.MultiIndex.from_arrays([frame["zone_id"], frame["form_id"], frame["period"]])
    in_locked = pd.Series(keys.isin(list(locked)), index=frame.index)
    batch.add(changing & in_locked, pd.Series(
        [_("The report is locked (%(status)s).") % {"status": locked[k]}
         for k in keys[in_locked.to_numpy()]], index=frame.index[in_locked], dtype=object))
