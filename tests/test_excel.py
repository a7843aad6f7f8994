"""Excel reporting: download a template, fill it, upload it — all or nothing, every problem
named by sheet and cell."""

from __future__ import annotations

import html
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bianhe.audit.models import AuditLog
from bianhe.catalog.loader import load_catalogue
from bianhe.catalog.models import CatalogVersion
from bianhe.periods import Period
from bianhe.reporting import excel
from bianhe.reporting.ingest import ingest
from bianhe.reporting.models import DataValue, Report, ReportForm, ValueChange
from bianhe.reporting.setup import ensure_default_forms
from personas import hidden_markers

FORM = "BH-M"
ZONE = "BECZ-GX-01"  # the Pingxiang reporter's zone
XINJIANG = ["BECZ-XJ-01", "BECZ-XJ-02", "BECZ-XJ-03", "BECZ-XJ-04", "CBECZ-XJ-01"]
ROW = re.compile(r"<tr><td>(?P<sheet>[^<]*)</td><td>(?P<cell>[^<]*)</td>"
                 r"<td>(?P<indicator>[^<]*)(?: <span[^>]*>[^<]*</span>)?</td>"
                 r"<td>(?P<message>[^<]*)</td></tr>")


@pytest.fixture
def month(registry):
    """Last month (its entry window is open today), with the catalogues it needs."""
    period = Period.containing(timezone.localdate(), "monthly").previous()
    for year in (period.year - 1, period.year):
        load_catalogue(year)
    ensure_default_forms(CatalogVersion.objects.get(year=period.year))
    return period


# --- helpers ------------------------------------------------------------------------------


def template_url(period, zone=None, form=FORM):
    url = reverse("reporting:excel_template", kwargs={"form": form, "period": period.code})
    return f"{url}?zone={zone}" if zone else url


def upload_url(period, form=FORM):
    return reverse("reporting:excel_upload", kwargs={"form": form, "period": period.code})


def download(client, period, zone=None) -> bytes:
    response = client.get(template_url(period, zone))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def rows_of(sheet) -> dict[tuple[str, str], int]:
    """(indicator, member) → row number of a template sheet."""
    return {(row[0].value, row[1].value or ""): row[0].row
            for row in sheet.iter_rows(min_row=excel.FIRST_DATA_ROW, max_col=2)
            if row[0].value}


def fill(data: bytes, values: dict, comments: dict | None = None, edit=None) -> bytes:
    """Type values (and comments) into the template, keyed by (sheet, indicator, member)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for (sheet, indicator, member), value in values.items():
        book[sheet][f"E{rows_of(book[sheet])[indicator, member]}"] = value
    for (sheet, indicator, member), text in (comments or {}).items():
        book[sheet][f"F{rows_of(book[sheet])[indicator, member]}"] = text
    if edit:
        edit(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, period, data: bytes, *, dry_run=False, name="filled.xlsx", language="en"):
    payload = {"file": SimpleUploadedFile(name, data)}
    if dry_run:
        payload["dry_run"] = "on"
    return client.post(upload_url(period), payload, HTTP_ACCEPT_LANGUAGE=language)


def unpacked(data: bytes) -> str:
    """Every part of an .xlsx, decompressed: what a leak check has to look at."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def problems_in(response) -> list[dict]:
    text = response.content.decode()
    return [{key: html.unescape(value) for key, value in match.groupdict().items()}
            for match in ROW.finditer(text)]


def nothing_written():
    return (not DataValue.objects.exists() and not ValueChange.objects.exists()
            and not Report.objects.exists()
            and not AuditLog.objects.filter(action="reporting.values.import").exists())


def row_number(data: bytes, sheet: str, indicator: str, member: str = "") -> int:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return rows_of(book[sheet])[indicator, member]


# --- download -----------------------------------------------------------------------------


