"""Template filters that turn stored codes into words: {% load readable %}."""

from django import template
from django.utils.translation import gettext as _

from bianhe.audit.actions import SYSTEM_ACTOR

register = template.Library()


@register.filter
def operator(name) -> str:
    """Who did something: a user name, or 系统 for the platform itself (never "system")."""
    return _("system") if not name or name == SYSTEM_ACTOR else str(name)
