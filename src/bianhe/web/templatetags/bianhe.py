"""Template filters shared by every app's pages."""

import json
from decimal import Decimal

from django import template

from bianhe import formatting

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


# --- figures, changes, periods and dates: one spelling everywhere (bianhe.formatting) -------
@register.filter
def figure(value, decimals=0) -> str:
    """{{ value|figure:1 }} → 1,234.5; — when there is no figure."""
    return formatting.number(value, int(decimals))


@register.filter
def change_words(value, points=False) -> str:
    """{{ growth|change_words }} → 增长9.6%; {{ diff|change_words:True }} → 提高0.2个百分点."""
    return formatting.change(value, points=bool(points))


@register.filter
def period_label(code, cumulative=False) -> str:
    """{{ "2026M11"|period_label }} → 2026年11月; {{ code|period_label:True }} → 2026年1—11月."""
    return formatting.period_label(code, cumulative=bool(cumulative))


@register.filter
def date_zh(day) -> str:
    """{{ day|date_zh }} → 2026年12月10日."""
    return formatting.date_zh(day)
