"""Excel templates for statistical reporting: write them with openpyxl, read them back with
python-calamine, and hand the values to the one ingest path (``reporting.ingest``).

A template has one sheet per zone, titled with the zone's code, and a fixed layout::

    row 1    the zone's Chinese name (title)
    row 2    园区代码 | <zone code>   | 园区名称 | <zone name>
    row 3    报表代码 | <form code>   | 报表名称 | <form name>
    row 4    报告期   | <period code> | 期别     | <period label, 1—N月 for flows>
    row 5    how to fill it in
    row 7    指标代码 | 分组 | 指标名称 | 单位 | 本期数值 | 备注 | 上年同期 | 上期
    row 8…   one row per indicator × breakdown member, in the entry grid's order

Only column E (the value) and F (the comment) of the data rows are unlocked; the sheets and
the workbook structure are protected without a password (protection guards against slips,
not against a determined user: everything read back is checked anyway). A ``veryHidden``
sheet ``_bianhe`` carries the marker: the format and its version, the form, the period, the
catalogue year, the zones, the layout (sheet, row, indicator, member of every data row) and
a SHA-256 checksum of all of these. Reading checks, in this order and stopping at the
first level that fails: that the file is an .xlsx at all and not too big; that the marker
exists, is intact and is for this form and period; that no sheet was added and the header
cells and the codes in columns A and B are where the marker says; that input cells hold no
formula without a computed value. Everything about the values themselves (numbers, ranges,
scope, windows, locks, year-to-date order) is ingest's job, which reports each problem with
the ``sheet!cell`` location built here.

Limits, on purpose:

* A zone sheet may be deleted (a reporter given the province's workbook keeps its own
  sheet); only the sheets present are read. A sheet that is not one of the template's zones
  (a copy such as ``BECZ-GX-01 (2)``, a renamed sheet) is refused.
* An empty value cell means "no value": a value stored before is cleared.
* Files above ``max_upload_bytes()`` (20 MB; ``BIANHE_EXCEL_MAX_BYTES`` in the settings
  overrides it) are refused before anything is parsed, and so is an archive that would
  unpack to more than ten times that (a zip bomb). An old .xls, a CSV or any other file
  renamed .xlsx is named for what it is.
* Formulas: calamine returns the value Excel (or WPS) computed and saved with the file.
  Calamine reads two things as an empty cell that are not: a formula saved without a
  computed value (files written by scripts, e.g. openpyxl) and an error value (#DIV/0!).
  Both are found by scanning the input columns of the zone sheets' XML (``<f>`` without
  ``<v>``, ``t="e"``), only when the XML holds a formula or an error at all: no second
  workbook parse, no openpyxl on upload.
* Numbers come back from Excel as binary floats; they are written out with 15 significant
  digits, Excel's own precision, so 1234.5 reads "1234.5" and 100.0 reads "100".

Performance (measured once on the 2-core development machine, SQLite, the default
catalogue: BH-M has 32 rows a zone, so 19 zones make 608 values, every one filled; a
throw-away script, not a test): building the 19-zone workbook (74 KB) takes 0.25–0.31 s,
reading it back 0.011–0.012 s, ingesting the 608 values with full validation and writing
0.04–0.05 s (created or all updated). Through the pages, downloading the ministry's
20-sheet workbook takes 0.26–0.32 s and uploading it 0.06–0.08 s. The 3 s target for a
19-zone province workbook holds with a wide margin; building costs three queries a zone
(``entry_grid``) plus openpyxl's styling, and dominates.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from python_calamine import CalamineError, CalamineWorkbook

from bianhe.catalog.models import ValueType
from bianhe.periods import ANNUAL, Period, PeriodError
from bianhe.reporting.ingest import COLUMNS, Problem
from bianhe.reporting.models import Report
from bianhe.reporting.queries import entry_grid

FORMAT = "bianhe-template"
FORMAT_VERSION = 1
MARKER_SHEET = "_bianhe"
#: Uploads above this many bytes are refused before parsing; settings may override it
#: with ``BIANHE_EXCEL_MAX_BYTES``.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: A workbook may not unpack to more than this many times its size limit (zip bombs).
MAX_UNPACK_FACTOR = 10

TITLE_ROW = 1
ZONE_ROW, FORM_ROW, PERIOD_ROW, NOTE_ROW = 2, 3, 4, 5
HEADER_ROW = 7
FIRST_DATA_ROW = 8
HEADERS = ("指标代码", "分组", "指标名称", "单位", "本期数值", "备注", "上年同期", "上期")
WIDTHS = (26, 9, 40, 12, 16, 30, 16, 16)
VALUE_COLUMN, COMMENT_COLUMN = "E", "F"
NOTE = ("请在“本期数值”列（E列）按所示单位填写数值，只填数字，不带“万”“%”等文字；"
        "“备注”列（F列）可填写说明。其他单元格和工作表名称请勿修改。")

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class LayoutRow:
    sheet: str
    row: int
    indicator: str
    member: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "BIANHE_EXCEL_MAX_BYTES", MAX_UPLOAD_BYTES))


# --- writing -----------------------------------------------------------------------------


def _number_format(indicator) -> str:
    decimals = 0 if indicator.value_type == ValueType.INTEGER else indicator.decimals
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _as_float(value: Decimal | None):
    return None if value is None else float(value)


def period_label(form, period: Period) -> str:
    """The period as the form's sheets name it: 1—N月 for monthly and quarterly forms."""
    return period.label(cumulative=period.frequency != ANNUAL)


