"""Flags in words, in the reader's language, from the figures stored on them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bianhe.quality.models import Check, Flag


def number(value: float | None) -> str:
    """A figure as a reviewer reads it: thousands separated, at most 2 decimals."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def flag_text(flag: Flag) -> str:
    if flag.kind == Check.RULE:
        rule = flag.rule
        return _("%(name)s (%(expression)s): left side %(left)s, right side %(right)s.") % {
            "name": rule.name if rule else "", "expression": rule.expression if rule else "",
            "left": number(flag.left), "right": number(flag.right)}
    basis = _("this period's own flow (from the cumulative values)") if flag.is_period_flow \
        else _("the value")
    what = {
        Check.Z: _("z-score %(score)s"),
        Check.MODIFIED_Z: _("modified z-score %(score)s"),
        Check.YOY: _("year-on-year score %(score)s"),
        Check.MINMAX: _("%(score)s IQR outside the range learnt from earlier years"),
    }.get(flag.kind, "%(score)s") % {"score": number(flag.score)}
    return _("Unusual %(basis)s %(value)s: %(what)s; expected %(low)s to %(high)s.") % {
        "basis": basis, "value": number(flag.value), "what": what,
        "low": number(flag.low), "high": number(flag.high)}
