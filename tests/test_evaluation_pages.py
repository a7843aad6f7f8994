"""The evaluation pages, as each role: runs, schemes, a run's ranking with its rank bands,
a zone's scorecard, comparing runs, publication, the visibility setting, and bad input
answered in Chinese with nothing saved."""

from __future__ import annotations

import json
import re

import pytest

from bianhe.audit.models import AuditLog
from bianhe.evaluation.models import (
    EvaluationRun,
    EvaluationSettings,
    RunState,
    Scheme,
    Visibility,
    ZoneResult,
)
from bianhe.evaluation.presenting import whole
from bianhe.jobs.runner import execute
from bianhe.zones.models import OrgUnit
from evaluation_support import (
    GAPPY_ZONE,
    INCONSISTENT_SCHEME,
    SMALL_SCHEME,
    SPARSE_ZONE,
    UNKNOWN_INDICATOR_SCHEME,
    YEAR,
    evaluation_world,
    save_scheme,
)
from personas import hidden_markers
from visible_text import visible_text

#: The scheme's node codes: never on a page (the YAML editor aside).
NODE_CODES = re.compile(r"\b(?:OPENING|INNOVATION|GREEN|COORDINATION|QUALITY|TRADE_GROWTH|"
                        r"BORDER_SHARE|NEIGHBOUR_SHARE|HT_PER_100|ENERGY|WASTE|REPORTING|COOP|"
                        r"GDP_G|LAND_TAX)\b")


@pytest.fixture(scope="module")
def evaluated(django_db_setup, django_db_blocker):
    yield from evaluation_world(django_db_blocker)


def text_of(response) -> str:
    return " ".join(visible_text(response.content.decode()))


def rows_of(response, table: str = "ranking") -> list[str]:
    """The zone codes of a table's rows, in order."""
    html = response.content.decode()
    body = html.split(f'id="{table}"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr data-code="([^"]+)"', body)


def start(client, **fields):
    scheme = Scheme.objects.get(code=fields.pop("scheme_code", "test"))
    data = {"scheme": scheme.pk, "year": YEAR, "label": "", "replications": 100, **fields}
    return client.post("/evaluation/runs/new/", data)


# --- the runs list ----------------------------------------------------------------------------
def test_the_ministry_lists_every_run_and_its_administrator_may_start_one(client_for, evaluated):
    page = client_for("ministry_admin").get("/evaluation/")
    html = page.content.decode()
    assert f'data-run="{evaluated.run_id}"' in html and f'data-run="{evaluated.last_year_id}"' \
        in html
    assert 'id="start-form"' in html and 'id="visibility-form"' in html
    text = text_of(page)
    assert f"{YEAR}年度综合评价" in text and "新建评价" in text
    # Years with accepted data are offered plainly; a year without says so.
    assert f"{YEAR + 1}年（年度尚未结束）" in text
    analyst = client_for("ministry_analyst").get("/evaluation/").content.decode()
    assert f'data-run="{evaluated.run_id}"' in analyst and 'id="start-form"' not in analyst


@pytest.mark.parametrize("key", ["xinjiang_reviewer", "pingxiang_reporter",
                                 "northeast_observer"])
def test_provinces_zones_and_observers_see_published_runs_only(client_for, evaluated, key):
    client = client_for(key)
    html = client.get("/evaluation/").content.decode()
    assert f'data-run="{evaluated.last_year_id}"' in html
    assert f'data-run="{evaluated.run_id}"' not in html and 'id="start-form"' not in html
    for url in (f"/evaluation/runs/{evaluated.run_id}/",
                f"/evaluation/runs/{evaluated.run_id}/ranking.xlsx",
                f"/evaluation/runs/{evaluated.run_id}/zones/BECZ-GX-01/",
                "/evaluation/compare/", "/evaluation/schemes/new/",
                f"/evaluation/schemes/{evaluated.scheme_id}/edit/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/evaluation/runs/new/", {"year": YEAR}).status_code == 404
    assert client.post("/evaluation/settings/", {"visibility": "full"}).status_code == 404