def checksum(meta: dict, layout: list[LayoutRow]) -> str:
    """SHA-256 over the marker's values and the ordered layout, so an edit shows."""
    payload = [meta["format"], meta["format_version"], meta["form"], meta["period"],
               meta["catalog_year"], meta["zones"],
               [[r.sheet, str(r.row), r.indicator, r.member] for r in layout]]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_template(form, period: Period, zones, *, version) -> bytes:
    """The .xlsx template of ``form`` for ``period``: one protected sheet per zone.

    Rows come from :func:`bianhe.reporting.queries.entry_grid`, so a template downloaded
    again holds what is already saved (values, comments), beside last year's and the
    previous period's values.
    """
    zones = list(zones)
    if not zones:
        raise ValueError("a template needs at least one zone")
    workbook = Workbook()
    workbook.remove(workbook.active)
    layout: list[LayoutRow] = []
    reports = {r.zone_id: r for r in Report.objects.filter(
        zone__in=zones, form=form, period=period.code).prefetch_related("values")}
    label = period_label(form, period)
    for zone in zones:
        rows = entry_grid(zone, form, period, version, reports.get(zone.pk))
        sheet = workbook.create_sheet(title=zone.code)
        _write_header(sheet, zone, form, period, label)
        for offset, grid_row in enumerate(rows):
            number = FIRST_DATA_ROW + offset
            _write_row(sheet, number, grid_row)
            layout.append(LayoutRow(zone.code, number, grid_row.indicator.code,
                                    grid_row.member))
        sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
        sheet.protection.sheet = True
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "form": form.code,
            "period": period.code, "catalog_year": str(version.year),
            "zones": ",".join(zone.code for zone in zones)}
    _write_marker(workbook, meta, layout)
    workbook.active = 0
    workbook.security = WorkbookProtection(lockStructure=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_header(sheet, zone, form, period: Period, label: str) -> None:
    sheet.cell(TITLE_ROW, 1, zone.name_zh).font = _TITLE
    sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW,
                      end_column=len(HEADERS))
    pairs = ((ZONE_ROW, "园区代码", zone.code, "园区名称", zone.name_zh),
             (FORM_ROW, "报表代码", form.code, "报表名称", form.name_zh),
             (PERIOD_ROW, "报告期", period.code, "期别", label))
    for row, key, value, name_key, name in pairs:
        for column, text, is_label in ((1, key, True), (2, value, False),
                                       (3, name_key, True), (4, name, False)):
            cell = sheet.cell(row, column, text)
            if is_label:
                cell.font, cell.fill = _BOLD, _LABEL_FILL
    note = sheet.cell(NOTE_ROW, 1, NOTE)
    note.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=NOTE_ROW, start_column=1, end_row=NOTE_ROW,
                      end_column=len(HEADERS))
    sheet.row_dimensions[NOTE_ROW].height = 32
    for column, (text, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = sheet.cell(HEADER_ROW, column, text)
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width


def _write_row(sheet, number: int, row) -> None:
    indicator = row.indicator
    name = f"{indicator.name_zh}（{row.member_label}）" if row.member else indicator.name_zh
    number_format = _number_format(indicator)
    values = (indicator.code, row.member, name, indicator.unit, _as_float(row.value),
              row.comment or None, _as_float(row.last_year), _as_float(row.previous))
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(number, column, value)
        cell.border = _BOX
        if column in (5, 7, 8):
            cell.number_format = number_format
        if column in (5, 6):
            cell.protection = _UNLOCKED
            cell.fill = _INPUT_FILL
        if column in (3, 6):
            cell.alignment = _WRAP


def _write_marker(workbook, meta: dict, layout: list[LayoutRow]) -> None:
    sheet = workbook.create_sheet(title=MARKER_SHEET)
    rows = [[key, value] for key, value in meta.items()]
    rows.append(["layout_sha256", checksum(meta, layout)])
    rows.append([])
    rows.append(["sheet", "row", "indicator", "member"])
    rows.extend([r.sheet, str(r.row), r.indicator, r.member] for r in layout)
    for row in rows:
        sheet.append(row)
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True


# --- reading -----------------------------------------------------------------------------


class _Refused(Exception):
    """The workbook cannot be read as this template; nothing in it is looked at further."""

    def __init__(self, *problems: Problem):
        self.problems = list(problems)


def _problem(location: str, message: str, indicator: str = "") -> Problem:
    return Problem(location=location, indicator=indicator, message=message)


def cell_text(value) -> str:
    """What a cell holds, as the text ingest parses: '' for empty, numbers without float
    artefacts (15 significant digits, like Excel), everything else as written."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        try:
            number = Decimal(format(value, ".15g")).normalize()
        except InvalidOperation:
            return str(value)
        text = format(number, "f")
        return "0" if text in ("-0", "0") else text
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def read_workbook(data: bytes, *, form, period) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a filled template into an ingest table (``reporting.ingest.COLUMNS``).

    Returns the table and the problems found in the workbook itself. A problem with the
    file, its marker or its layout returns an empty table: nothing of it can be trusted.
    A formula without a computed value is a problem of one cell; the table is still
    returned (with that cell empty) so the caller can check the rest in a dry run.
    """
    form_code = getattr(form, "code", form)
    period_code = getattr(period, "code", str(period))
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS})
    try:
        archive = _open_archive(data)
        workbook = _open_workbook(data)
        try:
            meta, layout = _read_marker(workbook)
            _check_marker(meta, form_code, period_code)
            sheets = _check_sheets(workbook, meta)
            grids = {name: _grid(workbook, name) for name in sheets}
        finally:
            workbook.close()
        _check_layout(grids, layout, meta)
    except _Refused as refused:
        return empty, refused.problems
    unreadable = _unreadable_cells(archive, sheets)
    problems: list[Problem] = []
    records = {column: [] for column in COLUMNS}
    for row in layout:
        grid = grids.get(row.sheet)
        if grid is None:
            continue
        cells = _row(grid, row.row)
        value, comment = cells[4], cells[5]
        for column in (VALUE_COLUMN, COMMENT_COLUMN):
            error = unreadable.get(row.sheet, {}).get(f"{column}{row.row}")
            if error is None:
                continue
            problems.append(_problem(f"{row.sheet}!{column}{row.row}", _(
                "This cell holds a formula without a computed value: open the file in "
                "Excel or WPS, let it calculate, save it and upload it again.")
                if error == "" else _(
                "This cell shows the error %(error)s instead of a value.")
                % {"error": error}, row.indicator))
        records["zone"].append(row.sheet)
        records["period"].append(period_code)
        records["indicator"].append(row.indicator)
        records["member"].append(row.member)
        records["value"].append(cell_text(value))
        records["comment"].append(cell_text(comment))
        records["location"].append(f"{row.sheet}!{VALUE_COLUMN}{row.row}")
    return pd.DataFrame(records, columns=list(COLUMNS)), problems


