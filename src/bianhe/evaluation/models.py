"""Evaluation schemes (versioned index specs) and the runs that evaluate one year with them.

A :class:`Scheme` is the YAML text of an index spec for :mod:`bianhe.index` with the
platform's own keys (rationale, source, how each indicator is computed from accepted
statistics). A scheme used by a published run is frozen: saving changes to it makes the
next version. An :class:`EvaluationRun` keeps everything it computed from: the input table
(one row per zone, one column per indicator), the engine spec and a digest of the engine's
code, hashed together with SHA-256, so that a published run can be recomputed bit for bit
(``bianhe evaluation verify RUN``). Its per-zone results are :class:`ZoneResult` rows,
scoped through the zone like every other zone record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet, can, scope_paths
from bianhe.roles import Action


class SchemeQuerySet(RestrictedQuerySet):
    """Reference data: every role reads the schemes (they explain published results); only
    a role with ``change`` (the ministry administrator) edits them."""

    def restrict(self, user, action: str = Action.VIEW):
        return self.all() if can(user, action) else self.none()


class Scheme(models.Model):
    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    text = models.TextField(_("scheme (YAML)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchemeQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("evaluation scheme")
        constraints = [models.UniqueConstraint(fields=["code", "version"],
                                               name="one_scheme_version")]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    @property
    def is_frozen(self) -> bool:
        """Used by a published run: its text can no longer change."""
        return self.runs.filter(published_at__isnull=False).exists()


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Computed")
    FAILED = "failed", _("Failed")


class RunQuerySet(RestrictedQuerySet):
    """The ministry reads every run; provinces, zones and observers only published ones."""

    def restrict(self, user, action: str = Action.VIEW):
        if not can(user, action):
            return self.none()
        if scope_paths(user) is None:
            return self.all()
        if action != Action.VIEW:
            return self.none()
        return self.filter(published_at__isnull=False)


class EvaluationRun(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="runs")
    year = models.PositiveSmallIntegerField(_("year"))
    label = models.CharField(_("label"), max_length=100, blank=True,
                             help_text=_("What this run tries, e.g. a weight variant."))
    is_variant = models.BooleanField(_("variant"), default=False)
    replications = models.PositiveIntegerField(_("Monte-Carlo replications"), default=1000)
    seed = models.PositiveIntegerField(_("random seed"), default=0)
    sensitivity = models.BooleanField(_("Sobol indices per pillar"), default=False)
    #: Share of the indicators a zone needs accepted figures for to be ranked.
    min_coverage = models.FloatField(default=2 / 3)
    #: The scheme's engine spec as run; variants carry their changed weights here.
    spec = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=16, choices=RunState.choices,
                             default=RunState.QUEUED)
    error = models.TextField(blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    # The snapshot: columns, zone codes and values of the input table as computed.
    inputs = models.JSONField(default=dict, blank=True)
    input_hash = models.CharField(max_length=64, blank=True)
    engine_digest = models.CharField(max_length=64, blank=True)
    run_hash = models.CharField(max_length=64, blank=True)
    results_hash = models.CharField(max_length=64, blank=True)
    #: Run-wide results: audit, flags, medians, missing cells, pillar names, bands.
    summary = models.JSONField(default=dict, blank=True)
    is_demo = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-created_at", "-id"]
        verbose_name = _("evaluation run")
        constraints = [models.UniqueConstraint(
            fields=["year"], condition=models.Q(published_at__isnull=False),
            name="one_published_run_per_year")]

    def __str__(self) -> str:
        name = f"{self.year}年度综合评价"
        return f"{name}（{self.label}）" if self.label else name

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ZoneResultQuerySet(RestrictedQuerySet):
    unit_path_lookup = "zone__path"


class ZoneResult(models.Model):
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    zone = models.ForeignKey("zones.OrgUnit", on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(null=True)
    rank = models.PositiveIntegerField(null=True)
    rank_p5 = models.FloatField(null=True)
    rank_p95 = models.FloatField(null=True)
    rank_median = models.FloatField(null=True)
    previous_rank = models.PositiveIntegerField(null=True)
    #: node code → score / rank / contribution (points of the index score).
    pillars = models.JSONField(default=dict)
    contributions = models.JSONField(default=dict)
    #: indicator code → its normalised score (0–100), as the engine scored the input.
    indicators = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)  # indicator code → input value (None: missing)
    strengths = models.JSONField(default=list)
    weaknesses = models.JSONField(default=list)
    missing = models.JSONField(default=list)  # indicator codes missing and how handled
    movers = models.JSONField(default=list)  # [(code, change in contribution)] vs last year
    #: Not ranked: too few accepted figures (the reason, in the run's words); else "".
    not_ranked = models.CharField(max_length=200, blank=True)

    objects = ZoneResultQuerySet.as_manager()

    class Meta:
        ordering = ["rank", "zone__code"]
        constraints = [models.UniqueConstraint(fields=["run", "zone"],
                                               name="one_result_per_zone_and_run")]

    def __str__(self) -> str:
        return f"{self.run} {self.zone_id}"


class Visibility(models.TextChoices):
    FULL = "full", _("The full ranking table")
    OWN = "own", _("Their own rank and the medians only")


class EvaluationSettings(models.Model):
    """One row: what provinces, zones and observers see of published results."""

    visibility = models.CharField(_("what provinces and zones see"), max_length=8,
                                  choices=Visibility.choices, default=Visibility.OWN)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("evaluation settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> EvaluationSettings:
        return cls.objects.order_by("pk").first() or cls(visibility=Visibility.OWN)
