"""Annual work targets (年度工作目标): one set per zone and year, one target per indicator.

A zone proposes its year's targets, each a level or a growth rate beside its 14th Five-Year
Plan figure for 2025; the province approves the set or returns it with a reason
(article (十二) of 商办资函[2021]163号). How targets are tracked is in :mod:`.tracking`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet


class SetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved by the province")
    RETURNED = "returned", _("Returned")


#: Statuses in which the zone may change its targets.
EDITABLE = frozenset({SetStatus.DRAFT, SetStatus.RETURNED})


class Kind(models.TextChoices):
    LEVEL = "level", _("a level")
    GROWTH = "growth", _("a growth rate")


#: The unit of every growth figure (a percentage change on last year).
GROWTH_UNIT = "%"


class TargetSetQuerySet(RestrictedQuerySet):
    unit_path_lookup = "zone__path"


class TargetSet(models.Model):
    zone = models.ForeignKey("zones.OrgUnit", on_delete=models.PROTECT,
                             related_name="target_sets", verbose_name=_("zone"))
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=16, choices=SetStatus.choices,
                              default=SetStatus.DRAFT, db_index=True)
    returned_reason = models.TextField(_("reason for return"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TargetSetQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "zone__path"]
        verbose_name = _("target set")
        constraints = [models.UniqueConstraint(fields=["zone", "year"],
                                               name="one_target_set_per_zone_year")]

    def __str__(self) -> str:
        return f"{self.zone} {self.year}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


class TargetQuerySet(RestrictedQuerySet):
    unit_path_lookup = "target_set__zone__path"


class Target(models.Model):
    target_set = models.ForeignKey(TargetSet, on_delete=models.CASCADE, related_name="targets",
                                   verbose_name=_("target set"))
    indicator_code = models.CharField(_("indicator"), max_length=32)
    kind = models.CharField(_("kind of target"), max_length=16, choices=Kind.choices)
    value = models.DecimalField(_("target"), max_digits=20, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=20)
    fyp_2025_value = models.DecimalField(_("14th Five-Year Plan target for 2025"),
                                         max_digits=20, decimal_places=4, null=True,
                                         blank=True)
    fyp_2025_kind = models.CharField(_("kind of the plan target"), max_length=16,
                                     choices=Kind.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["target_set", "id"]
        verbose_name = _("target")
        constraints = [models.UniqueConstraint(fields=["target_set", "indicator_code"],
                                               name="one_target_per_set_indicator")]

    def __str__(self) -> str:
        return f"{self.target_set} {self.indicator_code}"
