"""Every route × every role: nobody sees or touches another scope's data.

The routes are enumerated from the URL resolver, so a new page or API route is covered as
soon as it is added; a route with a URL parameter this module does not know fails the test
until someone says how to pick an object inside and outside a persona's scope.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from analytics_data import put
from bianhe.accounts.actions import do_create_api_token
from bianhe.audit.models import AuditLog
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit
from evaluation_support import save_scheme, stored_run
from personas import (
    PERSONAS,
    SCOPE_SHAPES,
    hidden_markers,
    make_user,
    zone_inside,
    zone_outside,
)

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
    """For each URL parameter: a value naming an object outside the persona's reach.

    Parameters that name shared reference data (a form, a catalogue indicator, a transition)
    have one value for everybody: see SHARED; periods and years come from the test world.
    """

    SHARED = {"form": "BH-M", "name": "approve", "indicator": "EXPORT", "rule_code": "R01"}
    UNSCOPED = {"form", "name", "indicator", "period", "year", "rule_code", "scheme_id"}

    def __init__(self, key, people, world):
        self.key = key
        self.people = people
        self.world = world

    def period(self):
        return self.world["period"].code

    def year(self):
        return self.world["period"].year

    def code(self):
        zone = zone_outside(self.key)
        return zone.code if zone else None

    def report_id(self):
        zone = zone_outside(self.key)
        return self.world["reports"][zone.code].pk if zone else None

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

    def view_id(self):
        # Saved views are personal (or shared within one scope): nobody may delete another's.
        from bianhe.analytics.models import SavedView

        owner = self.people["ministry_analyst" if self.key != "ministry_analyst"
                            else "xinjiang_reviewer"]
        view = SavedView.objects.create(owner=owner, name="someone else's", scope_key="x",
                                        query={"indicator": ["EXPORT"]})
        return view.pk

    def job_id(self):
        # A job is its owner's: nobody else (administrators aside) may see or rerun it.
        from bianhe.jobs.actions import do_start_job

        if self.people[self.key].can(Action.ADMINISTER):
            return None
        other = "ministry_analyst" if self.key != "ministry_analyst" else "xinjiang_reviewer"
        return do_start_job(self.people[other], "reporting.value_history", {},
                            queue=False).pk

    def scheme_id(self):
        # Evaluation schemes are reference data: everyone reads them (only the ministry
        # administrator edits them, which the edit page's 404 for the others shows).
        return self.world["scheme"].pk

    def run_id(self):
        # Outside the ministry only published runs exist; the ministry reaches every run.
        if not PERSONAS[self.key].scope:
            return None
        return self.world["variant_run"].pk

    def knows(self, name) -> bool:
        return name in self.SHARED or hasattr(self, name)

    def value(self, name):
        return self.SHARED[name] if name in self.SHARED else getattr(self, name)()


@pytest.fixture
def world(people, open_month):
    """One report with values in every zone, flagged by a rule and explained, so that every
    list (reports, flags, explanations) has something to leak."""
    from bianhe.quality.actions import ensure_default_rules
    from bianhe.quality.checks import check_reports
    from bianhe.quality.models import Explanation, Flag
    from bianhe.reporting.actions import do_save_values
    from bianhe.reporting.models import Report, Status

    ensure_default_rules()
    codes = list(OrgUnit.objects.zones().active_in_year(open_month.year)
                 .values_list("code", flat=True))
    # Border trade above total trade: rule R04 warns on TRADE_TOTAL in every zone.
    result = do_save_values(people["ministry_admin"], [
        {"zone": code, "period": open_month.code, "indicator": indicator, "value": value,
         "comment": f"备注{code}"} for code in codes
        for indicator, value in (("EXPORT", "1"), ("TRADE_TOTAL", "1"), ("BORDER_TRADE", "5"))],
        source="import")
    assert result.ok, result.problems[:3]
    reports = {r.zone.code: r for r in Report.objects.select_related("zone")}
    check_reports([r.pk for r in reports.values()])
    assert Flag.objects.count() >= len(codes)
    for report in reports.values():
        Explanation.objects.create(report=report, indicator_code="TRADE_TOTAL", text="说明",
                                   author_name="t", written_at=report.created_at)
    # Submitted, so that each reviewer's worklist has something to leak too.
    Report.objects.update(status=Status.SUBMITTED)
    # And last December accepted everywhere, so that official analytics, dashboards and
    # open-data downloads have every zone's figures to leak.
    put({(code, f"{open_month.year - 1}M12", "EXPORT"): 7 for code in codes})
    # An approved annual target in every zone, so that the target lists, tracking,
    # completion tables, exports and the targets API have every zone's targets to leak.
    from bianhe.targets.models import SetStatus, Target, TargetSet

    for zone in OrgUnit.objects.filter(code__in=codes):
        target_set = TargetSet.objects.create(zone=zone, year=open_month.year,
                                              status=SetStatus.APPROVED)
        Target.objects.create(target_set=target_set, indicator_code="EXPORT", kind="level",
                              value=12, unit="万元", note=f"备注{zone.code}")
    # A published evaluation with a result in every zone, and a variant only the ministry
    # sees, so that the evaluation pages, exports and API have every zone's rank to leak.
    scheme = save_scheme()
    published = stored_run(scheme, published=True)
    variant = stored_run(scheme, variant=True, label="权重变体", seed=2)
    return {"period": open_month, "reports": reports, "scheme": scheme,
            "published_run": published, "variant_run": variant}


def _body(response) -> str:
    """The response as text; an .xlsx is unzipped, so its sheets are searched too."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", errors="replace")
                              for name in archive.namelist())
    return body.decode("utf-8", errors="replace")


