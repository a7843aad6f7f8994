"""The indicator catalogue, versioned by year.

A report pins the catalogue version of its period's year, so a definition changed in 2025
never rewrites what a 2024 report meant (GOV.UK Notify's template history).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bianhe.access import SharedQuerySet
from bianhe.catalog.disaggregations import DISAGGREGATIONS


class ValueType(models.TextChoices):
    DECIMAL = "decimal", _("decimal number")
    INTEGER = "integer", _("whole number")
    PERCENT = "percent", _("percentage")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    ANNUAL = "annual", _("annual")


class TimeBehaviour(models.TextChoices):
    FLOW_YTD = "flow_ytd", _("flow, year-to-date cumulative")
    STOCK = "stock", _("stock at the end of the period")
    RATE = "rate", _("rate for the period")


class Aggregation(models.TextChoices):
    SUM = "sum", _("sum")
    WEIGHTED_MEAN = "weighted_mean", _("weighted mean")
    NONE = "none", _("not aggregated")


class Direction(models.TextChoices):
    HIGHER_BETTER = "higher_better", _("higher is better")
    LOWER_BETTER = "lower_better", _("lower is better")
    NEUTRAL = "neutral", _("neutral")


class Category(models.TextChoices):
    ECONOMY = "economy", _("Economy")
    OPENING = "opening", _("Opening up")
    INVESTMENT = "investment", _("Investment")
    ENTERPRISES = "enterprises", _("Enterprises and jobs")
    LOGISTICS = "logistics", _("Ports and logistics")
    LAND = "land", _("Land")
    INNOVATION = "innovation", _("Innovation")
    GREEN = "green", _("Green development")
    GOVERNANCE = "governance", _("Governance")


DISAGGREGATION_CHOICES = [("", _("none"))] + [
    (key, spec["label"]) for key, spec in DISAGGREGATIONS.items()
]


class CatalogVersion(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("catalogue version")

    def __str__(self) -> str:
        return str(self.year)


class Indicator(models.Model):
    version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT,
                                related_name="indicators", verbose_name=_("version"))
    code = models.CharField(_("code"), max_length=32)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    definition = models.TextField(_("definition"), blank=True)
    unit = models.CharField(_("unit"), max_length=20)
    value_type = models.CharField(_("value type"), max_length=16, choices=ValueType.choices)
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=2)
    min_value = models.DecimalField(_("minimum"), max_digits=20, decimal_places=4,
                                    null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=20, decimal_places=4,
                                    null=True, blank=True)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    time_behaviour = models.CharField(_("time behaviour"), max_length=16,
                                      choices=TimeBehaviour.choices)
    aggregation = models.CharField(_("aggregation across zones"), max_length=16,
                                   choices=Aggregation.choices)
    weight_code = models.CharField(_("weight indicator"), max_length=32, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    disaggregation = models.CharField(_("disaggregation"), max_length=32, blank=True,
                                      choices=DISAGGREGATION_CHOICES)
    source = models.TextField(_("sources"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = SharedQuerySet.as_manager()

    EDITABLE_FIELDS = ("name_zh", "name_en", "definition", "unit", "value_type", "decimals",
                       "min_value", "max_value", "frequency", "time_behaviour", "aggregation",
                       "weight_code", "category", "direction", "disaggregation", "source",
                       "notes")

    class Meta:
        ordering = ["version", "position", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="indicator_code_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def is_cumulative(self) -> bool:
        return self.time_behaviour == TimeBehaviour.FLOW_YTD
