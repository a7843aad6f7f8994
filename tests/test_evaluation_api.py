"""The evaluation API: schemes, runs and results scoped exactly as the pages are."""

from __future__ import annotations

import pytest

from bianhe.evaluation.models import EvaluationRun, ZoneResult
from bianhe.evaluation.presenting import whole
from evaluation_support import YEAR, evaluation_world
from personas import hidden_markers, visible_units


@pytest.fixture(scope="module")
def evaluated(django_db_setup, django_db_blocker):
    yield from evaluation_world(django_db_blocker)


def publish(client_for, run_id):
    assert client_for("ministry_admin").post(
        f"/evaluation/runs/{run_id}/publish/").status_code == 302


@pytest.mark.parametrize("key", ["ministry_admin", "pingxiang_reporter", "northeast_observer"])
def test_everyone_reads_the_schemes_with_their_tree_in_words(client_for, evaluated, key):
    client = client_for(key)
    schemes = client.get("/api/v1/evaluation/schemes").json()
    assert [(s["id"], s["frozen"], s["proposal"]) for s in schemes] == [
        (evaluated.scheme_id, True, False)]
    detail = client.get(f"/api/v1/evaluation/schemes/{evaluated.scheme_id}").json()
    nodes = {node["code"]: node for node in detail["nodes"]}
    assert nodes["TRADE_GROWTH"]["input_words"] == "进出口总额比上年增长（%）"
    assert nodes["OPENING"]["weight_method"] == "ahp"
    assert 0 < nodes["OPENING"]["consistency_ratio"] < 0.1
    assert nodes["GDP_G"]["overall"] == pytest.approx(0.15)
    assert nodes["ENERGY"]["direction"] == -1
    assert client.get("/api/v1/evaluation/schemes/999999").status_code == 404


def test_the_ministry_lists_every_run_and_others_only_published_ones(client_for, evaluated):
    ministry = client_for("ministry_analyst").get("/api/v1/evaluation/runs").json()
    assert {run["id"] for run in ministry} == {evaluated.run_id, evaluated.last_year_id}
    detail = client_for("ministry_analyst").get(
        f"/api/v1/evaluation/runs/{evaluated.run_id}").json()
    assert detail["summary"]["ranked"] == 19 and len(detail["run_hash"]) == 64
    assert detail["title"] == f"{YEAR}年度综合评价" and detail["method"]
    reporter = client_for("pingxiang_reporter")
    assert [run["id"] for run in reporter.get("/api/v1/evaluation/runs").json()] == [
        evaluated.last_year_id]
    assert reporter.get(f"/api/v1/evaluation/runs/{evaluated.run_id}").status_code == 404
    assert reporter.get(f"/api/v1/evaluation/runs/{evaluated.run_id}/results"
                        ).status_code == 404
    assert reporter.get(f"/api/v1/evaluation/runs?year={YEAR - 1}").json()[0]["year"] == \
        YEAR - 1


def test_results_carry_the_rank_band_and_the_reason_for_not_ranking(client_for, evaluated):
    body = client_for("ministry_admin").get(
        f"/api/v1/evaluation/runs/{evaluated.run_id}/results").json()
    assert body["full_table"] is True and body["zones_evaluated"] == 20
    assert len(body["results"]) == 20 and body["zones_ranked"] == 19
    stored = {r.zone.code: r for r in ZoneResult.objects.filter(run_id=evaluated.run_id)
              .select_related("zone")}
    for row in body["results"]:
        result = stored[row["zone"]]
        assert (row["rank"], row["rank_p5"], row["rank_p95"]) == (
            result.rank, result.rank_p5, result.rank_p95)
        assert [p["name"] for p in row["pillars"]] == ["对外开放", "科技创新", "绿色发展",
                                                      "统筹协调", "发展质量"]
    ranked = [row for row in body["results"] if row["rank"] is not None]
    assert [row["rank"] for row in ranked] == sorted(row["rank"] for row in ranked)
    assert all(whole(row["rank_p5"]) <= row["rank"] <= whole(row["rank_p95"])
               for row in ranked)
    unranked = [row for row in body["results"] if row["rank"] is None]
    assert len(unranked) == 1 and "低于方案要求的66.7%" in unranked[0]["not_ranked"]


@pytest.mark.parametrize("key", ["xinjiang_reviewer", "pingxiang_reporter",
                                 "northeast_observer"])
def test_results_follow_the_visibility_setting_both_ways(client_for, evaluated, key):
    publish(client_for, evaluated.run_id)
    run = EvaluationRun.objects.get(pk=evaluated.run_id)
    url = f"/api/v1/evaluation/runs/{run.pk}/results"
    own = client_for(key).get(url)
    body = own.json()
    assert body["full_table"] is False and body["zones_evaluated"] == 20
    assert body["median"]["score"] == run.summary["median"]["score"]
    assert body["results"] and {row["zone"] for row in body["results"]} <= visible_units(key)
    leaked = sorted(m for m in hidden_markers(key) if m in own.content.decode())
    assert not leaked, leaked[:5]
    client_for("ministry_admin").post("/evaluation/settings/", {"visibility": "full"})
    body = client_for(key).get(url).json()
    assert body["full_table"] is True and len(body["results"]) == 20


def test_an_anonymous_caller_gets_401(client, db, evaluated):
    assert client.get("/api/v1/evaluation/runs").status_code == 401