def test_a_reporter_downloads_a_protected_template_of_its_own_zone(client_for, month):
    data = download(client_for("pingxiang_reporter"), month)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [ZONE, excel.MARKER_SHEET]
    sheet = book[ZONE]
    assert sheet["A1"].value == "凭祥边境经济合作区"
    assert (sheet["B2"].value, sheet["B3"].value, sheet["B4"].value) == (ZONE, FORM, month.code)
    assert sheet["D4"].value == month.label(cumulative=True)
    assert [c.value for c in sheet[excel.HEADER_ROW]] == list(excel.HEADERS)
    form = ReportForm.objects.get(code=FORM)
    codes = [row[0].value for row in sheet.iter_rows(min_row=excel.FIRST_DATA_ROW, max_col=1)]
    assert list(dict.fromkeys(codes)) == form.indicator_codes
    partner = rows_of(sheet)["TRADE_BY_PARTNER", "RU"]
    assert sheet[f"C{partner}"].value.endswith("（俄罗斯）")
    # Only the value and comment cells of data rows are open for typing.
    assert sheet.protection.sheet and book.security.lockStructure
    assert not sheet[f"E{partner}"].protection.locked
    assert not sheet[f"F{partner}"].protection.locked
    assert sheet[f"A{partner}"].protection.locked and sheet[f"G{partner}"].protection.locked
    assert sheet["B4"].protection.locked
    marker = book[excel.MARKER_SHEET]
    assert marker.sheet_state == "veryHidden"
    meta = {row[0].value: row[1].value for row in marker.iter_rows(max_row=7)}
    assert meta["format"] == "bianhe-template" and meta["format_version"] == "1"
    assert (meta["form"], meta["period"], meta["zones"]) == (FORM, month.code, ZONE)
    assert meta["catalog_year"] == str(month.year) and len(meta["layout_sha256"]) == 64
    # A template is not data: no demo label anywhere in it.
    assert "演示数据".encode() not in data
    assert "演示数据" not in "".join(str(c.value) for row in sheet.iter_rows() for c in row)


def test_the_template_is_prefilled_with_last_year_and_the_previous_period(client_for, month):
    for period, value in ((month.same_period_last_year(), "800"), (month.previous(), "90.5")):
        load_catalogue(period.year)
        result = ingest(excel_rows(period, {"EXPORT": value}), actor=None, source="cli")
        assert result.ok, result.problems
    data = download(client_for("pingxiang_reporter"), month)
    sheet = openpyxl.load_workbook(io.BytesIO(data))[ZONE]
    row = rows_of(sheet)["EXPORT", ""]
    assert (sheet[f"E{row}"].value, sheet[f"G{row}"].value, sheet[f"H{row}"].value) == (
        None, 800, 90.5)
    assert sheet[f"G{row}"].number_format == "#,##0.0"


def excel_rows(period, values):
    import pandas as pd

    return pd.DataFrame([{"zone": ZONE, "period": period.code, "indicator": code,
                          "member": "", "value": value} for code, value in values.items()])


def test_a_province_reviewer_gets_one_workbook_with_a_sheet_per_zone_of_its_province(
        client_for, month):
    response = client_for("xinjiang_reviewer").get(template_url(month))
    assert response.status_code == 200
    assert f'filename="{FORM}_{month.code}_CN-XJ.xlsx"' in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [*XINJIANG, excel.MARKER_SHEET]
    assert book["CBECZ-XJ-01"]["A1"].value == "中哈霍尔果斯国际边境合作中心"
    text = unpacked(response.content)
    leaked = sorted(m for m in hidden_markers("xinjiang_reviewer") if m in text)
    assert not leaked


def test_one_zone_of_the_province_can_be_asked_for(client_for, month):
    response = client_for("xinjiang_reviewer").get(template_url(month, "BECZ-XJ-02"))
    assert f'filename="{FORM}_{month.code}_BECZ-XJ-02.xlsx"' in response["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames == [
        "BECZ-XJ-02", excel.MARKER_SHEET]


@pytest.mark.parametrize(("key", "url"), [
    ("pingxiang_reporter", lambda m: template_url(m, "BECZ-XJ-01")),
    ("xinjiang_reviewer", lambda m: template_url(m, ZONE)),
    ("pingxiang_reporter", lambda m: template_url(m, form="NO-SUCH")),
    ("pingxiang_reporter", lambda m: reverse("reporting:excel_template",
                                             kwargs={"form": FORM, "period": "2024Q2"})),
    ("pingxiang_reporter", lambda m: reverse("reporting:excel_template",
                                             kwargs={"form": FORM, "period": "next"})),
])
def test_nobody_downloads_a_zone_or_form_outside_reach(client_for, month, key, url):
    assert client_for(key).get(url(month)).status_code == 404


def test_people_without_the_report_right_get_no_upload_page(client_for, month):
    for key in ("xinjiang_reviewer", "ministry_analyst", "northeast_observer"):
        assert client_for(key).get(upload_url(month)).status_code == 404
    assert client_for("pingxiang_reporter").get(upload_url(month)).status_code == 200


