"""Every ``do_*`` action checks access and writes its audit row.

Read from the source with ``ast``, not imported: every module-level ``def do_*`` under
``src/bianhe`` (the apps' ``actions.py`` and any other module that defines one) must call

- an access check: ``require_right`` (the role's right), ``require`` or ``get_restricted``
  (the object within the scope); and
- the audit log's ``record``,

itself or through a function of the same module that it calls (``do_transition`` through
``_transition``, ``do_copy_version`` through ``do_create_version``). An action that does
neither in the usual way is listed in ``EXEMPT`` with the reason; a listed exemption that
is no longer needed fails too, so the list stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
ACCESS = frozenset({"require_right", "require", "get_restricted"})
AUDIT = frozenset({"record"})

#: "module.function" → {"access" | "audit": why the usual call is not needed}.
EXEMPT: dict[str, dict[str, str]] = {
    "bianhe.reporting.actions.do_save_values": {
        "access": "checked per row, not per call: ingest's zone check keeps only zones in "
                  "OrgUnit.objects.restrict(actor, Action.REPORT), and a row outside the "
                  "scope is a problem (nothing written), not a 404 for the whole batch",
        "audit": "the ingest writer records every changed cell in ValueChange and, for "
                 "Excel, CSV/JSON import and the API, one reporting.values.import audit row",
    },
}


def _called_names(function: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
    return names


def missing_checks(source: str) -> dict[str, set[str]]:
    """For each module-level ``do_*`` function in ``source``: which of "access" and
    "audit" it lacks (an empty set when it has both)."""
    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body
                 if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    calls = {name: _called_names(node) for name, node in functions.items()}

    def reaches(name: str, wanted: frozenset[str], seen: set[str]) -> bool:
        if name in seen:
            return False
        seen.add(name)
        found = calls[name]
        return bool(found & wanted) or any(
            reaches(other, wanted, seen) for other in found if other in functions)

    return {name: {kind for kind, wanted in (("access", ACCESS), ("audit", AUDIT))
                   if not reaches(name, wanted, set())}
            for name in functions if name.startswith("do_")}


def all_actions() -> dict[str, set[str]]:
    found = {}
    for path in sorted((SRC / "bianhe").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "def do_" not in source:
            continue
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        for name, lacking in missing_checks(source).items():
            found[f"{module}.{name}"] = lacking
    return found


def test_every_action_checks_access_and_writes_its_audit_row():
    actions = all_actions()
    assert len(actions) >= 15  # the walk found the apps' actions
    failures = [f"{name}: no {kind} check" if kind == "access" else f"{name}: no audit row"
                for name, lacking in sorted(actions.items())
                for kind in sorted(lacking - set(EXEMPT.get(name, {})))]
    assert not failures, "\n".join(failures)


def test_every_exemption_is_still_needed():
    actions = all_actions()
    stale = [f"{name}: {kind}" for name, kinds in EXEMPT.items() for kind in kinds
             if name not in actions or kind not in actions[name]]
    assert not stale, "exemptions no longer needed (remove them): " + ", ".join(stale)


@pytest.mark.parametrize(("body", "lacking"), [
    ("    obj.save()\n", {"access", "audit"}),
    ("    require_right(actor, Action.CHANGE)\n    obj.save()\n", {"audit"}),
    ("    obj.save()\n    record(actor=actor, action='x', obj=obj)\n", {"access"}),
    ("    require(Model.objects, actor, Action.CHANGE, obj)\n    record(actor=actor)\n",
     set()),
    ("    return _helper(actor, obj)\n", set()),  # through a function of the same module
])
def test_the_check_finds_an_action_that_forgets_either(body, lacking):
    source = ("def _helper(actor, obj):\n    obj = get_restricted(Model.objects, actor, pk=1)\n"
              "    record(actor=actor, action='x', obj=obj)\n\n\n"
              f"def do_new_thing(actor, obj):\n{body}")
    assert missing_checks(source) == {"do_new_thing": lacking}
