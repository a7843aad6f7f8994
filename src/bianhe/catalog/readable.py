"""Codes turned into the words people read: indicator names, frequencies, outlier methods,
period pickers. Pages use these instead of showing stored codes (GUIDE: never show codes)."""

from __future__ import annotations

import re

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bianhe.catalog.disaggregations import member_label
from bianhe.catalog.models import CatalogVersion, Frequency, Indicator
from bianhe.formatting import period_label
from bianhe.periods import Period, PeriodError

#: An indicator code (TRADE_TOTAL, EXPORT, GDP) in an expression or in Chinese text, where
#: it may touch a Chinese character ("与TRADE_TOTAL的"), which \b would miss.
CODE = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_])")

OUTLIER_METHODS = {
    "z": _("z-score (distance from the mean in standard deviations)"),
    "modified_z": _("modified z-score (distance from the median, robust)"),
    "yoy": _("year-on-year change compared with other zones"),
    "minmax": _("outside the range of earlier years"),
}


def indicator_names(year: int | None = None) -> dict[str, dict]:
    """code → {"name": 中文名, "disaggregation": …} from the newest catalogue (or ``year``'s)."""
    versions = CatalogVersion.objects.order_by("-year")
    if year is not None and versions.filter(year=year).exists():
        versions = versions.filter(year=year)
    version = versions.first()
    if version is None:
        return {}
    names = {}
    # Older years first, so that the chosen year's names win and retired codes still read.
    for code, name, disaggregation in (
            Indicator.objects.filter(version__year__lte=version.year)
            .order_by("version__year").values_list("code", "name_zh", "disaggregation")):
        names[code] = {"name": name, "disaggregation": disaggregation}
    return names


def indicator_label(code: str, member: str = "", names: dict | None = None) -> str:
    """"进出口总额" or "进出口总额（俄罗斯）"; the code only for an indicator nobody knows."""
    names = indicator_names() if names is None else names
    entry = names.get(code)
    name = entry["name"] if entry else code
    if member:
        label = member_label(entry["disaggregation"] if entry else "", member)
        return f"{name}（{label}）"
    return name


#: The functions of the rule language (quality.expressions), in words.
FUNCTION_WORDS = {"abs": _("absolute value"), "min": _("smallest of"), "max": _("largest of"),
                  "sum": _("sum of"), "prev": _("previous period"),
                  "last_year": _("same period last year"), "yoy": _("year-on-year change"),
                  "ytd": _("year to date")}
FUNCTION = re.compile(r"\b(" + "|".join(FUNCTION_WORDS) + r")\s*\(")


def expression_in_words(expression: str, names: dict) -> str:
    """A rule's expression with each indicator code replaced by its name and each function
    by its word: "sum(TRADE_BY_PARTNER) == TRADE_TOTAL" → "合计(分国别（地区）进出口额) == …"."""
    text = CODE.sub(lambda m: names[m.group(0)]["name"] if m.group(0) in names
                    else m.group(0), expression)
    return FUNCTION.sub(lambda m: f"{FUNCTION_WORDS[m.group(1)]}(", text)


def frequency_labels(codes) -> str:
    """["monthly", "quarterly"] → "月度、季度" in the reader's language."""
    labels = dict(Frequency.choices)
    return "、".join(str(labels.get(code, code)) for code in codes)


def period_choices(codes, *, cumulative: bool = False) -> list[tuple[str, str]]:
    """(code, label) pairs, newest first, for a period picker; unparsable codes dropped."""
    periods = []
    for code in set(codes):
        try:
            periods.append(Period.parse(code))
        except PeriodError:
            continue
    return [(p.code, period_label(p, cumulative=cumulative))
            for p in sorted(periods, reverse=True)]


def months_between(first: Period, last: Period) -> list[Period]:
    """Every month from ``first`` to ``last``, newest first (the re-run range pickers)."""
    result = []
    period = last
    while not period < first:
        result.append(period)
        period = period.previous()
    return result


def names_in_language() -> dict[str, str]:
    """Every indicator code with its name in the reader's language (newest catalogue wins)."""
    english = (get_language() or "").startswith("en")
    names = {}
    for code, zh, en in Indicator.objects.order_by("version__year").values_list(
            "code", "name_zh", "name_en"):
        names[code] = (en or zh) if english else zh
    return names
