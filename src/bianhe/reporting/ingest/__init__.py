"""Validating and writing many values at once: the one path every input takes.

Web cells, Excel workbooks, CSV/JSON files and the API all arrive here, through the action
:func:`bianhe.reporting.actions.do_save_values`, as a table of ``zone, period, indicator,
member, value, comment, location`` rows. Every check is a vectorised pandas operation or
one set-based query, so a million values cost seconds, not a Python loop per value. The
result is all or nothing: any problem and nothing is written.

- ``checks.py``, ``cumulative.py``: one function per rule of docs/reporting.md, "The
  checks, in order";
- ``changes.py``: the reports a batch belongs to and what each row would change;
- ``writers.py``: the one transaction that writes values, history and the audit row;
- ``batch.py``, ``table.py``, ``result.py``: the batch, the table helpers, the result.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.utils import timezone

from bianhe.reporting.ingest import writers
from bianhe.reporting.ingest.batch import Batch
from bianhe.reporting.ingest.changes import compare_with_stored, count, find_reports
from bianhe.reporting.ingest.checks import (
    check_assignment,
    check_breakdown,
    check_catalogue,
    check_digits,
    check_duplicates,
    check_form,
    check_frequency,
    check_indicator,
    check_lock,
    check_maximum,
    check_minimum,
    check_number,
    check_period,
    check_whole_number,
    check_window,
    check_zone,
    check_zone_in_year,
)
from bianhe.reporting.ingest.cumulative import check_cumulative
from bianhe.reporting.ingest.result import MAX_PROBLEMS_LISTED, IngestResult, Problem
from bianhe.reporting.ingest.table import CHUNK, COLUMNS, KEY, frame_from_records

__all__ = ["CHUNK", "COLUMNS", "KEY", "MAX_PROBLEMS_LISTED", "STEPS", "IngestResult",
           "Problem", "frame_from_records", "ingest"]

#: The checks in the order of docs/reporting.md, with the look-ups that later checks need.
STEPS = (
    check_duplicates, check_zone, check_period, check_zone_in_year, check_catalogue,
    check_indicator, check_frequency, check_breakdown, check_form, check_assignment,
    check_number, check_minimum, check_maximum, check_whole_number, check_digits,
    find_reports, check_cumulative, compare_with_stored, check_window, check_lock,
)


def ingest(rows: pd.DataFrame, *, actor, source: str, dry_run: bool = False,
           today: dt.date | None = None, label: str = "",
           ip_address: str | None = None) -> IngestResult:
    """Check every row; write all of them (unless ``dry_run``) or none.

    ``actor`` None is the platform itself (demo and fixture loaders), which may write into
    closed periods; people and integrations need the REPORT right over each zone and an
    open entry window. Callers go through :func:`bianhe.reporting.actions.do_save_values`.
    """
    batch = Batch.start(rows, actor=actor, today=today or timezone.localdate())
    for step in STEPS:
        step(batch)
    result = IngestResult(dry_run=dry_run)
    result.problems, result.problem_count = batch.checks.problems()
    if result.problem_count:
        return result
    frame = batch.frame[~batch.frame["nothing"]]
    count(result, frame, batch.existing)
    if dry_run or not frame["changed"].any():
        return result
    summary = {"created": result.created, "updated": result.updated,
               "unchanged": result.unchanged, "reports_created": result.reports_created}
    try:
        writers.write(frame[frame["changed"]], batch.existing, batch.zone_rows,
                      batch.versions, batch.forms_by_id, batch.periods, actor=actor,
                      source=source, label=label, summary=summary, ip_address=ip_address)
    except writers.Conflict as conflict:
        result.problems = [Problem("", "", str(conflict))]
        result.problem_count = 1
        result.created = result.updated = result.unchanged = result.reports_created = 0
    return result
