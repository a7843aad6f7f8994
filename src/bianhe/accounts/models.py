"""People, their role and scope, and their personal API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet, can
from bianhe.roles import Action, Role


class UserQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = Action.VIEW):
        # Accounts are administered by the ministry only; everyone else sees no list. The
        # role needs ``action`` itself as well as ADMINISTER.
        if not can(user, action):
            return self.none()
        return super().restrict(user, Action.ADMINISTER)


class BianheUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    # The org units whose subtrees the user reaches; empty for ministry roles. Which levels
    # and how many are allowed per role is in bianhe.roles.POLICIES.
    scope_units = models.ManyToManyField(
        "zones.OrgUnit", verbose_name=_("scope"), blank=True, related_name="+"
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    objects = BianheUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def can(self, action: str) -> bool:
        return can(self, action)


class ApiTokenQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = Action.VIEW):
        # A token is its owner's; the ministry administrator sees every token's metadata.
        # Owners manage (revoke) their tokens with VIEW, the right every role has.
        if not can(user, action):
            return self.none()
        if can(user, Action.ADMINISTER):
            return self.all()
        return self.filter(user=user)

    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal token for integrations. Only a SHA-256 digest of the secret is stored."""

    PREFIX = "bh_"

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the token, shown so the owner can tell tokens apart.
    key_prefix = models.CharField(_("key prefix"), max_length=16)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        # Tokens are 256-bit random strings, so a plain SHA-256 is enough: there is no
        # dictionary to attack, and a constant-cost lookup by digest keeps auth O(1).
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
