"""Template filters shared by every app's pages."""

import json
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def as_json(value) -> str:
    """A JSON value as readable text with Chinese kept as is (audit before/after)."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@register.filter
def plain_number(value) -> str:
    """A decimal without trailing zeros: 0.760 → 0.76, 5.000 → 5; empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
