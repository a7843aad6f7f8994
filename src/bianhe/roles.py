"""Roles, actions and the scope each role may hold: the vocabulary of the access mechanism.

Kept free of model imports so that settings, models and the CLI can all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MINISTRY_ADMIN = "ministry_admin", _("Ministry administrator")
    MINISTRY_ANALYST = "ministry_analyst", _("Ministry analyst")
    PROVINCE_REVIEWER = "province_reviewer", _("Province reviewer")
    ZONE_REPORTER = "zone_reporter", _("Zone reporter")
    OBSERVER = "observer", _("Observer")


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CHANGE = "change", _("change the registry and the indicator catalogue")
    REPORT = "report", _("enter and submit data")
    REVIEW = "review", _("review submitted data")
    ADMINISTER = "administer", _("manage users and read the audit log")


class Level(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    PROVINCE = "province", _("Province")
    ZONE = "zone", _("Zone")


@dataclass(frozen=True)
class RolePolicy:
    actions: frozenset[str]
    #: None: the role sees the whole hierarchy and may hold no scope. Otherwise the
    #: org-unit levels its scope units may have, and how many it must hold.
    scope_levels: frozenset[str] | None
    min_units: int = 0
    max_units: int = 0


POLICIES: dict[str, RolePolicy] = {
    # Entering a zone's data is the zone's own responsibility (主体责任). The ministry's
    # REPORT right lets it enter or import values for any zone (historical series,
    # integrations, corrections); the workflow still gives it no way to submit or approve
    # at zone or province level.
    Role.MINISTRY_ADMIN: RolePolicy(frozenset(Action.values), None),
    Role.MINISTRY_ANALYST: RolePolicy(frozenset({Action.VIEW}), None),
    Role.PROVINCE_REVIEWER: RolePolicy(
        frozenset({Action.VIEW, Action.REVIEW}), frozenset({Level.PROVINCE}), 1, 1
    ),
    Role.ZONE_REPORTER: RolePolicy(
        frozenset({Action.VIEW, Action.REPORT}), frozenset({Level.ZONE}), 1, 1
    ),
    # An observer is granted named provinces or zones; seeing everything is a ministry role.
    Role.OBSERVER: RolePolicy(
        frozenset({Action.VIEW}), frozenset({Level.PROVINCE, Level.ZONE}), 1, 50
    ),
}
