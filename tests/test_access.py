import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import translation

from bianhe.access import NotInScope, can, require, require_right
from bianhe.accounts.actions import do_create_user, validate_scope
from bianhe.accounts.models import ApiToken, User
from bianhe.audit.models import AuditLog
from bianhe.roles import Action, Role
from bianhe.zones.models import OrgUnit
from personas import PASSWORD, zone_inside


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_ministry_roles_see_every_zone(people):
    for key in ("ministry_admin", "ministry_analyst"):
        assert OrgUnit.objects.restrict(people[key]).zones().count() == 20


def test_a_province_reviewer_sees_only_its_provinces_zones(people):
    seen = codes(OrgUnit.objects.restrict(people["xinjiang_reviewer"]).zones())
    assert seen == {"BECZ-XJ-01", "BECZ-XJ-02", "BECZ-XJ-03", "BECZ-XJ-04", "CBECZ-XJ-01"}


def test_a_zone_reporter_sees_only_its_zone(people):
    assert codes(OrgUnit.objects.restrict(people["pingxiang_reporter"])) == {"BECZ-GX-01"}


def test_an_observer_sees_the_union_of_its_units(people):
    seen = codes(OrgUnit.objects.restrict(people["northeast_observer"]).zones())
    assert seen == {"BECZ-LN-01", "BECZ-HL-01"}


def test_only_the_ministry_administrator_may_change_the_registry(people):
    for key, user in people.items():
        allowed = OrgUnit.objects.restrict(user, Action.CHANGE).count()
        assert allowed == (28 if key == "ministry_admin" else 0), key


def test_a_deactivated_user_reaches_nothing(people):
    user = people["ministry_admin"]
    user.is_active = False
    assert not can(user, Action.VIEW)
    assert OrgUnit.objects.restrict(user).count() == 0


def test_only_administrators_read_the_audit_log_and_the_user_list(people):
    AuditLog.objects.create(actor_name="x", action="t", object_type="t", source="cli")
    for key, user in people.items():
        expected = key == "ministry_admin"
        assert AuditLog.objects.restrict(user).exists() == expected, key
        assert User.objects.restrict(user).exists() == expected, key


def test_require_right_asks_for_the_role_s_right_and_lets_the_platform_through(people):
    for user in (people["ministry_analyst"], people["pingxiang_reporter"], AnonymousUser()):
        with pytest.raises(NotInScope):
            require_right(user, Action.CHANGE)
    require_right(people["ministry_admin"], Action.CHANGE)
    require_right(people["pingxiang_reporter"], Action.REPORT)
    require_right(None, Action.ADMINISTER)  # the platform itself (CLI, loaders)


def test_restrict_overrides_honour_the_action(people):
    from bianhe.accounts.actions import do_create_api_token
    from bianhe.analytics.models import SavedView
    from bianhe.analytics.scopes import scope_key

    admin, analyst = people["ministry_admin"], people["ministry_analyst"]
    reporter = people["pingxiang_reporter"]
    AuditLog.objects.create(actor_name="x", action="t", object_type="t", source="cli")
    # The audit log is read, never changed, even by the administrator.
    assert AuditLog.objects.restrict(admin).exists()
    assert not AuditLog.objects.restrict(admin, Action.CHANGE).exists()
    # A reporter sees its own token, but has no REVIEW right to use on it.
    token, _secret = do_create_api_token(reporter, reporter, name="sync")
    assert list(ApiToken.objects.restrict(reporter)) == [token]
    assert not ApiToken.objects.restrict(reporter, Action.REVIEW).exists()
    # A shared view is read by users of the same scope and changed by its owner only.
    view = SavedView.objects.create(owner=admin, name="v", query={}, is_shared=True,
                                    scope_key=scope_key(admin))
    assert list(SavedView.objects.restrict(analyst)) == [view]
    assert not SavedView.objects.restrict(analyst, Action.CHANGE).exists()
    assert list(SavedView.objects.restrict(admin, Action.CHANGE)) == [view]


def test_require_refuses_an_object_outside_the_scope(people):
    zone = OrgUnit.objects.get(code="BECZ-YN-01")
    with pytest.raises(NotInScope):
        require(OrgUnit.objects, people["xinjiang_reviewer"], Action.VIEW, zone)
    require(OrgUnit.objects, people["ministry_analyst"], Action.VIEW, zone)


@pytest.mark.parametrize(("role", "scope", "message"), [
    (Role.PROVINCE_REVIEWER, ["BECZ-XJ-01"], "must be scoped to the level"),
    (Role.PROVINCE_REVIEWER, ["CN-XJ", "CN-GX"], "exactly 1 org unit"),
    (Role.ZONE_REPORTER, ["CN-XJ"], "must be scoped to the level"),
    (Role.ZONE_REPORTER, [], "exactly 1 org unit"),
    (Role.OBSERVER, [], "between 1 and"),
    (Role.OBSERVER, ["MOFCOM"], "must be scoped to the level"),
    (Role.MINISTRY_ANALYST, ["CN-XJ"], "takes no scope"),
    ("superuser", [], "Unknown role"),
])
def test_a_scope_that_does_not_fit_the_role_is_refused(registry, role, scope, message):
    units = list(OrgUnit.objects.filter(code__in=scope))
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        validate_scope(role, units)
    with pytest.raises(ValidationError):
        do_create_user(None, username="newcomer", password=PASSWORD, role=role,
                       scope_units=units)
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("key", ["ministry_analyst", "xinjiang_reviewer", "pingxiang_reporter",
                                 "northeast_observer"])
def test_seeing_a_zone_does_not_allow_changing_it(client, people, key):
    client.force_login(people[key])
    zone = zone_inside(key)
    before = list(OrgUnit.objects.values())
    assert client.get(f"/zones/{zone.code}/").status_code == 200
    assert client.get(f"/zones/{zone.code}/edit/").status_code == 404
    assert client.post(f"/zones/{zone.code}/edit/", {"name_zh": "改名"}).status_code == 404
    assert client.patch(f"/api/v1/zones/{zone.code}", {"name_zh": "改名"},
                        content_type="application/json").status_code == 404
    assert client.get("/zones/new/").status_code == 404
    assert list(OrgUnit.objects.values()) == before
    assert not AuditLog.objects.filter(action__startswith="zones.").exclude(
        action="zones.orgunit.create").exists()


def test_provinces_are_not_edited_with_the_zone_form(client, people):
    client.force_login(people["ministry_admin"])
    assert client.get("/zones/CN-XJ/edit/").status_code == 404
    assert client.patch("/api/v1/zones/CN-XJ", {"notes": "x"},
                        content_type="application/json").status_code == 404
