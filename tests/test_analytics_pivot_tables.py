"""The standard tables out of the pivot: several measures side by side, rank views best
first, amounts in 亿元 on request, a printable XLSX, and periods picked by their labels."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook

from analytics_data import put

PIVOT, EXPORT = "/analytics/pivot/", "/analytics/pivot/export/"
GX1, GX2, XJ1 = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01"
LAST = dt.date.today().year - 1
PREVIOUS = LAST - 1


@pytest.fixture
def trade(catalogue):
    put({(GX1, f"{LAST}M12", "TRADE_TOTAL"): 1200.5, (GX2, f"{LAST}M12", "TRADE_TOTAL"): 300.25,
         (XJ1, f"{LAST}M12", "TRADE_TOTAL"): 50, (GX1, f"{PREVIOUS}M12", "TRADE_TOTAL"): 1000,
         (GX2, f"{PREVIOUS}M12", "TRADE_TOTAL"): 250})


def params(**values) -> str:
    base = {"indicator": "TRADE_TOTAL", "level": "province", "granularity": "year",
            "start": str(LAST), "end": str(LAST)}
    base.update(values)
    return urlencode(base, doseq=True)


def cells(page: str) -> dict[str, list[str]]:
    found = {}
    for key, body in re.findall(r'<tr data-row="([^"]*)">(.*?)</tr>', page, re.S):
        found[key] = [html.unescape(re.sub(r"<[^>]+>.*?</sup>|<[^>]+>", "", cell)) for cell in
                      re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
    return found


def test_amount_growth_and_share_side_by_side_in_one_table(client_for, trade):
    client = client_for("ministry_admin")
    query = params(measure=["value", "yoy", "share"])
    page = client.get(f"{PIVOT}?{query}").content.decode()
    headers = re.findall(r'<th scope="col" class="num"[^>]*>(.*?)</th>', page)
    assert headers[-3:] == ["数值（万元）", "同比（%）", "比重（%）"]
    # 广西: 1,500.75 万元, 同比 (1,500.75 / 1,250 − 1) = 20.1 %, share 1,500.75 / 1,550.75.
    assert cells(page)["CN-GX"] == ["1,500.8", "20.1", "96.8"]
    sheet = load_workbook(io.BytesIO(client.get(f"{EXPORT}?{query}&format=xlsx").content)).active
    values = {c.coordinate: c.value for row in sheet.iter_rows() for c in row}
    assert "数值（万元）" in values.values() and "同比（%）" in values.values()
    api = client.get(f"/api/v1/analytics/query?{query}").json()
    gx = {o["measure"]: o["value"] for o in api["observations"] if o["unit"] == "CN-GX"}
    assert gx == pytest.approx({"value": 1500.75, "yoy": 20.06, "share": 96.776}, abs=0.01)


def test_a_rank_view_lists_the_best_first(client_for, trade):
    page = client_for("ministry_admin").get(
        f"{PIVOT}?{params(level='zone', measure='rank')}").content.decode()
    order = re.findall(r'<tr data-row="([^"]*)">', page)
    assert order[:3] == [GX1, GX2, XJ1]


def test_the_xlsx_prints_landscape_on_one_page_width_with_repeated_headings(client_for, trade):
    query = params(level="zone", start=str(PREVIOUS), measure=["value", "yoy"])
    content = client_for("ministry_admin").get(f"{EXPORT}?{query}&format=xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    first, last = (int(n) for n in re.findall(r"\d+", sheet.print_title_rows))
    headings = [sheet.cell(row=r, column=2).value for r in range(first, last + 1)]
    assert headings == [f"{PREVIOUS}年", "数值（万元）"]  # both heading rows repeat


def test_amounts_in_yi_on_request_and_in_the_stored_unit_otherwise(client_for, trade):
    client = client_for("ministry_admin")
    page = client.get(f"{PIVOT}?{params(scale='yi')}").content.decode()
    assert cells(page)["CN-GX"] == ["0.15"] and "计量单位：亿元" in page
    stored = load_workbook(io.BytesIO(client.get(f"{EXPORT}?{params()}&format=xlsx").content))
    numbers = [c for row in stored.active.iter_rows() for c in row if isinstance(c.value, float)]
    assert 1500.75 in [c.value for c in numbers]
    scaled = load_workbook(io.BytesIO(client.get(
        f"{EXPORT}?{params(scale='yi')}&format=xlsx").content)).active
    figure = next(c for row in scaled.iter_rows() for c in row
                  if isinstance(c.value, float) and c.value == pytest.approx(0.150075))
    assert figure.number_format == "#,##0.00"
    texts = [c.value for row in scaled.iter_rows() for c in row if isinstance(c.value, str)]
    assert "计量单位：亿元" in texts


def test_periods_are_picked_by_their_labels_and_codes_are_never_shown(client_for, trade):
    page = client_for("ministry_admin").get(
        f"{PIVOT}?{params(granularity='ytd', start=f'{LAST}M06', end=f'{LAST}M11')}"
    ).content.decode()
    assert f'<option value="{LAST}M11" data-granularity="ytd" data-year="{LAST}" selected>' \
        f"{LAST}年1—11月</option>" in page
    assert f'value="{LAST}Q2" data-granularity="quarter"' in page
    assert 'type="text" name="start"' not in page
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", page, flags=re.S)
    assert not re.findall(r"\b\d{4}[QM]\d{1,2}\b", html.unescape(text))
    assert f"{LAST}年1—11月" in text
