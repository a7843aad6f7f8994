"""In a real browser: Debian's chromium driven by Playwright against a live server."""

from __future__ import annotations

import pytest

from browser_support import require_chromium
from personas import PASSWORD, PERSONAS, make_user

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_province_reviewer_logs_in_and_sees_only_its_provinces_zones(
        live_server, registry, browser):
    make_user("xinjiang_reviewer")
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server.url}/zones/")
    assert "/accounts/login/" in page.url  # not logged in yet
    page.fill("#id_username", PERSONAS["xinjiang_reviewer"].username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/zones/")
    assert page.locator("h1").inner_text() == "园区名录"
    codes = page.locator("#zones tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.code)")
    assert sorted(codes) == ["BECZ-XJ-01", "BECZ-XJ-02", "BECZ-XJ-03", "BECZ-XJ-04",
                             "CBECZ-XJ-01"]
    # The htmx filter swaps the table in place and keeps the scope.
    page.select_option("select[name=kind]", "cross_border")
    page.wait_for_function("document.querySelectorAll('#zones tbody tr').length === 1")
    assert page.locator("#zones tbody tr").get_attribute("data-code") == "CBECZ-XJ-01"
    assert "凭祥" not in page.content()
    # Another province's zone does not exist for this user.
    response = page.goto(f"{live_server.url}/zones/BECZ-GX-01/")
    assert response.status == 404


def test_the_home_page_draws_its_chart_from_the_vendored_echarts(live_server, registry,
                                                                  browser):
    user = make_user("ministry_analyst")
    page = browser.new_page()
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_selector("#zones-by-province canvas")
    assert page.evaluate("typeof window.echarts") == "object"
    assert page.evaluate("typeof window.htmx") == "object"
    assert not failed


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_reporter_fills_and_submits_and_the_province_returns_it_with_a_reason(
        live_server, people, open_month, browser):
    from bianhe.catalog.disaggregations import members
    from bianhe.catalog.models import CatalogVersion
    from bianhe.reporting.actions import do_save_values
    from bianhe.reporting.models import DataValue, Report, ReportForm
    from bianhe.reporting.queries import form_indicators
    from bianhe.zones.models import OrgUnit

    reporter = people["pingxiang_reporter"]
    form = ReportForm.objects.get(code="BH-M")
    version = CatalogVersion.objects.get(year=open_month.year)
    # Everything but two cells is already saved; the browser types the last two.
    rows = [{"zone": "BECZ-GX-01", "period": open_month.code, "indicator": ind.code,
             "member": member, "value": "10"}
            for ind in form_indicators(form, version) for member in members(ind.disaggregation)
            if ind.code not in ("EXPORT", "IMPORT")]
    assert do_save_values(reporter, rows).ok
    base = live_server.url
    page = browser.new_page(locale="zh-CN")
    _login(page, base, reporter.username)
    page.goto(f"{base}/reporting/BECZ-GX-01/BH-M/{open_month.code}/")
    export = page.locator("#row-EXPORT input[name=value]")
    export.fill("1.2万")
    export.press("Tab")
    page.wait_for_selector("#row-EXPORT .error")
    assert "不要带" in page.locator("#row-EXPORT .error").inner_text()
    page.locator("#row-EXPORT input[name=value]").fill("12000")
    page.locator("#row-EXPORT input[name=value]").press("Tab")
    page.wait_for_selector("#row-EXPORT .ok")
    page.locator("#row-IMPORT input[name=value]").fill("8000")
    page.locator("#row-IMPORT input[name=value]").press("Tab")
    page.wait_for_selector("#row-IMPORT .ok")
    assert DataValue.objects.get(indicator_code="EXPORT").value == 12000
    page.click("button[value=submit]")
    page.wait_for_selector(".messages li")
    assert Report.objects.get().status == "submitted"

    reviewer_page = browser.new_page(locale="zh-CN")
    _login(reviewer_page, base, "gx-reviewer")
    reviewer_page.goto(f"{base}/reporting/")
    reviewer_page.click(f"text={OrgUnit.objects.get(code='BECZ-GX-01').name_zh}")
    reviewer_page.fill("form.transition:has(button[value=return]) input[name=reason]",
                       "出口额与海关数据不符,请核实")
    reviewer_page.click("button[value=return]")
    reviewer_page.wait_for_selector(".notice.warning")
    report = Report.objects.get()
    assert (report.status, report.returned_reason) == ("returned", "出口额与海关数据不符,请核实")
    # The reporter sees the reason and can edit again.
    page.goto(f"{base}/reporting/BECZ-GX-01/BH-M/{open_month.code}/")
    assert "出口额与海关数据不符" in page.locator(".notice.warning").inner_text()
    assert page.locator("#row-EXPORT input[name=value]").is_editable()


def test_a_reporter_sees_a_flag_while_typing_explains_it_and_the_reviewer_accepts_it(
        live_server, people, open_month, browser):
    from bianhe.quality.actions import ensure_default_rules
    from bianhe.quality.models import Explanation
    from bianhe.reporting.actions import do_save_values
    from bianhe.reporting.models import Report
    from bianhe.zones.models import OrgUnit
    from test_quality_workflow import monthly_rows

    ensure_default_rules()
    reporter = people["pingxiang_reporter"]
    assert do_save_values(reporter, monthly_rows("BECZ-GX-01", open_month)).ok
    base = live_server.url
    page = browser.new_page(locale="zh-CN")
    _login(page, base, reporter.username)
    page.goto(f"{base}/reporting/BECZ-GX-01/BH-M/{open_month.code}/")
    assert page.locator("#row-TRADE_TOTAL .flag").count() == 0
    # Border trade above total trade (with its parts kept consistent): rule R04 warns.
    for code, value in (("BORDER_SMALL_TRADE", "100"), ("BORDER_RESIDENT_TRADE", "50"),
                        ("BORDER_TRADE", "150")):
        page.locator(f"#row-{code} input[name=value]").fill(value)
        page.locator(f"#row-{code} input[name=value]").press("Tab")
        page.wait_for_selector(f"#row-{code} .ok")
    # The summary above the grid was swapped in with the save and names the flagged row.
    assert "进出口总额" in page.locator("#quality-summary").inner_text()
    page.reload()
    assert page.locator("#row-TRADE_TOTAL .flag.warning").count() == 1
    page.click("button[value=submit]")
    page.wait_for_selector(".messages li")
    assert "进出口总额" in page.locator(".messages").inner_text()
    assert "TRADE_TOTAL" not in page.locator(".messages").inner_text()
    assert Report.objects.get().status == "draft"
    page.locator("#row-TRADE_TOTAL textarea[name=explanation]").fill("边民互市贸易未纳入海关统计")
    with page.expect_response(lambda response: "/explain/" in response.url):
        page.locator("#row-TRADE_TOTAL textarea[name=explanation]").press("Tab")
    assert Explanation.objects.get().text == "边民互市贸易未纳入海关统计"
    page.click("button[value=submit]")
    page.wait_for_selector(".messages li")
    assert Report.objects.get().status == "submitted"

    reviewer = browser.new_page(locale="zh-CN")
    _login(reviewer, base, "gx-reviewer")
    reviewer.goto(f"{base}/quality/")
    assert reviewer.locator("#worklist tbody tr[data-report]").count() == 1
    reviewer.click(f"#worklist >> text={OrgUnit.objects.get(code='BECZ-GX-01').name_zh}")
    reviewer.wait_for_selector("#row-TRADE_TOTAL .explanation-text")
    reviewer.click("#row-TRADE_TOTAL button.accept-explanation")
    reviewer.wait_for_selector("#row-TRADE_TOTAL .badge.explanation-accepted")
    assert Explanation.objects.get().status == "accepted"


def _wait_for(page, condition, what):
    """Let the page's event loop run until ``condition()`` holds (or fail saying ``what``)."""
    for _step in range(200):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never happened: {what}")


def test_rapid_edits_leave_the_row_and_the_summary_showing_the_last_saved_value(
        live_server, people, open_month, browser):
    """Two edits of one cell 0.1 s apart, the first save's answer held back until after
    the second was typed: the row and the summary end up showing the last value, never a
    late answer about the first."""
    from bianhe.quality.actions import ensure_default_rules
    from bianhe.reporting.actions import do_save_values
    from bianhe.reporting.models import DataValue
    from test_quality_workflow import monthly_rows

    ensure_default_rules()
    reporter = people["pingxiang_reporter"]
    assert do_save_values(reporter, monthly_rows("BECZ-GX-01", open_month)).ok
    base = live_server.url
    page = browser.new_page(locale="zh-CN")
    _login(page, base, reporter.username)
    page.goto(f"{base}/reporting/BECZ-GX-01/BH-M/{open_month.code}/")
    assert page.locator("#row-TRADE_TOTAL .flag").count() == 0
    held, answered = [], []

    def hold_the_first_save(route):
        if not held:
            held.append((route, route.fetch()))  # the server has saved it; the page waits
        else:
            route.continue_()

    page.route("**/cell/", hold_the_first_save)
    page.on("requestfinished",
            lambda request: answered.append(request) if request.url.endswith("/cell/")
            else None)
    cell = page.locator("#row-TRADE_TOTAL input[name=value]")
    cell.fill("150")  # 60 + 40 ≠ 150: rule R01 fails
    cell.press("Tab")
    _wait_for(page, lambda: held, "the first save reached the server")
    page.wait_for_timeout(100)
    page.locator("#row-TRADE_TOTAL input[name=value]").fill("100")  # consistent again
    page.locator("#row-TRADE_TOTAL input[name=value]").press("Tab")
    page.wait_for_timeout(300)  # time for a second save to go out, if it is not queued
    route, response = held[0]
    route.fulfill(response=response)
    _wait_for(page, lambda: len(answered) >= 2, "the second edit was saved as well (not dropped)")
    page.wait_for_selector("#row-TRADE_TOTAL .ok")
    assert DataValue.objects.get(indicator_code="TRADE_TOTAL").value == 100
    assert page.locator("#row-TRADE_TOTAL .flag").count() == 0
    assert page.locator("#row-TRADE_TOTAL input[name=value]").input_value() == "100"
    assert "进出口总额" not in page.locator("#quality-summary").inner_text()
    page.reload()
    assert page.locator("#row-TRADE_TOTAL .flag").count() == 0


def test_a_save_refreshes_the_other_rows_a_rule_ties_it_to(live_server, people, open_month,
                                                            browser):
    from bianhe.quality.actions import ensure_default_rules
    from bianhe.reporting.actions import do_save_values
    from test_quality_workflow import monthly_rows

    ensure_default_rules()
    reporter = people["pingxiang_reporter"]
    assert do_save_values(reporter, monthly_rows("BECZ-GX-01", open_month)).ok
    base = live_server.url
    page = browser.new_page(locale="zh-CN")
    _login(page, base, reporter.username)
    page.goto(f"{base}/reporting/BECZ-GX-01/BH-M/{open_month.code}/")
    total = page.locator("#row-TRADE_TOTAL input[name=value]")
    total.fill("150")  # 60 + 40 ≠ 150: rule R01 shows its failure on 出口额's row
    total.press("Tab")
    page.wait_for_selector("#row-TRADE_TOTAL .ok")
    page.wait_for_selector("#row-EXPORT .flag.error")
    message = page.locator("#row-EXPORT .flag .message").inner_text()
    assert "出口额 + 进口额" in message and "≠ 进出口总额" in message
    assert "EXPORT" not in message and "TRADE_TOTAL" not in message
    page.locator("#row-TRADE_TOTAL input[name=value]").fill("100")
    page.locator("#row-TRADE_TOTAL input[name=value]").press("Tab")
    page.wait_for_selector("#row-EXPORT .flag", state="detached")
