"""The one job row: what runs in the background, for whom, and how far it has got."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet, can
from bianhe.audit.models import Source
from bianhe.roles import Action


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ACTIVE = (JobState.QUEUED, JobState.RUNNING)


class JobQuerySet(RestrictedQuerySet):
    """A job is its owner's: nobody else sees it, except the ministry's administrators."""

    def restrict(self, user, action: str = Action.VIEW):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if can(user, Action.ADMINISTER):
            return self.all()
        if not can(user, action):
            return self.none()
        return self.filter(owner=user)


class Job(models.Model):
    """One piece of work run by a worker (or in the foreground by the CLI).

    ``kind`` names a function registered in ``bianhe.jobs.registry``; ``params`` are its
    arguments; ``scope`` records the owner's scope units when it started (the work itself
    runs with the owner's reach, read again when it runs). Progress and ``heartbeat_at`` are
    written after each step, so a job whose worker died is recognised and marked failed.
    """

    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="jobs")
    actor_name = models.CharField(max_length=150)
    source = models.CharField(max_length=16, choices=Source.choices)
    scope = models.JSONField(default=list, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices,
                             default=JobState.QUEUED)
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="job_state_heartbeat")]

    def __str__(self) -> str:
        from bianhe.jobs.registry import kind_label

        return f"{kind_label(self.kind)} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE

    @property
    def percent(self) -> int:
        if not self.steps_total:
            return 100 if self.state == JobState.DONE else 0
        return min(100, int(100 * self.steps_done / self.steps_total))

    @property
    def file_path(self):
        """Where the job's output file lives (under BIANHE_HOME), or None."""
        if not self.file_name:
            return None
        return settings.BIANHE_JOB_FILES / str(self.pk) / self.file_name
