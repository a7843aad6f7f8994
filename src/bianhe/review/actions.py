"""Workflow transitions of reports, with the quality gate, the fact sync and the audit row.

Each transition checks the caller's level and scope, moves the status through the table in
``reporting.workflow``, and writes its audit row in the same transaction. Submitting runs the
quality checks first; the facts that analytics reads change in the same transaction.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import NotInScope, require
from bianhe.analytics.facts import sync_reports
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.catalog.disaggregations import members
from bianhe.quality.checks import ensure_checked
from bianhe.quality.queries import blocking_problems
from bianhe.reporting.models import Report
from bianhe.reporting.queries import form_indicators
from bianhe.reporting.workflow import LEVEL_ACTION, TRANSITIONS, level_of


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
        ensure_checked(report)
    return _transition(actor, report, name, reason=reason, source=source,
                       ip_address=ip_address)


@transaction.atomic
def _transition(actor, report: Report, name: str, *, reason: str = "",
                source: str = Source.WEB, ip_address: str | None = None) -> Report:
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValueError(f"unknown transition {name!r}")
    level = level_of(actor)
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
    if transition.timestamp:
        setattr(report, transition.timestamp, now)
    if name == "submit":
        report.first_submitted_at = report.first_submitted_at or now
        report.returned_reason = ""
    elif transition.returns:
        report.returned_reason = reason
        report.return_count += 1
    report.save()
    # Official analytics read the fact table: it changes in this same transaction, so an
    # accepted value is visible the moment the acceptance commits.
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
