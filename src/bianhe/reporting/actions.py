"""State changes of reports: values through the ingest path, and workflow transitions.

Each transition checks the caller's level and scope, moves the status through the table in
``workflow.py``, and writes its audit row in the same transaction.
"""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import NotInScope, require, require_right
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.catalog.disaggregations import members
from bianhe.reporting.ingest import IngestResult, ingest
from bianhe.reporting.models import Report
from bianhe.reporting.queries import form_indicators
from bianhe.reporting.workflow import LEVEL_ACTION, ROLE_LEVEL, TRANSITIONS


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


def missing_cells(report: Report) -> list[str]:
    """Indicator codes of the form that have no value yet (every breakdown member)."""
    indicators = form_indicators(report.form, report.catalog_version)
    filled = {(code, member) for code, member in report.values.filter(value__isnull=False)
              .values_list("indicator_code", "member")}
    return [ind.code for ind in indicators
            if any((ind.code, m) not in filled for m in members(ind.disaggregation))]


def _listed(codes: list[str]) -> str:
    return "、".join(codes[:10]) + ("…" if len(codes) > 10 else "")


def _check_quality(report: Report) -> None:
    """Errors block submission; warnings need the reporter's explanation (上报说明) first."""
    from bianhe.quality.checks import ensure_checked
    from bianhe.quality.queries import blocking_problems

    ensure_checked(report)
    errors, unexplained = blocking_problems(report)
    if errors:
        raise ValidationError(
            _("Correct the values that fail a validation rule before submitting: %(codes)s.")
            % {"codes": _listed(errors)})
    if unexplained:
        raise ValidationError(
            _("Explain the flagged values before submitting: %(codes)s.")
            % {"codes": _listed(unexplained)})


def do_transition(actor, report: Report, name: str, *, reason: str = "",
                  source: str = Source.WEB, ip_address: str | None = None) -> Report:
    if name == "submit":
        # Flags computed here are kept even when the submission is refused below: the
        # reporter then sees on the grid exactly what stopped it.
        from bianhe.quality.checks import ensure_checked

        ensure_checked(report)
    return _transition(actor, report, name, reason=reason, source=source,
                       ip_address=ip_address)


@transaction.atomic
def _transition(actor, report: Report, name: str, *, reason: str = "",
                source: str = Source.WEB, ip_address: str | None = None) -> Report:
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValueError(f"unknown transition {name!r}")
    level = ROLE_LEVEL.get(getattr(actor, "role", None))
    if level != transition.level:
        raise NotInScope
    require(Report.objects, actor, LEVEL_ACTION[level], report)
    report = (Report.objects.select_related("zone", "form")
              .select_for_update(of=("self",)).get(pk=report.pk))
    if report.status not in transition.sources:
        raise ValidationError(
            _("This report is %(status)s; it cannot be moved that way now.")
            % {"status": report.get_status_display()})
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise ValidationError(_("Give a reason."))
    if name == "submit":
        missing = missing_cells(report)
        if missing:
            raise ValidationError(
                _("Fill every indicator before submitting; missing: %(codes)s.")
                % {"codes": _listed(missing)})
        _check_quality(report)
    before = report.status
    now = timezone.now()
    report.status = transition.target
    if name == "submit":
        report.submitted_at = now
        report.first_submitted_at = report.first_submitted_at or now
        report.returned_reason = ""
    elif name == "approve":
        report.approved_at = now
    elif name == "accept":
        report.accepted_at = now
    elif name in ("return", "ministry_return"):
        report.returned_reason = reason
        report.return_count += 1
    report.save()
    # Official analytics read the fact table: it changes in this same transaction, so an
    # accepted value is visible the moment the acceptance commits.
    from bianhe.analytics.facts import sync_reports

    sync_reports([report.pk])
    record(actor=actor, action=f"reporting.report.{name}", obj=report,
           before={"status": before}, after={"status": report.status,
                                             **({"reason": reason} if reason else {})},
           source=source, ip_address=ip_address)
    return report


def do_transition_many(actor, reports, name: str, **kwargs) -> list[Report]:
    """Bulk approve (or any transition) in one transaction: all move or none does."""
    with transaction.atomic():
        return [do_transition(actor, report, name, **kwargs) for report in reports]


@transaction.atomic
def do_set_window(actor, form, period_code: str, *, is_open: bool, reason: str,
                  source: str = Source.WEB, ip_address: str | None = None):
    """The ministry opens or closes one period of a form outside its normal window."""
    from bianhe.periods import Period, PeriodError
    from bianhe.reporting.models import WindowOverride
    from bianhe.roles import Action

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