# --- round trip ---------------------------------------------------------------------------


def test_values_typed_in_excel_are_stored_exactly_and_come_back_in_a_new_download(
        client_for, people, month):
    client = client_for("pingxiang_reporter")
    typed = {(ZONE, "TRADE_TOTAL", ""): 1234.5, (ZONE, "EXPORT", ""): 1000,
             (ZONE, "IMPORT", ""): "234.5", (ZONE, "TRADE_BY_PARTNER", "VN"): 0.1 + 0.2,
             (ZONE, "MAJOR_PROJECTS", ""): 12, (ZONE, "FDI_USED", ""): "1,234.56"}
    data = fill(download(client, month), typed, {(ZONE, "TRADE_TOTAL", ""): "含转口贸易"})
    response = upload(client, month, data)
    assert response.status_code == 200
    assert problems_in(response) == []
    assert b'id="import-summary"' in response.content
    stored = {(v.indicator_code, v.member): v for v in DataValue.objects.filter(
        report__zone__code=ZONE, report__period=month.code, value__isnull=False)}
    assert {key: value.value for key, value in stored.items()} == {
        ("TRADE_TOTAL", ""): Decimal("1234.5"), ("EXPORT", ""): Decimal("1000"),
        ("IMPORT", ""): Decimal("234.5"), ("TRADE_BY_PARTNER", "VN"): Decimal("0.3"),
        ("MAJOR_PROJECTS", ""): Decimal("12"), ("FDI_USED", ""): Decimal("1234.56")}
    assert stored["TRADE_TOTAL", ""].comment == "含转口贸易"
    change = ValueChange.objects.get(indicator_code="TRADE_TOTAL")
    assert (change.source, change.actor_name) == ("excel", people["pingxiang_reporter"].username)
    log = AuditLog.objects.get(action="reporting.values.import")
    assert (log.source, log.object_repr) == ("excel", "filled.xlsx")
    # The entry page is linked, and a new download holds what was saved.
    assert reverse("reporting:entry", kwargs={"code": ZONE, "form": FORM,
                                              "period": month.code}).encode() in response.content
    again = openpyxl.load_workbook(io.BytesIO(download(client, month)))[ZONE]
    rows = rows_of(again)
    assert again[f"E{rows['TRADE_TOTAL', '']}"].value == 1234.5
    assert again[f"F{rows['TRADE_TOTAL', '']}"].value == "含转口贸易"
    assert again[f"E{rows['TRADE_BY_PARTNER', 'VN']}"].value == 0.3
    # Uploading the re-download changes nothing.
    before = ValueChange.objects.count()
    response = upload(client, month, download(client, month))
    assert problems_in(response) == [] and ValueChange.objects.count() == before


def test_the_ministry_administrator_uploads_a_whole_province_at_once(client_for, month):
    data = download(client_for("xinjiang_reviewer"), month)
    client = client_for("ministry_admin")
    data = fill(data, {(zone, "EXPORT", ""): 100 + i for i, zone in enumerate(XINJIANG)})
    response = upload(client, month, data)
    assert problems_in(response) == []
    assert dict(DataValue.objects.filter(indicator_code="EXPORT").values_list(
        "report__zone__code", "value")) == {z: 100 + i for i, z in enumerate(XINJIANG)}


def test_a_dry_run_reports_what_would_change_and_writes_nothing(client_for, month):
    client = client_for("pingxiang_reporter")
    data = fill(download(client, month), {(ZONE, "EXPORT", ""): 5, (ZONE, "IMPORT", ""): 6})
    response = upload(client, month, data, dry_run=True)
    assert problems_in(response) == []
    summary = re.search(r'id="import-summary">([^<]*)<', response.content.decode())[1]
    found = re.fullmatch(r"(\d+) new values, 0 changed, 0 unchanged, 1 new reports\.", summary)
    assert found, summary
    # Two values typed; ingest may also count the template's empty cells as new (empty) ones.
    rows = len(rows_of(openpyxl.load_workbook(io.BytesIO(data))[ZONE]))
    assert int(found[1]) in (2, rows)
    assert 'id="changes"' in response.content.decode()
    assert nothing_written()


# --- bad input: a precise message and nothing written ----------------------------------------


def _value(indicator, value, member=""):
    return lambda data: fill(data, {(ZONE, "IMPORT", ""): 7, (ZONE, indicator, member): value})


def _edit(change):
    return lambda data: fill(data, {(ZONE, "IMPORT", ""): 7}, edit=change)


