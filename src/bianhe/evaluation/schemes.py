"""Scheme text → engine spec, with every problem named by its line, in Chinese.

A scheme is an index spec of :mod:`bianhe.index` plus keys of the platform's own, which are
taken off before the engine sees the spec: ``rationale`` and ``source`` on any node,
``weights_rationale`` on a pillar, and on each indicator ``input`` (how its column is
computed from accepted statistics, :mod:`bianhe.evaluation.inputs`) and ``unit`` (the unit
of that column). :func:`parse` returns a :class:`ParsedScheme`; any problem raises
:class:`SchemeError` with the line it is on.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import numpy as np
import yaml
from django.utils.translation import gettext as _

from bianhe.index.errors import SpecError
from bianhe.index.spec import Spec, load_spec
from bianhe.index.weights import ahp_consistency

NODE_KEYS = ("rationale", "source", "weights_rationale", "input", "unit")
#: Top-level keys of the platform: the share of a scheme's indicators a zone needs accepted
#: figures for to be ranked at all (and at least one in every pillar).
TOP_KEYS = ("min_coverage",)
DEFAULT_MIN_COVERAGE = 2 / 3
MEASURES = ("value", "growth", "ratio", "neighbour_share", "target_completion",
            "reporting_score")
#: Measures that read a catalogue indicator (and, for ratios, a second one).
READS_INDICATOR = ("value", "growth", "ratio", "neighbour_share")
MAX_CR = 0.1
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SchemeError(ValueError):
    """A scheme that cannot be saved or run; ``line`` is 1-based, or None."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        self.message = message
        super().__init__(_("Line %(line)d: %(message)s") % {"line": line, "message": message}
                         if line else message)


@dataclass
class Node:
    """One node of the readable tree, with its weight within its parent."""

    code: str
    name: str
    weight: float | None  # share of its parent (sum 1 among siblings); None: data-driven
    overall: float | None  # share of the whole index
    rationale: str = ""
    source: str = ""
    weights_rationale: str = ""
    weight_method: str = ""
    consistency_ratio: float | None = None
    input: dict = field(default_factory=dict)
    unit: str = ""
    direction: int = 1
    children: list[Node] = field(default_factory=list)
    depth: int = 0

    @property
    def is_indicator(self) -> bool:
        return not self.children


@dataclass
class ParsedScheme:
    raw: dict           # the scheme as written (platform keys included)
    engine: dict        # what the engine gets
    spec: Spec
    tree: Node
    lines: dict[str, int]  # node code → line

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def min_coverage(self) -> float:
        return float(self.raw.get("min_coverage", DEFAULT_MIN_COVERAGE))

    @property
    def description(self) -> str:
        return str(self.raw.get("description") or "")

    def leaves(self) -> list[Node]:
        out, stack = [], [self.tree]
        while stack:
            node = stack.pop()
            if node.is_indicator:
                out.append(node)
            stack.extend(reversed(node.children))
        return out

    def pillars(self) -> list[Node]:
        return list(self.tree.children)

    def indicator_codes(self) -> set[str]:
        """Catalogue indicators the scheme reads."""
        codes = set()
        for leaf in self.leaves():
            if leaf.input.get("measure") in READS_INDICATOR:
                codes.add(leaf.input["indicator"])
                if leaf.input.get("per"):
                    codes.add(leaf.input["per"])
        return codes


def parse(text: str) -> ParsedScheme:
    """Parse and check a scheme; SchemeError (with the line) on the first problem."""
    try:
        composed = yaml.compose(text, Loader=_Loader)
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SchemeError(_("not valid YAML (%(problem)s)") % {"problem": problem},
                          mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict):
        raise SchemeError(_("a scheme is a mapping with an index tree"), 1)
    lines = _code_lines(composed)
    root = raw.get("index")
    if not isinstance(root, dict):
        raise SchemeError(_("the scheme needs an \"index\" tree (the nodes form is not "
                            "accepted for schemes)"), 1)
    _check_platform_keys(root, lines, top=True)
    _check_coverage(raw.get("min_coverage", DEFAULT_MIN_COVERAGE), text)
    engine = strip(raw)
    _check_ahp(root, lines)
    try:
        spec = load_spec(engine)
    except SpecError as exc:
        raise SchemeError(_("the index engine cannot use this scheme: %(problem)s")
                          % {"problem": exc}, _line_of(exc.where, lines)) from None
    return ParsedScheme(raw=raw, engine=engine, spec=spec, tree=_tree(root, spec), lines=lines)


def strip(raw: dict) -> dict:
    """The engine spec: the scheme without the platform's keys below the top level."""
    engine = copy.deepcopy(raw)
    for key in TOP_KEYS:
        engine.pop(key, None)

    def walk(node: dict) -> None:
        for key in NODE_KEYS:
            node.pop(key, None)
        for child in node.get("children") or []:
            if isinstance(child, dict):
                walk(child)

    if isinstance(engine.get("index"), dict):
        walk(engine["index"])
    return engine


