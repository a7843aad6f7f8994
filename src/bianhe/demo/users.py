"""The demo users (演示账号): one per role and scope, all with the demo password.

The one username convention of the demo lives here: ``demo-admin``, ``demo-analyst``,
``demo-observer``, ``demo-reviewer-<province suffix>`` (``CN-GX`` → ``demo-reviewer-gx``) and
``demo-reporter-<zone code>`` (``BECZ-GX-01`` → ``demo-reporter-becz-gx-01``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from bianhe.audit.models import Source

DEMO_PASSWORD = "Bianhe-demo-2026"
ADMIN = "demo-admin"
ANALYST = "demo-analyst"
OBSERVER = "demo-observer"


class DemoDataError(Exception):
    """The demo cannot be set up (missing demo users, or ingest refused a value)."""


def reporter_username(zone_code: str) -> str:
    """``BECZ-GX-01`` → ``demo-reporter-becz-gx-01``."""
    return f"demo-reporter-{zone_code.lower()}"


def reviewer_username(province_code: str) -> str:
    """``CN-GX`` → ``demo-reviewer-gx``."""
    return f"demo-reviewer-{province_code.split('-')[-1].lower()}"


def demo_people() -> list[tuple[str, str, str, list[str]]]:
    """(username, display name, role, scope codes) for every role and every scope."""
    from bianhe.roles import Level, Role
    from bianhe.zones.models import OrgUnit

    people = [
        (ADMIN, "部级管理员（演示）", Role.MINISTRY_ADMIN, []),
        (ANALYST, "部级分析员（演示）", Role.MINISTRY_ANALYST, []),
    ]
    for unit in OrgUnit.objects.filter(level=Level.PROVINCE).order_by("code"):
        people.append((reviewer_username(unit.code), f"{unit.name_zh}审核员（演示）",
                       Role.PROVINCE_REVIEWER, [unit.code]))
    for unit in OrgUnit.objects.filter(level=Level.ZONE).order_by("path"):
        people.append((reporter_username(unit.code), f"{unit.name_zh}填报员（演示）",
                       Role.ZONE_REPORTER, [unit.code]))
    people.append((OBSERVER, "观察员（演示，广西、云南）", Role.OBSERVER, ["CN-GX", "CN-YN"]))
    return people


def role_label(role: str) -> str:
    """A role as the demo login table shows it: its Chinese name (部级管理员), never its code."""
    from django.utils import translation

    from bianhe.roles import Role

    with translation.override("zh-hans"):
        return str(Role(role).label)


def scope_label(codes) -> str:
    """The scope of a demo login in names: 广西壮族自治区、云南省; 全部 for the ministry."""
    from bianhe.zones.models import OrgUnit

    names = dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name_zh"))
    return "、".join(names.get(code, code) for code in codes) or "全部"


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """Create the demo users that are missing and give each the demo password.

    Through the account actions (audited, source "cli"). Returns the login table rows
    (username, role, scope). Raises :class:`DemoDataError` when a user cannot be created.
    """
    from django.contrib.auth.hashers import make_password

    from bianhe.accounts.actions import do_create_user, do_set_password
    from bianhe.accounts.models import User
    from bianhe.zones.models import OrgUnit

    people = demo_people()
    existing = {u.username: u for u in User.objects.filter(
        username__in=[username for username, *_rest in people])}
    # Hashing a password costs about a second: the shared password is hashed once for all
    # new users, and a stored hash equal to one already checked needs no second check.
    hashed = make_password(DEMO_PASSWORD) if len(existing) < len(people) else ""
    good: set[str] = set()
    logins = []
    for username, display_name, role, codes in people:
        user = existing.get(username)
        if user is None:
            units = list(OrgUnit.objects.filter(code__in=codes))
            try:
                do_create_user(None, username=username, password=DEMO_PASSWORD, role=role,
                               scope_units=units, display_name=display_name,
                               source=Source.CLI, password_hash=hashed)
            except ValidationError as exc:
                raise DemoDataError(f"user {username} not created: "
                                    f"{'; '.join(exc.messages)}") from None
        elif user.password in good or user.check_password(DEMO_PASSWORD):
            good.add(user.password)
        else:
            do_set_password(None, user, DEMO_PASSWORD, source=Source.CLI)
        logins.append((username, role_label(role), scope_label(codes)))
    return logins
