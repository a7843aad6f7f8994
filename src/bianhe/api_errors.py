"""One stable, translated message per kind of API input error.

pydantic's own messages are English and change between releases; clients get a ``code``
they can rely on (the pydantic error type) and a ``message`` in the request's language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

_MESSAGES = {
    "missing": lambda ctx: _("This field is required."),
    "extra_forbidden": lambda ctx: _("This field is not accepted here."),
    "greater_than": lambda ctx: _("Must be greater than %(limit)s.") % {"limit": ctx.get("gt")},
    "greater_than_equal": lambda ctx: _("Must be at least %(limit)s.") % {"limit": ctx.get("ge")},
    "less_than_equal": lambda ctx: _("Must be at most %(limit)s.") % {"limit": ctx.get("le")},
    "string_too_short": lambda ctx: _("Too short."),
    "string_too_long": lambda ctx: _("Too long: at most %(limit)s characters.")
    % {"limit": ctx.get("max_length")},
    "enum": lambda ctx: _("Not one of the allowed values: %(values)s.")
    % {"values": ctx.get("expected")},
}


def _message(error: dict) -> str:
    kind = error.get("type", "")
    if kind in _MESSAGES:
        return _MESSAGES[kind](error.get("ctx") or {})
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return _("Wrong type: expected %(type)s.") % {"type": kind.split("_")[0]}
    return _("This value is not valid.")


def describe(errors: list[dict]) -> list[dict]:
    """``[{"field": "body.area_km2", "code": "greater_than", "message": "…"}]``."""
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "code": error.get("type", "invalid"),
            "message": _message(error),
        }
        for error in errors
    ]


def model_errors(exc, *, prefix: str) -> list[dict]:
    """A Django ValidationError from an action, in the same shape as :func:`describe`."""
    if hasattr(exc, "error_dict"):
        pairs = [(field, message) for field, messages in exc.message_dict.items()
                 for message in messages]
    else:
        pairs = [("__all__", message) for message in exc.messages]
    return [{"field": f"{prefix}.{field}", "code": "invalid", "message": message}
            for field, message in pairs]
