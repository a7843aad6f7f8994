"""Reporting pages: the worklist, the entry grid (with its htmx cell saves), transitions,
cell history and timeliness. Every lookup starts from ``restrict()``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bianhe.access import NotInScope, can, get_restricted
from bianhe.audit.actions import request_context
from bianhe.catalog.models import CatalogVersion, Frequency
from bianhe.periods import Period, PeriodError
from bianhe.quality.describe import cell_message, flag_text, indicator_names
from bianhe.reporting.actions import (
    do_save_values,
    do_set_window,
    do_transition,
    do_transition_many,
)
from bianhe.reporting.forms import ReportFilterForm
from bianhe.reporting.grid import decorate, flag_signature, flags_by_cell, has_previous_column
from bianhe.reporting.models import Report, ReportForm, Status
from bianhe.reporting.queries import cell_history, due_reports, entry_grid, timeliness_rows
from bianhe.reporting.windows import is_open
from bianhe.reporting.workflow import ROLE_LEVEL, TRANSITIONS, available
from bianhe.roles import Action, Level
from bianhe.web.readable import period_choices
from bianhe.zones.models import OrgUnit


def _period(code: str) -> Period:
    try:
        return Period.parse(code)
    except PeriodError:
        raise NotInScope from None


def report_list(request):
    """The worklist: what this role has to act on first, then everything it may see."""
    user = request.user
    reports = Report.objects.restrict(user).select_related("zone", "form")
    periods = period_choices(reports.order_by().values_list("period", flat=True).distinct())
    query = request.GET.copy()
    if query.get("period"):
        query["period"] = query["period"].upper()
    filters = ReportFilterForm(query or None, periods=periods)
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        if data["status"]:
            reports = reports.filter(status=data["status"])
        if data["form"]:
            reports = reports.filter(form=data["form"])
        if data["period"]:
            reports = reports.filter(period=data["period"])
    level = ROLE_LEVEL.get(user.role)
    waiting_status = {"zone": Status.RETURNED, "province": Status.SUBMITTED,
                      "ministry": Status.APPROVED}.get(level)
    waiting = reports.filter(status=waiting_status) if waiting_status else reports.none()
    if level == "zone":
        # A reporter's returned reports: this year's first, older ones folded away.
        waiting = waiting.order_by("-period", "zone__path", "form__code")
    bulk = {"province": "approve", "ministry": "accept"}.get(level)
    page = Paginator(reports.order_by("-period", "zone__path", "form__code"), 50).get_page(
        request.GET.get("page"))
    waiting = list(waiting[:200])
    year = str(_today().year)
    current = [r for r in waiting if r.period.startswith(year)] if level == "zone" else waiting
    older = [r for r in waiting if not r.period.startswith(year)] if level == "zone" else []
    return render(request, "reporting/list.html", {
        "filters": filters, "page": page, "waiting": waiting, "waiting_current": current,
        "waiting_older": older, "year": _today().year,
        "waiting_status": waiting_status, "bulk": TRANSITIONS.get(bulk) if bulk else None,
        "due": due_reports(user) if level == "zone" else [],
    })


def entry(request, code, form, period):
    """One zone × form × period: the grid to fill (draft) or to review (locked)."""
    zone = get_restricted(OrgUnit.objects.select_related("parent"), request.user,
                          code=code, level=Level.ZONE)
    form = get_object_or_404(ReportForm, code=form, is_active=True)
    period = _period(period)
    if period.frequency != form.frequency or not form.zones.filter(pk=zone.pk).exists():
        raise NotInScope
    return render(request, "reporting/entry.html", grid_context(request, zone, form, period))


def grid_context(request, zone, form, period) -> dict:
    """Everything the entry grid and its rows show, flags and explanations included.

    The report's flags are brought up to date first when its values or the rules changed
    since they were computed, so a reporter sees them while typing.
    """
    from bianhe.quality.checks import ensure_checked
    from bianhe.quality.models import OutlierConfig
    from bianhe.quality.queries import cell_quality

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
    level = ROLE_LEVEL.get(request.user.role)
    can_review = (report is not None and level in ("province", "ministry")
                  and report.status == (Status.SUBMITTED if level == "province"
                                        else Status.APPROVED)
                  and Report.objects.restrict(request.user, Action.REVIEW)
                  .filter(pk=report.pk).exists())
    if report is not None:
        ensure_checked(report)
    rows = entry_grid(zone, form, period, version, report)
    decorate(rows, zone, form, period)
    cells = cell_quality(report)
    names = indicator_names()
    show_detail = level != "zone"
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


def _today():
    return timezone.localdate()


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
    parts = [render_to_string("reporting/_row.html", {
        **context, "row": row, "result": result, "saved": result.ok}, request)]
    # A rule ties several cells: a save can raise or clear a flag shown on another row.
    # Every other row whose flags changed is swapped in out of band with this answer.
    for other in context["rows"]:
        key = (other.indicator.code, other.member)
        if other is not row and before.get(key, frozenset()) != flag_signature(
                other.quality.flags if other.quality else ()):
            parts.append(render_to_string("reporting/_row.html", {
                **context, "row": other, "oob": True}, request))
    parts.append(render_to_string("reporting/_quality_summary.html",
                                  {**context, "oob": True}, request))
    return HttpResponse("".join(parts))


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


#: Transitions offered on lists of reports; the returns carry one reason for all.
BULK_TRANSITIONS = ("approve", "accept", "return", "ministry_return")


def _safe_next(request) -> str:
    """Where to go back to: only one of the platform's own list pages."""
    target = request.POST.get("next", "")
    return target if target in ("/reporting/", "/quality/") else ""


