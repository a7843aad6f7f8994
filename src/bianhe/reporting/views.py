"""Reporting pages: the worklist, cell history, timeliness, the forms and their windows, and
the value-history export. The entry grid and the transitions are the review desk's
(``bianhe.review``). Every lookup starts from ``restrict()``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bianhe.access import NotInScope, can, get_restricted
from bianhe.audit.actions import request_context
from bianhe.catalog.disaggregations import member_label
from bianhe.catalog.models import Frequency
from bianhe.catalog.readable import names_in_language, period_choices
from bianhe.periods import Period, PeriodError
from bianhe.reporting.actions import do_set_window
from bianhe.reporting.forms import ReportFilterForm
from bianhe.reporting.models import Report, ReportForm
from bianhe.reporting.queries import cell_history, due_reports, timeliness_rows
from bianhe.reporting.windows import is_open
from bianhe.reporting.workflow import BULK, TRANSITIONS, ZONE, inbox_status, level_of
from bianhe.roles import Action, Level
from bianhe.zones.models import OrgUnit


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
    level = level_of(user)
    waiting_status = inbox_status(user)
    waiting = reports.filter(status=waiting_status) if waiting_status else reports.none()
    if level == ZONE:
        # A reporter's returned reports: this year's first, older ones folded away.
        waiting = waiting.order_by("-period", "zone__path", "form__code")
    bulk = BULK[level][0] if level in BULK else None
    page = Paginator(reports.order_by("-period", "zone__path", "form__code"), 50).get_page(
        request.GET.get("page"))
    waiting = list(waiting[:200])
    year = str(_today().year)
    current = [r for r in waiting if r.period.startswith(year)] if level == ZONE else waiting
    older = [r for r in waiting if not r.period.startswith(year)] if level == ZONE else []
    return render(request, "reporting/list.html", {
        "filters": filters, "page": page, "waiting": waiting, "waiting_current": current,
        "waiting_older": older, "year": _today().year,
        "waiting_status": waiting_status, "bulk": TRANSITIONS.get(bulk) if bulk else None,
        "due": due_reports(user) if level == ZONE else [],
    })


def _today():
    return timezone.localdate()


def history(request, code, form, period):
    zone = get_restricted(OrgUnit.objects, request.user, code=code, level=Level.ZONE)
    report = get_object_or_404(Report, zone=zone, form__code=form, period=period.upper())
    indicator = request.GET.get("indicator", "")
    member = request.GET.get("member", "")
    found = report.catalog_version.indicators.filter(code=indicator).first()
    return render(request, "reporting/history.html", {
        "report": report, "indicator": indicator, "member": member,
        "indicator_name": found.name_zh if found else
        names_in_language().get(indicator, indicator),
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