# --- a run's page -----------------------------------------------------------------------------
def test_every_rank_carries_its_band_and_the_chart_draws_them(client_for, evaluated):
    page = client_for("ministry_analyst").get(f"/evaluation/runs/{evaluated.run_id}/")
    assert page.status_code == 200
    results = list(ZoneResult.objects.filter(run_id=evaluated.run_id, rank__isnull=False)
                   .select_related("zone").order_by("rank", "zone__code"))
    assert rows_of(page) == [r.zone.code for r in results]
    html = page.content.decode()
    for result in results:
        row = html.split(f'<tr data-code="{result.zone.code}"', 1)[1].split("</tr>", 1)[0]
        low, high = whole(result.rank_p5), whole(result.rank_p95)
        band = f"第{low}—{high}名" if low != high else f"第{low}名"
        assert f"第{result.rank}名" in row and band in row and result.zone.name_zh in row
        assert f"{result.score:,.2f}分" in row
    chart = json.loads(html.split('id="rank-bands-data" type="application/json">', 1)[1]
                       .split("</script>", 1)[0])
    assert chart["rank"] == [r.rank for r in results]
    assert chart["low"] == [whole(r.rank_p5) for r in results]
    assert chart["zones"][0] == results[0].zone.name_zh
    assert "vendor/echarts/echarts.min.js" in html


def test_the_run_page_lists_zones_not_ranked_missing_figures_and_the_audit(client_for,
                                                                         evaluated):
    run = EvaluationRun.objects.get(pk=evaluated.run_id)
    page = client_for("ministry_admin").get(f"/evaluation/runs/{run.pk}/")
    text = text_of(page)
    sparse = OrgUnit.objects.get(code=SPARSE_ZONE).name_zh
    assert re.search(sparse + r" ：仅\d+\.\d%的指标有部级确认数据，低于方案要求的66\.7%", text)
    gappy = OrgUnit.objects.get(code=GAPPY_ZONE).name_zh
    missing = page.content.decode().split('id="missing"', 1)[1].split("</table>", 1)[0]
    assert gappy in missing and "研发强度" in missing
    assert "按方案缺失值政策：权重在同一一级指标的其余指标间重新分配" in text
    assert f"本次评价共缺失{run.summary['missing_cells']}个数据" in text
    flagged = [flag["node"] for flag in run.summary["flags"]]
    html = page.content.decode()
    assert html.count("该一级指标下各指标方向不一致（α&lt;0），得分解读需谨慎") == len(flagged) > 0
    assert "名次的全局敏感性指数" in text and "标准化方法的选择" in text
    assert run.run_hash in text and "运行指纹（SHA-256）" in text
    assert "共20个园区参评，其中19个参与排名" in text
    assert "未发布：仅商务部可见。" in text
    assert not NODE_CODES.search(text), NODE_CODES.search(text)


