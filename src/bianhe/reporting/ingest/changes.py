"""The steps between the checks that look at what is stored: the reports a batch belongs
to, what each row would change, and the counts of the result."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from bianhe.reporting.ingest.batch import Batch
from bianhe.reporting.ingest.result import IngestResult
from bianhe.reporting.ingest.table import CHUNK, positions
from bianhe.reporting.models import DataValue, Report


def find_reports(batch: Batch) -> None:
    """The reports these rows belong to (one per zone × form × period), where they exist."""
    frame = batch.frame
    frame["zone_id"] = frame["zone"].map({c: z.pk for c, z in batch.zone_rows.items()}) \
        .fillna(0).astype("int64")
    batch.usable = (frame["zone_id"].gt(0) & frame["form_id"].gt(0)
                    & frame["period"].isin(batch.periods))
    combos = frame.loc[batch.usable, ["zone_id", "form_id", "period"]].drop_duplicates()
    existing = {}
    if len(combos):
        for report in Report.objects.filter(zone_id__in=combos["zone_id"].unique(),
                                            form_id__in=combos["form_id"].unique(),
                                            period__in=combos["period"].unique()):
            existing[(report.zone_id, report.form_id, report.period)] = report
    batch.existing = existing


def compare_with_stored(batch: Batch) -> None:
    """What each row would change: new, changed, unchanged, or nothing at all."""
    frame, existing = batch.frame, batch.existing
    report_pos = positions(list(existing), [frame["zone_id"], frame["form_id"], frame["period"]])
    report_pks = np.array([r.pk for r in existing.values()] + [0], dtype="int64")
    frame["report_id"] = report_pks[report_pos]  # -1 picks the 0 appended: no report yet
    old = _stored_values([r.pk for r in existing.values()])
    value_pos = positions(list(old), [frame["report_id"], frame["indicator"], frame["member"]])
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


def _stored_values(report_ids: list[int]) -> dict:
    found = {}
    for start in range(0, len(report_ids), CHUNK):
        for rid, code, member, value, comment in DataValue.objects.filter(
                report_id__in=report_ids[start:start + CHUNK]).values_list(
                "report_id", "indicator_code", "member", "value", "comment"):
            found[(rid, code, member)] = (value, comment)
    return found


def count(result: IngestResult, frame: pd.DataFrame, existing: dict) -> None:
    """Fill the counts and the first 200 changes of ``result`` (``frame`` without the rows
    that are nothing)."""
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
