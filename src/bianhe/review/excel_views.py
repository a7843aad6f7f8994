"""Excel pages: download a form's template for a period, upload it filled, and see what the
quality checks raised on the reports written (which is why these pages sit on the review desk).

The template holds the zones the user may see (a province reviewer gets one workbook with
all its zones, a reporter its own zone); ``?zone=CODE`` narrows it to one. Uploading needs
the REPORT right and goes through ``do_save_values`` (``reporting.ingest``): all or nothing,
every problem listed with its sheet and cell.
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.shortcuts import render

from bianhe.access import NotInScope, get_restricted, require_right
from bianhe.audit.actions import client_ip
from bianhe.audit.models import Source
from bianhe.catalog.disaggregations import member_label
from bianhe.catalog.models import CatalogVersion
from bianhe.periods import Period, PeriodError
from bianhe.quality.checks import check_reports
from bianhe.quality.describe import cell_message, indicator_names
from bianhe.quality.queries import cell_quality
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.excel import (
    build_template,
    max_upload_bytes,
    megabytes,
    period_label,
    read_workbook,
    size_problem,
)
from bianhe.reporting.forms import UploadForm
from bianhe.reporting.ingest import Problem
from bianhe.reporting.models import Report, ReportForm
from bianhe.reporting.queries import form_indicators
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LOCATION = re.compile(r"^(?P<sheet>[^!]*)!(?P<column>[A-Z]+)(?P<row>\d+)$")


def _form_and_period(user, form_code: str, period_code: str):
    """The active form and a period of its frequency with a catalogue, else 404."""
    form = get_restricted(ReportForm.objects, user, code=form_code, is_active=True)
    try:
        period = Period.parse(period_code)
    except PeriodError:
        raise NotInScope from None
    if period.frequency != form.frequency:
        raise NotInScope
    version = CatalogVersion.objects.filter(year=period.year).first()
    if version is None:
        raise NotInScope
    return form, period, version


def _zones(user, form, period: Period, action: str):
    return (OrgUnit.objects.restrict(user, action).zones().active_in_year(period.year)
            .filter(report_forms=form).select_related("parent").order_by("path"))


def template(request, form, period):
    form, period, version = _form_and_period(request.user, form, period)
    zones = _zones(request.user, form, period, Action.VIEW)
    code = request.GET.get("zone", "").strip()
    if code:
        zones = zones.filter(code=code)
    zones = list(zones)
    if not zones:
        raise NotInScope
    data = build_template(form, period, zones, version=version)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{form.code}_{period.code}_{_scope_name(zones)}.xlsx"')
    return response


def _scope_name(zones) -> str:
    """The zone's code, the province's code when all zones share it, else ALL."""
    if len(zones) == 1:
        return zones[0].code
    parents = {zone.parent.code for zone in zones if zone.parent_id}
    return parents.pop() if len(parents) == 1 else "ALL"


def upload(request, form, period):
    require_right(request.user, Action.REPORT)
    form, period, version = _form_and_period(request.user, form, period)
    zones = list(_zones(request.user, form, period, Action.REPORT))
    if not zones:
        raise NotInScope
    upload_form = UploadForm(request.POST or None, request.FILES or None)
    result, problems, problem_count, touched = None, [], 0, []
    if request.method == "POST" and upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        dry_run = upload_form.cleaned_data["dry_run"]
        if upload.size > max_upload_bytes():
            # Refused on the size Django measured: the content is never read.
            problems = [size_problem(upload.size)]
            problem_count = 1
        else:
            frame, problems = read_workbook(upload.read(), form=form, period=period)
            problem_count = len(problems)
            if len(frame):
                # Problems of single cells (formulas) still let ingest check the rest, but
                # then only as a dry run: nothing is written while any problem remains.
                result = do_save_values(request.user, frame, source=Source.EXCEL,
                                        dry_run=dry_run or bool(problems),
                                        label=upload.name, ip_address=client_ip(request))
                problems = sorted([*problems, *result.problems], key=_order(frame))
                problem_count += result.problem_count
                touched = sorted(set(frame["zone"]))
    by_code = {zone.code: zone for zone in zones}
    flagged = _flagged_cells(form, period, version, touched) \
        if result is not None and result.ok and not result.dry_run else []
    names = dict(version.indicators.filter(code__in={p.indicator for p in problems})
                 .values_list("code", "name_zh")) if problems else {}
    return render(request, "review/excel_upload.html", {
        "form": form, "period": period, "label": period_label(form, period),
        "upload_form": upload_form, "result": result, "problem_count": problem_count,
        "problems": [_row(problem, names) for problem in problems],
        "zones": [by_code[code] for code in touched if code in by_code],
        "own_zone": zones[0] if len(zones) == 1 else None,
        "max_mb": megabytes(max_upload_bytes()),
        "flagged": flagged,
    })


def _flagged_cells(form, period, version, zone_codes) -> list[dict]:
    """What the checks raised on the reports just written: one sentence per flagged cell,
    errors first, so the uploader sees the warnings as well as the refusals."""
    reports = list(Report.objects.filter(zone__code__in=zone_codes, form=form,
                                         period=period.code).select_related("zone"))
    if not reports:
        return []
    check_reports([report.pk for report in reports])
    indicators = {ind.code: ind for ind in form_indicators(form, version)}
    names = indicator_names()
    rows = []
    for report in sorted(reports, key=lambda r: r.zone.path):
        for (code, member), quality in sorted(cell_quality(report).items()):
            if not quality.flags or code not in indicators:
                continue
            indicator = indicators[code]
            rows.append({
                "zone": report.zone, "indicator": indicator,
                "member": member_label(indicator.disaggregation, member),
                "severity": "error" if quality.errors else "warning",
                "message": cell_message(quality, indicator, period, names)})
    rows.sort(key=lambda row: row["severity"] != "error")
    return rows


def _order(frame):
    """Sort problems by sheet (in the workbook's order), then row, then column."""
    sheets = {code: i for i, code in enumerate(dict.fromkeys(frame["zone"]))}

    def key(problem: Problem):
        match = _LOCATION.match(problem.location)
        if not match:
            return (-1, 0, "")
        return (sheets.get(match["sheet"], len(sheets)), int(match["row"]),
                match["column"])

    return key


def _row(problem: Problem, names: dict) -> dict:
    """A problem as the table shows it: sheet, cell, indicator (and its name), reason."""
    match = _LOCATION.match(problem.location)
    if match:
        sheet, cell = match["sheet"], f"{match['column']}{match['row']}"
    else:
        sheet, cell = problem.location, ""
    return {"sheet": sheet, "cell": cell, "indicator": problem.indicator,
            "indicator_name": names.get(problem.indicator, ""), "message": problem.message}