def history(request, code, form, period):
    zone = get_restricted(OrgUnit.objects, request.user, code=code, level=Level.ZONE)
    report = get_object_or_404(Report, zone=zone, form__code=form, period=period.upper())
    indicator = request.GET.get("indicator", "")
    member = request.GET.get("member", "")
    from bianhe.catalog.disaggregations import member_label

    found = report.catalog_version.indicators.filter(code=indicator).first()
    return render(request, "reporting/history.html", {
        "report": report, "indicator": indicator, "member": member,
        "indicator_name": found.name_zh if found else
        indicator_names().get(indicator, indicator),
        "member_label": member_label(found.disaggregation, member) if found else member,
        "decimals": found.decimals if found else 2,
        "changes": cell_history(report, indicator, member)[:200],
    })


def default_form(forms, code: str | None):
    """The form asked for, else the monthly one (the form most people look at), else the
    first."""
    return (next((f for f in forms if f.code == code), None)
            or next((f for f in forms if f.frequency == "monthly"), None)
            or (forms[0] if forms else None))


def recent_periods(frequency: str, today, years: int = 3) -> list[Period]:
    """This period and those before it, back to January of ``years - 1`` years ago."""
    period = Period.containing(today, frequency)
    result = []
    while period.year > today.year - years:
        result.append(period)
        period = period.previous()
    return result


def timeliness(request):
    """Expected, received on time, late and missing, per zone, for one form and period."""
    forms = list(ReportForm.objects.filter(is_active=True))
    form = default_form(forms, request.GET.get("form"))
    if form is None:
        raise NotInScope
    today = _today()
    default = Period.containing(today, form.frequency).previous()
    try:
        period = Period.parse((request.GET.get("period") or default.code).upper())
    except PeriodError:
        period = default
    if period.frequency != form.frequency:
        period = default
    rows = timeliness_rows(request.user, form, period, today)
    totals = {key: sum(1 for row in rows if row["state"] == key)
              for key in ("on_time", "late", "missing", "pending")}
    choices = recent_periods(form.frequency, today)
    if period not in choices:
        choices = sorted({period, *choices}, reverse=True)
    return render(request, "reporting/timeliness.html", {
        "forms": forms, "form": form, "period": period, "rows": rows, "totals": totals,
        "expected": len(rows), "periods": choices})


def form_list(request):
    """Report forms with their deadline and window rules; the ministry opens or closes
    single periods here."""
    forms = ReportForm.objects.restrict(request.user).prefetch_related("overrides", "zones")
    if request.method == "POST":
        form = get_object_or_404(ReportForm, code=request.POST.get("form", ""))
        try:
            do_set_window(request.user, form, request.POST.get("period", ""),
                          is_open=request.POST.get("is_open") == "1",
                          reason=request.POST.get("reason", ""), **request_context(request))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The entry window was changed."))
        return redirect("reporting:forms")
    today = _today()
    rows = [{"form": form, "current": Period.containing(today, form.frequency),
             "open_now": is_open(form, Period.containing(today, form.frequency), today)}
            for form in forms]
    frequencies = dict(Frequency.choices)
    period_groups = [(frequencies[f], recent_periods(f, today))
                     for f in ("monthly", "quarterly", "annual")]
    return render(request, "reporting/forms.html", {
        "rows": rows, "can_change": can(request.user, Action.CHANGE),
        "period_groups": period_groups})


def changes_export(request):
    """Value history in the user's scope as CSV (UTF-8 with BOM, for Excel), streamed.

    The list page starts the same export as a background job instead (``changes_job``); this
    URL stays for scripts that filter it (``?period=2024M06&zone=BECZ-GX-01``)."""
    import csv

    from django.http import StreamingHttpResponse

    from bianhe.reporting.history_export import FILE_NAME, HEADER, rows, value_changes

    changes = value_changes(request.user, request.GET.get("period", ""),
                            request.GET.get("zone", ""))

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff" + writer.writerow(HEADER)
        for row in rows(changes):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{FILE_NAME}"'
    return response


@require_POST
def changes_job(request):
    """Start the value-history export as a job; its page shows progress and the download."""
    from bianhe.jobs.actions import do_start_job

    job = do_start_job(request.user, "reporting.value_history",
                       {"period": request.POST.get("period", "").upper(),
                        "zone": request.POST.get("zone", "")}, **request_context(request))
    return redirect("jobs:job", job_id=job.pk)
