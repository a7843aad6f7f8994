"""Evaluating a parsed rule over a panel, for every zone and period at once.

Each node of the rule becomes a (zones, periods) float array. A node's value at column t is
its value *as of period t*, so time functions are shifts of their argument's array along the
time axis (``prev`` by one period, ``last_year`` by a year) and ``ytd`` is a cumulative sum
within each year; nested functions compose without any per-period loop.

Missing values follow one of DHIS2's missing value strategies, chosen per rule:

- ``skip_if_any_missing``: missing stays NaN and propagates, so the rule is skipped wherever
  any value it reads is missing;
- ``skip_if_all_missing``: missing counts as 0, and the rule is skipped only where every
  value it reads is missing;
- ``never_skip``: missing counts as 0.

Whatever the policy, a side that comes out NaN or infinite (a division by zero in the data) is
not judged, and neither is a zone × period with no value reported at all.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from bianhe.quality.expressions import Binary, Call, Node, Number, ParsedRule, Ref, Sum, Unary
from bianhe.quality.panel import Panel

MISSING_POLICIES = ("skip_if_any_missing", "skip_if_all_missing", "never_skip")

# Relative slack that absorbs floating-point noise (0.1 + 0.2 against 0.3) on top of the
# rule's own tolerance: a trillionth of the larger side, far below any reported decimal.
_EPSILON = 1e-12


@dataclass
class RuleOutcome:
    """Both sides per zone × period (meaningful where ``evaluated``), where the rule was
    applied, and where it failed (a subset of ``evaluated``)."""

    left: np.ndarray  # float (Z, T)
    right: np.ndarray  # float (Z, T)
    evaluated: np.ndarray  # bool (Z, T)
    failed: np.ndarray  # bool (Z, T)


def evaluate_rule(rule: ParsedRule, panel: Panel, *, missing: str = "skip_if_any_missing",
                  tolerance: float = 0.0) -> RuleOutcome:
    """Apply ``rule`` to every zone × period of ``panel``.

    ``tolerance`` is an absolute amount in the unit of the figures (0.15 for three terms
    rounded to one decimal; None is 0): two values at most that far apart count as equal,
    however large they are (see docs/quality-rules.md and :mod:`bianhe.quality.tolerance`).
    Raises ValueError for an unknown policy or a negative or non-finite tolerance only.
    """
    if missing not in MISSING_POLICIES:
        raise ValueError(f"unknown missing value policy {missing!r}")
    tolerance = 0.0 if tolerance is None else float(tolerance)
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"the tolerance must be a finite number ≥ 0, not {tolerance!r}")
    fill = np.nan if missing == "skip_if_any_missing" else 0.0
    values = _Values(panel, fill)
    with np.errstate(all="ignore"):
        left = np.array(values.of(rule.left), dtype=np.float64)
        right = np.array(values.of(rule.right), dtype=np.float64)
        evaluated = np.isfinite(left) & np.isfinite(right) & panel.present
        if missing == "skip_if_all_missing":
            reads = _Reads(panel)
            evaluated &= reads.of(rule.left) | reads.of(rule.right)
        failed = evaluated & ~_holds(rule.op, left, right, tolerance)
    return RuleOutcome(left=left, right=right, evaluated=evaluated, failed=failed)


def _holds(op: str, left: np.ndarray, right: np.ndarray, tolerance: float) -> np.ndarray:
    """The comparison, with values within the slack of each other counting as equal."""
    scale = np.maximum(np.abs(left), np.abs(right))
    slack = tolerance + _EPSILON * np.maximum(1.0, scale)
    difference = left - right
    if op == "==":
        return np.abs(difference) <= slack
    if op == "!=":
        return np.abs(difference) > slack
    if op == "<":
        return difference < -slack
    if op == "<=":
        return difference <= slack
    if op == ">":
        return difference > slack
    return difference >= -slack


def _shift(values: np.ndarray, periods: int, fill) -> np.ndarray:
    """The array as of ``periods`` earlier: column t takes column t - periods."""
    shifted = np.full_like(values, fill)
    if periods < values.shape[1]:
        shifted[:, periods:] = values[:, : values.shape[1] - periods]
    return shifted


def _within_years(values: np.ndarray, per_year: int, accumulate) -> np.ndarray:
    """Apply a cumulative operation along each year's periods (restarting every year)."""
    zones, periods = values.shape
    by_year = values.reshape(zones, periods // per_year, per_year)
    return accumulate(by_year, axis=2).reshape(zones, periods)


class _Values:
    """Node values as (Z, T) arrays; a missing value is ``fill`` (NaN, or 0 when counted as
    zero). Values depend on the node only, so equal sub-trees are computed once."""

    def __init__(self, panel: Panel, fill: float):
        self.panel = panel
        self.fill = fill
        self.cache: dict[Node, np.ndarray] = {}

    def of(self, node: Node) -> np.ndarray:
        if node not in self.cache:
            self.cache[node] = self.compute(node)
        return self.cache[node]

    def compute(self, node: Node) -> np.ndarray:
        panel, fill = self.panel, self.fill
        if isinstance(node, Number):
            return np.full(panel.shape, node.value)
        if isinstance(node, Ref):
            column = panel.column(node.code, node.member)
            return column if math.isnan(fill) else np.where(np.isnan(column), fill, column)
        if isinstance(node, Sum):
            total = np.zeros(panel.shape)
            reported = np.zeros(panel.shape, dtype=bool)
            for member in panel.members(node.code):
                column = panel.column(node.code, member)
                present = ~np.isnan(column)
                total += np.where(present, column, 0.0)
                reported |= present
            return np.where(reported, total, fill)
        if isinstance(node, Unary):
            return -self.of(node.operand)
        if isinstance(node, Binary):
            left, right = self.of(node.left), self.of(node.right)
            return {"+": np.add, "-": np.subtract, "*": np.multiply,
                    "/": np.divide}[node.op](left, right)
        return self.call(node)

    def call(self, node: Call) -> np.ndarray:
        per_year, fill = self.panel.periods_per_year, self.fill
        args = [self.of(arg) for arg in node.args]
        if node.name == "abs":
            return np.abs(args[0])
        if node.name in ("min", "max"):
            # np.minimum/np.maximum propagate NaN, so a missing argument stays missing.
            return functools.reduce(np.minimum if node.name == "min" else np.maximum, args)
        if node.name == "prev":
            return _shift(args[0], 1, fill)
        if node.name == "last_year":
            return _shift(args[0], per_year, fill)
        if node.name == "yoy":
            base = _shift(args[0], per_year, fill)
            return (args[0] - base) / np.abs(base)
        if node.name == "ytd":
            return _within_years(args[0], per_year, np.cumsum)
        raise ValueError(f"unknown function {node.name!r}")


class _Reads:
    """Where a node reads at least one reported value (for ``skip_if_all_missing``)."""

    def __init__(self, panel: Panel):
        self.panel = panel
        self.cache: dict[Node, np.ndarray] = {}

    def of(self, node: Node) -> np.ndarray:
        if node not in self.cache:
            self.cache[node] = self.compute(node)
        return self.cache[node]

    def compute(self, node: Node) -> np.ndarray:
        panel = self.panel
        if isinstance(node, Ref):
            return ~np.isnan(panel.column(node.code, node.member))
        if isinstance(node, Sum):
            reported = np.zeros(panel.shape, dtype=bool)
            for member in panel.members(node.code):
                reported |= ~np.isnan(panel.column(node.code, member))
            return reported
        found = np.zeros(panel.shape, dtype=bool)
        if isinstance(node, Unary):
            return self.of(node.operand)
        if isinstance(node, Binary):
            return self.of(node.left) | self.of(node.right)
        if not isinstance(node, Call):
            return found  # a constant reads nothing
        for arg in node.args:
            found = found | self.of(arg)
        per_year = panel.periods_per_year
        if node.name == "prev":
            return _shift(found, 1, False)
        if node.name == "last_year":
            return _shift(found, per_year, False)
        if node.name == "yoy":
            return found | _shift(found, per_year, False)
        if node.name == "ytd":
            return _within_years(found, per_year, np.logical_or.accumulate)
        return found
