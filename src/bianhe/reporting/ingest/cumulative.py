"""Check 16: cumulative flows (1—N月累计) never fall within a year."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from bianhe.catalog.models import TimeBehaviour
from bianhe.periods import Period
from bianhe.reporting.ingest.batch import Batch
from bianhe.reporting.ingest.table import Codes
from bianhe.reporting.models import DataValue, Report


def check_cumulative(batch: Batch) -> None:
    """16. A year-to-date value may not be below the period before it, nor above the one
    after.

    This holds for flows that cannot be negative (minimum 0); a flow such as profit, which
    may be negative, can fall within a year. Only rows that passed every check so far are
    compared. Neighbours come from the same batch first, else from values already stored.
    """
    frame, checks = batch.frame, batch.checks
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
    codes = Codes([flows["zone_id"], stored["zone_id"]],
                  [flows["period"], stored["period"], pd.Series(list(neighbours), dtype=object)],
                  [flows["indicator"], stored["indicator"]],
                  [flows["member"], stored["member"]])
    here = codes.key(flows["zone_id"], flows["period"], flows["indicator"], flows["member"])
    in_batch = pd.Series(flows["number"].to_numpy(), index=here)
    in_batch = in_batch[~in_batch.index.duplicated(keep="last")]
    kept = codes.key(stored["zone_id"], stored["period"], stored["indicator"],
                     stored["member"])
    store = pd.Series(stored["value"].astype(float).to_numpy(), index=kept)
    store = store[~store.index.duplicated(keep="last")]
    number = flows["number"].to_numpy()

    prev_period = flows["period"].map(prev_of).astype(object)
    has_prev = prev_period.notna().to_numpy()
    prev_key = codes.key(flows["zone_id"], prev_period.fillna(flows["period"]),
                         flows["indicator"], flows["member"])
    prev_value = in_batch.reindex(prev_key).to_numpy(dtype=float, copy=True)
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
    next_value[~has_next | next_key.isin(in_batch.index)] = np.nan

    below = ~np.isnan(prev_value) & (number < prev_value)
    above = ~np.isnan(next_value) & (number > next_value)
    batch.add(pd.Series(below, index=flows.index).reindex(frame.index, fill_value=False),
              _("A year-to-date value cannot be below the previous period's value."))
    batch.add(pd.Series(above, index=flows.index).reindex(frame.index, fill_value=False),
              _("A year-to-date value cannot be above the next period's stored value."))
