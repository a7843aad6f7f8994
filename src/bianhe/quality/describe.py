"""Flags in words, in the reader's language, from the figures stored on them.

Two audiences: the zone's statistician gets one plain sentence per flagged cell
(:func:`cell_message`: "本月当期值117.30亿元，明显高于以往同期（通常12.50亿元—45.80亿元），
请核实或说明"); the reviewer can open the statistical detail of every flag
(:func:`flag_text`: the method, its score and threshold, the rule and both sides). Indicators
are always named, never given by code, and every figure is written by
:mod:`bianhe.formatting`.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from bianhe import formatting

# The names flags are written with: the reader's language.
from bianhe.catalog.readable import names_in_language as indicator_names
from bianhe.quality.models import Check, Flag, Severity

#: A comparison written for people, and the one a failed rule shows instead.
_SHOWN_OP = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}
_FAILED_OP = {"==": "≠", "!=": "=", "<=": ">", ">=": "<", "<": "≥", ">": "≤"}
_COMPARISON = re.compile(r"\s(==|!=|<=|>=|<|>)\s")
_TERM = re.compile(r"\bsum\(([A-Z][A-Z0-9_]*)\)|\b([A-Z][A-Z0-9_]*)(?:\[([A-Za-z0-9_]+)\])?")


def named(expression: str, names: dict[str, str]) -> str:
    """A rule's expression with indicator names for codes: "出口额 + 进口额 = 进出口总额"."""
    def term(match):
        if match[1]:
            return _("%(name)s (all breakdowns)") % {"name": names.get(match[1], match[1])}
        name = names.get(match[2], match[2])
        return f"{name}（{match[3]}）" if match[3] else name

    text = _TERM.sub(term, expression)
    for op, shown in _SHOWN_OP.items():
        text = text.replace(f" {op} ", f" {shown} ")
    return text.replace(" * ", " × ").replace(" / ", " ÷ ")


def _sides(expression: str) -> tuple[str, str, str] | None:
    match = _COMPARISON.search(expression)
    if match is None:
        return None
    return expression[:match.start()], match[1], expression[match.end():]


def _figure(value, indicator, *, yi: bool = False) -> str:
    if indicator is None:
        return formatting.number(value, 2)
    return formatting.with_unit(value, indicator.decimals, indicator.unit, yi=yi)


def _large(*values) -> bool:
    """Amounts of 10,000万元 and more are read in 亿元 (all figures of a sentence alike)."""
    return any(formatting.is_number(v) and abs(v) >= 10_000 for v in values)


def _ask(severity: str) -> str:
    return _("please correct it") if severity == Severity.ERROR else \
        _("please check it or explain it")


def rule_message(flag: Flag, indicator, names: dict[str, str]) -> str:
    """A failed rule as one sentence: "出口额 + 进口额（12,000.0万元）≠ 进出口总额
    （11,500.0万元），请更正"."""
    rule = flag.rule
    sides = _sides(rule.expression) if rule else None
    if sides is None:
        return _("%(rule)s does not hold, %(ask)s") % {
            "rule": rule.name if rule else "", "ask": _ask(flag.severity)}
    left, op, right = sides
    return _("%(left_side)s (%(left)s) %(op)s %(right_side)s (%(right)s), %(ask)s") % {
        "left_side": named(left, names), "left": _figure(flag.left, indicator),
        "op": _FAILED_OP[op], "right_side": named(right, names),
        "right": _figure(flag.right, indicator), "ask": _ask(flag.severity)}


def _basis(flag: Flag, period) -> str:
    frequency = getattr(period, "frequency", "")
    if flag.is_period_flow and frequency == "monthly":
        return _("This month's own figure")
    if flag.is_period_flow and frequency == "quarterly":
        return _("This quarter's own figure")
    if frequency == "annual":
        return _("This year's figure")
    return _("This period's figure")


def outlier_message(flags: list[Flag], indicator, period) -> str:
    """Outlier flags of one cell (the methods that agree) as one sentence."""
    first = flags[0]
    lows = [f.low for f in flags if f.low is not None]
    highs = [f.high for f in flags if f.high is not None]
    low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    value = first.value
    if value is not None and high is not None and value > high:
        comparison = _("well above the same period of earlier years")
    elif value is not None and low is not None and value < low:
        comparison = _("well below the same period of earlier years")
    else:
        comparison = _("unusual against the same period of earlier years")
    severity = Severity.ERROR if any(f.severity == Severity.ERROR for f in flags) \
        else Severity.WARNING
    yi = _large(value, low, high)
    if low is None or high is None:
        return _("%(basis)s %(value)s, %(comparison)s, %(ask)s") % {
            "basis": _basis(first, period), "value": _figure(value, indicator, yi=yi),
            "comparison": comparison, "ask": _ask(severity)}
    return _("%(basis)s %(value)s, %(comparison)s (usually %(low)s to %(high)s), "
             "%(ask)s") % {
        "basis": _basis(first, period), "value": _figure(value, indicator, yi=yi),
        "comparison": comparison, "low": _figure(low, indicator, yi=yi),
        "high": _figure(high, indicator, yi=yi), "ask": _ask(severity)}


def cell_message(quality, indicator, period, names: dict[str, str]) -> str:
    """One plain sentence for a flagged cell: its most serious failed rule, else what the
    outlier methods that agree found."""
    flags = sorted(quality.flags, key=lambda f: f.severity != Severity.ERROR)
    rules = [f for f in flags if f.kind == Check.RULE]
    if rules:
        return rule_message(rules[0], indicator, names)
    return outlier_message(flags, indicator, period)


def _threshold(flag: Flag, config) -> float | None:
    if config is None:
        return None
    return {Check.Z: config.z_threshold, Check.MODIFIED_Z: config.modified_z_threshold,
            Check.YOY: config.yoy_threshold, Check.MINMAX: config.minmax_k}.get(flag.kind)


def flag_text(flag: Flag, names: dict[str, str] | None = None, indicator=None,
              config=None) -> str:
    """One flag's statistical detail, for reviewers: the rule and its two sides, or the
    method, its score (and threshold) and the expected range."""
    names = indicator_names() if names is None else names
    if flag.kind == Check.RULE:
        rule = flag.rule
        difference = flag.left - flag.right if formatting.is_number(flag.left) and \
            formatting.is_number(flag.right) else None
        return _("Rule %(code)s %(name)s: %(expression)s; left side %(left)s, right side "
                 "%(right)s, difference %(difference)s.") % {
            "code": rule.code if rule else "", "name": rule.name if rule else "",
            "expression": named(rule.expression, names) if rule else "",
            "left": _figure(flag.left, indicator), "right": _figure(flag.right, indicator),
            "difference": _figure(difference, indicator)}
    basis = _("the period's own flow (from the year-to-date values)") if flag.is_period_flow \
        else _("the value")
    threshold = _threshold(flag, config)
    score = formatting.number(flag.score, 2)
    if threshold is not None:
        score = _("%(score)s (threshold %(threshold)s)") % {
            "score": score, "threshold": formatting.number(threshold, 1)}
    return _("%(method)s of %(basis)s %(value)s: %(score)s; expected %(low)s to %(high)s.") \
        % {"method": flag.get_kind_display(), "basis": basis,
           "value": _figure(flag.value, indicator), "score": score,
           "low": _figure(flag.low, indicator), "high": _figure(flag.high, indicator)}
