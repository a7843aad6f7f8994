"""The pivot page in a real browser: Debian's chromium driven by Playwright, live server."""

from __future__ import annotations

import datetime as dt

import pytest

from browser_support import require_chromium
from personas import PASSWORD

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAST = dt.date.today().year - 1


def test_the_ministry_builds_a_pivot_and_downloads_it_as_xlsx(live_server, people, catalogue,
                                                              browser):
    from python_calamine import CalamineWorkbook

    from analytics_data import put
    from bianhe.zones.models import OrgUnit

    put({("BECZ-GX-01", f"{LAST}M12", "EXPORT"): 12345.6,
         ("BECZ-XJ-01", f"{LAST}M12", "EXPORT"): 20,
         ("BECZ-GX-01", f"{LAST}M12", "TRADE_TOTAL"): 99999})
    base = live_server.url
    page = browser.new_page(locale="zh-CN", accept_downloads=True)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", people["ministry_admin"].username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/analytics/pivot/")
    page.wait_for_selector("#pivot-table")
    page.wait_for_selector("#pivot-chart canvas")  # the default view draws its chart
    page.select_option("#id_indicator", ["EXPORT"])
    page.select_option("#id_level", "zone")
    # Periods are picked by their labels; a new granularity offers its own periods.
    page.select_option("#id_granularity", "quarter")
    assert page.locator("#id_start option:not([hidden])").first.inner_text().endswith("一季度")
    page.select_option("#id_granularity", "year")
    page.select_option("#id_start", label=f"{LAST}年")
    page.select_option("#id_end", label=f"{LAST}年")
    page.click("#pivot-submit")
    row = page.locator('#pivot-table tr[data-row="BECZ-GX-01"]')
    row.wait_for()
    assert row.locator("td").all_inner_texts() == ["12,345.6"]
    assert page.locator('#pivot-table tr[data-row="BECZ-XJ-01"] td').inner_text() == "20.0"
    assert "indicator=EXPORT" in page.url and "level=zone" in page.url  # pushed by htmx
    page.wait_for_selector("#pivot-chart canvas")

    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename == f"analytics-EXPORT-{LAST}-{LAST}.xlsx"
    rows = CalamineWorkbook.from_path(download.path()).get_sheet_by_index(0).to_python()
    name = OrgUnit.objects.get(code="BECZ-GX-01").name_zh
    found = [row for row in rows if row and row[0] == name]
    assert found and found[0][1] == pytest.approx(12345.6)
    assert "出口额" in rows[0][0]

    # A query that cannot run shows its message in place of the table.
    page.select_option("#id_start", f"{LAST + 1}")
    page.click("#pivot-submit")
    page.wait_for_selector("#pivot-error")
    assert page.locator("#pivot-table").count() == 0
    assert not failed
