"""The value history (every change of a reported value) as CSV: streamed at
``/reporting/changes.csv``, or written to a file by a background job with a download when
done (the list page's button), since the whole history takes tens of seconds."""

from __future__ import annotations

import csv

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bianhe.jobs.registry import Kind, register
from bianhe.reporting.models import ValueChange
from bianhe.roles import Action

HEADER = ["at", "zone", "form", "period", "indicator", "member", "old_value", "new_value",
          "old_comment", "new_comment", "actor", "source"]
FILE_NAME = "bianhe-value-history.csv"
CHUNK = 5000


def value_changes(user, period: str = "", zone: str = ""):
    """The changes ``user`` may see (every change for the platform itself, ``user=None``),
    newest first, optionally of one period and one zone."""
    changes = ValueChange.objects.all() if user is None else ValueChange.objects.restrict(user)
    changes = changes.select_related("report__zone", "report__form").order_by("-at", "-id")
    if period:
        changes = changes.filter(report__period=period.upper())
    if zone:
        changes = changes.filter(report__zone__code=zone)
    return changes


def rows(changes):
    for c in changes.iterator(chunk_size=CHUNK):
        yield [timezone.localtime(c.at).isoformat(), c.report.zone.code, c.report.form.code,
               c.report.period, c.indicator_code, c.member,
               "" if c.old_value is None else c.old_value.normalize(),
               "" if c.new_value is None else c.new_value.normalize(),
               c.old_comment, c.new_comment, c.actor_name, c.source]


def export_job(job, progress) -> dict:
    """The job: the owner's value history (read with the owner's reach when it runs) to a
    UTF-8 CSV with BOM, for Excel; progress every 5,000 rows."""
    changes = value_changes(job.owner if job.owner_id else None,
                            job.params.get("period", ""), job.params.get("zone", ""))
    # Read in chunks that are fetched whole before progress is written: on SQLite a write
    # from a connection that still holds an open read (a streaming cursor) fails with
    # "database is locked" as soon as another process (a page view) has written meanwhile.
    ids = list(changes.values_list("pk", flat=True))
    total = len(ids)
    progress(0, total)
    path = progress.output(FILE_NAME)
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for start in range(0, total, CHUNK):
            batch = list(rows(changes.filter(pk__in=ids[start:start + CHUNK])))
            writer.writerows(batch)
            written += len(batch)
            progress(written, total)
    progress(written, max(total, written))
    return {"rows": written}


VALUE_HISTORY = register(Kind("reporting.value_history", _("Value history export"),
                              export_job, right=Action.VIEW))
