"""The Excel files the platform writes, opened by a real office suite (LibreOffice Calc).

Officials open these files in Excel, WPS or LibreOffice, not in the Python library that
read them back elsewhere in the suite. LibreOffice converts each sheet to CSV here; the
figures it shows must be the platform's. ``.ci/run`` installs LibreOffice Calc from Debian
and sets ``BIANHE_REQUIRE_OFFICE=1``, so CI cannot skip these tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from analytics_data import put

SOFFICE = shutil.which("soffice")
REQUIRED = os.environ.get("BIANHE_REQUIRE_OFFICE") == "1"

if SOFFICE is None:
    if REQUIRED:
        raise RuntimeError("BIANHE_REQUIRE_OFFICE=1 but LibreOffice (soffice) is missing")
    pytest.skip("LibreOffice is not installed (.ci/run installs it)", allow_module_level=True)

LAST = dt.date.today().year - 1
GX1, GX2 = "BECZ-GX-01", "BECZ-GX-02"


def calc_rows(data: bytes, tmp_path: Path, sheet: int = 1) -> list[list[str]]:
    """The rows of one sheet as LibreOffice Calc shows them (UTF-8 CSV of the shown text)."""
    source = tmp_path / "book.xlsx"
    source.write_bytes(data)
    # Filter options: comma, double quote, UTF-8 (76), from row 1, then the sheet number.
    target = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,{sheet}"
    profile = (tmp_path / "profile").as_uri()
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", target,
         "--outdir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=180)
    produced = sorted(tmp_path.glob("book*.csv"))
    assert result.returncode == 0 and produced, result.stderr or result.stdout
    with produced[0].open(encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_libreoffice_shows_the_pivot_exports_figures_units_and_notes(client_for, catalogue,
                                                                     tmp_path):
    put({(GX1, f"{LAST}M12", "TRADE_TOTAL"): 1200.5, (GX2, f"{LAST}M12", "TRADE_TOTAL"): 300.25})
    response = client_for("ministry_admin").get("/analytics/pivot/export/", {
        "indicator": "TRADE_TOTAL", "level": "zone", "granularity": "year",
        "start": str(LAST), "end": str(LAST), "format": "xlsx"})
    assert response.status_code == 200
    rows = calc_rows(response.content, tmp_path)
    text = "\n".join(",".join(row) for row in rows)
    assert "万元" in text and "部级确认" in text
    shown = {row[0]: row[1] for row in rows if len(row) > 1 and row[0]}
    # Shown as the cell's number format (one decimal, thousands separator).
    assert shown["凭祥边境经济合作区"] == "1,200.5"
    assert shown["东兴边境经济合作区"] == "300.3"


def test_libreoffice_shows_a_partial_total_as_the_confirmed_zones_total(client_for, catalogue,
                                                                       tmp_path):
    put({(GX1, f"{LAST}M12", "TRADE_TOTAL"): 1200.5, (GX2, f"{LAST}M12", "TRADE_TOTAL"): 300.25})
    response = client_for("ministry_admin").get("/analytics/pivot/export/", {
        "indicator": "TRADE_TOTAL", "level": "all", "granularity": "year",
        "start": str(LAST), "end": str(LAST), "measure": ["value", "yoy"], "format": "xlsx"})
    rows = calc_rows(response.content, tmp_path)
    shown = {row[0]: row[1:3] for row in rows if len(row) > 2 and row[0]}
    assert shown["已确认园区合计（2/20）"] == ["1,500.8", ""]
    assert shown["已确认园区"] == ["2/20", "0/20"]
    assert "已确认园区合计（2/20）" in rows[0][0] and "全部园区" not in rows[0][0]
    assert "全部园区" not in shown


def test_libreoffice_opens_the_reporting_template_of_a_zone(client_for, open_month, tmp_path):
    response = client_for("pingxiang_reporter").get(
        f"/reporting/excel/BH-M/{open_month.code}/template.xlsx")
    assert response.status_code == 200
    rows = calc_rows(response.content, tmp_path)
    text = "\n".join(",".join(row) for row in rows)
    assert "凭祥边境经济合作区" in text and "进出口总额" in text


def test_libreoffice_shows_the_evaluation_ranking_with_its_bands(client_for, catalogue,
                                                                tmp_path):
    import io

    from openpyxl import load_workbook

    from bianhe.evaluation.models import EvaluationRun, ZoneResult
    from bianhe.evaluation.presenting import whole
    from evaluation_support import YEAR, computed_run, save_scheme, seed_accepted

    seed_accepted()
    run = computed_run(save_scheme())
    EvaluationRun.objects.filter(pk=run.pk).update(is_demo=True)
    response = client_for("ministry_admin").get(f"/evaluation/runs/{run.pk}/ranking.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'evaluation-{YEAR}-run{run.pk}'
                                                    f'-ranking.xlsx"')
    rows = calc_rows(response.content, tmp_path)
    assert rows[0][0] == f"{YEAR}年度边（跨）合区综合评价排名（演示数据）"
    header = next(row for row in rows if row and row[0] == "名次")
    assert header[:7] == ["名次", "名次区间下限（5%）", "名次区间上限（95%）", "园区代码",
                          "园区", "省区", "综合得分（分）"]
    assert "对外开放（分）" in header and header[-2:] == ["上年名次", "名次变化"]
    shown = {row[3]: row for row in rows if len(row) > 6 and row[3].startswith(("BECZ",
                                                                                "CBECZ"))}
    for result in ZoneResult.objects.filter(run=run, rank__isnull=False).select_related("zone"):
        row = shown[result.zone.code]
        assert row[:3] == [str(result.rank), str(whole(result.rank_p5)),
                           str(whole(result.rank_p95))]
        assert row[4] == result.zone.name_zh and row[6] == f"{result.score:,.2f}"
    text = "\n".join(",".join(row) for row in rows)
    assert "参与排名园区中位数" in text and "未参与排名的园区" in text
    assert "低于方案要求的66.7%" in text and run.run_hash in text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows and sheet.print_title_rows.startswith("$")
