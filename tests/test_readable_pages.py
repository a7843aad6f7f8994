"""Every page, as every role, in Chinese: no English words and no raw codes on screen.

The routes and the test world are those of test_scope_routes.py, so a new page is checked as
soon as it is added. What a reader sees is checked (visible_text.py: text and tooltips, not
tags, scripts or attribute values), against an allow-list of what is English or a code by
design: English name fields, login names, zone codes, web addresses, a few technical words.
"""

from __future__ import annotations

import re

import pytest

from bianhe.accounts.actions import do_create_api_token
from bianhe.accounts.models import User
from bianhe.catalog.models import Indicator
from bianhe.evaluation.models import Scheme
from bianhe.quality.models import Rule
from bianhe.reporting.models import ReportForm
from bianhe.roles import Role
from bianhe.zones.models import OrgUnit
from personas import PERSONAS, SCOPE_SHAPES, make_user, zone_inside
from test_scope_routes import ROUTES, fill, param_names, world  # noqa: F401 (a fixture)
from visible_text import visible_text

#: Pages owned by other parts of issue 11 that still show English or codes today. Each entry
#: is expected to fail here until its owner's change is merged; remove it then.
KNOWN_FAILURES_OWNED_ELSEWHERE: dict[str, str] = {}

#: Pages whose subject is a code language: the rule editor writes expressions in indicator
#: codes and functions (quality/expressions.py), so codes are shown there by design.
CODES_BY_DESIGN = {"quality/rules/new/", "quality/rules/<str:rule_code>/",
                   # The evaluation scheme editor: the scheme's text is YAML with node codes.
                   "evaluation/schemes/new/", "evaluation/schemes/<int:scheme_id>/edit/"}
#: The catalogue is where an indicator's code is looked up (for imports and the API): its
#: pages show the code beside the name. Their text still may not be English.
INDICATOR_CODES_BY_DESIGN = {"catalog/", "catalog/<int:year>/<str:indicator>/",
                             "catalog/<int:year>/<str:indicator>/edit/"}
#: The catalogue's notes cite rows of its reference tables ("参考 B-06、E21-A02").
SOURCE_ROW = re.compile(r"(?<![A-Za-z0-9-])[A-Z]\d{0,2}-[A-Z]?\d{2}(?![A-Za-z0-9-])")

#: Words that are English or acronyms by design in a Chinese interface.
ALLOWED_WORDS = {
    "API", "CSV", "JSON", "XLSX", "Excel", "SDMX", "URL",
    "English",  # the language switch names each language in itself
    "Authorization", "Bearer",  # the HTTP header a token is sent in, shown to copy
    "km",  # km² in units
    "MB", "xlsx",  # file sizes and types
    "ID", "IP",  # 对象ID, IP地址: the acronyms are how Chinese pages write them
    "Ctrl", "Mac",  # key and system names in "按住Ctrl键（Mac上为⌘键）可多选"
    "CR", "SHA-256",  # 一致性比率CR (AHP), SHA-256 fingerprints
}
#: Per page, words that are a file format's own keys, which the reader must type as they are.
ALLOWED_ON_PAGE = {"reporting/import/": {"zone", "period", "indicator", "member", "value",
                                        "comment"},
                   # The registry's note on Horgos, quoted as recorded, names a column.
                   "audit/": {"area_km2"},
                   # The names of the SDMX formats and the identifiers a data user types.
                   "analytics/sdmx/": {"SDMX-ML", "SDMX-CSV", "Generic", "Structure",
                                       "BIANHE", "BH_ZONE_STATS", "DATA_NATURE", "DEMO"}}
#: The visible start of an API token ("bh_Ab3x…"), shown so that its owner recognises it.
TOKEN_PREFIX = re.compile(r"\bbh_[\w-]+…?")
#: Zone, province and ministry codes are shown as codes by design (the registry's keys).
UNIT_CODE = re.compile(r"(?<![A-Za-z0-9-])(?:C?BECZ-[A-Z]{2}-\d{2}|CN-[A-Z]{2}|MOFCOM)"
                       r"(?![A-Za-z0-9-])")
ADDRESS = re.compile(r"https?://\S+|\b[\w.-]+\.(?:com|cn|org|net|kz|gov)(?:\.cn)?\b\S*"
                     r"|\b[\w.+-]+@[\w-]+\.[\w.]+")
#: A SHA-256 fingerprint (an evaluation run's), shown to be copied and compared.
FINGERPRINT = re.compile(r"\b[0-9a-f]{64}\b")
PERIOD_CODE = re.compile(r"(?<![\w-])\d{4}(?:M\d{2}|Q[1-4]|H[12])(?![\w-])")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")


