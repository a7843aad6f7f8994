"""The three-level workflow (三级联动) as data: the one table of who moves a report from which
status to which, the timestamp each move sets, which status each level's inbox shows, and
the verbs offered on lists of reports. Pages, actions and notices read it from here.

Each transition names the level that performs it. The rule "only the level that locked it
can reopen it" is the ``reopen_*`` rows: the zone withdraws its own submission, the
province undoes its approval, the ministry reopens its acceptance — each with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from bianhe.reporting.models import Status
from bianhe.roles import Action, Level, Role

ZONE, PROVINCE, MINISTRY = Level.ZONE, Level.PROVINCE, Level.MINISTRY

#: The level a role acts at in the workflow; other roles only read.
ROLE_LEVEL = {
    Role.ZONE_REPORTER: ZONE,
    Role.PROVINCE_REVIEWER: PROVINCE,
    Role.MINISTRY_ADMIN: MINISTRY,
}
#: The access action the level's transitions need over the report's zone.
LEVEL_ACTION = {ZONE: Action.REPORT, PROVINCE: Action.REVIEW, MINISTRY: Action.REVIEW}

#: The status of the reports waiting for each level: the zone's returned reports, the
#: province's submitted ones, the ministry's approved ones.
INBOX = {ZONE: Status.RETURNED, PROVINCE: Status.SUBMITTED, MINISTRY: Status.APPROVED}

#: The levels that review (judge reports other people filled in).
REVIEW_LEVELS = (PROVINCE, MINISTRY)


@dataclass(frozen=True)
class Transition:
    name: str
    label: object
    sources: frozenset[str]
    target: str
    level: str
    needs_reason: bool = False
    #: The report's timestamp field this move sets to now, if any.
    timestamp: str = ""
    #: A return to the zone: the reason is kept on the report and the returns counted.
    returns: bool = False


TRANSITIONS = {t.name: t for t in (
    Transition("submit", _("Submit"), frozenset({Status.DRAFT, Status.RETURNED}),
               Status.SUBMITTED, ZONE, timestamp="submitted_at"),
    Transition("withdraw", _("Withdraw the submission"), frozenset({Status.SUBMITTED}),
               Status.DRAFT, ZONE, needs_reason=True),
    Transition("approve", _("Approve"), frozenset({Status.SUBMITTED}), Status.APPROVED,
               PROVINCE, timestamp="approved_at"),
    Transition("return", _("Return to the zone"), frozenset({Status.SUBMITTED}),
               Status.RETURNED, PROVINCE, needs_reason=True, returns=True),
    Transition("unapprove", _("Undo the approval"), frozenset({Status.APPROVED}),
               Status.SUBMITTED, PROVINCE, needs_reason=True),
    Transition("accept", _("Accept"), frozenset({Status.APPROVED}), Status.ACCEPTED,
               MINISTRY, timestamp="accepted_at"),
    Transition("ministry_return", _("Return to the zone"), frozenset({Status.APPROVED}),
               Status.RETURNED, MINISTRY, needs_reason=True, returns=True),
    Transition("reopen", _("Reopen the accepted report"), frozenset({Status.ACCEPTED}),
               Status.APPROVED, MINISTRY, needs_reason=True),
)}

#: The verbs offered on lists of reports, per reviewing level: (pass on, send back). The
#: send-back carries one reason for all the reports chosen.
BULK = {PROVINCE: ("approve", "return"), MINISTRY: ("accept", "ministry_return")}
#: Every transition a list of reports may ask for.
BULK_TRANSITIONS = tuple(name for pair in BULK.values() for name in pair)


def level_of(user) -> str | None:
    """The workflow level this user acts at, or None for a role that only reads."""
    return ROLE_LEVEL.get(getattr(user, "role", None))


def inbox_status(user) -> str | None:
    """The status of the reports waiting for this user's level, or None."""
    return INBOX.get(level_of(user))


def available(user, report) -> list[Transition]:
    """Transitions this user's level may perform on the report in its current status."""
    level = level_of(user)
    return [t for t in TRANSITIONS.values()
            if t.level == level and report.status in t.sources]
