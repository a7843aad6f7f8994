"""Read-side helpers for the registry, all starting from the user's restricted queryset."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from bianhe.roles import Action
from bianhe.zones.models import OrgUnit


def zones_for(user, *, year: int | None = None, province: str | None = None,
              kind: str | None = None, q: str | None = None, action: str = Action.VIEW):
    """Zones the user may see, valid in ``year`` (default: this year), filtered."""
    zones = OrgUnit.objects.restrict(user, action).zones().select_related("parent")
    zones = zones.active_in_year(year or dt.date.today().year)
    if province:
        zones = zones.filter(parent__code=province)
    if kind:
        zones = zones.filter(kind=kind)
    if q:
        zones = zones.filter(
            Q(code__icontains=q) | Q(name_zh__icontains=q) | Q(name_en__icontains=q)
            | Q(host_area__icontains=q)
        )
    return zones.order_by("path")


EXPORT_COLUMNS = (
    "code", "name_zh", "name_en", "province", "kind", "host_area", "neighbour_countries",
    "orientation", "approval_year", "approved_on", "approval_note", "area_km2", "area_basis",
    "valid_from", "valid_to", "source", "notes",
)


def export_row(zone: OrgUnit) -> list:
    values = {
        "province": zone.parent.code if zone.parent_id else "",
        "neighbour_countries": ";".join(zone.neighbour_countries),
    }
    return [values[c] if c in values else ("" if getattr(zone, c) is None else getattr(zone, c))
            for c in EXPORT_COLUMNS]
