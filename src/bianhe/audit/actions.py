"""Writing audit rows. Call :func:`record` inside the transaction of the change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models

from bianhe.audit.models import AuditLog, Source

SYSTEM_ACTOR = "system"


def jsonable(value):
    """A JSON-safe copy of a field value: dates as ISO strings, decimals as strings."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Normalised, so that 0.76 read from a file equals 0.760 read from the database.
        return format(value.normalize(), "f")
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def snapshot(obj: models.Model, fields) -> dict:
    """The named fields of ``obj`` as a JSON-safe dict (foreign keys by their ``attname``)."""
    result = {}
    for name in fields:
        field = obj._meta.get_field(name)
        result[name] = jsonable(getattr(obj, field.attname))
    return result


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value changed, as (before, after)."""
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    source: str = Source.WEB,
    ip_address: str | None = None,
) -> AuditLog:
    if source not in Source.values:
        raise ValueError(f"unknown audit source {source!r}")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditLog.objects.create(
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else SYSTEM_ACTOR,
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        object_repr=object_repr[:200],
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        source=source,
        ip_address=ip_address,
    )


def client_ip(request) -> str | None:
    """The client's address, for the audit log and for login throttling.

    X-Forwarded-For is believed only as far as ``BIANHE_PROXY_COUNT`` trusted proxies
    appended to it; otherwise a client could name any address it likes.
    """
    proxies = settings.BIANHE_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def request_context(request, source: str = Source.WEB) -> dict:
    """The ``source`` and ``ip_address`` arguments of an action called from a request."""
    return {"source": source, "ip_address": client_ip(request)}
