"""The analytics dashboard of each role and the zone profile, through their pages."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics_data import put
from bianhe.access import NotInScope
from bianhe.analytics.dashboard_common import demo_note
from bianhe.analytics.dashboards import build_dashboard
from bianhe.analytics.facts import rebuild
from bianhe.analytics.profile import build_profile
from bianhe.analytics.queries import run
from bianhe.analytics.query import Query, parse_query
from bianhe.periods import MONTHLY, Period
from bianhe.reporting.models import Report, Status
from bianhe.zones.models import OrgUnit
from personas import hidden_markers

# Years before this one, so that every period has ended and the catalogue fixture has them.
LAST, BEFORE = timezone.localdate().year - 1, timezone.localdate().year - 2
NOW, THEN = f"{LAST}M06", f"{BEFORE}M06"
GX1, GX2, XJ1, HL1 = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01", "BECZ-HL-01"
DASHBOARD = "/analytics/"


def trade_values(zones, now=100.0, then=80.0) -> dict:
    values = {}
    for zone in zones:
        values[(zone, NOW, "TRADE_TOTAL")] = now
        values[(zone, THEN, "TRADE_TOTAL")] = then
    return values


#: 1—6月 trade of four zones (total 1000, a year before 920) and one yearly total.
TRADE = {(GX1, NOW, "TRADE_TOTAL"): 400, (GX2, NOW, "TRADE_TOTAL"): 100,
         (XJ1, NOW, "TRADE_TOTAL"): 300, (HL1, NOW, "TRADE_TOTAL"): 200,
         (GX1, THEN, "TRADE_TOTAL"): 320, (GX2, THEN, "TRADE_TOTAL"): 100,
         (XJ1, THEN, "TRADE_TOTAL"): 300, (HL1, THEN, "TRADE_TOTAL"): 200,
         (GX1, NOW, "FAI"): 50, (XJ1, NOW, "FAI"): 70,
         (GX1, f"{BEFORE}M12", "TRADE_TOTAL"): 700, (GX2, f"{BEFORE}M12", "TRADE_TOTAL"): 250}


@pytest.fixture
def trade(catalogue):
    put(TRADE)


def tile(data: dict, code: str) -> dict:
    return next(t for t in data["tiles"] if t["code"] == code)


def parsed(url: str) -> Query:
    """The pivot query of a dashboard link (the pivot page parses it the same way)."""
    parts = urlsplit(url)
    assert parts.path == reverse("analytics:pivot")
    return parse_query(QueryDict(parts.query), defaults=Query(indicators=("GDP",)),
                       can_review=False)


def page(client, url: str = DASHBOARD) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- ministry --------------------------------------------------------------------------------
def test_the_ministry_headline_is_the_total_of_every_zone_with_its_growth(people, client_for,
                                                                          trade):
    data = build_dashboard(people["ministry_admin"])
    trade_tile = tile(data, "TRADE_TOTAL")
    assert trade_tile["value"] == pytest.approx(1000.0)
    assert trade_tile["growth"] == pytest.approx((1000 / 920 - 1) * 100)
    assert data["period"]["code"] == NOW
    assert tile(data, "FAI")["value"] == pytest.approx(120.0)
    html = page(client_for("ministry_admin"))
    assert "1,000.0万元" in html and "增长8.7%" in html and "+8.7%" not in html
    assert f"{LAST}年1—6月" in html


def test_every_ministry_link_opens_the_pivot_that_produced_the_figure(people, trade):
    admin = people["ministry_admin"]
    data = build_dashboard(admin)
    links = [t["url"] for t in data["tiles"]] + [data["ranking"]["url"],
                                                 data["ranking"]["value_url"],
                                                 data["trend"]["url"]]
    queries = [parsed(url) for url in links]
    trade_query = queries[0]
    assert (trade_query.indicators, trade_query.level, trade_query.granularity,
            trade_query.start, trade_query.end) == (("TRADE_TOTAL",), "all", "ytd", NOW, NOW)
    # The link reproduces the tile's figure.
    assert run(admin, trade_query).frame["value"].iloc[0] == pytest.approx(1000.0)


def test_the_ministry_sees_the_highest_zones_and_the_yearly_trend(people, client_for, trade):
    data = build_dashboard(people["ministry_admin"])
    ranking = data["ranking"]
    assert [row["code"] for row in ranking["top"]] == [GX1, XJ1, HL1, GX2]
    assert [row["rank"] for row in ranking["top"]] == [1, 2, 3, 4]
    assert ranking["bottom"] == []  # four zones: nobody is listed twice
    assert ranking["reported"] == 4
    assert data["trend"]["categories"][0] == f"{BEFORE}年"
    assert data["trend"]["series"][0]["data"][0] == pytest.approx(950.0)
    html = page(client_for("ministry_admin"))
    assert 'id="top-zones"' in html and reverse("analytics:profile", args=[GX1]) in html


def test_reporting_status_counts_reports_by_status_and_zones_not_submitted(people, client_for,
                                                                           catalogue):
    month = Period.containing(timezone.localdate(), MONTHLY).previous()
    put({(GX1, month.code, "TRADE_TOTAL"): 5, (GX2, month.code, "TRADE_TOTAL"): 6},
        status=Status.SUBMITTED)
    Report.objects.filter(zone__code=GX2, period=month.code).update(status=Status.RETURNED)
    status = build_dashboard(people["ministry_admin"])["reporting"]
    counts = {row["code"]: row["count"] for row in status["statuses"]}
    assert counts[Status.SUBMITTED] == 1 and counts[Status.RETURNED] == 1
    expected = OrgUnit.objects.zones().active_in_year(month.year).count()
    assert status["expected"] == expected
    assert status["not_submitted"] == expected - 1
    reviewer = build_dashboard(people["xinjiang_reviewer"])["reporting"]
    assert reviewer["expected"] == OrgUnit.objects.zones().active_in_year(month.year) \
        .filter(parent__code="CN-XJ").count()
    assert sum(row["count"] for row in reviewer["statuses"]) == 0
    assert 'id="reports-by-status"' in page(client_for("ministry_admin"))


def test_the_ministry_dashboard_runs_as_many_queries_for_2_zones_as_for_20(client_for,
                                                                          catalogue):
    client = client_for("ministry_admin")
    put(trade_values([GX1, GX2]))
    page(client)  # warm up what the first request of a session loads
    with CaptureQueriesContext(connection) as two:
        page(client)
    put(trade_values(OrgUnit.objects.zones().exclude(code__in=[GX1, GX2])
                     .values_list("code", flat=True)))
    with CaptureQueriesContext(connection) as every:
        html = page(client)
    assert "2,000.0" in html  # 20 zones × 100
    assert len(every) == len(two)
    assert len(two) < 60


# --- province reviewer and observer -------------------------------------------------------------
def test_the_province_reviewer_sees_its_zones_beside_the_median_of_all_zones(people,
                                                                            client_for, trade):
    data = build_dashboard(people["xinjiang_reviewer"])
    assert data["kind"] == "scoped"
    assert {row["code"] for row in data["rows"]} == set(
        OrgUnit.objects.filter(parent__code="CN-XJ").values_list("code", flat=True))
    trade_column = [c["code"] for c in data["columns"]].index("TRADE_TOTAL")
    assert data["columns"][trade_column]["median_text"] == "250.0万元"  # median of 4 zones
    xj1 = next(row for row in data["rows"] if row["code"] == XJ1)
    assert xj1["cells"][trade_column]["value_text"] == "300.0万元"
    assert xj1["cells"][trade_column]["position"] == "above"
    assert xj1["cells"][trade_column]["growth_text"] == "持平"
    parsed(data["table_url"])
    html = page(client_for("xinjiang_reviewer"))
    assert "300.0" in html and "250.0" in html
    assert not [m for m in hidden_markers("xinjiang_reviewer") if m in html]


def test_the_observer_sees_the_units_of_its_scope(people, client_for, trade):
    data = build_dashboard(people["northeast_observer"])
    assert data["kind"] == "scoped"
    hl1 = next(row for row in data["rows"] if row["code"] == HL1)
    assert hl1["cells"][0]["value_text"] == "200.0万元"
    html = page(client_for("northeast_observer"))
    assert not [m for m in hidden_markers("northeast_observer") if m in html]


# --- zone reporter --------------------------------------------------------------------------------
def test_the_zone_reporter_sees_its_rank_among_all_zones_and_its_profile_link(people,
                                                                              client_for,
                                                                              trade):
    data = build_dashboard(people["pingxiang_reporter"])
    assert data["kind"] == "zone"
    row = next(r for r in data["rows"] if r["code"] == "TRADE_TOTAL")
    assert (row["rank"], row["ranked"]) == (1, 4)
    assert row["value_text"] == "400.0万元" and row["growth_text"] == "增长25.0%"
    assert row["median_text"] == "250.0万元"
    parsed(row["url"])
    chart = next(c for c in data["charts"] if c["id"] == "zone-trade-total")
    assert chart["series"][0]["data"][-1] == pytest.approx(700.0)  # its own BEFORE year
    html = page(client_for("pingxiang_reporter"))
    assert 'data-rank="1"' in html
    assert reverse("analytics:profile", args=[GX1]) in html
    assert not [m for m in hidden_markers("pingxiang_reporter") if m in html]


# --- zone profile --------------------------------------------------------------------------------
@pytest.mark.parametrize(("persona", "zone"), [("pingxiang_reporter", XJ1),
                                               ("pingxiang_reporter", GX2),
                                               ("xinjiang_reviewer", GX1),
                                               ("northeast_observer", XJ1)])
def test_a_profile_outside_the_scope_answers_404(people, client_for, trade, persona, zone):
    client = client_for(persona)
    assert client.get(reverse("analytics:profile", args=[zone])).status_code == 404
    assert client.post(reverse("analytics:profile", args=[zone])).status_code in (404, 405)
    with pytest.raises(NotInScope):
        build_profile(people[persona], zone)


def test_a_profile_of_no_such_zone_answers_404(client_for, catalogue):
    client = client_for("ministry_admin")
    assert client.get(reverse("analytics:profile", args=["NO-SUCH-ZONE"])).status_code == 404
    assert client.get(reverse("analytics:profile", args=["CN-GX"])).status_code == 404


def test_the_profile_shows_registry_facts_figures_and_trade_by_partner(people, client_for,
                                                                       catalogue):
    # Values of one report go in together: an accepted report is locked.
    put({**TRADE, (GX1, NOW, "TRADE_BY_PARTNER", "VN"): 320,
         (GX1, NOW, "TRADE_BY_PARTNER", "OTHER"): 80})
    data = build_profile(people["pingxiang_reporter"], GX1)
    facts = {fact["label"]: fact["value"] for fact in data["facts"]}
    assert "崇左市凭祥市" in facts.values() and "越南" in facts.values()
    # The registry has no verified area for 凭祥: shown as such, never filled in.
    assert any(f["value"] is None and f["missing"] == "未核实" for f in data["facts"])
    trade_row = next(r for r in data["indicators"] if r["code"] == "TRADE_TOTAL")
    assert (trade_row["value_text"], trade_row["rank"], trade_row["ranked"]) == ("400.0万元", 1, 4)
    assert trade_row["median_text"] == "250.0万元"
    # Its orientation group (facing ASEAN) has two reporting zones: no median is shown.
    assert trade_row["group_median_text"] is None and trade_row["group_reported"] == 2
    partners = {row["code"]: (row["value_text"], row["share_text"])
                for row in data["partners"]["rows"]}
    assert partners == {"VN": ("320.0万元", "80.0%"), "OTHER": ("80.0万元", "20.0%")}
    parsed(data["partners"]["url"])
    html = page(client_for("pingxiang_reporter"), reverse("analytics:profile", args=[GX1]))
    for text in ("崇左市凭祥市", "越南", "未核实", 'id="partners"', "80.0%", "320.0"):
        assert text in html


def test_a_group_median_is_shown_when_enough_zones_of_the_group_reported(people, catalogue):
    yunnan = list(OrgUnit.objects.zones().filter(parent__code="CN-YN")
                  .values_list("code", flat=True)[:3])
    put({(zone, NOW, "TRADE_TOTAL"): value for zone, value in zip(yunnan, (10, 20, 60),
                                                                 strict=True)})
    row = next(r for r in build_profile(people["ministry_analyst"], yunnan[0])["indicators"]
               if r["code"] == "TRADE_TOTAL")
    assert row["group_median_text"] == "20.0万元" and row["group_reported"] == 3


# --- no data, demo data -----------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["ministry_admin", "xinjiang_reviewer",
                                     "pingxiang_reporter", "northeast_observer"])
def test_without_official_figures_every_page_says_so(client_for, catalogue, persona):
    put({(GX1, NOW, "TRADE_TOTAL"): 5, (XJ1, NOW, "TRADE_TOTAL"): 5}, status=Status.SUBMITTED)
    client = client_for(persona)
    assert 'class="empty"' in page(client)
    zone = {"xinjiang_reviewer": XJ1, "northeast_observer": HL1}.get(persona, GX1)
    html = page(client, reverse("analytics:profile", args=[zone]))
    assert 'class="empty"' in html and 'data-chart-source="' not in html


def test_the_dashboard_answers_before_any_catalogue_is_loaded(client_for, people):
    html = page(client_for("ministry_admin"))
    assert 'class="empty"' in html
    assert 'class="empty"' in page(client_for("ministry_admin"),
                                   reverse("analytics:profile", args=[GX1]))


def test_demo_figures_carry_the_demo_label(people, client_for, trade):
    Report.objects.update(is_demo=True)
    rebuild()
    for data in (build_dashboard(people["ministry_admin"]),
                 build_dashboard(people["pingxiang_reporter"]),
                 build_profile(people["xinjiang_reviewer"], XJ1)):
        assert data["is_demo"] and data["footnotes"][0] == demo_note()
    for persona, url in (("ministry_admin", DASHBOARD), ("xinjiang_reviewer", DASHBOARD),
                         ("pingxiang_reporter", DASHBOARD),
                         ("ministry_admin", reverse("analytics:profile", args=[GX1]))):
        assert "演示数据" in page(client_for(persona), url)


def test_real_figures_carry_no_demo_label(people, client_for, trade):
    data = build_dashboard(people["ministry_admin"])
    assert not data["is_demo"] and demo_note() not in data["footnotes"]
    assert 'class="badge demo"' not in page(client_for("ministry_admin"))


def test_growth_and_medians_are_blank_rather_than_invented(people, catalogue):
    put({(GX1, NOW, "TRADE_TOTAL"): 400})  # no year before, one zone
    row = next(r for r in build_dashboard(people["pingxiang_reporter"])["rows"]
               if r["code"] == "TRADE_TOTAL")
    assert row["growth_text"] is None and row["median_text"] is None
    assert (row["rank"], row["ranked"], row["rank_text"]) == (None, 1, None)  # one zone
    assert not math.isnan(tile(build_dashboard(people["ministry_admin"]),
                               "TRADE_TOTAL")["value"])