def _code_changed(book):
    sheet = book[ZONE]
    sheet[f"A{rows_of(sheet)['EXPORT', '']}"] = "IMPORT"


def _row_duplicated(book):
    sheet = book[ZONE]
    row = rows_of(sheet)["EXPORT", ""]
    sheet.insert_rows(row)
    for column in "ABCDE":
        sheet[f"{column}{row}"] = sheet[f"{column}{row + 1}"].value


def _formula(book):
    sheet = book[ZONE]
    sheet[f"E{rows_of(sheet)['EXPORT', '']}"] = "=1+1"


def _sheet_copied(book):
    book.copy_worksheet(book[ZONE])


def _period_changed(book):
    book[ZONE]["B4"] = "2020M01"


def _marker_changed(book):
    book[excel.MARKER_SHEET]["B4"] = "2020M01"


def _row_added(book):
    sheet = book[ZONE]
    last = max(rows_of(sheet).values())
    sheet[f"A{last + 1}"] = "EXPORT"
    sheet[f"E{last + 1}"] = 5


@pytest.mark.parametrize(("make", "where", "message"), [
    (_value("EXPORT", "abc"), "E:EXPORT", "Not a number."),
    (_value("EXPORT", "1.2万"), "E:EXPORT", "without words or units such as 万"),
    (_value("EXPORT", -5), "E:EXPORT", "Below the minimum of 0."),
    (_value("MAJOR_PROJECTS", 2.5), "E:MAJOR_PROJECTS", "whole numbers"),
    (_value("TRADE_BY_PARTNER", "12%", "RU"), "E:TRADE_BY_PARTNER/RU", "without words"),
    (_edit(_formula), "E:EXPORT", "formula without a computed value"),
    (_edit(_code_changed), "A:EXPORT", "header or layout was modified"),
    # The copy pushes IMPORT down: its row is the first that no longer matches.
    (_edit(_row_duplicated), "A:IMPORT", "header or layout was modified"),
    (_edit(_period_changed), "B4", "header or layout was modified"),
    (_edit(_row_added), "below", "below the table"),
    (_edit(_sheet_copied), "sheet", "is not part of this template"),
    (_edit(_marker_changed), "marker", "hidden marker was modified"),
])
def test_a_bad_cell_is_named_by_sheet_and_cell_and_nothing_is_written(
        client_for, month, make, where, message):
    client = client_for("pingxiang_reporter")
    blank = download(client, month)
    response = upload(client, month, make(blank))
    assert response.status_code == 200
    problems = problems_in(response)
    assert any(message in p["message"] for p in problems), problems
    found = next(p for p in problems if message in p["message"])
    if where.startswith(("E:", "A:")):
        column, rest = where.split(":")
        indicator, _slash, member = rest.partition("/")
        assert found["sheet"] == ZONE
        assert found["cell"] == f"{column}{row_number(blank, ZONE, indicator, member)}"
        assert found["indicator"] in (indicator, "")
    elif where == "B4":
        assert (found["sheet"], found["cell"]) == (ZONE, "B4")
    elif where == "below":
        last = max(rows_of(openpyxl.load_workbook(io.BytesIO(blank))[ZONE]).values())
        assert (found["sheet"], found["cell"]) == (ZONE, f"A{last + 1}")
    elif where == "sheet":
        assert found["sheet"].startswith(ZONE) and found["sheet"] != ZONE
    elif where == "marker":
        assert found["sheet"] == excel.MARKER_SHEET
    assert nothing_written()


def test_problems_are_listed_in_chinese(client_for, month):
    client = client_for("pingxiang_reporter")
    blank = download(client, month)
    response = upload(client, month, fill(blank, {(ZONE, "EXPORT", ""): "abc"}),
                      language="zh-hans")
    assert response["Content-Language"] == "zh-hans"
    text = response.content.decode()
    assert "<th>工作表</th><th>单元格</th>" in text
    assert '<td>EXPORT <span class="muted">出口额</span></td>' in text
    [problem] = problems_in(response)
    assert (problem["sheet"], problem["cell"], problem["indicator"]) == (
        ZONE, f"E{row_number(blank, ZONE, 'EXPORT')}", "EXPORT")
    assert "不是数字" in problem["message"]
    layout = fill(blank, {}, edit=_code_changed)
    messages = [p["message"] for p in problems_in(upload(client, month, layout,
                                                         language="zh-hans"))]
    assert len(messages) == 1 and "模板" in messages[0] and "“IMPORT”" in messages[0]
    assert nothing_written()


