"""The review desk's endpoint: move a report through the workflow (same path and tag as
reporting's endpoints, which it sits beside)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status

from bianhe.access import get_restricted
from bianhe.api_errors import model_errors
from bianhe.audit.actions import request_context
from bianhe.audit.models import Source
from bianhe.reporting.api import ErrorOut, ReportOut
from bianhe.reporting.models import Report
from bianhe.reporting.workflow import TRANSITIONS
from bianhe.review.actions import do_transition

router = Router(tags=["reporting"])


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


@router.post("/reports/{report_id}/{name}", response={200: ReportOut, 404: ErrorOut,
                                                       422: ErrorOut},
             summary="Move a report: submit, withdraw, approve, return, unapprove, accept, "
                     "ministry_return, reopen")
def move_report(request, report_id: int, name: str, payload: ReasonIn):
    report = get_restricted(Report.objects.select_related("zone", "form"), request.auth,
                            pk=report_id)
    if name not in TRANSITIONS:
        return Status(404, {"detail": "unknown transition"})
    try:
        report = do_transition(request.auth, report, name, reason=payload.reason,
                               **request_context(request, Source.API))
    except ValidationError as exc:
        return Status(422, {"detail": model_errors(exc, prefix="body")})
    return report
