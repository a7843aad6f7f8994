"""The writers: one transaction that stores a checked batch, its history and audit row.

Raw SQL where the ORM would be slow (multi-row upserts on SQLite, COPY on PostgreSQL);
nothing here checks a value — :mod:`bianhe.reporting.ingest.checks` did that first.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.reporting.ingest.table import CHUNK, positions
from bianhe.reporting.models import EDITABLE, DataValue, Report, ValueChange
from bianhe.reporting.signals import values_written


class Conflict(Exception):
    """A report changed status between the checks and the write."""


def write(changed: pd.DataFrame, existing: dict, zone_rows: dict, versions: dict,
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
                insert_reports(missing, versions, by_id, forms_by_id, periods)
        current = {}
        for pk, zone_id, form_id, period, status in Report.objects.select_for_update().filter(
                zone_id__in={k[0] for k in keys}, form_id__in={k[1] for k in keys},
                period__in={k[2] for k in keys}).values_list(
                "pk", "zone_id", "form_id", "period", "status"):
            key = (zone_id, form_id, period)
            if key in keys:
                current[key] = (pk, status)
        if any(status not in EDITABLE for _pk, status in current.values()):
            raise Conflict(_("A report was submitted while these values were being saved; "
                              "nothing was written. Reload and try again."))
        pks = np.array([pk for pk, _status in current.values()], dtype="int64")
        report_ids = pks[positions(list(current), [changed["zone_id"], changed["form_id"],
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
            write_copy(values, changes, now, actor_id, actor_name, source,
                        all_new=bool(changed["is_new"].all()))
        else:
            write_rows(values, changes, now, actor_id, actor_name, source)
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


def insert_reports(missing, versions, by_id, forms_by_id, periods) -> None:
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
        insert_many(cursor, rows, lambda values: f"INSERT INTO {table} ({columns}) "
                                                  f"VALUES {values} ON CONFLICT DO NOTHING")


_UPSERT = ("INSERT INTO {table} (report_id, indicator_code, member, value, comment, updated_at) "
           "{rows} ON CONFLICT (report_id, indicator_code, member) DO UPDATE SET "
           "value = excluded.value, comment = excluded.comment, updated_at = excluded.updated_at")
_HISTORY_COLUMNS = ("report_id, indicator_code, member, old_value, new_value, old_comment, "
                    "new_comment, actor_id, actor_name, source, at")


def write_rows(values, changes, now, actor_id, actor_name, source) -> None:
    """Multi-row INSERTs, as many rows per statement as the database takes parameters."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    table = ops.quote_name(DataValue._meta.db_table)
    history = ops.quote_name(ValueChange._meta.db_table)
    with connection.cursor() as cursor:
        insert_many(cursor, [(*row, stamp) for row in values],
                     lambda rows: _UPSERT.format(table=table, rows=f"VALUES {rows}"))
        insert_many(cursor, [(*row, actor_id, actor_name, source, stamp) for row in changes],
                     lambda rows: f"INSERT INTO {history} ({_HISTORY_COLUMNS}) VALUES {rows}")


def insert_many(cursor, rows: list[tuple], statement) -> None:
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


def write_copy(values, changes, now, actor_id, actor_name, source, all_new=False) -> None:
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
