"""Registry endpoints. Reads and writes go through restrict() and the zone actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from bianhe.access import get_restricted
from bianhe.api_errors import model_errors
from bianhe.audit.actions import request_context
from bianhe.audit.models import Source
from bianhe.roles import Action, Level
from bianhe.zones.actions import do_update_org_unit
from bianhe.zones.models import OrgUnit, Orientation, ZoneKind
from bianhe.zones.queries import zones_for

router = Router(tags=["zones"])


class ZoneOut(Schema):
    code: str
    level: str
    province: str | None = Field(None, description="Code of the province the zone is in")
    name_zh: str
    name_en: str
    kind: str
    host_area: str
    neighbour_countries: list[str]
    orientation: str
    approval_year: int | None
    approved_on: dt.date | None
    approval_note: str
    area_km2: float | None = Field(None, description="Empty when no source confirms it")
    area_basis: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    notes: str

    @staticmethod
    def resolve_province(obj):
        return obj.parent.code if obj.parent_id and obj.level == "zone" else None

    @staticmethod
    def resolve_area_km2(obj):
        return float(obj.area_km2) if obj.area_km2 is not None else None


class ZoneFilters(Schema):
    year: int | None = Field(None, ge=1949, le=2100, description="Zones valid in this year")
    province: str | None = Field(None, max_length=32)
    kind: ZoneKind | None = None
    q: str | None = Field(None, max_length=50)


_LooseDate = Annotated[dt.date | None, Field(strict=False)]


class ZonePatch(Schema):
    """Any subset of the editable attributes; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name_zh: str | None = Field(None, min_length=1, max_length=100)
    name_en: str | None = Field(None, max_length=200)
    kind: ZoneKind | None = None
    host_area: str | None = Field(None, max_length=200)
    neighbour_countries: list[str] | None = None
    orientation: Orientation | None = None
    approval_year: int | None = Field(None, ge=1949, le=2100)
    approved_on: _LooseDate = None
    approval_note: str | None = None
    area_km2: float | None = Field(None, gt=0)
    area_basis: str | None = None
    valid_from: _LooseDate = None
    valid_to: _LooseDate = None
    source: str | None = None
    notes: str | None = None


class ErrorOut(Schema):
    detail: str | list | dict


@router.get("/zones", response=list[ZoneOut], summary="Zones in your scope valid in a year")
def list_zones(request, filters: Query[ZoneFilters]):
    return list(zones_for(request.auth, year=filters.year, province=filters.province,
                          kind=filters.kind, q=filters.q))


@router.get("/zones/{code}", response={200: ZoneOut, 404: ErrorOut}, summary="One org unit")
def get_zone(request, code: str):
    return get_restricted(OrgUnit.objects.select_related("parent"), request.auth, code=code)


@router.patch("/zones/{code}", response={200: ZoneOut, 404: ErrorOut, 422: ErrorOut},
              summary="Change registry attributes (ministry administrators)")
def patch_zone(request, code: str, payload: ZonePatch):
    zone = get_restricted(OrgUnit.objects.select_related("parent"), request.auth,
                          Action.CHANGE, code=code, level=Level.ZONE)
    changes = payload.model_dump(exclude_unset=True)
    if "area_km2" in changes and changes["area_km2"] is not None:
        changes["area_km2"] = Decimal(str(changes["area_km2"]))
    for key in ("kind", "orientation"):
        if key in changes:
            changes[key] = changes[key] or ""
    for key in ("name_en", "host_area", "approval_note", "area_basis", "source", "notes"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    if changes.get("neighbour_countries") is None and "neighbour_countries" in changes:
        changes["neighbour_countries"] = []
    try:
        do_update_org_unit(request.auth, zone, changes,
                           **request_context(request, Source.API))
    except ValidationError as exc:
        return Status(422, {"detail": model_errors(exc, prefix="body.payload")})
    return zone
