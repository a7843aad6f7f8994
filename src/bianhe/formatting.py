"""How every figure, change, period and date is written, in one place.

The entry grid, dashboards, pivot, profiles and exports all write numbers through this
module, so that a figure reads the same everywhere (GUIDE: Chinese statistical conventions):

* thousands separators always, the indicator's own decimals, rounded half up (四舍五入, as
  Excel shows it), never ``-0``;
* ``—`` for no figure, in pages and exports alike;
* 万元 amounts optionally shown in 亿元 (and 万美元 in 亿美元), with the unit changed to match;
* a change is written as bulletins write it: "增长9.6%" / "下降0.1%" for amounts, and for
  rates and ratios measured in percent a difference in 百分点: "提高0.15个百分点";
* periods as "2026年1—11月" / "2026年11月" / "2025年三季度", never their codes;
* dates inside sentences as "2026年12月10日".

Pure Python apart from gettext, so numeric modules and templates can both use it.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bianhe.periods import Period, PeriodError

MISSING = "—"
#: Units that can be shown in 亿 (10,000 万) on request, and what they become.
TEN_THOUSAND_UNITS = {"万元": "亿元", "万美元": "亿美元"}
#: Growth of amounts is given with one decimal (统计公报: "增长9.6%").
GROWTH_DECIMALS = 1


def is_number(value) -> bool:
    """True for a finite int, float or Decimal; False for None, NaN, inf and text."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, int | float):
        return math.isfinite(value)
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def rounded(value, decimals: int) -> Decimal:
    """``value`` rounded half up: 1500.25 → 1500.3 at one decimal; no ``-0``.

    >>> str(rounded(1500.25, 1)), str(rounded(-0.04, 1)), str(rounded(2.5, 0))
    ('1500.3', '0.0', '3')
    """
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    result = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return result if result != 0 else abs(result)


def number(value, decimals: int = 0) -> str:
    """A figure with thousands separators at ``decimals`` places; ``—`` when there is none.

    >>> number(1234567.891, 1), number(None), number(float("nan"), 2), number(-0.04, 1)
    ('1,234,567.9', '—', '—', '0.0')
    """
    if not is_number(value):
        return MISSING
    return f"{rounded(value, decimals):,.{decimals}f}"


def in_display_unit(value, unit: str, decimals: int, *, yi: bool = False
                    ) -> tuple[float | None, str, int]:
    """(value, unit, decimals) as shown: with ``yi`` a 万元 amount becomes 亿元.

    An amount in 亿 keeps two decimals (0.01亿元 = 100万元), as bulletins print it.

    >>> in_display_unit(123456.7, "万元", 1, yi=True)
    (12.34567, '亿元', 2)
    >>> in_display_unit(5.0, "%", 1, yi=True)
    (5.0, '%', 1)
    """
    if yi and unit in TEN_THOUSAND_UNITS:
        shown = float(value) / 10_000 if is_number(value) else None
        return shown, TEN_THOUSAND_UNITS[unit], 2
    return (float(value) if is_number(value) else None), unit, decimals


def with_unit(value, decimals: int, unit: str = "", *, yi: bool = False) -> str:
    """A figure followed by its unit: "1,234.5万元"; "—" alone when there is no figure.

    >>> with_unit(976168.0, 1, "万元"), with_unit(976168.0, 1, "万元", yi=True)
    ('976,168.0万元', '97.62亿元')
    >>> with_unit(None, 1, "万元")
    '—'
    """
    shown, shown_unit, places = in_display_unit(value, unit, decimals, yi=yi)
    if shown is None:
        return MISSING
    return f"{number(shown, places)}{shown_unit}"


def is_percent_unit(unit: str) -> bool:
    """A rate or ratio measured in percent changes in 百分点, never in percent of itself."""
    return unit.strip() in ("%", "％", "百分比")


def change(value, *, points: bool = False, decimals: int = GROWTH_DECIMALS) -> str:
    """A change written as bulletins write it.

    ``points=False``: a relative growth in percent — "增长9.6%", "下降0.1%", "持平".
    ``points=True``: a difference of two percentages — "提高0.15个百分点", "降低0.2个百分点".
    ``—`` when there is no figure. Rounding decides the word: −0.04 % at one decimal is 持平.
    """
    if not is_number(value):
        return MISSING
    shown = rounded(value, decimals)
    magnitude = f"{abs(shown):,.{decimals}f}"
    if shown == 0:
        return _("unchanged")
    if points:
        if shown > 0:
            return _("up %(points)s percentage points") % {"points": magnitude}
        return _("down %(points)s percentage points") % {"points": magnitude}
    if shown > 0:
        return _("up %(percent)s%%") % {"percent": magnitude}
    return _("down %(percent)s%%") % {"percent": magnitude}


def signed(value, *, points: bool = False, decimals: int = GROWTH_DECIMALS) -> str:
    """A change for a narrow table column, with its sign and unit: "9.6%", "-0.1%",
    "0.15个百分点"; ``—`` when there is none. Sentences use :func:`change`."""
    if not is_number(value):
        return MISSING
    shown = rounded(value, decimals)
    text = f"{shown:,.{decimals}f}"
    return _("%(points)s percentage points") % {"points": text} if points else f"{text}%"


def direction(value) -> str | None:
    """"up", "down" or "flat" for styling a change; None when there is no figure."""
    if not is_number(value):
        return None
    return "up" if value > 0 else "down" if value < 0 else "flat"


def period_label(period, *, cumulative: bool = False) -> str:
    """A period code or :class:`Period` as people read it: 2026年1—11月, 2025年三季度.

    ``cumulative`` is for year-to-date flows (1—N月累计). Text that is not a period code
    is returned as it is, so a template never shows an error instead of a label.

    >>> period_label("2026M11", cumulative=True), period_label("2025Q3"), period_label("2024")
    ('2026年1—11月', '2025年三季度', '2024年')
    """
    if isinstance(period, Period):
        return period.label(cumulative=cumulative)
    try:
        return Period.parse(str(period)).label(cumulative=cumulative)
    except PeriodError:
        return str(period)


def date_zh(day) -> str:
    """A date inside a Chinese sentence: 2026年12月10日 (no leading zeros); "" for None.

    >>> date_zh(dt.date(2026, 12, 1))
    '2026年12月1日'
    """
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.date()
    if (get_language() or "zh-hans").startswith("en"):
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def coverage(included: int, expected: int) -> str:
    """How many zones an aggregate covers: "18/20"."""
    return f"{int(included)}/{int(expected)}"
