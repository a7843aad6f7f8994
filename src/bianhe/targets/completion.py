"""Year-end completion of the approved targets, per target, per zone and per province.

A target's completion rate is the full-year actual over the target level (the other way
round when lower is better), shown as it is; a zone's or a province's average counts each
target with a full-year actual at most :data:`~bianhe.targets.progress.COMPLETION_CAP`
(120 %), so that one target far exceeded does not hide others missed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bianhe.targets.models import TargetSet
from bianhe.targets.progress import COMPLETION_CAP
from bianhe.targets.tracking import Tracking, track

SUMMARY_COLUMNS = ["targets", "with_actual", "met", "completion"]


def year_end(target_sets, year: int) -> Tracking:
    """The approved targets of ``target_sets`` tracked at December of ``year``."""
    return track(target_sets, year, 12)


def _summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rate = frame["completion"].to_numpy(float)
    counted = ~np.isnan(rate)
    work = frame[by].assign(
        targets=1, with_actual=counted.astype(int),
        met=frame["met"].to_numpy(bool).astype(int),
        capped=np.where(counted, np.minimum(rate, COMPLETION_CAP), np.nan))
    grouped = work.groupby(by, sort=False)
    summary = grouped[["targets", "with_actual", "met"]].sum()
    summary["completion"] = grouped["capped"].mean()
    return summary[SUMMARY_COLUMNS]


def by_zone(tracking: Tracking) -> pd.DataFrame:
    """One row per zone: zone and province names, targets, with a full-year actual, met,
    average completion (a fraction, NaN when no target has a full-year actual)."""
    frame = tracking.frame
    if frame.empty:
        return pd.DataFrame(columns=["zone_code", "zone_name", "province_code",
                                     "province_name", *SUMMARY_COLUMNS])
    return _summary(frame, ["zone_code", "zone_name", "province_code",
                            "province_name"]).reset_index()


def by_province(tracking: Tracking) -> pd.DataFrame:
    """One row per province, averaging over all its zones' targets."""
    frame = tracking.frame
    if frame.empty:
        return pd.DataFrame(columns=["province_code", "province_name", "zones",
                                     *SUMMARY_COLUMNS])
    summary = _summary(frame, ["province_code", "province_name"]).reset_index()
    zones = frame.groupby("province_code")["zone_code"].nunique()
    summary.insert(2, "zones", summary["province_code"].map(zones).astype(int))
    return summary


def completion_by_zone(year: int) -> pd.DataFrame:
    """For the evaluation: every zone with approved targets in ``year``, indexed by zone code.

    Columns ``targets`` (approved targets), ``met`` (targets met at the year's end) and
    ``completion`` (the mean of min(actual / target, 1.2) over the targets with a full-year
    actual, as a fraction; NaN when none has one). All zones, whatever the reader: the
    caller scopes what it shows. Computed set-based (a fixed number of queries).
    """
    table = by_zone(year_end(TargetSet.objects.all(), year))
    return table.set_index("zone_code")[["targets", "met", "completion"]] \
        .astype({"targets": int, "met": int, "completion": float})
