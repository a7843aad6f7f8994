"""Data-quality endpoints: the flags in your scope, and a reporter's explanation of a cell."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status

from bianhe.access import get_restricted
from bianhe.api_errors import model_errors
from bianhe.audit.actions import request_context
from bianhe.audit.models import Source
from bianhe.quality.actions import do_explain
from bianhe.quality.describe import flag_text, indicator_names
from bianhe.quality.models import Explanation, Flag, Severity
from bianhe.reporting.models import Report
from bianhe.roles import Action

router = Router(tags=["quality"])


class FlagOut(Schema):
    report: int
    zone: str
    form: str
    period: str
    indicator: str
    member: str
    check: str
    severity: str
    rule: str | None
    message: str
    explanation: str | None
    explanation_status: str | None


class ExplanationIn(Schema):
    report: int = Field(..., description="the report's id (GET /api/v1/reports)")
    indicator: str = Field(..., max_length=32)
    member: str = Field("", max_length=16)
    text: str = Field("", max_length=2000, description="empty text removes the explanation")


class ErrorOut(Schema):
    detail: str | list | dict


@router.get("/flags", response=list[FlagOut], summary="Flagged values in your scope")
def list_flags(request, period: str | None = None, zone: str | None = None,
               severity: Severity | None = None, limit: int = 1000):
    flags = (Flag.objects.restrict(request.auth)
             .select_related("report__zone", "report__form", "rule")
             .order_by("-report__period", "report__zone__path", "indicator_code"))
    if period:
        flags = flags.filter(report__period=period.upper())
    if zone:
        flags = flags.filter(report__zone__code=zone)
    if severity:
        flags = flags.filter(severity=severity)
    flags = list(flags[:max(1, min(limit, 10000))])
    explanations = {(e.report_id, e.indicator_code, e.member): e for e in
                    Explanation.objects.filter(report_id__in={f.report_id for f in flags})}
    rows = []
    names = indicator_names()
    for flag in flags:
        explanation = explanations.get((flag.report_id, flag.indicator_code, flag.member))
        rows.append({
            "report": flag.report_id, "zone": flag.report.zone.code,
            "form": flag.report.form.code, "period": flag.report.period,
            "indicator": flag.indicator_code, "member": flag.member, "check": flag.kind,
            "severity": flag.severity, "rule": flag.rule.code if flag.rule else None,
            "message": flag_text(flag, names),
            "explanation": explanation.text if explanation else None,
            "explanation_status": explanation.status if explanation else None})
    return rows


@router.post("/explanations", response={200: dict, 404: ErrorOut, 422: ErrorOut},
             summary="Explain a flagged cell of a report (上报说明)")
def explain(request, payload: ExplanationIn):
    report = get_restricted(Report.objects.select_related("zone", "form"), request.auth,
                            Action.REPORT, pk=payload.report)
    try:
        explanation = do_explain(request.auth, report, payload.indicator, payload.member,
                                 payload.text, **request_context(request, Source.API))
    except ValidationError as exc:
        return Status(422, {"detail": model_errors(exc, prefix="body")})
    return {"indicator": payload.indicator, "member": payload.member,
            "text": explanation.text if explanation else "",
            "status": explanation.status if explanation else None}
