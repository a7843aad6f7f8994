"""Targets endpoints: the sets in the caller's scope with their tracking figures, and a
zone's proposal through the same action (and checks) as the set's page."""

from __future__ import annotations

import datetime as dt
import math

from django.core.exceptions import ValidationError
from django.db import transaction
from ninja import Field, Query, Router, Schema, Status

from bianhe.access import get_restricted
from bianhe.api_errors import model_errors
from bianhe.audit.actions import client_ip
from bianhe.audit.models import Source
from bianhe.roles import Level
from bianhe.targets.actions import do_save_targets, do_transition
from bianhe.targets.models import Target, TargetSet
from bianhe.targets.tracking import BASIS, current_year, default_as_of, track
from bianhe.zones.models import OrgUnit

router = Router(tags=["targets"])


class TargetIn(Schema):
    indicator: str = Field(..., max_length=32)
    kind: str = Field(..., max_length=16, description="level or growth")
    value: str | float | int | None = None
    unit: str = Field("", max_length=20, description="empty: the expected unit")
    fyp_2025_value: str | float | int | None = None
    fyp_2025_kind: str = Field("", max_length=16, description="level or growth")
    note: str = Field("", max_length=500)


class TargetsIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    zone: str = Field(..., max_length=32)
    targets: list[TargetIn] = Field(..., min_length=1, max_length=200)
    submit: bool = False


class TargetOut(Schema):
    indicator: str
    kind: str
    value: float
    unit: str
    fyp_2025_value: float | None
    fyp_2025_kind: str
    note: str
    target_level: float | None = None
    period: str | None = None
    actual: float | None = None
    progress: float | None = None
    expected_linear: float | None = None
    expected_seasonal: float | None = None
    seasonal_years: int | None = None
    seasonal_fallback: bool | None = None
    status_linear: str | None = None
    status_seasonal: str | None = None


class SetOut(Schema):
    zone: str
    year: int
    status: str
    returned_reason: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    is_demo: bool
    targets: list[TargetOut]


class SetsOut(Schema):
    year: int
    as_of: str | None = Field(None, description="the latest month tracked, e.g. 2026M11")
    basis: list[str] = Field(..., description="report statuses whose figures count")
    sets: list[SetOut]


class ErrorOut(Schema):
    detail: str | list | dict


def _number(value):
    return float(value) if value is not None and math.isfinite(float(value)) else None


@router.get("/targets", response=SetsOut, summary="Target sets in your scope, with tracking")
def list_targets(request, year: int | None = Query(None, ge=2000, le=2100),
                 zone: str | None = Query(None, max_length=32)):
    year = year or current_year()
    sets = TargetSet.objects.restrict(request.auth).filter(year=year).select_related("zone")
    if zone:
        unit = get_restricted(OrgUnit.objects, request.auth, code=zone, level=Level.ZONE)
        sets = sets.filter(zone=unit)
    tracked = track(sets, year, default_as_of(year))
    figures = {(r.zone_code, r.indicator_code): r for r in tracked.rows()}
    targets: dict[int, list[Target]] = {}
    for target in Target.objects.filter(target_set__in=sets).order_by("id"):
        targets.setdefault(target.target_set_id, []).append(target)
    result = []
    for target_set in sets.order_by("zone__path"):
        items = []
        for t in targets.get(target_set.pk, []):
            row = figures.get((target_set.zone.code, t.indicator_code))
            item = {"indicator": t.indicator_code, "kind": t.kind, "value": float(t.value),
                    "unit": t.unit, "fyp_2025_value": _number(t.fyp_2025_value),
                    "fyp_2025_kind": t.fyp_2025_kind, "note": t.note}
            if row is not None:
                item.update(target_level=_number(row.target_level), period=row.period or None,
                            actual=_number(row.actual), progress=_number(row.progress),
                            expected_linear=_number(row.expected_linear),
                            expected_seasonal=_number(row.expected_seasonal),
                            seasonal_years=row.seasonal_years,
                            seasonal_fallback=row.seasonal_fallback,
                            status_linear=row.status_linear or None,
                            status_seasonal=row.status_seasonal or None)
            items.append(item)
        result.append({"zone": target_set.zone.code, "year": target_set.year,
                       "status": target_set.status,
                       "returned_reason": target_set.returned_reason,
                       "submitted_at": target_set.submitted_at,
                       "decided_at": target_set.decided_at, "is_demo": target_set.is_demo,
                       "targets": items})
    as_of = f"{year}M{tracked.as_of:02d}" if tracked.as_of else None
    return {"year": year, "as_of": as_of, "basis": list(BASIS), "sets": result}


@router.post("/targets", response={200: SetOut, 422: ErrorOut},
             summary="Propose targets for a zone (all or nothing; submit to send them)")
def propose_targets(request, payload: TargetsIn):
    zone = get_restricted(OrgUnit.objects, request.auth, code=payload.zone, level=Level.ZONE)
    context = {"source": Source.API, "ip_address": client_ip(request)}
    try:
        with transaction.atomic():
            target_set = do_save_targets(request.auth, zone, payload.year,
                                         [row.model_dump() for row in payload.targets],
                                         **context)
            if payload.submit:
                target_set = do_transition(request.auth, target_set, "submit", **context)
    except ValidationError as exc:
        return Status(422, {"detail": model_errors(exc, prefix="body")})
    target_set.refresh_from_db()
    return {"zone": zone.code, "year": target_set.year, "status": target_set.status,
            "returned_reason": target_set.returned_reason,
            "submitted_at": target_set.submitted_at, "decided_at": target_set.decided_at,
            "is_demo": target_set.is_demo,
            "targets": [{"indicator": t.indicator_code, "kind": t.kind, "value": float(t.value),
                         "unit": t.unit, "fyp_2025_value": _number(t.fyp_2025_value),
                         "fyp_2025_kind": t.fyp_2025_kind, "note": t.note}
                        for t in target_set.targets.order_by("id")]}
