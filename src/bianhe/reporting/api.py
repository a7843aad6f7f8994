"""Reporting endpoints: scoped reads of values and reports, writes through the actions."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from bianhe.api_errors import model_errors
from bianhe.audit.actions import client_ip
from bianhe.audit.models import Source
from bianhe.periods import Period, PeriodError
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.ingest import frame_from_records
from bianhe.reporting.models import DataValue, Report
from bianhe.reporting.models import Status as ReportStatus

router = Router(tags=["reporting"])


class ValueFilters(Schema):
    zone: str | None = Field(None, max_length=32)
    province: str | None = Field(None, max_length=32)
    indicator: str | None = Field(None, max_length=32)
    form: str | None = Field(None, max_length=32)
    period_from: str | None = Field(None, max_length=8, description="e.g. 2024M01")
    period_to: str | None = Field(None, max_length=8, description="e.g. 2024M12")
    status: ReportStatus | None = None
    limit: int = Field(1000, ge=1, le=10000)
    offset: int = Field(0, ge=0)


class ValueOut(Schema):
    zone: str
    province: str
    form: str
    period: str
    indicator: str
    member: str
    value: float | None
    comment: str
    status: str


class Row(Schema):
    zone: str = Field(..., max_length=32)
    period: str = Field(..., max_length=8)
    indicator: str = Field(..., max_length=32)
    member: str = Field("", max_length=16)
    value: str | float | int | None = None
    comment: str = Field("", max_length=2000)


class ValuesIn(Schema):
    rows: list[Row] = Field(..., max_length=100000)
    dry_run: bool = False


class ProblemOut(Schema):
    location: str
    indicator: str
    message: str


class IngestOut(Schema):
    created: int
    updated: int
    unchanged: int
    reports_created: int
    dry_run: bool
    problem_count: int
    problems: list[ProblemOut]


class ReportOut(Schema):
    id: int
    zone: str
    form: str
    period: str
    status: str
    deadline: dt.date
    first_submitted_at: dt.datetime | None
    returned_reason: str
    is_demo: bool

    @staticmethod
    def resolve_zone(obj):
        return obj.zone.code

    @staticmethod
    def resolve_form(obj):
        return obj.form.code


class ErrorOut(Schema):
    detail: str | list | dict


def _period_bounds(filters: ValueFilters):
    bounds = []
    for name in ("period_from", "period_to"):
        code = getattr(filters, name)
        try:
            bounds.append(Period.parse(code) if code else None)
        except PeriodError as exc:
            raise ValidationError({name: str(exc)}) from None
    first, last = bounds
    if first and last and first.frequency != last.frequency:
        raise ValidationError({"period_to": "both ends of a range need the same frequency"})
    if first and last and last < first:
        raise ValidationError({"period_to": "the range is in the wrong order"})
    return first, last


@router.get("/values", response={200: list[ValueOut], 422: ErrorOut},
            summary="Values in your scope")
def list_values(request, filters: Query[ValueFilters]):
    try:
        first, last = _period_bounds(filters)
    except ValidationError as exc:
        return Status(422, {"detail": model_errors(exc, prefix="query")})
    values = DataValue.objects.restrict(request.auth).select_related(
        "report__zone", "report__form")
    if filters.zone:
        values = values.filter(report__zone__code=filters.zone)
    if filters.province:
        values = values.filter(report__province_code=filters.province)
    if filters.indicator:
        values = values.filter(indicator_code=filters.indicator)
    if filters.form:
        values = values.filter(report__form__code=filters.form)
    if filters.status:
        values = values.filter(report__status=filters.status)
    # Period codes of one frequency sort as text (2023M12 < 2024M01), so a range is two
    # indexed comparisons plus the frequency, never a scan in Python.
    for bound, lookup in ((first, "gte"), (last, "lte")):
        if bound:
            values = values.filter(**{f"report__period__{lookup}": bound.code,
                                      "report__form__frequency": bound.frequency})
    rows = values.order_by("report__period", "report__zone__path", "indicator_code",
                           "member", "pk")[filters.offset:filters.offset + filters.limit]
    return [{"zone": v.report.zone.code, "province": v.report.province_code,
             "form": v.report.form.code, "period": v.report.period,
             "indicator": v.indicator_code, "member": v.member,
             "value": float(v.value) if v.value is not None else None,
             "comment": v.comment, "status": v.report.status} for v in rows]


@router.post("/values", response={200: IngestOut, 422: IngestOut},
             summary="Write values (all or nothing; dry_run checks only)")
def write_values(request, payload: ValuesIn):
    result = do_save_values(request.auth, frame_from_records(
        [{**row.model_dump(), "location": f"rows[{i}]"} for i, row in enumerate(payload.rows)]),
        source=Source.API, dry_run=payload.dry_run, label="API",
        ip_address=client_ip(request))
    body = {"created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "reports_created": result.reports_created,
            "dry_run": result.dry_run, "problem_count": result.problem_count,
            "problems": [p.__dict__ for p in result.problems]}
    return Status(200 if result.ok else 422, body)


@router.get("/reports", response=list[ReportOut], summary="Reports in your scope")
def list_reports(request, status: ReportStatus | None = None, period: str | None = None,
                 form: str | None = None, limit: int = Query(500, ge=1, le=5000)):
    reports = Report.objects.restrict(request.auth).select_related("zone", "form")
    if status:
        reports = reports.filter(status=status)
    if period:
        reports = reports.filter(period=period.upper())
    if form:
        reports = reports.filter(form__code=form)
    return list(reports.order_by("-period", "zone__path")[:limit])
