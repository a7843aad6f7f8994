"""The one access mechanism: ``Model.objects.restrict(user, action)``.

Every page, API route, export and job asks a queryset for what ``user`` may do ``action``
on, and works only with what comes back. An object outside that set answers 404, never 403,
so that a user cannot even learn that another scope's object exists.

A user's reach is the union of the subtrees of its scope org units. Each org unit stores
its materialised path (``/MOFCOM/CN-XJ/BECZ-XJ-01/``), so a subtree is one indexed prefix
match and a scope of several units one ``OR`` of them — set-based, never a Python walk.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q
from django.http import Http404

from bianhe.roles import POLICIES, Action


class NotInScope(Http404):
    """The object does not exist for this user (it may exist for others)."""


def can(user, action: str) -> bool:
    """Whether the user's role allows ``action`` anywhere at all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    policy = POLICIES.get(user.role)
    return policy is not None and action in policy.actions


def require_right(actor, action: str) -> None:
    """Raise :class:`NotInScope` unless ``actor``'s role allows ``action`` at all.

    The one spelling of "needs right X", for actions and views alike; the object-level
    check is :func:`require` (or :func:`get_restricted`). ``actor=None`` is the platform
    itself (CLI, loaders, the demo), which may do anything. A view passes
    ``request.user``, never None: an anonymous visitor has no right.
    """
    if actor is not None and not can(actor, action):
        raise NotInScope


def scope_paths(user) -> list[str] | None:
    """Path prefixes of the user's scope units; None when the role sees the whole tree."""
    policy = POLICIES[user.role]
    if policy.scope_levels is None:
        return None
    cached = getattr(user, "_bianhe_scope_paths", None)
    if cached is None:
        cached = sorted(user.scope_units.values_list("path", flat=True))
        user._bianhe_scope_paths = cached
    return cached


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to one user's scope.

    Subclasses name the lookup from their model to ``OrgUnit.path`` in ``unit_path_lookup``;
    ``None`` marks a model that is not tied to an org unit, which only unrestricted roles
    (the ministry) see.
    """

    unit_path_lookup: str | None = None

    def restrict(self, user, action: str = Action.VIEW):
        if not can(user, action):
            return self.none()
        paths = scope_paths(user)
        if paths is None:
            return self.all()
        if self.unit_path_lookup is None or not paths:
            return self.none()
        lookup = f"{self.unit_path_lookup}__startswith"
        return self.filter(reduce(or_, (Q(**{lookup: path}) for path in paths)))


class SharedQuerySet(RestrictedQuerySet):
    """Reference data every role reads whole (the indicator catalogue, report forms).

    ``restrict`` still asks whether the role may do ``action`` at all: everyone may view,
    only roles with CHANGE may change.
    """

    def restrict(self, user, action: str = Action.VIEW):
        return self.all() if can(user, action) else self.none()


def get_restricted(queryset, user, action: str = Action.VIEW, **lookup):
    """The one object matching ``lookup`` within the user's scope, else :class:`NotInScope`."""
    try:
        return queryset.restrict(user, action).get(**lookup)
    except queryset.model.DoesNotExist:
        raise NotInScope from None


def require(queryset, user, action: str, obj) -> None:
    """Raise :class:`NotInScope` unless ``obj`` is within ``user``'s reach for ``action``.

    Actions call this first, so that a view, command or API route that forgot to restrict
    still cannot act outside the scope. ``user=None`` is the platform itself (CLI, loaders).
    """
    if user is None:
        return
    if not queryset.restrict(user, action).filter(pk=obj.pk).exists():
        raise NotInScope