def allowed_words() -> set[str]:
    """The allow-list, with what the database holds that is English by design."""
    words = set(ALLOWED_WORDS)
    texts = [*User.objects.values_list("username", flat=True),
             *User.objects.values_list("display_name", flat=True),
             *OrgUnit.objects.values_list("name_en", flat=True),
             *Indicator.objects.values_list("name_en", flat=True),
             *ReportForm.objects.values_list("code", flat=True),
             *ReportForm.objects.values_list("name_en", flat=True),
             *Rule.objects.values_list("code", flat=True),
             # An evaluation scheme's code (its versions share it), as the audit log names it.
             *Scheme.objects.values_list("code", flat=True)]
    for text in texts:
        words.update(WORD.findall(text or ""))
        words.add(text or "")
    return words


def offences(parts: list[str], allowed: set[str], indicator_codes: set[str], *,
             codes_allowed: bool = False) -> list[str]:
    """English words and raw codes among the visible pieces of text."""
    found = []
    for part in parts:
        if part in allowed:
            continue
        found += [f"period code {code}" for code in PERIOD_CODE.findall(part)]
        text = TOKEN_PREFIX.sub(" ", ADDRESS.sub(" ", UNIT_CODE.sub(" ", FINGERPRINT.sub(
            " ", part))))
        for word in WORD.findall(text):
            if len(word) < 2 or word in allowed:
                continue
            if word in indicator_codes:
                if not codes_allowed:
                    found.append(f"indicator code {word} in {part[:60]!r}")
            elif word in Role.values:
                found.append(f"role code {word}")
            elif not codes_allowed:
                found.append(f"English {word!r} in {part[:60]!r}")
    return found


def inside_values(key, people, world) -> dict:  # noqa: F811 (world is the fixture's value)
    zone = zone_inside(key) if PERSONAS[key].scope else OrgUnit.objects.filter(
        code__in=world["reports"]).order_by("path").first()
    user = people[key]
    token, _secret = do_create_api_token(None, user, name="页面检查用")
    from bianhe.analytics.models import SavedView

    view = SavedView.objects.create(owner=user, name="我的视图", scope_key="x",
                                    query={"indicator": ["EXPORT"]})
    from bianhe.jobs.actions import do_start_job
    from bianhe.jobs.runner import execute

    job = do_start_job(user, "reporting.value_history", {}, queue=False)
    execute(job.pk)  # done: the page shows its download
    return {"code": zone.code, "report_id": world["reports"][zone.code].pk,
            "token_id": token.pk, "user_id": user.pk, "view_id": view.pk, "job_id": job.pk,
            "form": "BH-M", "name": "approve", "indicator": "EXPORT", "rule_code": "R04",
            "period": world["period"].code, "year": world["period"].year,
            "run_id": world["published_run"].pk, "scheme_id": world["scheme"].pk}


def _marks(route):
    if route in KNOWN_FAILURES_OWNED_ELSEWHERE:
        return [pytest.mark.xfail(strict=False, reason=KNOWN_FAILURES_OWNED_ELSEWHERE[route])]
    return []


PAGES = [route for route in ROUTES if not route.startswith("api/")
         and route not in ("healthz", "i18n/setlang/")]


def test_the_known_failures_name_real_routes():
    assert set(KNOWN_FAILURES_OWNED_ELSEWHERE) <= set(PAGES)
    assert len(PAGES) >= 30


@pytest.mark.parametrize("route", [pytest.param(r, marks=_marks(r)) for r in PAGES])
def test_no_page_shows_english_or_codes_in_chinese(client, people, world, route):  # noqa: F811
    allowed = allowed_words()
    indicator_codes = set(Indicator.objects.values_list("code", flat=True))
    problems = []
    checked = 0
    for key in SCOPE_SHAPES:
        client.force_login(make_user(key))
        values = inside_values(key, people, world)
        url = fill(route, {name: values[name] for name in param_names(route)})
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200 or response.streaming or \
                "text/html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        parts = visible_text(response.content.decode())
        if route in INDICATOR_CODES_BY_DESIGN:
            parts = [SOURCE_ROW.sub(" ", part) for part in parts]
        here = allowed | ALLOWED_ON_PAGE.get(route, set())
        if route in INDICATOR_CODES_BY_DESIGN:
            here |= indicator_codes
        found = offences(parts, here, indicator_codes, codes_allowed=route in CODES_BY_DESIGN)
        problems += [f"{key} GET {url}: {item}" for item in sorted(set(found))]
    assert not problems, "\n".join(problems[:40])
