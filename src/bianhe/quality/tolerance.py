"""A rule's tolerance (容差): the rounding of the figures it reads, as an absolute amount.

Every reported figure is rounded to its indicator's decimals, so it may be off by up to half a
unit of its last decimal (0.05 for one decimal). A relation between rounded figures can
therefore miss by at most the sum of those half-units over the terms it reads:
``EXPORT + IMPORT == TRADE_TOTAL`` with one decimal each may miss by 3 × 0.05 = 0.15 (万元),
whatever the size of the total. That sum is the tolerance a rule gets when none is set; a rule
may instead carry its own absolute amount. A share of the total is never used: at 3,000,000
万元 even 0.1 % would let a 3,000万元 gap through.

Only terms that are added up carry rounding through unchanged: a reference, ``sum()`` of a
breakdown (each member is rounded), ``+``, ``-``, unary minus, multiplication or division by a
constant, ``abs``, ``min``, ``max``, ``prev``, ``last_year`` and ``ytd`` (up to twelve terms). A
side that divides or multiplies figures, or uses ``yoy``, has no rounding bound of this kind
and gets none: such rules (``abs(yoy(GDP)) <= 50%``) compare with a threshold, not an identity.
Integer indicators (counts) are exact and carry no rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from bianhe.catalog.models import Indicator, ValueType
from bianhe.quality.expressions import Binary, Call, Node, Number, ParsedRule, Ref, Sum, Unary

#: Periods a ``ytd()`` may add up (a monthly year).
_YTD_TERMS = 12


def rounding_units() -> dict[str, float]:
    """Half a unit of the last decimal of every indicator code of any catalogue year.

    Where a code's decimals changed between years, the fewest decimals (the coarsest
    rounding) wins, so no year's figures fail on rounding alone.
    """
    found: dict[str, float] = {}
    for code, value_type, decimals in Indicator.objects.values_list("code", "value_type",
                                                                    "decimals"):
        half = 0.0 if value_type == ValueType.INTEGER else 0.5 * 10.0 ** -int(decimals)
        found[code] = max(found.get(code, 0.0), half)
    return found


def derived_tolerance(parsed: ParsedRule, halves: Mapping[str, float],
                      members: Mapping[str, tuple[str, ...]]) -> float:
    """The largest gap between the two sides that rounding of the terms alone explains.

    ``halves`` maps codes to half a unit of their last decimal (:func:`rounding_units`),
    ``members`` codes to their breakdown members. 0 when a side has no such bound.
    """
    left = _rounding(parsed.left, halves, members)
    right = _rounding(parsed.right, halves, members)
    if left is None or right is None:
        return 0.0
    return round(left + right, 12)


def _rounding(node: Node, halves, members) -> float | None:
    """The rounding a side can carry, or None when it has no additive bound."""
    if isinstance(node, Number):
        return 0.0
    if isinstance(node, Ref):
        return halves.get(node.code, 0.0)
    if isinstance(node, Sum):
        return halves.get(node.code, 0.0) * max(1, len(members.get(node.code, ())))
    if isinstance(node, Unary):
        return _rounding(node.operand, halves, members)
    if isinstance(node, Binary):
        left = _rounding(node.left, halves, members)
        right = _rounding(node.right, halves, members)
        if left is None or right is None:
            return None
        if node.op in "+-":
            return left + right
        if node.op == "*" and isinstance(node.left, Number):
            return abs(node.left.value) * right
        if node.op in "*/" and isinstance(node.right, Number) and node.right.value:
            factor = node.right.value if node.op == "*" else 1 / node.right.value
            return abs(factor) * left
        return None
    if isinstance(node, Call):
        args = [_rounding(arg, halves, members) for arg in node.args]
        if any(arg is None for arg in args):
            return None
        if node.name in ("abs", "prev", "last_year", "min", "max"):
            return max(args)
        if node.name == "ytd":
            return _YTD_TERMS * args[0]
    return None


def effective_tolerance(rule, parsed: ParsedRule, halves, members) -> float:
    """The rule's own absolute tolerance when set, else the derived one."""
    own = getattr(rule, "tolerance", None)
    if own is not None and math.isfinite(float(own)) and float(own) >= 0:
        return float(own)
    return derived_tolerance(parsed, halves, members)