def _open_archive(data: bytes) -> zipfile.ZipFile:
    limit = max_upload_bytes()
    if len(data) > limit:
        raise _Refused(size_problem(len(data)))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _Refused(_problem("", _(
            "This is an old-style .xls workbook (or a protected one). Fill the .xlsx "
            "template downloaded from the platform and upload that.")))
    not_xlsx = _problem("", _(
        "This file is not an Excel workbook (.xlsx), whatever its name says. Download "
        "the template, fill it in Excel or WPS and upload the saved .xlsx file."))
    if not data.startswith(b"PK"):
        raise _Refused(not_xlsx)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _Refused(not_xlsx) from None
    if "xl/workbook.xml" not in names:
        raise _Refused(not_xlsx)
    if unpacked > limit * MAX_UNPACK_FACTOR:
        raise _Refused(_problem("", _(
            "The workbook unpacks to %(size)s MB, more than a template can hold. Upload "
            "only the template's sheets.") % {"size": megabytes(unpacked)}))
    return archive


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def size_problem(size: int) -> Problem:
    """The problem of a file above the size limit (checked before anything is parsed)."""
    return _problem("", _(
        "The file is %(size)s MB; files up to %(limit)s MB are accepted. Upload only the "
        "template's sheets, without pictures or extra sheets.")
        % {"size": megabytes(size), "limit": megabytes(max_upload_bytes())})


