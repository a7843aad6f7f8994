"""Every change to targets: the zone saves and removes targets and submits its set, the
province approves, returns or reopens it. One transaction and one audit row each.

The zone's targets are its own (主体责任): saving and submitting need the zone level and the
``report`` right over the zone; deciding needs the province level and the ``review`` right
(:mod:`bianhe.targets.workflow`). ``actor=None`` is the platform (the demo, scripts).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import NotInScope, require
from bianhe.audit.actions import jsonable, record
from bianhe.audit.models import Source
from bianhe.roles import Action, Level
from bianhe.targets.models import Target, TargetSet
from bianhe.targets.validation import catalogue, clean_targets
from bianhe.targets.workflow import LEVEL_ACTION, TRANSITIONS, ZONE, level_of
from bianhe.zones.models import OrgUnit

#: The fields of a target the audit row records (keyed by the row's names).
RECORDED = ("kind", "value", "unit", "fyp_2025_value", "fyp_2025_kind", "note")


def target_record(target: Target | dict) -> dict:
    """A target as the audit log keeps it: its indicator code and recorded fields."""
    get = target.get if isinstance(target, dict) else lambda key: getattr(target, key)
    return {"indicator": get("indicator_code"),
            **{key: jsonable(get(key)) for key in RECORDED}}


def _require_zone(actor, zone: OrgUnit) -> None:
    if zone.level != Level.ZONE or (actor is not None and level_of(actor) != ZONE):
        raise NotInScope
    require(OrgUnit.objects, actor, Action.REPORT, zone)


def _editable(zone: OrgUnit, year: int) -> TargetSet:
    """The zone's set of ``year``, created as a draft when missing, locked for the change."""
    target_set, _created = TargetSet.objects.get_or_create(zone=zone, year=year)
    target_set = TargetSet.objects.select_for_update().get(pk=target_set.pk)
    if not target_set.is_editable:
        raise ValidationError(
            _("The targets of %(year)s are %(status)s: they can be changed only while they "
              "are a draft or have been returned.")
            % {"year": year, "status": target_set.get_status_display()})
    return target_set


@transaction.atomic
def do_save_targets(actor, zone: OrgUnit, year: int, rows: list[dict], *,
                    source: str = Source.WEB, ip_address: str | None = None) -> TargetSet:
    """Add or change targets of the zone's set for ``year``; all rows or none.

    Each row has ``indicator``, ``kind`` (level or growth), ``value``, ``unit`` (empty: the
    expected one), and optionally ``fyp_2025_value``, ``fyp_2025_kind`` and ``note``.
    """
    _require_zone(actor, zone)
    if not OrgUnit.objects.filter(pk=zone.pk).active_in_year(year).exists():
        raise ValidationError(_("%(zone)s is not in the registry in %(year)s.")
                              % {"zone": zone.name, "year": year})
    cleaned = clean_targets(rows, catalogue(year), year)
    target_set = _editable(zone, year)
    existing = {t.indicator_code: t for t in target_set.targets.filter(
        indicator_code__in=[row["indicator_code"] for row in cleaned])}
    before, after = [], []
    for fields in cleaned:
        target = existing.get(fields["indicator_code"])
        old = target_record(target) if target else None
        new = target_record(fields)
        if old == new:
            continue
        if target is None:
            target = Target(target_set=target_set, indicator_code=fields["indicator_code"])
        for key in RECORDED:
            setattr(target, key, fields[key])
        target.save()
        before.append(old or {"indicator": new["indicator"]})
        after.append(new)
    if after:
        target_set.save(update_fields=["updated_at"])
        record(actor=actor, action="targets.target.save", obj=target_set,
               before={"targets": before}, after={"targets": after}, source=source,
               ip_address=ip_address)
    return target_set


@transaction.atomic
def do_delete_target(actor, target_set: TargetSet, indicator_code: str, *,
                     source: str = Source.WEB, ip_address: str | None = None) -> None:
    """Remove one target from a set the zone may still change."""
    _require_zone(actor, target_set.zone)
    target_set = _editable(target_set.zone, target_set.year)
    target = target_set.targets.filter(indicator_code=indicator_code).first()
    if target is None:
        raise NotInScope
    before = target_record(target)
    target.delete()
    target_set.save(update_fields=["updated_at"])
    record(actor=actor, action="targets.target.delete", obj=target_set,
           before={"targets": [before]}, after={"targets": [{"indicator": indicator_code}]},
           source=source, ip_address=ip_address)


@transaction.atomic
def do_transition(actor, target_set: TargetSet, name: str, *, reason: str = "",
                  source: str = Source.WEB, ip_address: str | None = None) -> TargetSet:
    """Submit (zone), approve, return or reopen (province) a target set."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValueError(f"unknown transition {name!r}")
    if actor is not None and level_of(actor) != transition.level:
        raise NotInScope
    require(TargetSet.objects, actor, LEVEL_ACTION[transition.level], target_set)
    target_set = (TargetSet.objects.select_related("zone").select_for_update(of=("self",))
                  .get(pk=target_set.pk))
    if target_set.status not in transition.sources:
        raise ValidationError(_("These targets are %(status)s; they cannot be moved that way "
                                "now.") % {"status": target_set.get_status_display()})
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise ValidationError({"reason": [_("Give a reason.")]})
    now = timezone.now()
    if name == "submit":
        # Strict on submit: the targets are checked again against the catalogue as it is
        # now (an indicator's unit may have changed since they were saved).
        targets = list(target_set.targets.all())
        if not targets:
            raise ValidationError(_("Add at least one target before submitting."))
        clean_targets([{**target_record(t), "indicator": t.indicator_code} for t in targets],
                      catalogue(target_set.year), target_set.year)
        target_set.submitted_by = actor if actor is not None else None
        target_set.submitted_at = now
        target_set.returned_reason = ""
    else:
        target_set.decided_by = actor
        target_set.decided_at = now
        target_set.returned_reason = reason if transition.needs_reason else ""
    before = target_set.status
    target_set.status = transition.target
    target_set.save()
    record(actor=actor, action=f"targets.set.{name}", obj=target_set,
           before={"status": before},
           after={"status": target_set.status, **({"reason": reason} if reason else {})},
           source=source, ip_address=ip_address)
    return target_set
