"""The org-unit tree: 商务部 → the border provinces → the zones, valid over time."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet
from bianhe.roles import Level


class ZoneKind(models.TextChoices):
    BORDER = "border", _("Border economic cooperation zone")
    CROSS_BORDER = "cross_border", _("Cross-border economic cooperation zone")


class Orientation(models.TextChoices):
    """The regional groups of article (三) of 商办资函[2021]163号."""

    WESTWARD = "westward", _("Opening westward")
    ASEAN = "asean", _("Facing ASEAN")
    SOUTH_SOUTHEAST_ASIA = "south_southeast_asia", _("Facing South and Southeast Asia")
    NORTHEAST = "northeast", _("Northeast")


class OrgUnitQuerySet(RestrictedQuerySet):
    unit_path_lookup = "path"

    def zones(self):
        return self.filter(level=Level.ZONE)

    def provinces(self):
        return self.filter(level=Level.PROVINCE)

    # A unit without a valid_from date counts from its approval year when a source gives
    # one (临沧 from 2014), and from before the registry's records when none does. No day
    # is invented for it.
    def active_on(self, day: dt.date):
        return self.filter(
            Q(valid_from__lte=day)
            | Q(valid_from__isnull=True, approval_year__isnull=True)
            | Q(valid_from__isnull=True, approval_year__lte=day.year),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def active_in_year(self, year: int):
        """Units valid on at least one day of ``year``: a zone approved in March counts."""
        return self.filter(
            Q(valid_from__lte=dt.date(year, 12, 31))
            | Q(valid_from__isnull=True, approval_year__isnull=True)
            | Q(valid_from__isnull=True, approval_year__lte=year),
            Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1)),
        )


class OrgUnit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes, e.g. "/MOFCOM/CN-XJ/BECZ-XJ-01/": a subtree is a prefix.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ZoneKind.choices, blank=True)
    host_area = models.CharField(_("host city or county"), max_length=200, blank=True)
    neighbour_countries = models.JSONField(_("neighbouring countries"), default=list, blank=True)
    orientation = models.CharField(
        _("regional orientation"), max_length=32, choices=Orientation.choices, blank=True
    )
    approval_year = models.PositiveSmallIntegerField(_("year approved"), null=True, blank=True)
    approved_on = models.DateField(_("date approved"), null=True, blank=True)
    approval_note = models.TextField(_("approval details"), blank=True)
    area_km2 = models.DecimalField(
        _("area (km²)"), max_digits=10, decimal_places=3, null=True, blank=True,
        help_text=_("Approved, planned or Chinese-side area: the basis field says which."),
    )
    area_basis = models.TextField(_("basis of the area figure"), blank=True)
    valid_from = models.DateField(
        _("valid from"),
        null=True,
        blank=True,
        help_text=_("Empty: valid from the year approved, or from before the registry's "
                    "records when that year is not verified."),
    )
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.TextField(_("sources"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = OrgUnitQuerySet.as_manager()

    #: The attributes an administrator edits and the audit log records.
    EDITABLE_FIELDS = (
        "name_zh",
        "name_en",
        "kind",
        "host_area",
        "neighbour_countries",
        "orientation",
        "approval_year",
        "approved_on",
        "approval_note",
        "area_km2",
        "area_basis",
        "valid_from",
        "valid_to",
        "source",
        "notes",
    )
    AUDITED_FIELDS = ("code", "level", "parent", *EDITABLE_FIELDS)

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="orgunit_valid_range",
            )
        ]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        """The name in the active language, falling back to Chinese."""
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh

    @property
    def sources(self) -> list[str]:
        """The ``source`` field split into its entries (written "a; b" in the data file)."""
        return [part.strip() for part in re.split(r";\s+", self.source) if part.strip()]

    @property
    def province(self) -> OrgUnit | None:
        if self.level == Level.ZONE:
            return self.parent
        return self if self.level == Level.PROVINCE else None

    def is_active_in_year(self, year: int) -> bool:
        if self.valid_from is not None:
            starts = self.valid_from <= dt.date(year, 12, 31)
        else:
            starts = self.approval_year is None or self.approval_year <= year
        ends = self.valid_to is None or self.valid_to >= dt.date(year, 1, 1)
        return starts and ends

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.code}/"

    def clean(self) -> None:
        errors = {}
        expected_parent = {Level.PROVINCE: Level.MINISTRY, Level.ZONE: Level.PROVINCE}
        if self.level == Level.MINISTRY and self.parent_id:
            errors["parent"] = _("The ministry is the root and has no parent.")
        elif self.level in expected_parent and (
            self.parent is None or self.parent.level != expected_parent[self.level]
        ):
            errors["parent"] = _(
                "A unit of level %(level)s must sit under a unit of level %(parent)s."
            ) % {
                "level": Level(self.level).label,
                "parent": Level(expected_parent[self.level]).label,
            }
        if self.level == Level.ZONE and not self.kind:
            errors["kind"] = _("A zone needs a kind (border or cross-border).")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end of validity is before its start.")
        if self.area_km2 is not None and self.area_km2 <= 0:
            errors["area_km2"] = _("The area must be positive, or left empty when unknown.")
        if not isinstance(self.neighbour_countries, list) or not all(
            isinstance(item, str) and item.strip() for item in self.neighbour_countries
        ):
            errors["neighbour_countries"] = _("Give the neighbouring countries as a list of names.")
        if errors:
            raise ValidationError(errors)
