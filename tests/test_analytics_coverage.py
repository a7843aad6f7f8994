"""Coverage: a total over some of the zones is never shown as the total of all zones.

Two of the twenty registry zones have accepted 2025 exports; the all-zone figure is their
sum, and every output says it covers 2 of 20 zones: the engine's frame, the pivot page,
the XLSX (read back with openpyxl), the CSV, the JSON API and the SDMX observations.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pandas as pd
import pytest
import sdmx
from openpyxl import load_workbook

from analytics_data import put
from bianhe.analytics.queries import run
from bianhe.analytics.query import Query
from bianhe.zones.models import OrgUnit

GX1, GX2 = "BECZ-GX-01", "BECZ-GX-02"
PIVOT, EXPORT = "/analytics/pivot/", "/analytics/pivot/export/"
PARTIAL_TOTAL = "已确认园区合计（2/20）"


@pytest.fixture
def two_of_twenty(catalogue):
    put({(GX1, "2025M12", "EXPORT"): 200.5, (GX2, "2025M12", "EXPORT"): 100})


def all_zones(**extra) -> str:
    return urlencode({"indicator": "EXPORT", "level": "all", "granularity": "year",
                      "start": "2025", "end": "2025", **extra}, doseq=True)


def test_the_engine_counts_included_and_expected_zones_per_cell(people, two_of_twenty):
    admin = people["ministry_admin"]
    total = run(admin, Query(indicators=("EXPORT",), level="all", start="2025", end="2025"))
    row = total.frame.iloc[0]
    assert (row.value, row.included, row.expected) == (300.5, 2, 20)
    provinces = run(admin, Query(indicators=("EXPORT",), level="province", start="2025",
                                 end="2025")).frame.set_index("unit")
    assert provinces.loc["CN-GX", ["included", "expected"]].tolist() == [2, 2]
    assert provinces.loc["CN-YN", ["included", "expected"]].tolist() == [0, 5]
    zones = run(admin, Query(indicators=("EXPORT",), level="zone", start="2025",
                             end="2025")).frame.set_index("unit")
    assert zones.loc[GX1, ["included", "expected"]].tolist() == [1, 1]
    assert zones.loc["BECZ-YN-01", ["included", "expected"]].tolist() == [0, 1]


def test_a_zone_not_valid_that_year_is_not_expected(people, two_of_twenty):
    OrgUnit.objects.filter(code="BECZ-YN-01").update(valid_from="2026-01-01")
    total = run(people["ministry_admin"], Query(indicators=("EXPORT",), level="all",
                                                start="2025", end="2025"))
    assert total.frame.iloc[0][["included", "expected"]].tolist() == [2, 19]


def test_growth_counts_the_zones_that_reported_both_periods(people, two_of_twenty):
    put({(GX1, "2024M12", "EXPORT"): 150})
    growth = run(people["ministry_admin"], Query(indicators=("EXPORT",), level="all",
                                                 start="2025", end="2025", measure="yoy"))
    row = growth.frame.iloc[0]
    assert (row.included, row.expected) == (1, 20)
    assert row.value == pytest.approx((200.5 / 150 - 1) * 100)


def test_the_pivot_page_labels_and_marks_a_partial_total(client_for, two_of_twenty):
    page = client_for("ministry_admin").get(f"{PIVOT}?{all_zones()}").content.decode()
    table = page[page.index('id="pivot-table"'):page.index("</table>")]
    assert PARTIAL_TOTAL in table
    assert "全部园区</th>" not in table
    assert 'class="num partial" title="已确认园区 2/20"' in table
    assert 'class="partial-mark"' in table
    assert 'id="pivot-coverage"' in table and ">2/20<" in table
    assert "标*的数据仅覆盖部分园区" in page
    # Once every zone is confirmed, the total is the total of all zones again.
    put({(code, "2025M12", "EXPORT"): 1 for code in OrgUnit.objects.filter(
        level="zone").exclude(code__in=(GX1, GX2)).values_list("code", flat=True)})
    page = client_for("ministry_admin").get(f"{PIVOT}?{all_zones()}").content.decode()
    table = page[page.index('id="pivot-table"'):page.index("</table>")]
    assert "全部园区" in table and "已确认园区合计" not in table and "partial" not in table
    assert ">20/20<" in table


def test_the_xlsx_labels_the_partial_total_and_notes_its_coverage(client_for, two_of_twenty):
    content = client_for("ministry_admin").get(f"{EXPORT}?{all_zones()}&format=xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    cells = {cell.coordinate: cell for row in sheet.iter_rows() for cell in row}
    label = next(cell for cell in cells.values() if cell.value == PARTIAL_TOTAL)
    figure = sheet.cell(row=label.row, column=2)
    assert figure.value == 300.5  # still a number
    assert figure.comment is not None and figure.comment.text == "已确认园区 2/20"
    coverage = next(cell for cell in cells.values() if cell.value == "已确认园区")
    assert sheet.cell(row=coverage.row, column=2).value == "2/20"
    texts = [cell.value for cell in cells.values() if isinstance(cell.value, str)]
    assert any(text.startswith("标*的数据仅覆盖部分园区") for text in texts)
    assert "全部园区" not in texts


def test_the_csv_labels_the_partial_total_and_lists_its_coverage(client_for, two_of_twenty):
    content = client_for("ministry_admin").get(f"{EXPORT}?{all_zones()}&format=csv").content
    frame = pd.read_csv(io.BytesIO(content), comment="#", encoding="utf-8-sig", index_col=0)
    assert list(frame.index) == [PARTIAL_TOTAL]
    assert frame.loc[PARTIAL_TOTAL, "2025年"] == 300.5
    comments = [line for line in content.decode("utf-8-sig").splitlines()
                if line.startswith("# ")]
    assert "# 已确认园区：2025年 2/20" in comments
    assert f"# * {PARTIAL_TOTAL} · 2025年：已确认园区 2/20" in comments


def test_the_api_returns_coverage_per_observation(client_for, two_of_twenty):
    body = client_for("ministry_admin").get(
        f"/api/v1/analytics/query?{all_zones()}").json()
    [observation] = body["observations"]
    assert observation["value"] == 300.5
    assert (observation["included"], observation["expected"], observation["partial"]) == \
        (2, 20, True)
    zones = client_for("ministry_admin").get(
        f"/api/v1/analytics/query?{all_zones(level='zone', unit=GX1)}").json()
    assert [(o["included"], o["expected"], o["partial"]) for o in zones["observations"]] == \
        [(1, 1, False)]


@pytest.mark.parametrize("kind", ["xml", "csv"])
def test_sdmx_observations_carry_their_coverage(client_for, two_of_twenty, kind):
    client = client_for("ministry_admin")
    span = "granularity=year&start=2025&end=2025&indicator=EXPORT"
    structure = sdmx.read_sdmx(io.BytesIO(
        client.get(f"/analytics/sdmx/structure.xml?{span}").content))
    dsd = structure.structure["BH_ZONE_STATS"]
    assert {"OBS_INCLUDED", "OBS_EXPECTED"} <= {a.id for a in dsd.attributes.components}
    response = client.get(f"/analytics/sdmx/data.{kind}?{span}")
    assert response.status_code == 200, response.content[:300]
    if kind == "csv":
        message = sdmx.read_sdmx(io.BytesIO(response.content), format="csv",
                                 structure=structure.dataflow["BH_ZONE_STATS"])
    else:
        message = sdmx.read_sdmx(io.BytesIO(response.content), structure=dsd)
    coverage = {}
    for observation in message.data[0].obs:
        area = observation.key.values["REF_AREA"].value
        attrs = {key: str(value.value) for key, value in observation.attached_attribute.items()}
        coverage[area] = (float(observation.value), attrs["OBS_INCLUDED"], attrs["OBS_EXPECTED"])
    assert coverage["ALL"] == (300.5, "2", "20")
    assert coverage["CN-GX"] == (300.5, "2", "2")
    assert coverage[GX1] == (200.5, "1", "1")
