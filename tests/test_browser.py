"""In a real browser: Debian's chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from personas import PASSWORD, PERSONAS, make_user

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("BIANHE_REQUIRE_BROWSER") == "1"

if not CHROMIUM.exists():
    if REQUIRED:
        raise RuntimeError("BIANHE_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
    pytest.skip("chromium is not installed (.ci/run installs it)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
# between page actions are ordinary blocking calls, which Django must be told are fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


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
