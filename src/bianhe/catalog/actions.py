"""Changes to the catalogue: a version per year, indicator edits — checked and audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bianhe.access import require, require_right
from bianhe.audit.actions import diff, record, snapshot
from bianhe.audit.models import Source
from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.models import Aggregation, CatalogVersion, Indicator, TimeBehaviour
from bianhe.roles import Action


def check_indicator(indicator: Indicator, codes_in_version: set[str]) -> None:
    """Rules across fields that the field types alone cannot express."""
    errors = {}
    if indicator.min_value is not None and indicator.max_value is not None \
            and indicator.max_value < indicator.min_value:
        errors["max_value"] = _("The maximum is below the minimum.")
    if indicator.aggregation == Aggregation.WEIGHTED_MEAN:
        if not indicator.weight_code:
            errors["weight_code"] = _("A weighted mean needs a weight indicator.")
        elif indicator.weight_code not in codes_in_version:
            errors["weight_code"] = _("Unknown weight indicator %(code)s.") % {
                "code": indicator.weight_code}
    elif indicator.weight_code:
        errors["weight_code"] = _("Only a weighted mean takes a weight indicator.")
    if indicator.time_behaviour == TimeBehaviour.RATE and indicator.aggregation == "sum":
        errors["aggregation"] = _("Rates are never summed across zones.")
    if indicator.disaggregation and indicator.disaggregation not in DISAGGREGATIONS:
        errors["disaggregation"] = _("Unknown disaggregation.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_create_version(actor, year: int, indicators: list[dict], *, source: str = Source.CLI,
                      note: str = "", ip_address: str | None = None) -> CatalogVersion:
    """A new year's catalogue from indicator field dicts (all or nothing)."""
    require_right(actor, Action.CHANGE)
    if CatalogVersion.objects.filter(year=year).exists():
        raise ValidationError(_("The catalogue for %(year)s exists already.") % {"year": year})
    version = CatalogVersion.objects.create(year=year, note=note)
    objects = [Indicator(version=version, position=i, **fields)
               for i, fields in enumerate(indicators)]
    codes = {obj.code for obj in objects}
    for obj in objects:
        try:
            obj.full_clean(exclude=["version"])
            check_indicator(obj, codes)
        except ValidationError as exc:
            raise ValidationError({f"{obj.code}.{field}": messages for field, messages
                                   in exc.message_dict.items()}) from None
    Indicator.objects.bulk_create(objects)
    record(actor=actor, action="catalog.version.create", obj=version,
           after={"year": year, "indicators": [obj.code for obj in objects], "note": note},
           source=source, ip_address=ip_address)
    return version


@transaction.atomic
def do_copy_version(actor, from_year: int, to_year: int, *, source: str = Source.WEB,
                    ip_address: str | None = None) -> CatalogVersion:
    """Start ``to_year``'s catalogue as a copy of ``from_year``'s."""
    base = CatalogVersion.objects.filter(year=from_year).first()
    if base is None:
        raise ValidationError(_("There is no catalogue for %(year)s.") % {"year": from_year})
    fields = [{name: getattr(ind, name) for name in ("code", *Indicator.EDITABLE_FIELDS)}
              for ind in base.indicators.order_by("position")]
    return do_create_version(actor, to_year, fields, source=source, ip_address=ip_address,
                             note=f"copied from {from_year}")


@transaction.atomic
def do_update_indicator(actor, indicator: Indicator, changes: dict, *,
                        source: str = Source.WEB, ip_address: str | None = None) -> bool:
    require(Indicator.objects, actor, Action.CHANGE, indicator)
    unknown = set(changes) - set(Indicator.EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    before = snapshot(indicator, Indicator.EDITABLE_FIELDS)
    for name, value in changes.items():
        setattr(indicator, name, value)
    indicator.full_clean(exclude=["version"])
    codes = set(indicator.version.indicators.values_list("code", flat=True))
    check_indicator(indicator, codes)
    old, new = diff(before, snapshot(indicator, Indicator.EDITABLE_FIELDS))
    if not new:
        return False
    indicator.save()
    record(actor=actor, action="catalog.indicator.update", obj=indicator, before=old,
           after=new, source=source, ip_address=ip_address,
           object_repr=f"{indicator.version.year} {indicator}")
    return True
