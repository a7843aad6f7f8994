"""API authentication (personal tokens, or the browser session) and the /me route."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from bianhe.accounts.models import ApiToken

router = Router(tags=["accounts"])

# last_used_at is written at most this often, so a busy integration does not turn every
# read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer bh_…``; an unknown, revoked or expired token is a clear 401."""

    def authenticate(self, request, token):
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.digest_of(token))
            .first()
        )
        if found is None:
            raise AuthenticationError(401, _("The API token is not valid."))
        if found.revoked_at is not None:
            raise AuthenticationError(401, _("The API token has been revoked."))
        if found.is_expired:
            raise AuthenticationError(401, _("The API token has expired."))
        if not found.user.is_active:
            raise AuthenticationError(401, _("The account of this API token is disabled."))
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > _LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.api_token = found
        return found.user


class BrowserSession(SessionAuth):
    """The logged-in browser session; django-ninja checks CSRF on unsafe methods."""


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    scope: list[str]


@router.get("/me", response=MeOut, summary="The calling user, its role and scope")
def me(request):
    user = request.auth
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "scope": sorted(user.scope_units.values_list("code", flat=True)),
    }
