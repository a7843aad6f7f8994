"""Data quality: validation rules, outlier settings, the flags they raise, the reporters'
explanations (上报说明) and the bulk re-run jobs.

Flags are derived data: recomputed whenever a report's values, the rules or the outlier
settings change, and replaced wholesale for the reports checked. Explanations are the
reporters' words and are never replaced by a re-run: they are keyed by the cell
(report × indicator × breakdown member), not by the flag.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet, SharedQuerySet
from bianhe.audit.models import Source
from bianhe.quality.outliers import METHODS, OutlierSettings


class Severity(models.TextChoices):
    ERROR = "error", _("Error (blocks submission)")
    WARNING = "warning", _("Warning (submit with an explanation)")


class MissingPolicy(models.TextChoices):
    # DHIS2's missing value strategies, under the same names.
    SKIP_IF_ANY = "skip_if_any_missing", _("Skip when any value is missing")
    SKIP_IF_ALL = "skip_if_all_missing", _("Missing values count as 0; skip when all are missing")
    NEVER_SKIP = "never_skip", _("Missing values count as 0")


class Rule(models.Model):
    """``left OPERATOR right`` over indicator codes; see docs/quality-rules.md."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    expression = models.TextField(_("expression"))
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices,
                                default=Severity.WARNING)
    missing_policy = models.CharField(_("missing values"), max_length=32,
                                      choices=MissingPolicy.choices,
                                      default=MissingPolicy.SKIP_IF_ANY)
    #: Absolute, in the unit of the rule's figures; None derives it from their rounding
    #: (half a unit of the last decimal per term, see quality/tolerance.py).
    tolerance = models.FloatField(
        _("tolerance"), null=True, blank=True,
        help_text=_("The largest gap between the two sides still counted as equal, in the "
                    "unit of the figures (e.g. 0.15). Empty: half a unit of the last decimal "
                    "of each figure the rule reads, added up."))
    #: Frequencies the rule is checked at; empty means every frequency.
    frequencies = models.JSONField(_("period types"), default=list, blank=True)
    #: Provinces or zones the rule applies to; empty means every zone.
    scope_units = models.ManyToManyField("zones.OrgUnit", blank=True, related_name="+",
                                         verbose_name=_("applies to"))
    notes = models.TextField(_("basis"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("validation rule")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OutlierConfig(models.Model):
    """The outlier thresholds: one row (pk 1), edited by the ministry."""

    z_threshold = models.FloatField(_("z-score threshold"), default=3.0)
    modified_z_threshold = models.FloatField(_("modified z-score threshold"), default=3.5)
    yoy_threshold = models.FloatField(_("year-on-year score threshold"), default=3.5)
    yoy_min_change = models.FloatField(
        _("smallest year-on-year change judged"), default=0.5,
        help_text=_("0.5 means changes within ±50 % of the same period last year are never "
                    "flagged."))
    minmax_k = models.FloatField(_("min–max fence (IQR multiples)"), default=3.0)
    min_points = models.PositiveSmallIntegerField(_("history needed (values)"), default=8)
    seasonal_adjust = models.BooleanField(_("adjust for seasons"), default=True)
    methods = models.JSONField(_("methods"), default=list, blank=True)
    #: A value is an outlier when at least this many methods agree: one method alone
    #: flags lumpy series (investment, small counts) far too often to be worth a review.
    min_methods = models.PositiveSmallIntegerField(_("methods that must agree"), default=2)
    severity = models.CharField(_("severity of outliers"), max_length=16,
                                choices=Severity.choices, default=Severity.WARNING)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outlier settings")

    def __str__(self) -> str:
        return "outlier settings"

    @classmethod
    def current(cls) -> OutlierConfig:
        config, _created = cls.objects.get_or_create(pk=1)
        return config

    def settings(self) -> OutlierSettings:
        """These thresholds as the outlier methods take them (every method when none is
        chosen)."""
        return OutlierSettings(
            z_threshold=self.z_threshold, modified_z_threshold=self.modified_z_threshold,
            yoy_threshold=self.yoy_threshold, yoy_min_change=self.yoy_min_change,
            minmax_k=self.minmax_k, min_points=self.min_points,
            seasonal_adjust=self.seasonal_adjust,
            methods=tuple(self.methods) if self.methods else METHODS)


class Check(models.TextChoices):
    RULE = "rule", _("Validation rule")
    Z = "z", _("z-score")
    MODIFIED_Z = "modified_z", _("Modified z-score")
    YOY = "yoy", _("Year-on-year jump")
    MINMAX = "minmax", _("Outside the historical range")


class FlagQuerySet(RestrictedQuerySet):
    unit_path_lookup = "report__zone__path"


class Flag(models.Model):
    """A questionable value: a failed rule or an outlier, attached to one cell."""

    report = models.ForeignKey("reporting.Report", on_delete=models.CASCADE,
                               related_name="flags")
    indicator_code = models.CharField(_("indicator"), max_length=32)
    member = models.CharField(_("breakdown"), max_length=16, blank=True, default="")
    kind = models.CharField(_("check"), max_length=16, choices=Check.choices)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="flags")
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    # Rules: the two sides. Outliers: the value judged (a period flow for year-to-date
    # indicators), the method's score and the expected range.
    left = models.FloatField(null=True, blank=True)
    right = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    is_period_flow = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["report_id", "indicator_code", "member", "kind"]
        indexes = [models.Index(fields=["report", "indicator_code", "member"])]

    def __str__(self) -> str:
        return f"{self.indicator_code} {self.kind} {self.severity}"


class ExplanationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted by the reviewer")
    #: The value it explained was changed since: it explains nothing that exists any more.
    SUPERSEDED = "superseded", _("Superseded: the value was changed")


class ExplanationQuerySet(RestrictedQuerySet):
    unit_path_lookup = "report__zone__path"


class Explanation(models.Model):
    """The reporter's explanation of a flagged cell (上报说明), and the reviewer's verdict."""

    report = models.ForeignKey("reporting.Report", on_delete=models.PROTECT,
                               related_name="explanations")
    indicator_code = models.CharField(_("indicator"), max_length=32)
    member = models.CharField(_("breakdown"), max_length=16, blank=True, default="")
    text = models.TextField(_("explanation"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=150)
    written_at = models.DateTimeField(_("written"))
    status = models.CharField(_("status"), max_length=16, choices=ExplanationStatus.choices,
                              default=ExplanationStatus.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    objects = ExplanationQuerySet.as_manager()

    class Meta:
        ordering = ["report_id", "indicator_code", "member"]
        constraints = [models.UniqueConstraint(fields=["report", "indicator_code", "member"],
                                               name="one_explanation_per_cell")]

    def __str__(self) -> str:
        return f"{self.indicator_code}: {self.text[:40]}"


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class QualityRun(models.Model):
    """One bulk re-run of the checks over a period range, with its progress."""

    period_from = models.CharField(_("from"), max_length=8)
    period_to = models.CharField(_("to"), max_length=8)
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices,
                             default=JobState.QUEUED)
    steps_total = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    reports_checked = models.PositiveIntegerField(_("reports checked"), default=0)
    flags_found = models.PositiveIntegerField(_("flags"), default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150)
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quality run")

    def __str__(self) -> str:
        return f"{self.period_from}–{self.period_to} {self.state}"

    @property
    def percent(self) -> int:
        return int(100 * self.steps_done / self.steps_total) if self.steps_total else 0
