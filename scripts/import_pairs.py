"""The app-level import graph of ``src/bianhe``, read from the source with ``ast``.

Every ``import`` counts, at module level and inside functions alike: a function-level import
is still a dependency, only a later one. A module belongs to its app (``bianhe.quality.checks``
→ ``quality``); a module directly under ``bianhe/`` is a unit of its own (``periods``,
``access``, ``cli``); demo code belongs to ``demo`` wherever it lives.

Run it to see the pairs of units that import each other, in both directions, with every
import that makes each direction::

    python scripts/import_pairs.py            # pairs in both directions (none expected)
    python scripts/import_pairs.py --all      # every unit → unit edge, with its count

tests/test_layers.py uses the same functions to hold the source to the layers declared in
docs/architecture.md.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "bianhe"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

#: Demo code is its own unit wherever it sits (it is moving into ``bianhe.demo``).
DEMO_MODULES = ("bianhe.demo", "bianhe.reporting.demo", "bianhe.reporting.demo_values",
                "bianhe.quality.demo")


@dataclass(frozen=True)
class Import:
    module: str      # the importing module, bianhe.quality.checks
    target: str      # the imported module, bianhe.reporting.models
    line: int
    in_function: bool

    @property
    def where(self) -> str:
        return f"{self.module}:{self.line}{' (in a function)' if self.in_function else ''}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    name = ".".join(parts)
    return name.removesuffix(".__init__")


def unit_of(module: str) -> str:
    """The unit a module belongs to: its app, its own name directly under bianhe, or demo."""
    if any(module == demo or module.startswith(demo + ".") for demo in DEMO_MODULES):
        return "demo"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "bianhe"


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(package: Path = PACKAGE) -> list[Import]:
    """Every import of a bianhe module by a bianhe module (migrations left out)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # "from bianhe.x import y": y may be a module (bianhe.x.y) or a name in bianhe.x.
                targets = [f"{node.module}.{alias.name}"
                           if _is_module(f"{node.module}.{alias.name}") else node.module
                           for alias in node.names]
            else:
                continue
            for target in targets:
                if target == "bianhe" or target.startswith("bianhe."):
                    found.append(Import(module, target, node.lineno,
                                        id(node) not in top_level))
    return found


def unit_edges(found: list[Import] | None = None) -> dict[tuple[str, str], list[Import]]:
    """(importing unit, imported unit) → the imports that make that edge."""
    edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for item in imports() if found is None else found:
        source, target = unit_of(item.module), unit_of(item.target)
        if source != target and target != "bianhe":
            edges[(source, target)].append(item)
    return dict(edges)


def both_ways(edges: dict[tuple[str, str], list[Import]]) -> list[tuple[str, str]]:
    """Pairs of units that import each other, each pair once."""
    return sorted((a, b) for a, b in edges if a < b and (b, a) in edges)


def _declared_lines(text: str | None) -> dict[str, set[str]]:
    text = ARCHITECTURE.read_text(encoding="utf-8") if text is None else text
    match = re.search(r"<!-- layers -->\s*```[a-z]*\n(.*?)```", text, re.S)
    if match is None:
        raise ValueError("docs/architecture.md has no <!-- layers --> block")
    lines: dict[str, set[str]] = {}
    for raw in match.group(1).splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            unit, _colon, rest = line.partition(":")
            lines[unit.strip()] = set(rest.split())
    return lines


def foundation_units(text: str | None = None) -> set[str]:
    """The units of the declaration's ``foundation:`` line."""
    return _declared_lines(text).get("foundation", set())


def declared_layers(text: str | None = None) -> dict[str, set[str]]:
    """The allowed imports declared in docs/architecture.md: unit → units it may import.

    The block is the fenced one after the line ``<!-- layers -->``; each line is
    ``unit: other units``, ``#`` starts a comment, and ``foundation`` stands for the units of
    the ``foundation:`` line (which may import one another)."""
    allowed = _declared_lines(text)
    foundation = allowed.get("foundation", set())
    for unit in foundation:
        allowed.setdefault(unit, set()).update(foundation - {unit})
    for others in allowed.values():
        if "foundation" in others:
            others.discard("foundation")
            others.update(foundation)
    allowed.pop("foundation", None)
    return allowed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="list every unit → unit edge")
    args = parser.parse_args(argv)
    edges = unit_edges()
    if args.all:
        for (source, target), items in sorted(edges.items()):
            in_function = sum(1 for item in items if item.in_function)
            print(f"{source} → {target}: {len(items)} imports, {in_function} in functions")
    pairs = both_ways(edges)
    for a, b in pairs:
        print(f"{a} ↔ {b}")
        for item in edges[(a, b)] + edges[(b, a)]:
            print(f"    {item.where} imports {item.target}")
    if not pairs:
        print("No two units import each other.")
    return 1 if pairs else 0


if __name__ == "__main__":
    sys.exit(main())
