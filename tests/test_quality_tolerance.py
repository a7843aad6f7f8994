"""Identity rules tolerate the rounding of their terms, an absolute amount, never a share of
a large total: a 500万元 gap fails R01, a rounding-sized gap does not; a rule's own absolute
tolerance is honoured; bad tolerance input is refused in Chinese and writes nothing."""

import pytest
from django.core.exceptions import ValidationError

from bianhe.audit.models import AuditLog, Source
from bianhe.catalog.disaggregations import members
from bianhe.catalog.models import CatalogVersion
from bianhe.quality.actions import do_save_rule, ensure_default_rules
from bianhe.quality.checks import ensure_checked
from bianhe.quality.expressions import parse_rule
from bianhe.quality.models import Flag, Rule
from bianhe.quality.rules import catalogue_members, read_default_rules
from bianhe.quality.tolerance import derived_tolerance, rounding_units
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import Report, ReportForm
from bianhe.reporting.queries import form_indicators

BIG = {"EXPORT": "1800000.0", "IMPORT": "1200000.0", "TRADE_TOTAL": "3000000.0",
       "BORDER_TRADE": "50", "BORDER_SMALL_TRADE": "30", "BORDER_RESIDENT_TRADE": "20",
       "FISCAL_REVENUE": "100", "TAX_REVENUE": "80", "IND_TAX_REVENUE": "30",
       "IND_OUTPUT": "100", "ABOVE_SCALE_IND_OUTPUT": "90",
       "MAJOR_PROJECTS": "5", "MAJOR_PROJECTS_STARTED": "2"}


def fill_big(user, period, **overrides):
    """A monthly report with a total trade of 3,000,000万元 (RU carries all of it), every
    other default rule satisfied."""
    values = {**BIG, **overrides}
    form = ReportForm.objects.get(code="BH-M")
    rows = []
    for ind in form_indicators(form, CatalogVersion.objects.get(year=period.year)):
        for member in members(ind.disaggregation):
            value = values.get(ind.code, "10")
            if ind.code == "TRADE_BY_PARTNER":
                value = values["TRADE_TOTAL"] if member == "RU" else "0"
            rows.append({"zone": "BECZ-GX-01", "period": period.code, "indicator": ind.code,
                         "member": member, "value": value})
    result = do_save_values(user, rows)
    assert result.ok, result.problems[:3]
    return Report.objects.get(zone__code="BECZ-GX-01", form__code="BH-M", period=period.code)


def r01_flags(report):
    ensure_checked(report)
    return Flag.objects.filter(report=report, rule__code="R01")


@pytest.fixture
def rules(catalogue):
    return ensure_default_rules(source=Source.SYSTEM)


def test_the_default_rules_carry_no_relative_tolerance(rules):
    assert all(not row["tolerance"] for row in read_default_rules())
    assert set(Rule.objects.values_list("tolerance", flat=True)) == {None}


def test_the_derived_tolerance_is_half_a_unit_per_term(catalogue):
    known, halves = catalogue_members(), rounding_units()

    def derived(text):
        return derived_tolerance(parse_rule(text, indicators=known), halves, known)

    assert derived("EXPORT + IMPORT == TRADE_TOTAL") == pytest.approx(0.15)  # 3 × 0.05
    # Eight partner members and the total, one decimal each.
    assert derived("sum(TRADE_BY_PARTNER) == TRADE_TOTAL") == pytest.approx(0.45)
    assert derived("ABOVE_SCALE_IND_ENT <= ENTERPRISES") == 0  # counts are exact
    assert derived("abs(yoy(GDP)) <= 50%") == 0  # a threshold, not an identity


def test_an_identity_off_by_500_wan_yuan_is_flagged(people, rules, open_month):
    report = fill_big(people["pingxiang_reporter"], open_month, TRADE_TOTAL="3000500.0")
    assert r01_flags(report).count() == 1


def test_an_identity_off_by_rounding_is_not_flagged(people, rules, open_month):
    report = fill_big(people["pingxiang_reporter"], open_month, EXPORT="1800000.1")
    assert not r01_flags(report).exists()
    # Off by 0.2 is more than three roundings of 0.05 allow.
    report = fill_big(people["pingxiang_reporter"], open_month, EXPORT="1800000.2")
    assert r01_flags(report).count() == 1


def test_a_rule_s_own_absolute_tolerance_is_honoured(people, rules, open_month):
    admin = people["ministry_admin"]
    rule = Rule.objects.get(code="R01")
    data = {"code": rule.code, "name": rule.name, "expression": rule.expression,
            "severity": rule.severity, "missing_policy": rule.missing_policy,
            "frequencies": rule.frequencies, "notes": rule.notes, "tolerance": "1000"}
    do_save_rule(admin, data, rule=rule)
    assert Rule.objects.get(code="R01").tolerance == 1000.0
    report = fill_big(people["pingxiang_reporter"], open_month, TRADE_TOTAL="3000500.0")
    assert not r01_flags(report).exists()
    do_save_rule(admin, {**data, "tolerance": "0.01"}, rule=Rule.objects.get(code="R01"))
    report = fill_big(people["pingxiang_reporter"], open_month, EXPORT="1800000.1")
    assert r01_flags(report).count() == 1


GOOD = {"code": "T01", "name": "测试规则", "expression": "EXPORT + IMPORT == TRADE_TOTAL",
        "severity": "error", "missing_policy": "skip_if_any_missing"}


@pytest.mark.parametrize("tolerance", ["-0.1", "abc", "0,5", "nan", "inf", "1e400"])
def test_bad_tolerance_input_is_refused_and_nothing_is_written(people, catalogue, tolerance):
    before = AuditLog.objects.count()
    with pytest.raises(ValidationError) as caught:
        do_save_rule(people["ministry_admin"], {**GOOD, "tolerance": tolerance})
    assert "tolerance" in caught.value.message_dict
    assert not Rule.objects.exists() and AuditLog.objects.count() == before


@pytest.mark.parametrize("tolerance", ["-1", "很小"])
def test_the_rule_page_refuses_a_bad_tolerance_in_chinese(client_for, catalogue, tolerance):
    client = client_for("ministry_admin")
    before = AuditLog.objects.count()
    response = client.post("/quality/rules/new/", {**GOOD, "tolerance": tolerance},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "容差为不小于0的数额" in response.content.decode()
    assert not Rule.objects.exists() and AuditLog.objects.count() == before


def test_the_rule_page_saves_an_absolute_tolerance_and_empty_derives_it(client_for,
                                                                        catalogue):
    client = client_for("ministry_admin")
    response = client.post("/quality/rules/new/", {**GOOD, "tolerance": "０.２"})
    assert response.status_code == 302
    assert Rule.objects.get(code="T01").tolerance == 0.2
    response = client.post("/quality/rules/T01/", {**GOOD, "tolerance": ""})
    assert response.status_code == 302
    assert Rule.objects.get(code="T01").tolerance is None
    page = client.get("/quality/rules/T01/").content.decode()
    assert 'placeholder="0.15"' in page
