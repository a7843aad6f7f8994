"""Targets, progress and statuses in words, the same on pages, in exports and in notices.

A level is written with its unit ("1,200.0万元"), a growth target as bulletins write growth
("增长8.0%"), the plan's figure as the plan does ("年均增长8.0%", or its 2025 level), progress
as a percentage of the target, and differences of progress in 百分点.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bianhe import formatting
from bianhe.targets.progress import AHEAD, LAGGING, ON_TRACK

STATUS_LABELS = {AHEAD: gettext_lazy("ahead"), ON_TRACK: gettext_lazy("on track"),
                 LAGGING: gettext_lazy("lagging")}


def status_label(status: str) -> str:
    return str(STATUS_LABELS[status]) if status in STATUS_LABELS else formatting.MISSING


def target_words(kind: str, value, unit: str, decimals: int) -> str:
    """A target as set: "1,200.0万元" for a level, "增长8.0%" for a growth rate."""
    if not formatting.is_number(value):
        return formatting.MISSING
    if kind == "growth":
        return formatting.change(float(value))
    return formatting.with_unit(float(value), decimals, unit)


def plan_words(kind: str, value, unit: str, decimals: int) -> str:
    """The 14th Five-Year Plan figure: its 2025 level, or "年均增长8.0%"."""
    if not formatting.is_number(value) or not kind:
        return formatting.MISSING
    if kind == "growth":
        return _("average yearly %(change)s") % {"change": formatting.change(float(value))}
    return formatting.with_unit(float(value), decimals, unit)


def percent(share, decimals: int = 1) -> str:
    """A share as a percentage: 0.875 → "87.5%"; "—" when there is none."""
    if not formatting.is_number(share) or not math.isfinite(float(share)):
        return formatting.MISSING
    return f"{formatting.number(float(share) * 100, decimals)}%"


def target_text(item: dict, names: dict[str, str], units: dict[str, str]) -> str:
    """A recorded target (audit log): "进出口总额：增长8.0%（十四五：年均增长10.0%）"."""
    code = item.get("indicator", "")
    name = names.get(code, code)
    if "kind" not in item:
        return f"{name}：{formatting.MISSING}"
    unit = units.get(code, "")
    text = f"{name}：{target_words(item.get('kind'), item.get('value'), unit, 2)}"
    if item.get("fyp_2025_value") not in (None, ""):
        text += _(" (14th Five-Year Plan: %(figure)s)") % {"figure": plan_words(
            item.get("fyp_2025_kind", ""), item.get("fyp_2025_value"), unit, 2)}
    return text
