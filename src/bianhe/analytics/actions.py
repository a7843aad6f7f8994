"""Saving and deleting pivot views: one transaction each, with its audit row.

A view stores the query as flat parameters (:meth:`Query.as_params`), the form the pivot
page reads, so a saved view opens through the same parser as a typed URL. Saving under a
name the owner already uses changes that view. Only the owner deletes a view; for anybody
else it does not exist.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bianhe.access import NotInScope, require, require_right
from bianhe.analytics.models import SavedView
from bianhe.analytics.query import Query
from bianhe.analytics.scopes import scope_key
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.roles import Action

NAME_MAX = 100
VIEW_FIELDS = ("name", "query", "is_shared", "scope_key")


def _state(view: SavedView) -> dict:
    return {name: getattr(view, name) for name in VIEW_FIELDS}


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [_("Give the view a name.")]})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": [_("A view's name has at most %(count)d characters.")
                                        % {"count": NAME_MAX}]})
    return name


@transaction.atomic
def do_save_view(actor, name: str, query: Query, is_shared: bool, *,
                 source: str = Source.WEB, ip_address: str | None = None) -> SavedView:
    """Save ``query`` under ``name`` for ``actor`` (changing the view of that name if the
    actor has one). ValidationError for a missing or too long name."""
    require_right(actor, Action.VIEW)
    name = clean_name(name)
    view = SavedView.objects.select_for_update().filter(owner=actor, name=name).first()
    before = _state(view) if view is not None else None
    if view is None:
        view = SavedView(owner=actor, name=name)
    view.query = query.as_params()
    view.is_shared = bool(is_shared)
    view.scope_key = scope_key(actor)
    view.save()
    record(actor=actor, action="analytics.view.save", obj=view, before=before,
           after=_state(view), source=source, ip_address=ip_address)
    return view


@transaction.atomic
def do_delete_view(actor, view: SavedView, *, source: str = Source.WEB,
                   ip_address: str | None = None) -> None:
    """Delete ``view``; only its owner may (for others it does not exist)."""
    if actor is None:  # a saved view is a person's: the platform has none to delete
        raise NotInScope
    require(SavedView.objects, actor, Action.CHANGE, view)
    before = _state(view)
    record(actor=actor, action="analytics.view.delete", obj=view, before=before,
           source=source, ip_address=ip_address)
    view.delete()