def _open_workbook(data: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, OSError, ValueError) as exc:
        raise _Refused(_problem("", _(
            "The workbook cannot be read; it may be damaged or password-protected "
            "(%(reason)s).") % {"reason": str(exc)[:200]})) from None


def _read_marker(workbook) -> tuple[dict, list[LayoutRow]]:
    missing = _problem("", _(
        "This workbook is not a Bianhe template (its hidden marker sheet is missing). "
        "Download the template for this form and period, and fill that."))
    if MARKER_SHEET not in workbook.sheet_names:
        raise _Refused(missing)
    try:
        rows = workbook.get_sheet_by_name(MARKER_SHEET).to_python(skip_empty_area=False)
    except CalamineError:
        raise _Refused(missing) from None
    meta: dict[str, str] = {}
    index = 0
    while index < len(rows) and any(cell_text(c) for c in rows[index]):
        cells = [cell_text(c) for c in rows[index]] + ["", ""]
        meta[cells[0]] = cells[1]
        index += 1
    damaged = _problem(MARKER_SHEET, _(
        "The template's hidden marker was modified. Download a fresh template and copy "
        "your figures into it."))
    required = ("format", "format_version", "form", "period", "catalog_year", "zones",
                "layout_sha256")
    if meta.get("format") != FORMAT or any(key not in meta for key in required):
        raise _Refused(missing if meta.get("format") != FORMAT else damaged)
    layout = []
    for raw in rows[index + 2:]:
        cells = [cell_text(c) for c in raw] + ["", "", "", ""]
        if not any(cells):
            continue
        if not cells[1].isdigit():
            raise _Refused(damaged)
        layout.append(LayoutRow(cells[0], int(cells[1]), cells[2], cells[3]))
    if not meta["format_version"].isdigit() or int(meta["format_version"]) > FORMAT_VERSION:
        raise _Refused(_problem(MARKER_SHEET, _(
            "This template was made by a newer version of the platform. Download the "
            "template again.")))
    if checksum(meta, layout) != meta["layout_sha256"]:
        raise _Refused(damaged)
    return meta, layout


def _check_marker(meta: dict, form_code: str, period_code: str) -> None:
    problems = []
    if meta["form"] != form_code:
        problems.append(_problem("", _(
            "This template is for the form %(found)s, not %(expected)s. Download the "
            "template of %(expected)s.") % {"found": meta["form"], "expected": form_code}))
    if meta["period"] != period_code:
        problems.append(_problem("", _(
            "This template is for the period %(found)s, not %(expected)s. Download the "
            "template of %(expected)s.") % {"found": _period_text(meta["period"]),
                                             "expected": _period_text(period_code)}))
    elif meta["catalog_year"] != period_code[:4]:
        problems.append(_problem("", _(
            "This template was made for the %(found)s indicator catalogue, not "
            "%(expected)s.") % {"found": meta["catalog_year"], "expected": period_code[:4]}))
    if problems:
        raise _Refused(*problems)


def _period_text(code: str) -> str:
    try:
        return f"{Period.parse(code).label()} ({code})"
    except PeriodError:
        return code


def _check_sheets(workbook, meta: dict) -> list[str]:
    zones = [code for code in meta["zones"].split(",") if code]
    present = [name for name in workbook.sheet_names if name != MARKER_SHEET]
    extra = [name for name in present if name not in zones]
    if extra:
        raise _Refused(*(_problem(name, _(
            "The sheet “%(sheet)s” is not part of this template, which has sheets for "
            "%(zones)s only. Do not add, copy or rename sheets.")
            % {"sheet": name, "zones": "、".join(zones)}) for name in extra))
    if not present:
        raise _Refused(_problem("", _("The workbook has no zone sheet left to read.")))
    return [name for name in zones if name in present]


def _grid(workbook, name: str) -> list[list]:
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise _Refused(_problem(name, _(
            "The sheet cannot be read; the file may be damaged (%(reason)s).")
            % {"reason": str(exc)[:200]})) from None


