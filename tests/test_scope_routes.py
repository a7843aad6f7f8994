"""Every route × every role: nobody sees or touches another scope's data.

The routes are enumerated from the URL resolver, so a new page or API route is covered as
soon as it is added; a route with a URL parameter this module does not know fails the test
until someone says how to pick an object inside and outside a persona's scope.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from bianhe.accounts.actions import do_create_api_token
from bianhe.audit.models import AuditLog
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit
from personas import PERSONAS, hidden_markers, make_user, zone_inside, zone_outside

PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def iter_routes(patterns=None, prefix=""):
    """Yield every concrete route as a path template, e.g. ``zones/<str:code>/``."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from iter_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


ROUTES = sorted(set(iter_routes()))


def param_names(route: str) -> list[str]:
    return [match["name"] for match in PARAM.finditer(route)]


def fill(route: str, values: dict) -> str:
    return "/" + PARAM.sub(lambda m: str(values[m["name"]]), route)


def test_the_route_list_covers_the_platform():
    # A guard for the enumeration itself: if it found nothing, every test below would pass.
    for expected in ("zones/", "zones/<str:code>/", "audit/", "api/v1/zones/<code>"):
        assert expected in ROUTES, ROUTES
    assert len(ROUTES) >= 15


class Outside:
    """For each URL parameter: a value naming an object outside the persona's reach."""

    def __init__(self, key, people):
        self.key = key
        self.people = people

    def code(self):
        zone = zone_outside(self.key)
        return zone.code if zone else None

    def token_id(self):
        owner = self.people["ministry_analyst" if self.key != "ministry_analyst"
                            else "xinjiang_reviewer"]
        token, _secret = do_create_api_token(None, owner, name="someone else's")
        # Administrators see every token by design; for them nothing is "outside".
        return None if self.people[self.key].can(Action.ADMINISTER) else token.pk

    def user_id(self):
        if self.people[self.key].can(Action.ADMINISTER):
            return None
        other = "ministry_analyst" if self.key != "ministry_analyst" else "xinjiang_reviewer"
        return self.people[other].pk


@pytest.mark.parametrize("key", PERSONAS)
@pytest.mark.parametrize("route", ROUTES)
def test_no_route_shows_another_scopes_data(client, people, key, route):
    user = make_user(key)
    client.force_login(user)
    names = param_names(route)
    if names:
        outside = Outside(key, people)
        unknown = [name for name in names if not hasattr(outside, name)]
        assert not unknown, f"{route}: teach this test how to choose {unknown}"
        values = {name: getattr(outside, name)() for name in names}
        if any(value is None for value in values.values()):
            pytest.skip(f"{key} reaches everything this route can name")
        url = fill(route, values)
        before = AuditLog.objects.count()
        snapshot = list(OrgUnit.objects.values_list("code", "name_zh", "notes"))
        payload = {"name_zh": "改名", "notes": "x"}
        for method in ("get", "post", "patch", "delete"):
            if method == "get":
                response = client.get(url)
            elif route.startswith("api/"):
                response = getattr(client, method)(url, payload,
                                                   content_type="application/json")
            else:
                response = getattr(client, method)(url, payload)
            assert response.status_code in (404, 405), (
                f"{method.upper()} {url} as {key} answered {response.status_code}")
        assert AuditLog.objects.count() == before
        assert list(OrgUnit.objects.values_list("code", "name_zh", "notes")) == snapshot
    else:
        response = client.get(fill(route, {}))
        assert response.status_code < 500
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        leaked = sorted(marker for marker in hidden_markers(key) if marker in text)
        assert not leaked, f"GET /{route} as {key} shows {leaked[:5]}"


@pytest.mark.parametrize("key", [k for k in PERSONAS if PERSONAS[k].scope])
def test_scoped_people_reach_their_own_zone_pages(client, people, key):
    # The positive control for the test above: the same routes do answer inside the scope.
    client.force_login(people[key])
    zone = zone_inside(key)
    assert client.get(f"/zones/{zone.code}/").status_code == 200
    assert client.get(f"/api/v1/zones/{zone.code}").json()["code"] == zone.code
    assert zone.code in client.get("/zones/").content.decode()


PUBLIC = {"accounts/login/", "healthz", "i18n/setlang/", "api/v1/openapi.json", "api/v1/docs"}


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_visitors_get_a_login_page_or_401(client, registry, route):
    zone = OrgUnit.objects.get(code="BECZ-XJ-01")
    url = fill(route, {"code": zone.code, "token_id": 1, "user_id": 1})
    response = client.get(url)
    if route in PUBLIC:
        assert response.status_code in (200, 302, 405)
    elif route.startswith("api/"):
        # 404 for the bare prefix, which django-ninja routes but serves nothing on.
        assert response.status_code == (404 if route == "api/v1/" else 401)
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert zone.name_zh.encode() not in response.content
