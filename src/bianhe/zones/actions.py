"""State changes of the org-unit registry. Each one checks scope, validates, saves and audits
in one transaction; views, API routes and commands call these and never ``.save()``."""

from __future__ import annotations

from django.db import transaction

from bianhe.access import NotInScope, require
from bianhe.audit.actions import diff, record, snapshot
from bianhe.audit.models import Source
from bianhe.roles import Action, Level
from bianhe.zones.models import OrgUnit
from bianhe.zones.signals import zone_created


def _refresh_subtree_paths(unit: OrgUnit, old_path: str) -> None:
    """After a unit moves, rewrite the paths under it (the tree is a few dozen units)."""
    for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
        child.path = unit.path + child.path[len(old_path) :]
        child.save(update_fields=["path"])


@transaction.atomic
def do_create_org_unit(
    actor, fields: dict, *, source: str = Source.WEB, ip_address: str | None = None
) -> OrgUnit:
    """Create a unit from model field values (``source`` among them is the citation)."""
    if actor is not None:
        # Creating needs the change right over the parent; only the platform makes roots.
        parent = fields.get("parent")
        if parent is None:
            raise NotInScope
        require(OrgUnit.objects, actor, Action.CHANGE, parent)
    unit = OrgUnit(**fields)
    unit.full_clean(exclude=["path"])
    unit.path = unit.compute_path()
    unit.save()
    if unit.level == Level.ZONE:
        # A new zone reports the default forms: reporting listens (zones.signals).
        zone_created.send(sender=OrgUnit, unit=unit, actor=actor, source=source)
    record(
        actor=actor,
        action="zones.orgunit.create",
        obj=unit,
        after=snapshot(unit, OrgUnit.AUDITED_FIELDS),
        source=source,
        ip_address=ip_address,
    )
    return unit


@transaction.atomic
def do_update_org_unit(
    actor,
    unit: OrgUnit,
    changes: dict,
    *,
    source: str = Source.WEB,
    ip_address: str | None = None,
) -> bool:
    """Apply ``changes`` (field → value); returns whether anything changed."""
    require(OrgUnit.objects, actor, Action.CHANGE, unit)
    allowed = set(OrgUnit.EDITABLE_FIELDS) | {"parent"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    before = snapshot(unit, OrgUnit.AUDITED_FIELDS)
    for name, value in changes.items():
        setattr(unit, name, value)
    unit.full_clean(exclude=["path"])
    after = snapshot(unit, OrgUnit.AUDITED_FIELDS)
    old, new = diff(before, after)
    if not new:
        return False
    old_path = unit.path
    unit.path = unit.compute_path()
    unit.save()
    if unit.path != old_path:
        _refresh_subtree_paths(unit, old_path)
    record(
        actor=actor,
        action="zones.orgunit.update",
        obj=unit,
        before=old,
        after=new,
        source=source,
        ip_address=ip_address,
    )
    return True