@pytest.mark.parametrize("key", SCOPE_SHAPES)
@pytest.mark.parametrize("route", ROUTES)
def test_no_route_shows_another_scopes_data(client, people, world, key, route):
    user = make_user(key)
    client.force_login(user)
    names = param_names(route)
    outside = Outside(key, people, world)
    unknown = [name for name in names if not outside.knows(name)]
    assert not unknown, f"{route}: teach this test how to choose {unknown}"
    values = {name: outside.value(name) for name in names}
    if any(name not in Outside.UNSCOPED for name in names):
        if any(value is None for value in values.values()):
            pytest.skip(f"{key} reaches everything this route can name")
        url = fill(route, values)
        before = AuditLog.objects.count()
        snapshot = list(OrgUnit.objects.values_list("code", "name_zh", "notes"))
        payload = {"name_zh": "改名", "notes": "x", "reason": "x", "indicator": "EXPORT",
                   "value": "2"}
        if route.startswith("api/v1/zones"):
            payload = {"notes": "x"}  # the zone schema refuses unknown fields before scope
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
        response = client.get(fill(route, values))
        assert response.status_code < 500
        text = _body(response)
        leaked = sorted(marker for marker in hidden_markers(key) if marker in text)
        assert not leaked, f"GET /{route} as {key} shows {leaked[:5]}"


@pytest.mark.parametrize("key", [k for k in SCOPE_SHAPES if PERSONAS[k].scope])
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
    url = fill(route, {"code": zone.code, "token_id": 1, "user_id": 1, "form": "BH-M",
                       "period": "2024M01", "report_id": 1, "name": "approve", "year": 2024,
                       "indicator": "EXPORT", "rule_code": "R01",
                       "view_id": 1, "job_id": 1, "run_id": 1, "scheme_id": 1})
    response = client.get(url)
    if route in PUBLIC:
        assert response.status_code in (200, 302, 405)
    elif route.startswith("api/"):
        # 404 for the bare prefix, which django-ninja routes but serves nothing on; 405 for
        # POST-only routes, which refuse GET before authenticating.
        assert response.status_code in ((404,) if route == "api/v1/" else (401, 405))
        if response.status_code == 405:
            assert client.post(url, {}, content_type="application/json").status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert zone.name_zh.encode() not in response.content
