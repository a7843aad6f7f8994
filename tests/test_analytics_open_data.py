"""Open-data SDMX downloads read back by a real SDMX client, the JSON query API, and
freshness: an accepted value is in official analytics the moment acceptance commits."""

from __future__ import annotations

import io
import math
from dataclasses import replace

import pytest
import sdmx

from analytics_data import put
from bianhe.analytics.queries import run
from bianhe.analytics.query import Query
from bianhe.reporting.models import Status

GX1, GX2, XJ1 = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01"
RANGE = "granularity=year&start=2024&end=2025"


@pytest.fixture
def accepted(catalogue):
    put({(GX1, "2025M12", "EXPORT"): 200.5, (GX2, "2025M12", "EXPORT"): 100,
         (XJ1, "2025M12", "EXPORT"): 50, (GX1, "2024M12", "EXPORT"): 160,
         (GX1, "2025M12", "TRADE_BY_PARTNER", "VN"): 60,
         (GX1, "2025M12", "TRADE_BY_PARTNER", "RU"): 15})
    put({("BECZ-YN-01", "2025M12", "IMPORT"): 999}, status=Status.APPROVED)  # not official


def read_back(client, kind: str):
    structure = sdmx.read_sdmx(io.BytesIO(client.get(f"/analytics/sdmx/structure.xml?{RANGE}")
                                          .content))
    flow = structure.dataflow["BH_ZONE_STATS"]
    dsd = structure.structure["BH_ZONE_STATS"]
    response = client.get(f"/analytics/sdmx/data.{kind}?{RANGE}")
    assert response.status_code == 200, response.content[:300]
    if kind == "csv":
        message = sdmx.read_sdmx(io.BytesIO(response.content), format="csv", structure=flow)
    else:
        message = sdmx.read_sdmx(io.BytesIO(response.content), structure=dsd)
    frame = sdmx.to_pandas(message).reset_index()
    return structure, {(r.REF_AREA, r.INDICATOR, r.BREAKDOWN, str(r.TIME_PERIOD)): float(r.value)
                       for r in frame.itertuples()}


@pytest.mark.parametrize("kind", ["xml", "csv"])
def test_the_sdmx_export_reads_back_through_sdmx1_with_the_engines_values(
        client_for, people, accepted, kind):
    structure, values = read_back(client_for("ministry_admin"), kind)
    assert values[(GX1, "EXPORT", "_T", "2025")] == 200.5
    assert values[("CN-GX", "EXPORT", "_T", "2025")] == 300.5
    assert values[("ALL", "EXPORT", "_T", "2025")] == 350.5
    assert values[(GX1, "TRADE_BY_PARTNER", "VN", "2025")] == 60
    assert values[(GX1, "TRADE_BY_PARTNER", "_T", "2025")] == 75
    # The engine gives the same figures for the same query.
    result = run(people["ministry_admin"], Query(indicators=("EXPORT",), level="province",
                                                 start="2024", end="2025"))
    engine = {(r.unit, r.period): r.value for r in result.frame.itertuples()
              if not math.isnan(r.value)}
    assert {k: v for k, v in values.items() if k[1] == "EXPORT" and k[0].startswith("CN-")} \
        == {(unit, "EXPORT", "_T", period): v for (unit, period), v in engine.items()}
    # Approved but not accepted: not published.
    assert not any(key[1] == "IMPORT" for key in values)
    assert structure.codelist["CL_AREA"]["BECZ-YN-04"].name["zh"] == "临沧边境经济合作区"


def test_a_zone_reporter_publishes_only_its_own_zone(client_for, accepted):
    structure, values = read_back(client_for("pingxiang_reporter"), "csv")
    assert {key[0] for key in values} == {GX1}
    # "ALL" is always in the codelist (a code for the programme), never another zone.
    assert set(structure.codelist["CL_AREA"].items) <= {GX1, "ALL"}


def test_a_province_reviewer_publishes_its_zones_and_its_whole_province(client_for, accepted):
    _structure, values = read_back(client_for("xinjiang_reviewer"), "xml")
    assert {key[0] for key in values} == {XJ1, "CN-XJ"}


def test_bad_sdmx_parameters_are_refused_with_a_message(client_for, accepted):
    client = client_for("ministry_admin")
    response = client.get("/analytics/sdmx/data.csv?granularity=year&start=2025&end=2024")
    assert response.status_code == 400
    assert "顺序" in response.content.decode() or "次序" in response.content.decode() \
        or "period" in response.content.decode()
    assert client.get("/analytics/sdmx/data.xml?granularity=week").status_code == 400


def test_the_query_api_answers_json_within_the_scope(client_for, accepted):
    client = client_for("xinjiang_reviewer")
    body = client.get("/api/v1/analytics/query?indicator=EXPORT&level=zone&start=2025"
                      "&end=2025").json()
    got = {o["unit"]: o["value"] for o in body["observations"] if o["value"] is not None}
    assert got == {XJ1: 50.0}
    assert body["units_of_measure"] == {"EXPORT": "万元"}
    outside = client.get(f"/api/v1/analytics/query?indicator=EXPORT&unit={GX1}&start=2025"
                         "&end=2025")
    assert outside.status_code == 400 and GX1 in outside.json()["detail"]
    assert "200.5" not in outside.content.decode()


@pytest.mark.parametrize("params, words", [
    ("indicator=EXPORT&rows=colour", "colour"),
    ("indicator=EXPORT&granularity=year&start=2025&end=2023", "2025"),
    ("indicator=NOPE&start=2025&end=2025", "NOPE"),
    ("indicator=EXPORT&basis=reviewed&start=2025&end=2025", ""),
])
def test_the_query_api_refuses_bad_queries_with_a_message(client_for, accepted, params,
                                                          words):
    response = client_for("ministry_analyst").get(f"/api/v1/analytics/query?{params}")
    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_an_accepted_value_is_official_as_soon_as_the_acceptance_commits(people, catalogue,
                                                                         open_month):
    from bianhe.review.actions import do_transition
    from test_workflow import fill

    reviewer = people["guangxi_reviewer"]
    report = fill(people["pingxiang_reporter"], open_month, value="42")
    query = Query(indicators=("EXPORT",), level="zone", units=(GX1,), granularity="ytd",
                  start=open_month.code, end=open_month.code)
    reviewed = replace(query, basis="reviewed")

    def seen(user, q):
        values = run(user, q).frame["value"].dropna().tolist()
        return values[0] if values else None

    admin = people["ministry_admin"]
    report = do_transition(people["pingxiang_reporter"], report, "submit")
    assert seen(admin, query) is None and seen(admin, reviewed) == 42.0
    report = do_transition(reviewer, report, "approve")
    assert seen(admin, query) is None
    report = do_transition(admin, report, "accept")
    assert seen(admin, query) == 42.0
    do_transition(admin, report, "reopen", reason="更正")
    assert seen(admin, query) is None and seen(admin, reviewed) == 42.0


def test_the_sdmx_page_picks_periods_by_their_labels(client_for, accepted):
    page = client_for("ministry_admin").get(
        "/analytics/sdmx/?granularity=ytd&start=2025M01&end=2025M06").content.decode()
    assert '<option value="2025M06" data-granularity="ytd" data-year="2025" selected>' \
        "2025年1—6月</option>" in page
    assert 'name="start" value=' not in page