def test_a_template_of_another_period_is_refused(client_for, month):
    client = client_for("pingxiang_reporter")
    other = month.previous()
    load_catalogue(other.year)
    data = fill(download(client, other), {(ZONE, "EXPORT", ""): 5})
    problems = problems_in(upload(client, month, data))
    assert [p["message"] for p in problems] == [
        f"This template is for the period {other.label()} ({other.code}), not "
        f"{month.label()} ({month.code}). Download the template of {month.label()} "
        f"({month.code})."]
    assert nothing_written()


def test_another_zones_template_is_refused_for_a_reporter(client_for, month):
    data = download(client_for("xinjiang_reviewer"), month, "BECZ-XJ-01")
    data = fill(data, {("BECZ-XJ-01", "EXPORT", ""): 5})
    problems = problems_in(upload(client_for("pingxiang_reporter"), month, data))
    assert problems and all(p["sheet"] == "BECZ-XJ-01" for p in problems)
    assert "Unknown zone, or a zone you may not report for." in problems[0]["message"]
    assert problems[0]["cell"] == f"E{excel.FIRST_DATA_ROW}"
    assert nothing_written()


@pytest.mark.parametrize(("content", "message"), [
    (b"zone,period,indicator,value\nBECZ-GX-01,2024M01,EXPORT,1\n", "not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old-style .xls"),
    (b"PK\x03\x04 this is not really a zip", "not an Excel workbook"),
])
def test_a_file_that_is_not_an_xlsx_is_refused(client_for, month, content, message):
    problems = problems_in(upload(client_for("pingxiang_reporter"), month, content))
    assert len(problems) == 1 and message in problems[0]["message"]
    assert nothing_written()


def test_a_zip_that_is_not_a_workbook_is_refused(client_for, month):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    problems = problems_in(upload(client_for("pingxiang_reporter"), month, buffer.getvalue()))
    assert "not an Excel workbook" in problems[0]["message"]


def test_a_workbook_without_the_marker_is_refused(client_for, month):
    book = openpyxl.Workbook()
    book.active.title = ZONE
    buffer = io.BytesIO()
    book.save(buffer)
    problems = problems_in(upload(client_for("pingxiang_reporter"), month, buffer.getvalue()))
    assert "not a Bianhe template" in problems[0]["message"]
    assert nothing_written()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client_for, month, settings):
    client = client_for("pingxiang_reporter")
    data = fill(download(client, month), {(ZONE, "EXPORT", ""): 5})
    settings.BIANHE_EXCEL_MAX_BYTES = len(data) - 1
    problems = problems_in(upload(client, month, data))
    assert len(problems) == 1 and "MB are accepted" in problems[0]["message"]
    assert nothing_written()
    # The pure reader enforces the same limit.
    _frame, found = excel.read_workbook(data, form=FORM, period=month)
    assert "MB are accepted" in found[0].message


# --- the reader on its own --------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "text"), [
    (1234.5, "1234.5"), (100.0, "100"), (0.1 + 0.2, "0.3"), (-0.0, "0"), (7, "7"),
    (1e16, "10000000000000000"), (0.000125, "0.000125"), ("", ""), (None, ""),
    (" 1,234.5 ", "1,234.5"), (True, "TRUE"),
])
def test_cells_become_text_without_float_artefacts(cell, text):
    assert excel.cell_text(cell) == text


def test_the_reader_returns_the_ingest_table_with_sheet_and_cell(client_for, month):
    data = fill(download(client_for("xinjiang_reviewer"), month),
                {("BECZ-XJ-02", "EXPORT", ""): 12.5}, {("BECZ-XJ-02", "EXPORT", ""): "估"})
    frame, problems = excel.read_workbook(data, form=ReportForm.objects.get(code=FORM),
                                          period=month)
    assert problems == []
    assert list(frame.columns) == ["zone", "period", "indicator", "member", "value", "comment",
                                   "location"]
    assert list(dict.fromkeys(frame["zone"])) == XINJIANG
    row = frame[(frame["zone"] == "BECZ-XJ-02") & (frame["indicator"] == "EXPORT")].iloc[0]
    number = row_number(data, "BECZ-XJ-02", "EXPORT")
    assert (row["value"], row["comment"], row["location"], row["period"]) == (
        "12.5", "估", f"BECZ-XJ-02!E{number}", month.code)
    assert (frame["value"] == "").sum() == len(frame) - 1


