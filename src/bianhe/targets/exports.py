"""The tracking and year-end completion tables as Excel workbooks (openpyxl).

Laid out as the pages show them and printed as statistical tables are (the analytics
exports' conventions): a title row with the year and period, the basis of the actual
figures and the 演示数据 note when any figure is demo data, the header row, one row per
target with figures as numbers (the indicator's decimals, thousands separators), progress and
completion as percentages, each figure beside its unit, then the notes.
"""

from __future__ import annotations

import io
import math

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bianhe.targets.notes import completion_notes, tracking_notes
from bianhe.workbooks import print_as_table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.0%"
COUNT = "#,##0"


def _number_format(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _figure(value, number_format: str) -> tuple:
    """A cell: a finite number with its format, else empty."""
    if value is None or isinstance(value, str):
        return (value or None, None)
    value = float(value)
    return (value, number_format) if math.isfinite(value) else (None, None)


def _sheet(workbook, name: str, title: str, lines: list[str], headers: list[str],
           rows: list[list[tuple]], notes: list[str], *, demo_note: str = "") -> None:
    sheet = workbook.create_sheet(name[:31])
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    line = 2
    for text in lines:
        sheet.cell(row=line, column=1, value=text)
        line += 1
    if demo_note:
        cell = sheet.cell(row=line, column=1, value=demo_note)
        cell.font = Font(bold=True, color="9C5700")
        cell.fill = PatternFill("solid", fgColor="FFF3CD")
        line += 1
    header_row = line + 1
    fill = PatternFill("solid", fgColor="EEF1F5")
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=text)
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    row_number = header_row
    for row in rows:
        row_number += 1
        for column, (value, number_format) in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=column, value=value)
            if number_format:
                cell.number_format = number_format
    row_number += 2
    sheet.cell(row=row_number, column=1, value=_("Notes on the figures")).font = Font(bold=True)
    for note in notes:
        row_number += 1
        sheet.cell(row=row_number, column=1, value=note)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    for column in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 22 if column <= 3 else 14
    print_as_table(sheet, header_row)


def _save(workbook) -> bytes:
    del workbook[workbook.sheetnames[0]]  # the empty sheet every new workbook starts with
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _demo_note(tracked) -> str:
    return _("Demo data: not official statistics.") if tracked.is_demo else ""


def tracking_xlsx(context: dict) -> bytes:
    tracked = context["tracked"]
    title = _("Tracking of the annual work targets, %(period)s") % {
        "period": tracked.as_of_label or f"{tracked.year}年"}
    headers = [_("Province"), _("Zone"), _("Indicator"), _("Unit"), _("Target"),
               _("Target level"), _("14th Five-Year Plan target for 2025"), _("Period"),
               _("Actual"), _("Progress"), _("Linear expected progress"),
               _("Status (linear)"), _("Seasonal expected progress"), _("Status (seasonal)"),
               _("Earlier years behind the seasonal progress")]
    rows = []
    for r in context["rows"]:
        number = _number_format(r.decimals)
        rows.append([(r.province_name, None), (r.zone_name, None), (r.indicator_name, None),
                     (r.unit, None), (r.target_text, None), _figure(r.target_level, number),
                     (r.plan_text, None), (r.period_label or None, None),
                     _figure(r.actual, number), _figure(r.progress, PERCENT),
                     _figure(r.expected_linear, PERCENT), (r.status_linear_label, None),
                     _figure(r.expected_seasonal, PERCENT), (r.status_seasonal_label, None),
                     _figure(r.seasonal_years, COUNT)])
    workbook = Workbook()
    _sheet(workbook, _("Tracking"), title, [], headers, rows,
           tracking_notes(context), demo_note=_demo_note(tracked))
    return _save(workbook)


def completion_xlsx(context: dict) -> bytes:
    tracked, year = context["tracked"], context["year"]
    title = _("Completion of the annual work targets, %(year)s") % {"year": year}
    notes, demo = completion_notes(context), _demo_note(tracked)
    summary_headers = [_("Number of targets"), _("With a full-year actual"), _("Met"),
                       _("Average completion")]

    def summary(row) -> list[tuple]:
        return [_figure(row["targets"], COUNT), _figure(row["with_actual"], COUNT),
                _figure(row["met"], COUNT), _figure(row["completion"], PERCENT)]

    workbook = Workbook()
    _sheet(workbook, _("By province"), title, [], [_("Province"), _("Zones"),
                                                  *summary_headers],
           [[(p["province_name"], None), _figure(p["zones"], COUNT), *summary(p)]
            for p in context["provinces"]], notes, demo_note=demo)
    _sheet(workbook, _("By zone"), title, [], [_("Province"), _("Zone"), *summary_headers],
           [[(z["province_name"], None), (z["zone_name"], None), *summary(z)]
            for z in context["zones"]], notes, demo_note=demo)
    rows = []
    for r in context["rows"]:
        number = _number_format(r.decimals)
        rows.append([(r.province_name, None), (r.zone_name, None), (r.indicator_name, None),
                     (r.unit, None), (r.target_text, None), _figure(r.target_level, number),
                     _figure(r.at_end, number), _figure(r.completion, PERCENT),
                     (_("met") if r.met else (_("not met") if r.at_end == r.at_end else
                                              _("no full-year figure")), None)])
    _sheet(workbook, _("By target"), title, [],
           [_("Province"), _("Zone"), _("Indicator"), _("Unit"), _("Target"),
            _("Target level"), _("Full-year actual"), _("Completion rate"), _("Result")],
           rows, notes, demo_note=demo)
    return _save(workbook)
