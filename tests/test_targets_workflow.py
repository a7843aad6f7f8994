"""Annual work targets: the zone proposes, the province approves or returns with a reason,
every step audited; bad input is refused with a Chinese message on every channel (action,
web form, API) and writes nothing; out of scope answers 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bianhe.access import NotInScope
from bianhe.audit.models import AuditLog
from bianhe.targets.actions import do_delete_target, do_save_targets, do_transition
from bianhe.targets.models import SetStatus, Target, TargetSet
from bianhe.zones.models import OrgUnit

PINGXIANG, DONGXING, YINING = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01"
TRADE = {"indicator": "TRADE_TOTAL", "kind": "growth", "value": "8", "unit": "%",
         "fyp_2025_value": "10", "fyp_2025_kind": "growth", "note": "外贸稳增长"}
FAI = {"indicator": "FAI", "kind": "level", "value": "500,000", "unit": "万元"}
REASON_NEEDED = "请填写原因。"


@pytest.fixture
def year(catalogue):
    return timezone.localdate().year


def zone(code):
    return OrgUnit.objects.get(code=code)


def state():
    """Everything a refused change must leave as it was."""
    return (list(TargetSet.objects.values()), list(Target.objects.values()),
            AuditLog.objects.count())


def proposed(people, year, rows=(TRADE, FAI)):
    return do_save_targets(people["pingxiang_reporter"], zone(PINGXIANG), year, list(rows))


# --- the workflow ------------------------------------------------------------------------


def test_a_zone_proposes_and_its_province_approves_each_step_audited(people, year):
    reporter, reviewer = people["pingxiang_reporter"], people["guangxi_reviewer"]
    target_set = proposed(people, year)
    assert target_set.status == SetStatus.DRAFT
    trade = target_set.targets.get(indicator_code="TRADE_TOTAL")
    assert (trade.kind, trade.value, trade.unit, trade.fyp_2025_value) == ("growth", 8, "%", 10)
    assert target_set.targets.get(indicator_code="FAI").value == 500000
    do_transition(reporter, target_set, "submit")
    do_transition(reviewer, target_set, "approve")
    target_set.refresh_from_db()
    assert target_set.status == SetStatus.APPROVED
    assert target_set.submitted_by == reporter and target_set.decided_by == reviewer
    trail = list(AuditLog.objects.filter(object_type="targets.targetset")
                 .order_by("id").values_list("action", "actor_name", "before", "after"))
    assert [(a, who) for a, who, _b, _a in trail] == [
        ("targets.target.save", reporter.username), ("targets.set.submit", reporter.username),
        ("targets.set.approve", reviewer.username)]
    saved = trail[0][3]["targets"]
    assert {"indicator": "TRADE_TOTAL", "kind": "growth", "value": "8", "unit": "%",
            "fyp_2025_value": "10", "fyp_2025_kind": "growth", "note": "外贸稳增长"} in saved
    assert trail[2][2:] == ({"status": "submitted"}, {"status": "approved"})


def test_the_province_returns_with_a_reason_and_the_zone_changes_and_resubmits(people, year):
    reporter, reviewer = people["pingxiang_reporter"], people["guangxi_reviewer"]
    target_set = do_transition(reporter, proposed(people, year), "submit")
    do_transition(reviewer, target_set, "return", reason="进出口目标偏低，请对照十四五规划调整。")
    target_set.refresh_from_db()
    assert target_set.status == SetStatus.RETURNED
    assert target_set.returned_reason.startswith("进出口目标偏低")
    entry = AuditLog.objects.get(action="targets.set.return")
    assert entry.after == {"status": "returned", "reason": "进出口目标偏低，请对照十四五规划调整。"}
    assert entry.actor == reviewer
    do_save_targets(reporter, zone(PINGXIANG), year, [{**TRADE, "value": "12"}])
    do_transition(reporter, target_set, "submit")
    target_set.refresh_from_db()
    assert target_set.status == SetStatus.SUBMITTED and target_set.returned_reason == ""
    change = AuditLog.objects.filter(action="targets.target.save").latest("id")
    assert change.before["targets"][0]["value"] == "8"
    assert change.after["targets"][0]["value"] == "12"


def test_a_return_needs_a_reason(people, year):
    target_set = do_transition(people["pingxiang_reporter"], proposed(people, year), "submit")
    before = state()
    with pytest.raises(ValidationError):
        do_transition(people["guangxi_reviewer"], target_set, "return", reason="  ")
    assert state() == before


def test_approved_targets_stay_as_approved_until_the_province_reopens_them(people, year):
    reporter, reviewer = people["pingxiang_reporter"], people["guangxi_reviewer"]
    target_set = do_transition(reporter, proposed(people, year), "submit")
    do_transition(reviewer, target_set, "approve")
    before = state()
    with pytest.raises(ValidationError, match="只有草稿或被退回"):
        do_save_targets(reporter, zone(PINGXIANG), year, [{**FAI, "value": "1"}])
    with pytest.raises(ValidationError):
        do_delete_target(reporter, target_set, "FAI")
    assert state() == before
    do_transition(reviewer, target_set, "reopen", reason="年中调整")
    do_delete_target(reporter, target_set, "FAI")
    assert list(target_set.targets.values_list("indicator_code", flat=True)) == ["TRADE_TOTAL"]


def test_a_set_without_targets_cannot_be_submitted(people, year):
    target_set = proposed(people, year, rows=[FAI])
    do_delete_target(people["pingxiang_reporter"], target_set, "FAI")
    with pytest.raises(ValidationError):
        do_transition(people["pingxiang_reporter"], target_set, "submit")


@pytest.mark.parametrize(("key", "name"), [
    ("xinjiang_reviewer", "approve"),  # another province
    ("ministry_admin", "approve"),  # deciding is the province's
    ("pingxiang_reporter", "approve"),  # nobody approves their own targets
    ("northeast_observer", "return"),
])
def test_only_the_zones_province_decides(people, year, key, name):
    target_set = do_transition(people["pingxiang_reporter"], proposed(people, year), "submit")
    before = state()
    with pytest.raises(NotInScope):
        do_transition(people[key], target_set, name, reason="x")
    assert state() == before


@pytest.mark.parametrize("key", ["guangxi_reviewer", "ministry_admin", "ministry_analyst"])
def test_only_the_zone_proposes_its_targets(people, year, key):
    before = state()
    with pytest.raises(NotInScope):
        do_save_targets(people[key], zone(PINGXIANG), year, [TRADE])
    assert state() == before


def test_a_reporter_cannot_propose_for_another_zone(people, year):
    with pytest.raises(NotInScope):
        do_save_targets(people["pingxiang_reporter"], zone(DONGXING), year, [TRADE])
    assert not TargetSet.objects.exists()


# --- bad input, refused whole, in Chinese --------------------------------------------------

BAD = [
    pytest.param({**FAI, "unit": "亿元"}, "unit", "与指标计量单位“万元”不一致", id="unit-mismatch"),
    pytest.param({**TRADE, "unit": "万元"}, "unit", "增速目标以百分比", id="growth-not-percent"),
    pytest.param({"indicator": "ENTERPRISES", "kind": "growth", "value": "5"}, "kind",
                 "“企业数”是期末存量指标，按方案不能制定增速目标", id="growth-on-stock"),
    pytest.param({"indicator": "GDP_GROWTH", "kind": "growth", "value": "5"}, "kind",
                 "“地区生产总值增速”是比率指标", id="growth-on-rate"),
    pytest.param({"indicator": "NO_SUCH_THING", "kind": "level", "value": "5"}, "indicator",
                 "不在", id="unknown-indicator"),
    pytest.param({**FAI, "value": "约50万"}, "value", "不是数字", id="non-numeric"),
    pytest.param({**FAI, "value": ""}, "value", "请填写", id="empty"),
    pytest.param({**FAI, "value": "-5"}, "value", "不能小于0", id="below-minimum"),
    pytest.param({**TRADE, "value": "-100"}, "value", "必须大于−100%", id="growth-below-minus-100"),
    pytest.param({**FAI, "kind": "share"}, "kind", "目标类型只能是", id="unknown-kind"),
    pytest.param({**FAI, "fyp_2025_value": "700000"}, "fyp_2025_kind", "“十四五”规划目标",
                 id="plan-without-kind"),
]


@pytest.mark.parametrize(("row", "field", "message"), BAD)
def test_bad_input_is_refused_with_a_chinese_message_and_writes_nothing(people, year, row,
                                                                        field, message):
    before = state()
    with pytest.raises(ValidationError) as refused:
        # The good row beside the bad one is not saved either: all or nothing.
        do_save_targets(people["pingxiang_reporter"], zone(PINGXIANG), year, [TRADE, row])
    errors = refused.value.message_dict
    assert list(errors) == [f"targets.1.{field}"]
    assert message in " ".join(errors[f"targets.1.{field}"])
    assert state() == before


def test_the_scheme_may_allow_growth_targets_on_stocks(people, year, settings):
    settings.BIANHE_TARGET_GROWTH_ON_STOCK = True
    target_set = do_save_targets(people["pingxiang_reporter"], zone(PINGXIANG), year,
                                 [{"indicator": "ENTERPRISES", "kind": "growth", "value": "5"}])
    assert target_set.targets.get().kind == "growth"


def test_a_year_without_a_catalogue_takes_no_targets(people, year):
    with pytest.raises(ValidationError, match="没有指标目录"):
        do_save_targets(people["pingxiang_reporter"], zone(PINGXIANG), 1999, [TRADE])


def test_full_width_digits_and_separators_are_read_as_the_reporting_channels_read_them(
        people, year):
    target_set = proposed(people, year, rows=[{**FAI, "value": "１２,３４５.５"}])
    assert target_set.targets.get().value == 12345.5


# --- the web form ----------------------------------------------------------------------------


def test_the_set_page_saves_a_target_and_shows_a_bad_one_in_chinese(client_for, year):
    client = client_for("pingxiang_reporter")
    url = f"/targets/{year}/{PINGXIANG}/"
    assert client.get(url).status_code == 200
    response = client.post(url + "save/", {**FAI, "unit": "亿元"})
    assert response.status_code == 422
    assert "与指标计量单位“万元”不一致" in response.content.decode()
    assert not Target.objects.exists() and not AuditLog.objects.filter(
        action__startswith="targets.").exists()
    response = client.post(url + "save/", FAI)
    assert response.status_code == 302
    assert Target.objects.get().value == 500000
    response = client.post(url + "move/submit/")
    assert response.status_code == 302
    assert TargetSet.objects.get().status == SetStatus.SUBMITTED


def test_the_province_returns_targets_on_the_page_with_a_reason(client_for, people, year):
    do_transition(people["pingxiang_reporter"], proposed(people, year), "submit")
    client = client_for("guangxi_reviewer")
    page = client.get(f"/targets/{year}/{PINGXIANG}/").content.decode()
    assert "批准目标" in page and "退回园区修改" in page
    refused = client.post(f"/targets/{year}/{PINGXIANG}/move/return/", {"reason": ""})
    assert refused.status_code == 422 and REASON_NEEDED in refused.content.decode()
    assert TargetSet.objects.get().status == SetStatus.SUBMITTED
    client.post(f"/targets/{year}/{PINGXIANG}/move/return/", {"reason": "请补充口岸数据"})
    assert TargetSet.objects.get().returned_reason == "请补充口岸数据"


def test_a_reviewer_cannot_use_the_zones_form(client_for, year):
    response = client_for("guangxi_reviewer").post(f"/targets/{year}/{PINGXIANG}/save/", FAI)
    assert response.status_code == 404
    assert not TargetSet.objects.exists()


# --- the API -------------------------------------------------------------------------------


def test_a_zone_proposes_and_submits_through_the_api(client_for, year):
    response = client_for("pingxiang_reporter").post(
        "/api/v1/targets", {"year": year, "zone": PINGXIANG, "targets": [TRADE, FAI],
                            "submit": True}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted" and len(body["targets"]) == 2
    assert AuditLog.objects.filter(action="targets.target.save", source="api").exists()


def test_the_api_refuses_bad_input_in_chinese_and_writes_nothing(client_for, year):
    client = client_for("pingxiang_reporter")
    before = state()
    response = client.post(
        "/api/v1/targets", {"year": year, "zone": PINGXIANG, "submit": True,
                            "targets": [TRADE, {**FAI, "unit": "亿元"}]},
        content_type="application/json")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == "body.targets.1.unit"
    assert "与指标计量单位“万元”不一致" in problem["message"]
    assert state() == before


def test_the_api_answers_404_for_a_zone_outside_the_scope(client_for, year):
    client = client_for("pingxiang_reporter")
    before = state()
    response = client.post("/api/v1/targets", {"year": year, "zone": DONGXING,
                                               "targets": [TRADE]},
                           content_type="application/json")
    assert response.status_code == 404
    assert client.get("/api/v1/targets", {"zone": YINING}).status_code == 404
    assert state() == before


def test_the_api_lists_only_the_sets_in_scope(client_for, people, year):
    for code in (PINGXIANG, YINING):
        do_save_targets(None, zone(code), year, [TRADE])
    listed = client_for("guangxi_reviewer").get("/api/v1/targets", {"year": year}).json()
    assert [s["zone"] for s in listed["sets"]] == [PINGXIANG]
    assert listed["basis"] == ["submitted", "approved", "accepted"]
    everything = client_for("ministry_analyst").get("/api/v1/targets").json()
    assert {s["zone"] for s in everything["sets"]} == {PINGXIANG, YINING}


def test_the_audit_log_shows_recorded_targets_in_words(client_for, people, year):
    proposed(people, year)
    page = client_for("ministry_admin").get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "保存年度目标" in text
    assert "进出口总额：增长8.0%（“十四五”规划：年均增长10.0%）" in text