def test_a_deleted_zone_sheet_is_simply_not_read(client_for, month):
    def keep_one(book):
        for name in XINJIANG[1:]:
            del book[name]

    data = fill(download(client_for("xinjiang_reviewer"), month), {}, edit=keep_one)
    frame, problems = excel.read_workbook(data, form=FORM, period=month)
    assert problems == [] and set(frame["zone"]) == {"BECZ-XJ-01"}


def rewrite_sheet(data: bytes, pattern: bytes, replacement: bytes, part="sheet1") -> bytes:
    """Edit a sheet's XML the way another program would have saved it.

    openpyxl writes an empty cached value as ``<v />``, or as ``<v></v>`` when lxml is
    installed (a dependency of other packages), so the patterns accept both."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for name in source.namelist():
            content = source.read(name)
            if name == f"xl/worksheets/{part}.xml":
                content, count = re.subn(pattern, replacement, content)
                assert count == 1
            archive.writestr(name, content)
    return target.getvalue()


def test_a_formula_with_a_computed_value_is_read_as_that_value(client_for, month):
    client = client_for("pingxiang_reporter")
    blank = download(client, month)
    row = row_number(blank, ZONE, "EXPORT")
    # What Excel or WPS saves after calculating: the formula and its cached value.
    data = rewrite_sheet(fill(blank, {(ZONE, "EXPORT", ""): "=1+1"}),
                         rf'(<c r="E{row}"[^>]*>)<f>1\+1</f>(?:<v\s*/>|<v></v>)'.encode(),
                         rb"\1<f>1+1</f><v>2</v>")
    frame, problems = excel.read_workbook(data, form=FORM, period=month)
    assert problems == []
    assert frame.loc[frame["location"] == f"{ZONE}!E{row}", "value"].tolist() == ["2"]


def test_an_error_value_is_refused_not_read_as_an_empty_cell(client_for, month):
    client = client_for("pingxiang_reporter")
    blank = download(client, month)
    row = row_number(blank, ZONE, "EXPORT")
    data = rewrite_sheet(fill(blank, {(ZONE, "EXPORT", ""): "=1/0"}),
                         rf'<c r="E{row}"([^>]*)><f>1/0</f>(?:<v\s*/>|<v></v>)'.encode(),
                         rf'<c r="E{row}"\1 t="e"><f>1/0</f><v>#DIV/0!</v>'.encode())
    problems = problems_in(upload(client, month, data))
    assert [(p["sheet"], p["cell"], p["indicator"]) for p in problems] == [
        (ZONE, f"E{row}", "EXPORT")]
    assert "#DIV/0!" in problems[0]["message"]
    assert nothing_written()


def test_a_damaged_sheet_is_refused_with_its_name(client_for, month):
    client = client_for("pingxiang_reporter")
    data = rewrite_sheet(download(client, month), rb"</sheetData>.*", b"")
    problems = problems_in(upload(client, month, data))
    assert [(p["sheet"], p["cell"]) for p in problems] == [(ZONE, "")]
    assert "cannot be read" in problems[0]["message"]
    assert nothing_written()


def test_the_upload_result_lists_the_warnings_the_uploaded_values_raised(client_for, month):
    """Written without a problem, yet flagged by the checks: the uploader is told which
    values need an explanation, in a sentence that names the indicators."""
    from bianhe.quality.actions import ensure_default_rules

    ensure_default_rules()
    client = client_for("pingxiang_reporter")
    typed = {(ZONE, "TRADE_TOTAL", ""): 100, (ZONE, "EXPORT", ""): 60,
             (ZONE, "IMPORT", ""): 40, (ZONE, "BORDER_TRADE", ""): 150,
             (ZONE, "BORDER_SMALL_TRADE", ""): 100, (ZONE, "BORDER_RESIDENT_TRADE", ""): 50}
    response = upload(client, month, fill(download(client, month), typed),
                      language="zh-hans")
    assert problems_in(response) == [] and DataValue.objects.exists()
    text = response.content.decode()
    assert 'id="flagged"' in text
    flagged = text.split('id="flagged"')[1].split("</table>")[0]
    # R04 (warning): 进出口总额 ≥ 边境贸易额 fails on 进出口总额's row.
    assert "进出口总额（100.0万元）&lt; 边境贸易额（150.0万元），请核实或说明" in flagged
    assert "TRADE_TOTAL" not in flagged and "BORDER_TRADE" not in flagged
