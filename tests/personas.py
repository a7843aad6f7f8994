"""The people and org units every test talks about, in one place.

Each persona is a role with a scope chosen so that scopes differ in shape: a whole
province, one zone, and an observer holding a province plus a zone of another province.
The Guangxi reviewer is the reviewer of the Pingxiang reporter's own province: the other
side of every workflow test. Its scope has the shape of the Xinjiang reviewer's, so tests
that walk every scope shape walk :data:`SCOPE_SHAPES`, not every persona.
"""

from __future__ import annotations

from dataclasses import dataclass

from bianhe.accounts.actions import do_create_user
from bianhe.accounts.models import User
from bianhe.audit.models import Source
from bianhe.roles import Level, Role
from bianhe.zones.models import OrgUnit

PASSWORD = "Correct-horse-battery-9"


@dataclass(frozen=True)
class Persona:
    username: str
    role: str
    scope: tuple[str, ...]


PERSONAS = {
    "ministry_admin": Persona("ministry-admin", Role.MINISTRY_ADMIN, ()),
    "ministry_analyst": Persona("ministry-analyst", Role.MINISTRY_ANALYST, ()),
    "xinjiang_reviewer": Persona("xj-reviewer", Role.PROVINCE_REVIEWER, ("CN-XJ",)),
    "pingxiang_reporter": Persona("pingxiang-reporter", Role.ZONE_REPORTER, ("BECZ-GX-01",)),
    "northeast_observer": Persona("ne-observer", Role.OBSERVER, ("CN-LN", "BECZ-HL-01")),
    "guangxi_reviewer": Persona("gx-reviewer", Role.PROVINCE_REVIEWER, ("CN-GX",)),
}
#: One persona of each role and scope shape (the Guangxi reviewer repeats the Xinjiang one's).
SCOPE_SHAPES = ("ministry_admin", "ministry_analyst", "xinjiang_reviewer", "pingxiang_reporter",
                "northeast_observer")


def make_user(key: str) -> User:
    persona = PERSONAS[key]
    existing = User.objects.filter(username=persona.username).first()
    if existing:
        return existing
    units = list(OrgUnit.objects.filter(code__in=persona.scope))
    return do_create_user(None, username=persona.username, password=PASSWORD,
                          role=persona.role, scope_units=units, source=Source.CLI)


def visible_units(key: str) -> set[str]:
    """Codes of the units a persona reaches, computed independently of restrict()."""
    persona = PERSONAS[key]
    units = OrgUnit.objects.all()
    if not persona.scope:
        return set(units.values_list("code", flat=True))
    paths = [u.path for u in units.filter(code__in=persona.scope)]
    return {u.code for u in units if any(u.path.startswith(p) for p in paths)}


def hidden_markers(key: str) -> set[str]:
    """Codes and names of units the persona must never see in any response.

    The ancestors of its own units are left out: a zone's page may name its province.
    """
    visible = visible_units(key)
    ancestors = set()
    for unit in OrgUnit.objects.filter(code__in=visible):
        ancestors.update(part for part in unit.path.strip("/").split("/"))
    markers = set()
    for unit in OrgUnit.objects.exclude(code__in=visible | ancestors):
        markers.update({unit.code, unit.name_zh})
        if unit.name_en:
            markers.add(unit.name_en)
    return markers


def zone_outside(key: str) -> OrgUnit | None:
    visible = visible_units(key)
    return OrgUnit.objects.filter(level=Level.ZONE).exclude(code__in=visible).first()


def zone_inside(key: str) -> OrgUnit:
    visible = visible_units(key)
    return OrgUnit.objects.filter(level=Level.ZONE, code__in=visible).first()
