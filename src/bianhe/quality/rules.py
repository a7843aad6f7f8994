"""Validation rules: compiling the stored expressions against the catalogue, and the
default rule set shipped in ``data/rules.csv``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bianhe.catalog.disaggregations import members
from bianhe.catalog.models import Indicator
from bianhe.datafiles import read_csv_file
from bianhe.quality.expressions import ParsedRule, RuleError, parse_rule
from bianhe.quality.tolerance import effective_tolerance, rounding_units

DEFAULT_RULES = Path(__file__).parent / "data" / "rules.csv"
RULE_COLUMNS = ("code", "name", "expression", "severity", "missing_policy", "tolerance",
                "frequencies", "basis")


def catalogue_members() -> dict[str, tuple[str, ...]]:
    """Every indicator code of any catalogue year with its breakdown's members.

    Rules span years, so a code known in any year may be used; the newest year's
    breakdown wins when a code changed its breakdown.
    """
    found: dict[str, tuple[str, ...]] = {}
    for code, disaggregation in (Indicator.objects.order_by("version__year")
                                 .values_list("code", "disaggregation")):
        found[code] = tuple(m for m in members(disaggregation) if m)
    return found


@dataclass(frozen=True)
class CompiledRule:
    rule: object  # the Rule row
    parsed: ParsedRule
    anchor: tuple[str, str]  # the cell (indicator, member) a failure is shown beside
    scope_paths: tuple[str, ...]  # OrgUnit path prefixes; empty = every zone
    #: The absolute slack of the comparison: the rule's own, else the rounding of its terms.
    tolerance: float = 0.0


def anchor_of(parsed: ParsedRule, known: dict[str, tuple[str, ...]]) -> tuple[str, str]:
    """The first indicator the rule names, as a grid cell: the total row when it has one,
    else the first member of its breakdown."""
    for code in _codes_in_order(parsed):
        if not known.get(code):
            return code, ""
    code = _codes_in_order(parsed)[0]
    return code, known[code][0]


def _codes_in_order(parsed: ParsedRule) -> list[str]:
    seen: list[str] = []

    def walk(node) -> None:
        code = getattr(node, "code", None)
        if isinstance(code, str) and code not in seen:
            seen.append(code)
        for name in getattr(node, "__dataclass_fields__", {}):
            child = getattr(node, name)
            if isinstance(child, list | tuple):
                for item in child:
                    walk(item)
            elif hasattr(child, "__dataclass_fields__"):
                walk(child)

    walk(parsed.left)
    walk(parsed.right)
    return seen


def compile_rules(rules, known: dict[str, tuple[str, ...]] | None = None,
                  halves: dict[str, float] | None = None
                  ) -> tuple[list[CompiledRule], list[tuple[object, RuleError]]]:
    """Parse the active rules; a rule the catalogue no longer supports is returned apart,
    with its error, instead of stopping the run. ``halves`` is half a unit of each
    indicator's last decimal (read from the catalogue when not given)."""
    known = catalogue_members() if known is None else known
    halves = rounding_units() if halves is None else halves
    compiled, broken = [], []
    for rule in rules:
        try:
            parsed = parse_rule(rule.expression, indicators=known)
        except RuleError as exc:
            broken.append((rule, exc))
            continue
        paths = tuple(unit.path for unit in rule.scope_units.all())
        compiled.append(CompiledRule(rule, parsed, anchor_of(parsed, known), paths,
                                     effective_tolerance(rule, parsed, halves, known)))
    return compiled, broken


def read_default_rules(path: Path | str = DEFAULT_RULES) -> list[dict]:
    return read_csv_file(Path(path), RULE_COLUMNS)