def _check_coverage(value, text: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        line = next((i for i, row in enumerate(text.splitlines(), 1)
                     if row.startswith("min_coverage")), None)
        raise SchemeError(_("min_coverage is the share of the indicators a zone needs figures "
                            "for to be ranked: a number above 0 and at most 1"), line)


def _code_lines(node, out: dict[str, int] | None = None) -> dict[str, int]:
    """Line (1-based) of every ``code:`` value in the composed YAML tree."""
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "code" and isinstance(value, yaml.ScalarNode):
                out.setdefault(str(value.value), value.start_mark.line + 1)
            _code_lines(value, out)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _code_lines(item, out)
    return out


def _line_of(where: str, lines: dict[str, int]) -> int | None:
    """The line of the last node code named in an engine message's ``where``."""
    found = None
    for token in re.split(r"[./\s:→>\[\]]+", str(where)):
        if token in lines:
            found = lines[token]
    return found


def _check_platform_keys(node: dict, lines: dict[str, int], *, top: bool = False) -> None:
    code = str(node.get("code", ""))
    line = lines.get(code)
    children = node.get("children")
    if children:
        if "input" in node:
            raise SchemeError(_("%(code)s has children, so it takes no \"input\"")
                              % {"code": code}, line)
        for child in children:
            if isinstance(child, dict):
                _check_platform_keys(child, lines)
        return
    if top:
        return
    spec = node.get("input")
    if not isinstance(spec, dict):
        raise SchemeError(_("indicator %(code)s needs an \"input\" saying how it is computed "
                            "(measure: %(measures)s)")
                          % {"code": code, "measures": ", ".join(MEASURES)}, line)
    measure = spec.get("measure")
    if measure not in MEASURES:
        raise SchemeError(_("indicator %(code)s: unknown measure \"%(measure)s\" (use one of "
                            "%(measures)s)") % {"code": code, "measure": measure,
                                                "measures": ", ".join(MEASURES)}, line)
    if measure in READS_INDICATOR and not spec.get("indicator"):
        raise SchemeError(_("indicator %(code)s: the measure \"%(measure)s\" needs the "
                            "catalogue \"indicator\" it reads") % {"code": code,
                                                                  "measure": measure}, line)
    if measure in ("ratio", "neighbour_share") and not spec.get("per"):
        raise SchemeError(_("indicator %(code)s: the measure \"%(measure)s\" needs \"per\", "
                            "the indicator it is divided by") % {"code": code,
                                                                "measure": measure}, line)
    unknown = set(spec) - {"measure", "indicator", "per", "scale"}
    if unknown:
        raise SchemeError(_("indicator %(code)s: unknown input key(s) %(keys)s")
                          % {"code": code, "keys": ", ".join(sorted(map(str, unknown)))}, line)


def _check_ahp(node: dict, lines: dict[str, int]) -> None:
    """CR ≥ 0.1 refused here in Chinese, with the pillar and its line (the engine refuses
    it too, in its own words)."""
    weights = node.get("weights")
    if isinstance(weights, dict) and weights.get("method") == "ahp":
        try:
            matrix = np.array([[_judgement(v) for v in row] for row in weights["matrix"]])
            cr = ahp_consistency(matrix)
        except (SpecError, TypeError, ValueError, KeyError):
            cr = None  # the engine names the malformed matrix
        if cr is not None and cr >= MAX_CR:
            code = str(node.get("code", ""))
            raise SchemeError(
                _("the AHP judgements of %(code)s are inconsistent: consistency ratio "
                  "CR = %(cr)s, it must be below 0.10; revise the pairwise comparisons")
                % {"code": code, "cr": f"{cr:.3f}"}, lines.get(code))
    for child in node.get("children") or []:
        if isinstance(child, dict):
            _check_ahp(child, lines)


def _judgement(value) -> float:
    if isinstance(value, str) and "/" in value:
        top, bottom = value.split("/", 1)
        return float(top) / float(bottom)
    return float(value)


def _tree(raw: dict, spec: Spec) -> Node:
    """The readable tree: names, weights within the parent and of the whole, rationales."""

    def build(raw_node: dict, engine_node, share: float | None, overall: float | None,
              depth: int) -> Node:
        node = Node(code=engine_node.code, name=engine_node.name or engine_node.code,
                    weight=share, overall=overall,
                    rationale=str(raw_node.get("rationale") or "").strip(),
                    source=str(raw_node.get("source") or "").strip(),
                    weights_rationale=str(raw_node.get("weights_rationale") or "").strip(),
                    input=dict(raw_node.get("input") or {}),
                    unit=str(raw_node.get("unit") or ""),
                    direction=getattr(engine_node, "direction", 1), depth=depth)
        if engine_node.is_indicator:
            return node
        weights, method, cr = child_weights(engine_node)
        node.weight_method, node.consistency_ratio = method, cr
        raw_children = [c for c in raw_node.get("children") or [] if isinstance(c, dict)]
        for i, (raw_child, child) in enumerate(zip(raw_children, engine_node.children,
                                                   strict=True)):
            w = None if weights is None else float(weights[i])
            node.children.append(build(raw_child, child, w,
                                       None if w is None or overall is None else overall * w,
                                       depth + 1))
        return node

    return build(raw, spec.root, 1.0, 1.0, 0)


def child_weights(node) -> tuple[np.ndarray | None, str, float | None]:
    """The children's weights (sum 1) as the scheme fixes them, the method, and the AHP
    consistency ratio; None for methods whose weights come from the data."""
    method = node.weights.get("method", "children")
    n = len(node.children)
    if method == "equal":
        return np.full(n, 1.0 / n), method, None
    if method == "explicit":
        w = np.asarray(node.weights["values"], float)
        return w / w.sum(), method, None
    if method == "children":
        w = np.array([c.weight if c.weight is not None else 1.0 for c in node.children])
        return w / w.sum(), method, None
    if method == "ahp":
        from bianhe.index.weights import ahp

        w, cr = ahp(node.weights["matrix"])
        return np.asarray(w, float), method, float(cr)
    return None, method, None
