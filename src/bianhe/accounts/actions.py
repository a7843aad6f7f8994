"""State changes of accounts and tokens: checked, validated, saved and audited together."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import require, require_right
from bianhe.accounts.models import ApiToken, User
from bianhe.audit.actions import diff, record
from bianhe.audit.models import Source
from bianhe.roles import POLICIES, Action, Level, Role


def validate_scope(role: str, units) -> None:
    """Raise ValidationError unless ``units`` is a scope the role may hold."""
    if role not in Role.values:
        raise ValidationError(
            _("Unknown role %(role)s; choose one of %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)}
        )
    policy = POLICIES[role]
    units = list(units)
    label = Role(role).label
    if policy.scope_levels is None:
        if units:
            raise ValidationError(
                _("The role %(role)s sees every zone and takes no scope.") % {"role": label}
            )
        return
    if not policy.min_units <= len(units) <= policy.max_units:
        if policy.min_units == policy.max_units:
            message = _("The role %(role)s needs exactly %(n)d org unit(s) as its scope.")
        else:
            message = _(
                "The role %(role)s needs between %(min)d and %(max)d org units as its scope."
            )
        raise ValidationError(
            message % {"role": label, "n": policy.min_units, "min": policy.min_units,
                       "max": policy.max_units}
        )
    wrong = [unit for unit in units if unit.level not in policy.scope_levels]
    if wrong:
        levels = "、".join(str(Level(level).label) for level in sorted(policy.scope_levels))
        raise ValidationError(
            _("The role %(role)s must be scoped to the level %(level)s, not to %(unit)s.")
            % {"role": label, "level": levels, "unit": wrong[0].name_zh}
        )


def _user_state(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "scope": sorted(user.scope_units.values_list("code", flat=True)),
        "is_active": user.is_active,
    }


@transaction.atomic
def do_create_user(
    actor,
    *,
    username: str,
    password: str,
    role: str,
    scope_units=(),
    display_name: str = "",
    source: str = Source.WEB,
    ip_address: str | None = None,
    password_hash: str = "",
) -> User:
    """Create a user with a role and a scope.

    ``password_hash``: ``make_password(password)`` computed once by a caller creating
    several users that share one password (the demo users), since each hashing costs about
    a second; the caller vouches that it is the hash of ``password``, which is still
    validated.
    """
    require_right(actor, Action.ADMINISTER)
    scope_units = list(scope_units)
    validate_scope(role, scope_units)
    user = User(username=username, role=role, display_name=display_name)
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    if password_hash:
        identify_hasher(password_hash)  # ValueError unless an encoded hash
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    user.scope_units.set(scope_units)
    record(actor=actor, action="accounts.user.create", obj=user, after=_user_state(user),
           source=source, ip_address=ip_address)
    return user


@transaction.atomic
def do_update_user(
    actor,
    user: User,
    *,
    role: str | None = None,
    scope_units=None,
    display_name: str | None = None,
    is_active: bool | None = None,
    source: str = Source.WEB,
    ip_address: str | None = None,
) -> bool:
    require_right(actor, Action.ADMINISTER)
    require(User.objects, actor, Action.ADMINISTER, user)
    if actor is not None and actor.pk == user.pk and (is_active is False or (
            role is not None and role != user.role)):
        raise ValidationError(_("You cannot deactivate yourself or change your own role."))
    before = _user_state(user)
    new_role = role if role is not None else user.role
    new_scope = list(scope_units) if scope_units is not None else list(user.scope_units.all())
    validate_scope(new_role, new_scope)
    user.role = new_role
    if display_name is not None:
        user.display_name = display_name
    if is_active is not None:
        user.is_active = is_active
    user.full_clean(exclude=["password"])
    user.save()
    user.scope_units.set(new_scope)
    user.__dict__.pop("_bianhe_scope_paths", None)
    old, new = diff(before, _user_state(user))
    if not new:
        return False
    record(actor=actor, action="accounts.user.update", obj=user, before=old, after=new,
           source=source, ip_address=ip_address)
    return True


@transaction.atomic
def do_set_password(
    actor, user: User, password: str, *, source: str = Source.WEB,
    ip_address: str | None = None,
) -> None:
    """Set a password: users change their own, administrators reset others'."""
    if actor is not None and actor.pk != user.pk:
        require_right(actor, Action.ADMINISTER)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    # Never the password itself, nor its hash.
    record(actor=actor, action="accounts.user.set_password", obj=user, source=source,
           ip_address=ip_address)


@transaction.atomic
def do_create_api_token(
    actor,
    user: User,
    *,
    name: str,
    days: int | None = 90,
    source: str = Source.WEB,
    ip_address: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns it and the secret, which is shown once and never stored."""
    if actor is not None and actor.pk != user.pk:
        require_right(actor, Action.ADMINISTER)
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."))
    if days is not None and not 1 <= days <= 366:
        raise ValidationError(_("A token lives between 1 and 366 days."))
    secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        key_prefix=secret[:10],
        digest=ApiToken.digest_of(secret),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    record(actor=actor, action="accounts.token.create", obj=token,
           after={"user": user.username, "name": token.name, "key_prefix": token.key_prefix,
                  "expires_at": token.expires_at},
           source=source, ip_address=ip_address)
    return token, secret


@transaction.atomic
def do_revoke_api_token(
    actor, token: ApiToken, *, source: str = Source.WEB, ip_address: str | None = None
) -> None:
    require(ApiToken.objects, actor, Action.VIEW, token)
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(actor=actor, action="accounts.token.revoke", obj=token,
           after={"revoked_at": token.revoked_at}, source=source, ip_address=ip_address)