def test_a_queued_run_shows_its_progress_and_the_page_reloads_when_it_is_done(client_for,
                                                                              evaluated):
    client = client_for("ministry_admin")
    response = start(client, label="进度")
    run = EvaluationRun.objects.get(label="进度")
    assert response["Location"] == f"/evaluation/runs/{run.pk}/"
    html = client.get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert 'id="run-progress"' in html and 'hx-trigger="every 1s"' in html
    fragment = client.get(f"/evaluation/runs/{run.pk}/", headers={"HX-Request": "true"})
    assert fragment.content.decode().strip().startswith('<div id="run-progress"')
    execute(run.job.pk)
    done = client.get(f"/evaluation/runs/{run.pk}/", headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    assert 'id="ranking"' in client.get(f"/evaluation/runs/{run.pk}/").content.decode()


def test_a_failed_run_says_why_in_words(client_for, evaluated):
    run = EvaluationRun.objects.get(pk=evaluated.run_id)
    EvaluationRun.objects.filter(pk=run.pk).update(
        state=RunState.FAILED,
        error="fewer than two zones have enough accepted figures to be ranked")
    text = text_of(client_for("ministry_admin").get(f"/evaluation/runs/{run.pk}/"))
    assert "有足够部级确认数据、可参与排名的园区不足两个。" in text
    assert "fewer" not in text


# --- the scorecard ------------------------------------------------------------------------------
def test_a_scorecard_shows_the_band_pillars_charts_inputs_and_what_moved(client_for,
                                                                          evaluated):
    result = ZoneResult.objects.get(run_id=evaluated.run_id, zone__code="BECZ-GX-01")
    assert result.previous_rank is not None and result.movers
    page = client_for("ministry_admin").get(
        f"/evaluation/runs/{evaluated.run_id}/zones/BECZ-GX-01/")
    text = text_of(page)
    html = page.content.decode()
    low, high = whole(result.rank_p5), whole(result.rank_p95)
    band = f"第{low}—{high}名" if low != high else f"第{low}名"
    assert f"第{result.rank}名" in text and f"5%—95%区间：{band}" in text
    assert f"{YEAR - 1}年名次" in text and f"第{result.previous_rank}名" in text
    # What moved the rank, in words: the indicator's name and its change in points.
    movers = html.split('id="movers"', 1)[1].split("</ul>", 1)[0]
    assert len(re.findall(r"<li>[^<]+贡献 [+-]?\d+\.\d\d分</li>", movers)) == \
        len(result.movers)
    assert "进出口总额增速" in text or "地区生产总值增速" in text or "亩均税收" in text
    pillars = html.split('id="pillars"', 1)[1].split("</table>", 1)[0]
    assert pillars.count("<tr data-pillar=") == 5 and "对外开放" in pillars
    inputs = html.split('id="inputs"', 1)[1].split("</table>", 1)[0]
    assert "进出口总额比上年增长（%）" in inputs and "边境贸易额占进出口总额比重（%）" in inputs
    assert "吨标准煤/万元" in inputs and "数据质量与及时性得分（0—100）" in inputs
    radar = json.loads(html.split('id="pillar-radar-data" type="application/json">', 1)[1]
                       .split("</script>", 1)[0])
    assert radar["axes"] == ["对外开放", "科技创新", "绿色发展", "统筹协调", "发展质量"]
    assert 'id="contributions-data"' in html
    assert not NODE_CODES.search(text), NODE_CODES.search(text)


def test_a_scorecard_of_a_zone_not_ranked_says_why(client_for, evaluated):
    text = text_of(client_for("ministry_admin").get(
        f"/evaluation/runs/{evaluated.run_id}/zones/{SPARSE_ZONE}/"))
    assert "未参与排名：" in text and "低于方案要求的66.7%" in text


def test_a_zone_reporter_reaches_its_own_scorecard_from_the_menu_and_no_other(client_for,
                                                                              evaluated):
    client = client_for("pingxiang_reporter")
    home = client.get("/").content.decode()
    assert 'id="nav-my-evaluation"' in home and "我的评价" in home
    response = client.get("/evaluation/mine/")
    assert response["Location"] == \
        f"/evaluation/runs/{evaluated.last_year_id}/zones/BECZ-GX-01/"
    assert client.get(response["Location"]).status_code == 200
    other = f"/evaluation/runs/{evaluated.last_year_id}/zones/BECZ-GX-02/"
    assert client.get(other).status_code == 404


# --- visibility -----------------------------------------------------------------------------
def _publish(client, run_id):
    return client.post(f"/evaluation/runs/{run_id}/publish/")


@pytest.mark.parametrize("key", ["xinjiang_reviewer", "pingxiang_reporter",
                                 "northeast_observer"])
def test_by_default_others_see_their_own_zones_and_the_medians_only(client_for, evaluated,
                                                                    key):
    assert EvaluationSettings.current().visibility == Visibility.OWN
    _publish(client_for("ministry_admin"), evaluated.run_id)
    client = client_for(key)
    page = client.get(f"/evaluation/runs/{evaluated.run_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    leaked = sorted(marker for marker in hidden_markers(key) if marker in body)
    assert not leaked, leaked[:5]
    from personas import visible_units

    mine = visible_units(key)
    shown = rows_of(page)
    assert shown and set(shown) <= mine
    text = text_of(page)
    run = EvaluationRun.objects.get(pk=evaluated.run_id)
    assert "共20个园区参评" in text and "按商务部设置" in text
    assert f"{run.summary['median']['score']:,.2f}分" in text  # the median of all
    xlsx = client.get(f"/evaluation/runs/{evaluated.run_id}/ranking.xlsx")
    assert xlsx.status_code == 200
    from test_scope_routes import _body

    leaked = sorted(marker for marker in hidden_markers(key) if marker in _body(xlsx))
    assert not leaked, leaked[:5]


def test_with_the_full_table_set_others_see_every_zone_but_scorecards_stay_in_scope(
        client_for, evaluated):
    admin = client_for("ministry_admin")
    _publish(admin, evaluated.run_id)
    response = admin.post("/evaluation/settings/", {"visibility": "full"})
    assert response.status_code == 302
    row = AuditLog.objects.get(action="evaluation.settings.update")
    assert (row.before, row.after, row.source) == ({"visibility": "own"},
                                                   {"visibility": "full"}, "web")
    client = client_for("xinjiang_reviewer")
    page = client.get(f"/evaluation/runs/{evaluated.run_id}/")
    assert len(rows_of(page)) == 19 and "按商务部设置" not in text_of(page)
    html = page.content.decode()
    # Other provinces' zones are listed without a link to their scorecards, which stay 404.
    gx = html.split('<tr data-code="BECZ-GX-01"', 1)[1].split("</tr>", 1)[0]
    assert "/zones/BECZ-GX-01/" not in gx
    assert client.get(f"/evaluation/runs/{evaluated.run_id}/zones/BECZ-GX-01/"
                      ).status_code == 404
    assert client.get(f"/evaluation/runs/{evaluated.run_id}/zones/BECZ-XJ-01/"
                      ).status_code == 200


# --- publication ---------------------------------------------------------------------------------
def test_publishing_is_audited_freezes_the_scheme_and_cannot_happen_twice(client_for,
                                                                          evaluated):
    admin = client_for("ministry_admin")
    run = EvaluationRun.objects.get(pk=evaluated.run_id)
    html = admin.get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert 'id="publish-form"' in html and "confirm(" in html
    assert _publish(admin, run.pk).status_code == 302
    run.refresh_from_db()
    assert run.is_published and run.published_by.username == "ministry-admin"
    rows = AuditLog.objects.filter(action="evaluation.run.publish", object_id=str(run.pk))
    assert rows.count() == 1 and rows.get().source == "web"
    assert rows.get().after["run_hash"] == run.run_hash
    page = admin.get(f"/evaluation/runs/{run.pk}/")
    assert "已发布（" in text_of(page) and 'id="publish-form"' not in page.content.decode()
    # Twice: a message in Chinese, nothing more recorded.
    again = admin.post(f"/evaluation/runs/{run.pk}/publish/", follow=True)
    assert "该评价已经发布，不能重复发布。" in text_of(again)
    assert rows.count() == 1
    # Provinces and zones see it now.
    assert client_for("pingxiang_reporter").get(f"/evaluation/runs/{run.pk}/"
                                                ).status_code == 200


def test_the_analyst_may_not_publish(client_for, evaluated):
    analyst = client_for("ministry_analyst")
    assert 'id="publish-form"' not in analyst.get(
        f"/evaluation/runs/{evaluated.run_id}/").content.decode()
    assert _publish(analyst, evaluated.run_id).status_code == 404
    assert not EvaluationRun.objects.get(pk=evaluated.run_id).is_published


def test_a_variant_from_changed_pillar_weights_is_compared_and_not_published(client_for,
                                                                             evaluated):
    admin = client_for("ministry_admin")
    scheme = Scheme.objects.get(pk=evaluated.scheme_id)
    weights = {f"weight_{scheme.pk}_{code}": value for code, value in
               (("OPENING", 10), ("INNOVATION", 40), ("GREEN", 15), ("COORDINATION", 10),
                ("QUALITY", 25))}
    response = start(admin, label="创新优先", **weights)
    variant = EvaluationRun.objects.get(label="创新优先")
    assert response.status_code == 302 and variant.is_variant
    assert variant.spec["index"]["weights"] == [10, 40, 15, 10, 25]
    execute(variant.job.pk)
    html = admin.get(f"/evaluation/runs/{variant.pk}/").content.decode()
    assert 'id="publish-form"' not in html
    page = admin.get(f"/evaluation/compare/?a={evaluated.run_id}&b={variant.pk}")
    shown = rows_of(page, "comparison")
    assert len(shown) == 20
    text = text_of(page)
    assert "向上箭头表示园区在运行B中名次更靠前" in text
    slope = json.loads(page.content.decode().split(
        'id="rank-slope-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    a = dict(ZoneResult.objects.filter(run_id=evaluated.run_id, rank__isnull=False)
             .values_list("zone__name_zh", "rank"))
    b = dict(ZoneResult.objects.filter(run=variant, rank__isnull=False)
             .values_list("zone__name_zh", "rank"))
    assert {line["name"]: line["ranks"] for line in slope["lines"]} == {
        name: [a[name], b[name]] for name in a}
    publish = admin.post(f"/evaluation/runs/{variant.pk}/publish/", follow=True)
    assert "变体仅供比较，不能发布" in text_of(publish)
    assert not EvaluationRun.objects.get(pk=variant.pk).is_published


# --- bad input: a message in Chinese, nothing saved -------------------------------------------
def test_ahp_judgements_with_a_consistency_ratio_of_0_1_or_more_are_refused_by_line(
        client_for, evaluated):
    admin = client_for("ministry_admin")
    schemes, audit = Scheme.objects.count(), AuditLog.objects.count()
    response = admin.post("/evaluation/schemes/new/", {"code": "bad-ahp",
                                                       "text": INCONSISTENT_SCHEME})
    assert response.status_code == 400
    text = text_of(response)
    line = next(i for i, row in enumerate(INCONSISTENT_SCHEME.splitlines(), 1)
                if "code: OPENING" in row)
    assert f"第{line}行：OPENING的层次分析法判断矩阵不一致：一致性比率CR = " in text
    assert "应小于0.10" in text
    assert (Scheme.objects.count(), AuditLog.objects.count()) == (schemes, audit)
    # The text typed is kept for correcting.
    assert "1/9" in response.content.decode()


def test_a_frozen_scheme_is_saved_as_its_next_version_and_stays_as_it_was(client_for,
                                                                        evaluated):
    admin = client_for("ministry_admin")
    scheme = Scheme.objects.get(pk=evaluated.scheme_id)
    assert scheme.is_frozen  # last year's published run uses it
    detail = text_of(admin.get(f"/evaluation/schemes/{scheme.pk}/"))
    assert "已冻结" in detail and f"{YEAR - 1}年度综合评价" in detail
    edit = admin.get(f"/evaluation/schemes/{scheme.pk}/edit/").content.decode()
    assert 'name="save"' not in edit and 'name="new_version"' in edit
    changed = SMALL_SCHEME.replace("name: 测试方案", "name: 测试方案修订")
    # Even a request asking to save in place makes the next version.
    response = admin.post(f"/evaluation/schemes/{scheme.pk}/edit/", {"text": changed,
                                                                      "save": "1"})
    new = Scheme.objects.get(code=scheme.code, version=2)
    assert response["Location"] == f"/evaluation/schemes/{new.pk}/"
    assert new.name == "测试方案修订"
    scheme.refresh_from_db()
    assert (scheme.name, scheme.text) == ("测试方案", SMALL_SCHEME)


def test_an_editable_scheme_changes_in_place_and_a_bad_one_names_its_line(client_for,
                                                                          evaluated):
    admin = client_for("ministry_admin")
    draft = save_scheme(code="draft")
    audit = AuditLog.objects.count()
    broken = SMALL_SCHEME.replace("measure: reporting_score", "measure: guesswork")
    response = admin.post(f"/evaluation/schemes/{draft.pk}/edit/", {"text": broken,
                                                                     "save": "1"})
    assert response.status_code == 400
    line = next(i for i, row in enumerate(broken.splitlines(), 1) if "guesswork" in row)
    assert f"第{line}行：指标REPORTING：未知的计算方法“guesswork”" in text_of(response)
    assert AuditLog.objects.count() == audit
    draft.refresh_from_db()
    assert draft.text == SMALL_SCHEME
    changed = SMALL_SCHEME.replace("description: 测试", "description: 修订说明")
    admin.post(f"/evaluation/schemes/{draft.pk}/edit/", {"text": changed, "save": "1"})
    draft.refresh_from_db()
    assert (draft.version, draft.description) == (1, "修订说明")
    assert AuditLog.objects.filter(action="evaluation.scheme.update").count() == 1


def test_a_run_for_a_year_not_ended_is_refused(client_for, evaluated):
    admin = client_for("ministry_admin")
    runs, audit = EvaluationRun.objects.count(), AuditLog.objects.count()
    response = start(admin, year=YEAR + 1)  # this year: not ended
    assert response.status_code == 400
    assert f"{YEAR + 1}年尚未结束" in text_of(response)
    assert (EvaluationRun.objects.count(), AuditLog.objects.count()) == (runs, audit)


def test_a_scheme_reading_an_indicator_the_catalogue_lacks_is_refused_at_the_start(
        client_for, evaluated):
    admin = client_for("ministry_admin")
    save_scheme(UNKNOWN_INDICATOR_SCHEME, code="unknown")
    runs, audit = EvaluationRun.objects.count(), AuditLog.objects.count()
    response = start(admin, scheme_code="unknown")
    assert response.status_code == 400
    line = next(i for i, row in enumerate(UNKNOWN_INDICATOR_SCHEME.splitlines(), 1)
                if "code: COOP" in row)
    assert f"第{line}行：{YEAR}年指标目录中没有方案所用的指标NO_SUCH_FIGURE。" in \
        text_of(response)
    assert (EvaluationRun.objects.count(), AuditLog.objects.count()) == (runs, audit)


def test_a_pillar_weight_that_is_not_a_number_is_refused(client_for, evaluated):
    admin = client_for("ministry_admin")
    runs = EvaluationRun.objects.count()
    response = start(admin, **{f"weight_{evaluated.scheme_id}_GREEN": "很多"})
    assert response.status_code == 400
    assert "“绿色发展”的权重不是数字。" in text_of(response)
    assert EvaluationRun.objects.count() == runs


# --- schemes ------------------------------------------------------------------------------------
def test_the_scheme_reads_as_a_tree_with_weights_consistency_and_inputs_in_words(client_for,
                                                                                evaluated):
    page = client_for("pingxiang_reporter").get(f"/evaluation/schemes/{evaluated.scheme_id}/")
    assert page.status_code == 200
    text = text_of(page)
    assert re.search(r"一致性比率 CR = 0\.0\d\d < 0\.10", text)
    assert "进出口增速最重要。" in text and "创新是发展的第一动力。" in text
    assert "进出口总额比上年增长（%）" in text and "越低越好" in text
    # Within its pillar and of the whole index, as percentages: 30 % × 50 % = 15 %.
    html = page.content.decode()
    gdp = html.split('data-node="GDP_G"', 1)[1].split("</tr>", 1)[0]
    assert "50.0%" in gdp and "15.0%" in gdp
    assert 'id="proposal-banner"' not in html
    assert not NODE_CODES.search(text), NODE_CODES.search(text)


def test_a_scheme_named_as_a_proposal_carries_the_banner(client_for, evaluated):
    proposal = save_scheme(SMALL_SCHEME.replace("name: 测试方案", "name: 测试（平台建议方案）"),
                           code="proposal")
    html = client_for("ministry_analyst").get(f"/evaluation/schemes/{proposal.pk}/"
                                              ).content.decode()
    assert 'id="proposal-banner"' in html and "不是商务部发布的评价办法或权重" in html
