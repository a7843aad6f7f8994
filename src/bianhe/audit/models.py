"""The audit log: one append-only row per change that matters.

Rows are written explicitly by action functions, in the same transaction as the change they
describe (never by request signals, which miss the CLI and imports). They are never updated
or deleted by the platform.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet
from bianhe.roles import Action


class Source(models.TextChoices):
    WEB = "web", _("web")
    API = "api", _("API")
    CLI = "cli", _("command line")
    EXCEL = "excel", _("Excel upload")
    IMPORT = "import", _("CSV/JSON import")
    SYSTEM = "system", _("system")


class AppendOnlyError(Exception):
    """Someone tried to change or delete an audit row."""


class AuditLogQuerySet(RestrictedQuerySet):
    # Not tied to an org unit yet: only roles with the ADMINISTER action read it.
    unit_path_lookup = None

    def restrict(self, user, action: str = Action.VIEW):
        # Reading the log needs ADMINISTER; nothing else is ever done to it (append-only).
        if action != Action.VIEW:
            return self.none()
        return super().restrict(user, Action.ADMINISTER)

    def update(self, **kwargs):
        raise AppendOnlyError("audit rows are never updated")

    def delete(self):
        raise AppendOnlyError("audit rows are never deleted")


class AuditLog(models.Model):
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A copy, so the row still says who acted after the account is renamed or removed.
    actor_name = models.CharField(_("actor name"), max_length=150)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit rows are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit rows are never deleted")
