"""State changes of reporting's base data: values through the ingest path, and the entry
windows. The workflow transitions, which gate on quality and sync the facts, are in
``bianhe.review.actions``.
"""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bianhe.access import require_right
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.periods import Period, PeriodError
from bianhe.reporting.ingest import IngestResult, ingest
from bianhe.reporting.models import WindowOverride
from bianhe.roles import Action


def do_save_values(actor, rows: list[dict] | pd.DataFrame, *, source: str = Source.WEB,
                   dry_run: bool = False, label: str = "", today=None,
                   ip_address: str | None = None) -> IngestResult:
    """Save cells (zone, period, indicator, member, value, comment): all or nothing.

    The one entrance of every channel (web cells, Excel, CSV/JSON import, API, demo).
    Access is checked per row, not for the call: the zone check keeps only zones within
    ``actor``'s REPORT scope (``OrgUnit.objects.restrict(actor, Action.REPORT)``), so rows
    outside it come back as problems and nothing is written. The writer records every
    changed cell in ``ValueChange`` and, for files and the API, one audit row.
    """
    if isinstance(rows, pd.DataFrame):
        frame = rows
    else:
        frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    return ingest(frame, actor=actor, source=source, dry_run=dry_run, label=label,
                  today=today, ip_address=ip_address)


@transaction.atomic
def do_set_window(actor, form, period_code: str, *, is_open: bool, reason: str,
                  source: str = Source.WEB, ip_address: str | None = None):
    """The ministry opens or closes one period of a form outside its normal window."""
    require_right(actor, Action.CHANGE)
    try:
        period = Period.parse(period_code)
    except PeriodError:
        raise ValidationError(_("Not a period: use 2024, 2024Q2 or 2024M06.")) from None
    if period.frequency != form.frequency:
        raise ValidationError(_("This period does not match the form's frequency."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason."))
    existing = WindowOverride.objects.filter(form=form, period=period.code).first()
    before = {"is_open": existing.is_open, "reason": existing.reason} if existing else None
    WindowOverride.objects.update_or_create(form=form, period=period.code,
                                            defaults={"is_open": is_open, "reason": reason})
    record(actor=actor, action="reporting.window.set", obj=form, object_id=str(form.pk),
           object_repr=f"{form.code} {period.code}", before=before,
           after={"period": period.code, "is_open": is_open, "reason": reason},
           source=source, ip_address=ip_address)
