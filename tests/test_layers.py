"""The layers of docs/architecture.md hold in the source: each unit imports only what its
line there allows (module-level and function-level imports alike), every unit of the source
is declared, and no two units import each other."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "import_pairs.py"
_spec = importlib.util.spec_from_file_location("import_pairs", _SCRIPT)
pairs = importlib.util.module_from_spec(_spec)
sys.modules["import_pairs"] = pairs
_spec.loader.exec_module(pairs)


@pytest.fixture(scope="module")
def edges():
    return pairs.unit_edges()


@pytest.fixture(scope="module")
def layers():
    return pairs.declared_layers()


def test_every_import_is_allowed_by_the_declared_layers(edges, layers):
    refused = [f"{source} → {target}: {item.where} imports {item.target}"
               for (source, target), items in sorted(edges.items())
               if target not in layers.get(source, set())
               for item in items]
    assert not refused, ("imports that docs/architecture.md (Layers) does not allow:\n"
                         + "\n".join(refused))


def test_every_unit_of_the_source_is_declared(edges, layers):
    units = {pairs.unit_of(item.module) for item in pairs.imports()}
    assert not units - set(layers) - {"bianhe"}, "declare these units in docs/architecture.md"


def test_no_two_units_import_each_other(edges):
    assert pairs.both_ways(edges) == []


def test_the_declared_layers_have_no_cycle(layers):
    """The declaration itself is a ladder: following "may import" never comes back."""
    foundation = pairs.foundation_units()
    assert foundation and foundation <= set(layers)

    def reaches(start, goal, seen):
        for other in layers.get(start, ()):
            if other == goal:
                return True
            if other not in seen:
                seen.add(other)
                if reaches(other, goal, seen):
                    return True
        return False

    looping = [unit for unit in layers if unit not in foundation
               and reaches(unit, unit, set(foundation))]
    assert looping == []


def test_a_function_level_import_up_the_layers_is_caught(tmp_path):
    """A check that could fail: an import hidden in a function still counts."""
    app = tmp_path / "bianhe" / "reporting"
    app.mkdir(parents=True)
    (tmp_path / "bianhe" / "__init__.py").write_text("")
    (app / "__init__.py").write_text("")
    (tmp_path / "bianhe" / "quality").mkdir()
    (tmp_path / "bianhe" / "quality" / "__init__.py").write_text("")
    (tmp_path / "bianhe" / "quality" / "checks.py").write_text("")
    (app / "views.py").write_text("def page():\n    from bianhe.quality.checks import x\n")
    original = pairs.PACKAGE
    pairs.PACKAGE = tmp_path / "bianhe"
    try:
        found = pairs.imports(tmp_path / "bianhe")
    finally:
        pairs.PACKAGE = original
    edges = pairs.unit_edges(found)
    assert [(item.module, item.target, item.in_function) for item in edges[
        ("reporting", "quality")]] == [("bianhe.reporting.views", "bianhe.quality.checks", True)]
    assert "quality" not in pairs.declared_layers()["reporting"]


def test_the_layers_block_is_parsed_with_its_foundation():
    text = ("<!-- layers -->\n```text\nfoundation: roles periods  # the base\n"
            "zones: foundation\nreporting: foundation zones\n```\n")
    assert pairs.declared_layers(text) == {
        "roles": {"periods"}, "periods": {"roles"},
        "zones": {"roles", "periods"}, "reporting": {"roles", "periods", "zones"}}
