"""The three-level workflow (三级联动) as data: who moves a report from which status to which.

Each transition names the level that performs it. The rule "only the level that locked it
can reopen it" is the ``reopen_*`` rows: the zone withdraws its own submission, the
province undoes its approval, the ministry reopens its acceptance — each with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from bianhe.reporting.models import Status
from bianhe.roles import Action, Role

ZONE, PROVINCE, MINISTRY = "zone", "province", "ministry"

#: The level a role acts at in the workflow; other roles only read.
ROLE_LEVEL = {
    Role.ZONE_REPORTER: ZONE,
    Role.PROVINCE_REVIEWER: PROVINCE,
    Role.MINISTRY_ADMIN: MINISTRY,
}
#: The access action the level's transitions need over the report's zone.
LEVEL_ACTION = {ZONE: Action.REPORT, PROVINCE: Action.REVIEW, MINISTRY: Action.REVIEW}


@dataclass(frozen=True)
class Transition:
    name: str
    label: object
    sources: frozenset[str]
    target: str
    level: str
    needs_reason: bool = False


TRANSITIONS = {t.name: t for t in (
    Transition("submit", _("Submit"), frozenset({Status.DRAFT, Status.RETURNED}),
               Status.SUBMITTED, ZONE),
    Transition("withdraw", _("Withdraw the submission"), frozenset({Status.SUBMITTED}),
               Status.DRAFT, ZONE, needs_reason=True),
    Transition("approve", _("Approve"), frozenset({Status.SUBMITTED}), Status.APPROVED,
               PROVINCE),
    Transition("return", _("Return to the zone"), frozenset({Status.SUBMITTED}),
               Status.RETURNED, PROVINCE, needs_reason=True),
    Transition("unapprove", _("Undo the approval"), frozenset({Status.APPROVED}),
               Status.SUBMITTED, PROVINCE, needs_reason=True),
    Transition("accept", _("Accept"), frozenset({Status.APPROVED}), Status.ACCEPTED,
               MINISTRY),
    Transition("ministry_return", _("Return to the zone"), frozenset({Status.APPROVED}),
               Status.RETURNED, MINISTRY, needs_reason=True),
    Transition("reopen", _("Reopen the accepted report"), frozenset({Status.ACCEPTED}),
               Status.APPROVED, MINISTRY, needs_reason=True),
)}


def available(user, report) -> list[Transition]:
    """Transitions this user's level may perform on the report in its current status."""
    level = ROLE_LEVEL.get(getattr(user, "role", None))
    return [t for t in TRANSITIONS.values()
            if t.level == level and report.status in t.sources]
