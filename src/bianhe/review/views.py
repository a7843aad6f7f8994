"""The review desk's pages: the entry grid (with its htmx cell saves and the explain and
accept actions of flagged cells), and the workflow transitions, one report at a time or a
list at once. Every lookup starts from ``restrict()``; the page URLs are reporting's and
quality's (``review.urls`` supplies their routes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bianhe.access import NotInScope, can, get_restricted
from bianhe.audit.actions import request_context
from bianhe.catalog.models import CatalogVersion
from bianhe.periods import Period, PeriodError
from bianhe.quality.actions import do_accept_explanation, do_explain
from bianhe.quality.checks import ensure_checked
from bianhe.quality.describe import cell_message, flag_text, indicator_names
from bianhe.quality.models import Explanation, ExplanationStatus, OutlierConfig
from bianhe.quality.queries import cell_quality
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import Report, ReportForm
from bianhe.reporting.queries import entry_grid
from bianhe.reporting.windows import is_open
from bianhe.reporting.workflow import (
    BULK_TRANSITIONS,
    INBOX,
    REVIEW_LEVELS,
    TRANSITIONS,
    ZONE,
    available,
    level_of,
)
from bianhe.review.actions import do_transition, do_transition_many
from bianhe.review.grid import decorate, flag_signature, flags_by_cell, has_previous_column
from bianhe.roles import Action, Level
from bianhe.zones.models import OrgUnit


def _period(code: str) -> Period:
    try:
        return Period.parse(code)
    except PeriodError:
        raise NotInScope from None


def _today():
    return timezone.localdate()


def entry(request, code, form, period):
    """One zone × form × period: the grid to fill (draft) or to review (locked)."""
    zone = get_restricted(OrgUnit.objects.select_related("parent"), request.user,
                          code=code, level=Level.ZONE)
    form = get_object_or_404(ReportForm, code=form, is_active=True)
    period = _period(period)
    if period.frequency != form.frequency or not form.zones.filter(pk=zone.pk).exists():
        raise NotInScope
    return render(request, "review/entry.html", grid_context(request, zone, form, period))


def grid_context(request, zone, form, period) -> dict:
    """Everything the entry grid and its rows show, flags and explanations included.

    The report's flags are brought up to date first when its values or the rules changed
    since they were computed, so a reporter sees them while typing.
    """
    report = Report.objects.filter(zone=zone, form=form, period=period.code).first()
    version = report.catalog_version if report else \
        CatalogVersion.objects.filter(year=period.year).first()
    if version is None:
        raise NotInScope
    can_enter = (can(request.user, Action.REPORT)
                 and OrgUnit.objects.restrict(request.user, Action.REPORT)
                 .filter(pk=zone.pk).exists()
                 and (report is None or report.is_editable)
                 and is_open(form, period, _today()))
    level = level_of(request.user)
    can_review = (report is not None and level in REVIEW_LEVELS
                  and report.status == INBOX[level]
                  and Report.objects.restrict(request.user, Action.REVIEW)
                  .filter(pk=report.pk).exists())
    if report is not None:
        ensure_checked(report)
    rows = entry_grid(zone, form, period, version, report)
    decorate(rows, zone, form, period)
    cells = cell_quality(report)
    names = indicator_names()
    show_detail = level != ZONE
    config = OutlierConfig.current() if show_detail and cells else None
    for row in rows:
        row.quality = cells.get((row.indicator.code, row.member))
        flags = row.quality.flags if row.quality else []
        row.message = cell_message(row.quality, row.indicator, period, names) if flags else ""
        row.details = [{"kind": f.kind, "text": flag_text(f, names, row.indicator, config)}
                       for f in flags] if show_detail else []
    flagged = [row for row in rows if row.quality and row.quality.flags]
    return {
        "zone": zone, "form": form, "period": period, "report": report, "rows": rows,
        "can_enter": can_enter, "can_review": can_review, "flagged": flagged,
        "transitions": available(request.user, report) if report else [],
        "is_cumulative_label": period.label(cumulative=True),
        "show_previous": has_previous_column(period),
        # The statistical detail of a flag is for those who judge it, not for the zone.
        "show_detail": show_detail,
    }


@require_POST
def save_cell(request, code, form, period):
    """htmx: save one value and its comment; answer with the row, refreshed or with errors."""
    zone = get_restricted(OrgUnit.objects, request.user, Action.REPORT, code=code,
                          level=Level.ZONE)
    form = get_object_or_404(ReportForm, code=form, is_active=True)
    period = _period(period)
    indicator = request.POST.get("indicator", "")
    if indicator not in form.indicator_codes:
        raise NotInScope  # a cell of this grid only: never another form's indicator
    member = request.POST.get("member", "")
    value = request.POST.get("value", "")
    comment = request.POST.get("comment", "")
    before = flags_by_cell(Report.objects.filter(zone=zone, form=form,
                                                 period=period.code).first())
    result = do_save_values(request.user, [{
        "zone": zone.code, "period": period.code, "indicator": indicator, "member": member,
        "value": value, "comment": comment, "location": indicator}],
        source=request_context(request)["source"])
    context = grid_context(request, zone, form, period)
    row = next((r for r in context["rows"]
                if r.indicator.code == indicator and r.member == member), None)
    if row is None:
        raise NotInScope
    if not result.ok:
        row.value, row.comment = value, comment  # show what was typed beside the reason
    context = {**context, "can_enter": True}
    parts = [render_to_string("review/_row.html", {
        **context, "row": row, "result": result, "saved": result.ok}, request)]
    # A rule ties several cells: a save can raise or clear a flag shown on another row.
    # Every other row whose flags changed is swapped in out of band with this answer.
    for other in context["rows"]:
        key = (other.indicator.code, other.member)
        if other is not row and before.get(key, frozenset()) != flag_signature(
                other.quality.flags if other.quality else ()):
            parts.append(render_to_string("review/_row.html", {
                **context, "row": other, "oob": True}, request))
    parts.append(render_to_string("review/_quality_summary.html",
                                  {**context, "oob": True}, request))
    return HttpResponse("".join(parts))


@require_POST
def explain(request, report_id):
    """htmx: the reporter's explanation of one flagged cell; answers with the grid row."""
    report = get_restricted(Report.objects.select_related("zone", "form"), request.user,
                            Action.REPORT, pk=report_id)
    indicator = request.POST.get("indicator", "")
    member = request.POST.get("member", "")
    error = ""
    try:
        do_explain(request.user, report, indicator, member,
                   request.POST.get("explanation", ""), **request_context(request))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return _grid_row(request, report, indicator, member, error=error)


