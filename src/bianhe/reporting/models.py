"""Report forms, reports (one per zone × form × period) and their values.

A report moves through the three-level workflow of the notice (三级联动); its values are
locked whenever it is not a draft or returned. Every change to a value leaves a
:class:`ValueChange` row (old, new, who, when, source); workflow transitions leave audit rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet, SharedQuerySet
from bianhe.audit.models import AppendOnlyError, Source
from bianhe.catalog.models import CatalogVersion, Frequency
from bianhe.periods import Period


class ReportForm(models.Model):
    """A named set of indicators reported together at one frequency (报表)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    indicator_codes = models.JSONField(_("indicators"), default=list)
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline (days after the period ends)"), default=10)
    window_days = models.PositiveSmallIntegerField(
        _("entry window (days after the period ends)"), default=60,
        help_text=_("After this the period is closed unless the ministry reopens it."))
    zones = models.ManyToManyField("zones.OrgUnit", verbose_name=_("assigned zones"),
                                   related_name="report_forms", blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("report form")

    def __str__(self) -> str:
        return self.name_zh


class WindowOverride(models.Model):
    """The ministry opens (or closes) one form's period outside its normal window."""

    form = models.ForeignKey(ReportForm, on_delete=models.CASCADE, related_name="overrides")
    period = models.CharField(_("period"), max_length=8)
    is_open = models.BooleanField(_("open"))
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "period"],
                                               name="one_override_per_form_period")]

    def __str__(self) -> str:
        return f"{self.form.code} {self.period} {'open' if self.is_open else 'closed'}"


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved by the province")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted by the ministry")


#: Statuses in which the zone may change values.
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})


class ReportQuerySet(RestrictedQuerySet):
    unit_path_lookup = "zone__path"


class Report(models.Model):
    zone = models.ForeignKey("zones.OrgUnit", on_delete=models.PROTECT,
                             related_name="reports", verbose_name=_("zone"))
    form = models.ForeignKey(ReportForm, on_delete=models.PROTECT, related_name="reports",
                             verbose_name=_("form"))
    period = models.CharField(_("period"), max_length=8, db_index=True)
    # Pinned when the report is created: the definitions it was filled against.
    catalog_version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT,
                                        related_name="+")
    # The org context at creation (a zone could move province later).
    province_code = models.CharField(_("province"), max_length=32)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    returned_reason = models.TextField(_("reason for return"), blank=True)
    explanation = models.TextField(_("explanation for the reviewer"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    #: Times the report was sent back to the zone (province or ministry): feeds the
    #: per-zone data-quality score.
    return_count = models.PositiveSmallIntegerField(_("times returned"), default=0)
    #: When a value or comment last changed, and when the quality checks last ran over the
    #: report: flags are current when the second is not older than the first.
    values_changed_at = models.DateTimeField(null=True, blank=True)
    quality_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "zone__path"]
        verbose_name = _("report")
        constraints = [models.UniqueConstraint(fields=["zone", "form", "period"],
                                               name="one_report_per_zone_form_period")]
        indexes = [models.Index(fields=["form", "period", "status"])]

    def __str__(self) -> str:
        return f"{self.zone} {self.form} {self.period_obj.label()}"

    @property
    def period_obj(self) -> Period:
        return Period.parse(self.period)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def is_late(self) -> bool:
        # The deadline is a Beijing date: compare in local time, not UTC.
        return self.first_submitted_at is not None and \
            timezone.localdate(self.first_submitted_at) > self.deadline


class DataValueQuerySet(RestrictedQuerySet):
    unit_path_lookup = "report__zone__path"


class DataValue(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="values")
    indicator_code = models.CharField(_("indicator"), max_length=32)
    member = models.CharField(_("breakdown"), max_length=16, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True,
                                blank=True)
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DataValueQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "indicator_code", "member"],
                                               name="one_value_per_cell")]

    def __str__(self) -> str:
        return f"{self.indicator_code}{'/' + self.member if self.member else ''}={self.value}"


class ValueChangeQuerySet(RestrictedQuerySet):
    unit_path_lookup = "report__zone__path"

    def update(self, **kwargs):
        raise AppendOnlyError("value history is never updated")

    def delete(self):
        raise AppendOnlyError("value history is never deleted")


class ValueChange(models.Model):
    """History of one cell: append-only, written in the transaction of the change."""

    # PROTECT: a report with history cannot be deleted, so no history is lost with it.
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="changes")
    indicator_code = models.CharField(max_length=32)
    member = models.CharField(max_length=16, blank=True, default="")
    old_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    new_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    old_comment = models.TextField(blank=True)
    new_comment = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150)
    source = models.CharField(max_length=16, choices=Source.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ValueChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["report", "indicator_code", "member"])]

    def __str__(self) -> str:
        return f"{self.indicator_code} {self.old_value} → {self.new_value}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("value history is never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("value history is never deleted")