def _row(grid: list[list], number: int) -> list:
    cells = grid[number - 1] if number <= len(grid) else []
    return list(cells) + [""] * (len(HEADERS) - len(cells))


def _check_layout(grids: dict, layout: list[LayoutRow], meta: dict) -> None:
    problems: list[Problem] = []
    expected_header = {(ZONE_ROW, 1): None, (FORM_ROW, 1): meta["form"],
                       (PERIOD_ROW, 1): meta["period"]}
    last_row: dict[str, int] = {}
    for row in layout:
        last_row[row.sheet] = max(last_row.get(row.sheet, 0), row.row)
    for sheet, grid in grids.items():
        found: list[Problem] = []
        for (row, column), value in expected_header.items():
            value = sheet if value is None else value
            actual = cell_text(_row(grid, row)[column])
            if actual != value:
                found.append(_layout_problem(sheet, row, column, value, actual))
        header = _row(grid, HEADER_ROW)
        for column, title in enumerate(HEADERS):
            if cell_text(header[column]) != title:
                found.append(_layout_problem(sheet, HEADER_ROW, column, title,
                                             cell_text(header[column])))
        for row in (r for r in layout if r.sheet == sheet):
            cells = _row(grid, row.row)
            for column, value in ((0, row.indicator), (1, row.member)):
                actual = cell_text(cells[column])
                if actual != value:
                    found.append(_layout_problem(sheet, row.row, column, value, actual,
                                                 row.indicator))
        for number in range(last_row.get(sheet, HEADER_ROW) + 1, len(grid) + 1):
            cells = _row(grid, number)
            filled = [i for i in range(len(HEADERS)) if cell_text(cells[i])]
            if filled:
                found.append(_problem(f"{sheet}!{get_column_letter(filled[0] + 1)}{number}", _(
                    "Something was written below the table; the template's layout was "
                    "modified. Enter values only in the rows of the template.")))
        if len(found) > 10:
            more = len(found) - 10
            found = [*found[:10], _problem(sheet, _(
                "…and %(n)d more cells of this sheet's layout were modified.") % {"n": more})]
        problems.extend(found)
    if problems:
        raise _Refused(*problems)


def _layout_problem(sheet: str, row: int, column: int, expected: str, actual: str,
                    indicator: str = "") -> Problem:
    cell = f"{get_column_letter(column + 1)}{row}"
    return _problem(f"{sheet}!{cell}", _(
        "The template's header or layout was modified: this cell should read "
        "“%(expected)s” but reads “%(actual)s”. Download a fresh template and copy your "
        "figures into it.") % {"expected": expected, "actual": actual}, indicator)


# --- formulas without a computed value, error values --------------------------------------

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_SUSPECT = re.compile(rb'<(?:\w+:)?f[\s>/]|t="e"')
_INPUT_CELL = re.compile(rf"^[{VALUE_COLUMN}{COMMENT_COLUMN}]\d+$")


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the worksheet part inside the archive."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile):
        return {}
    targets = {rel.get("Id"): rel.get("Target", "")
               for rel in rels.iter(f"{_NS_PKG}Relationship")}
    parts = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        parts[sheet.get("name")] = target
    return parts


def _unreadable_cells(archive: zipfile.ZipFile, sheets: list[str]) -> dict[str, dict]:
    """Per sheet, the input cells (columns E and F) whose value calamine cannot give:
    cell → '' for a formula saved without a computed value, or the error shown (#DIV/0!),
    which calamine would read as an empty cell."""
    parts = _sheet_parts(archive)
    found: dict[str, dict] = {}
    for name in sheets:
        try:
            raw = archive.read(parts[name])
        except (KeyError, zipfile.BadZipFile):
            continue
        if not _SUSPECT.search(raw):
            continue
        try:
            for _event, element in ElementTree.iterparse(io.BytesIO(raw)):
                if element.tag.rsplit("}", 1)[-1] != "c":
                    continue
                reference = element.get("r", "")
                if _INPUT_CELL.match(reference):
                    children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                    value = children.get("v")
                    text = value.text if value is not None else None
                    if element.get("t") == "e":
                        found.setdefault(name, {})[reference] = text or "#VALUE!"
                    elif "f" in children and not (text or element.get("t") == "str"):
                        found.setdefault(name, {})[reference] = ""
                element.clear()
        except ElementTree.ParseError:
            continue
    return found