@require_POST
def accept(request, report_id):
    """htmx: a reviewer accepts the explanation of one cell."""
    report = get_restricted(Report.objects.select_related("zone", "form"), request.user,
                            Action.REVIEW, pk=report_id)
    if level_of(request.user) not in REVIEW_LEVELS:
        raise NotInScope
    indicator = request.POST.get("indicator", "")
    member = request.POST.get("member", "")
    # A superseded explanation is of a value that no longer exists: nothing to accept.
    explanation = get_object_or_404(
        Explanation.objects.exclude(status=ExplanationStatus.SUPERSEDED), report=report,
        indicator_code=indicator, member=member)
    do_accept_explanation(request.user, explanation, **request_context(request))
    return _grid_row(request, report, indicator, member)


def _grid_row(request, report, indicator, member, *, error=""):
    context = grid_context(request, report.zone, report.form, report.period_obj)
    row = next((r for r in context["rows"] if r.indicator.code == indicator
                and r.member == member), None)
    if row is None:
        raise NotInScope
    return render(request, "review/_row.html", {**context, "row": row,
                                                "explain_error": error})


@require_POST
def transition(request, report_id, name):
    report = get_restricted(Report.objects.select_related("zone", "form"), request.user,
                            pk=report_id)
    if name not in TRANSITIONS:
        raise NotInScope
    reason = request.POST.get("reason", "")
    try:
        do_transition(request.user, report, name, reason=reason, **request_context(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": TRANSITIONS[name].label})
    return redirect("reporting:entry", code=report.zone.code, form=report.form.code,
                    period=report.period)


@require_POST
def bulk_transition(request, name):
    """Approve or accept several reports at once, or return them with one shared reason."""
    if name not in BULK_TRANSITIONS:
        raise NotInScope
    back = _safe_next(request) or "reporting:list"
    ids = [int(pk) for pk in request.POST.getlist("report") if pk.isdigit()]
    reports = list(Report.objects.restrict(request.user).filter(pk__in=ids))
    if not reports:
        messages.error(request, _("Choose at least one report."))
        return redirect(back)
    try:
        do_transition_many(request.user, reports, name, reason=request.POST.get("reason", ""),
                           **request_context(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d reports moved.") % {"n": len(reports)})
    return redirect(back)


def _safe_next(request) -> str:
    """Where to go back to: only one of the platform's own list pages."""
    target = request.POST.get("next", "")
    return target if target in ("/reporting/", "/quality/") else ""
