"""Who moves a target set from which status to which: the one table pages and actions read.

Proposing targets is the zone's (its ``report`` right), deciding on them the province's
(its ``review`` right over its zones). The ministry reads every set and decides none: the
notice makes the province responsible for guiding its zones' targets. The levels are those
of the reporting workflow (:data:`bianhe.reporting.workflow.ROLE_LEVEL`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bianhe.reporting.workflow import LEVEL_ACTION, PROVINCE, ZONE, Transition, level_of
from bianhe.targets.models import SetStatus

TRANSITIONS = {t.name: t for t in (
    Transition("submit", _("Submit the targets"), frozenset({SetStatus.DRAFT,
                                                             SetStatus.RETURNED}),
               SetStatus.SUBMITTED, ZONE),
    Transition("approve", _("Approve the targets"), frozenset({SetStatus.SUBMITTED}),
               SetStatus.APPROVED, PROVINCE),
    Transition("return", _("Return the targets to the zone"),
               frozenset({SetStatus.SUBMITTED}), SetStatus.RETURNED, PROVINCE,
               needs_reason=True),
    # Targets are revised mid-year (年中调整): the province sends an approved set back.
    Transition("reopen", _("Reopen the approved targets for revision"),
               frozenset({SetStatus.APPROVED}), SetStatus.RETURNED, PROVINCE,
               needs_reason=True),
)}

__all__ = ["LEVEL_ACTION", "PROVINCE", "TRANSITIONS", "ZONE", "Transition", "available",
           "level_of"]


def available(user, target_set) -> list[Transition]:
    """Transitions this user's level may perform on the set in its current status (scope is
    checked by the action)."""
    level = level_of(user)
    return [t for t in TRANSITIONS.values()
            if t.level == level and target_set.status in t.sources]
