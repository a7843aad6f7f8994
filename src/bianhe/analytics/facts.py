"""Keeping the fact table equal to the locked reports' values, set-based.

:func:`sync_reports` runs inside every workflow transition's transaction
(:func:`bianhe.review.actions._transition`): the report's facts are deleted and, when its
status is submitted, approved or accepted, copied again from ``DataValue`` with the new
status by one ``INSERT … SELECT``. Values cannot change while a report is in those statuses
(the ingest path refuses locked reports), so a transition is the only moment facts change.
:func:`rebuild` does the same for every report, for loaders that set statuses in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from bianhe.analytics.models import Fact
from bianhe.reporting.models import DataValue, Report, Status

#: Report statuses whose values are in the fact table; analytics filters among them.
LOCKED = (Status.SUBMITTED, Status.APPROVED, Status.ACCEPTED)
CHUNK = 500


def _copy_sql(where: str) -> str:
    q = connection.ops.quote_name
    fact, value, report = Fact._meta.db_table, DataValue._meta.db_table, Report._meta.db_table
    statuses = ", ".join(f"'{status}'" for status in LOCKED)
    return (
        f"INSERT INTO {q(fact)} (report_id, zone_id, indicator_code, member, period, status,"
        f" value, is_demo) "
        f"SELECT v.report_id, r.zone_id, v.indicator_code, v.member, r.period, r.status, "
        f"CAST(v.value AS DOUBLE PRECISION), r.is_demo "
        f"FROM {q(value)} v JOIN {q(report)} r ON r.id = v.report_id "
        f"WHERE v.value IS NOT NULL AND r.status IN ({statuses}){where}"
    )


def sync_reports(report_ids: Iterable[int]) -> None:
    """Make the facts of these reports match their values and status."""
    ids = sorted({int(pk) for pk in report_ids})
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            Fact.objects.filter(report_id__in=chunk).delete()
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(_copy_sql(f" AND r.id IN ({marks})"), chunk)


def rebuild() -> int:
    """Rebuild the whole fact table from the reports; returns the number of facts."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(Fact._meta.db_table)}")
        cursor.execute(_copy_sql(""))
    return Fact.objects.count()
