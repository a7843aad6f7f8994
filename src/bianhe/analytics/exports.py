"""The pivot table as an Excel workbook or a CSV file, laid out like the page.

Both files carry what the page shows around the table: a title (indicators, measure, level,
period range), the unit of measure, and every footnote of the result — the demonstration-data
note first when any figure is demo data — so that a figure never travels without its unit,
basis and caveats.

XLSX (openpyxl): a title row; the unit (and the 演示数据 note when demo) below it; the header
rows (outer column labels merged across their columns); one row per table row with its
labels repeated in every row (so that Excel's filter and sort work); the figures as numbers,
not text, at full precision, with a number format showing the indicator's decimals and
thousands separators; empty cells where there is no figure; then the notes below the table.

CSV: UTF-8 with a byte-order mark, because Excel opens a Chinese CSV correctly only with
one. Lines that are not table rows start with ``# `` and are written raw (never quoted), so
that ``pandas.read_csv(path, comment="#")`` or a reader skipping ``#`` lines gets exactly
the table. The file is: ``# `` lines with the title, the unit(s) and (when demo) the 演示数据
note; the header rows (one per column dimension; the row-dimension names in the last one);
the data rows, figures rounded to the indicator's decimals without thousands separators and
empty when missing; then ``# `` lines with every footnote.
"""

from __future__ import annotations

import csv
import io
import re

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bianhe import formatting
from bianhe.analytics.pivot import Table, level_label, number_format
from bianhe.analytics.query import MEASURES
from bianhe.workbooks import print_as_table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def title(result) -> str:
    """``进出口总额 · 值 · 省 · 2021年—2025年`` (several measures joined by 、)."""
    query = result.query
    periods = result.order["period"]
    first = result.labels["period"][periods[0]] if periods else query.start
    last = result.labels["period"][periods[-1]] if periods else query.end
    span = first if first == last else f"{first}—{last}"
    names = "、".join(result.labels["indicator"][code] for code in result.order["indicator"])
    measures = "、".join(str(MEASURES[m]) for m in query.all_measures)
    return " · ".join([names, measures, level_label(result), span])


def unit_lines(result, table: Table) -> list[str]:
    if table.unit_note:
        return [table.unit_note]
    if len(result.query.all_measures) > 1:
        return []  # the headings carry each measure's unit
    units = "; ".join(f"{name} {unit}" for name, unit in table.units.items() if unit)
    return [_("Units: %(units)s") % {"units": units}] if units else []


def filename(result, extension: str) -> str:
    """``analytics-TRADE_TOTAL-2021-2025.xlsx``; several indicators are joined by ``_``."""
    query = result.query
    codes = list(query.indicators)
    name = "_".join(codes[:3]) + (f"_and{len(codes) - 3}more" if len(codes) > 3 else "")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "", f"analytics-{name}-{query.start}-{query.end}")
    return f"{safe}.{extension}"


def _header_matrix(table: Table) -> list[list[str]]:
    """Header rows as plain text: the row-dimension names in the last one, column labels
    repeated over the columns they span."""
    n_row_dims = len(table.row_dimensions)
    rows = []
    for j in range(len(table.column_dimensions)):
        last = j == len(table.column_dimensions) - 1
        lead = [label for _dim, label in table.row_dimensions] if last else [""] * n_row_dims
        rows.append(lead + [labels[j] for labels in table.column_labels])
    return rows


def to_xlsx(result, table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _SHEET_FORBIDDEN.sub("", str(_("Pivot table")))[:31] or "Pivot"
    n_row_dims = len(table.row_dimensions)
    width = n_row_dims + len(table.column_keys)
    bold = Font(bold=True)

    sheet.cell(row=1, column=1, value=title(result)).font = Font(bold=True, size=14)
    line = 2
    for text in unit_lines(result, table):
        sheet.cell(row=line, column=1, value=text)
        line += 1
    if result.is_demo and result.footnotes:
        demo = sheet.cell(row=line, column=1, value=result.footnotes[0])
        demo.font = Font(bold=True, color="9C5700")
        demo.fill = PatternFill("solid", fgColor="FFF3CD")
        line += 1
    line += 1  # a blank row before the table

    header_fill = PatternFill("solid", fgColor="EEF1F5")
    first_header = line
    for j, header in enumerate(table.header_rows):
        row = first_header + j
        column = n_row_dims + 1
        for cell in header:
            target = sheet.cell(row=row, column=column, value=cell.text)
            target.font, target.fill = bold, header_fill
            target.alignment = Alignment(horizontal="center", wrap_text=True)
            if cell.span > 1:
                sheet.merge_cells(start_row=row, start_column=column, end_row=row,
                                  end_column=column + cell.span - 1)
            column += cell.span
    last_header = first_header + len(table.header_rows) - 1
    for i, (_dim, label) in enumerate(table.row_dimensions):
        target = sheet.cell(row=last_header, column=i + 1, value=label)
        target.font, target.fill = bold, header_fill

    row_number = last_header
    partial_fill = PatternFill("solid", fgColor="FFF8E1")
    for row in table.rows:
        row_number += 1
        for i, label in enumerate(row.labels):
            sheet.cell(row=row_number, column=i + 1, value=label)
        for c, cell in enumerate(row.cells):
            if cell.value is None:
                continue
            target = sheet.cell(row=row_number, column=n_row_dims + c + 1, value=cell.value)
            target.number_format = number_format(cell.decimals)
            if cell.partial:
                target.comment = Comment(cell.coverage, "Bianhe")
                target.fill = partial_fill
    if table.coverage_row:
        row_number += 1
        sheet.cell(row=row_number, column=1, value=_("Confirmed zones")).font = bold
        for c, text in enumerate(table.coverage_row):
            sheet.cell(row=row_number, column=n_row_dims + c + 1, value=text).alignment = \
                Alignment(horizontal="right")

    row_number += 2
    sheet.cell(row=row_number, column=1, value=_("Notes")).font = bold
    for note in result.footnotes:
        row_number += 1
        sheet.cell(row=row_number, column=1, value=note)

    sheet.freeze_panes = sheet.cell(row=last_header + 1, column=n_row_dims + 1)
    for i in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(i)].width = 24 if i <= n_row_dims else 14
    print_as_table(sheet, first_header, last_header)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _comment(text: str) -> str:
    return "# " + " ".join(str(text).split()) + "\r\n"


def to_csv(result, table: Table) -> str:
    """The CSV text, starting with the byte-order mark (see the module docstring)."""
    out = io.StringIO()
    out.write("\ufeff")
    out.write(_comment(title(result)))
    for text in unit_lines(result, table):
        out.write(_comment(text))
    if result.is_demo and result.footnotes:
        out.write(_comment(result.footnotes[0]))
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(_header_matrix(table))
    for row in table.rows:
        writer.writerow(row.labels + [
            "" if cell.value is None else _plain(cell.value, cell.decimals)
            for cell in row.cells])
    for line in coverage_lines(table):
        out.write(_comment(line))
    for note in result.footnotes:
        out.write(_comment(note))
    return out.getvalue()


def coverage_lines(table: Table) -> list[str]:
    """The coverage row and every partial figure, as lines for the CSV's notes."""
    lines = []
    columns = [" · ".join(labels) for labels in table.column_labels]
    if table.coverage_row:
        lines.append(_("Confirmed zones") + "：" + "；".join(
            f"{label} {text}" for label, text in zip(columns, table.coverage_row, strict=True)
            if text))
    for row in table.rows:
        for label, cell in zip(columns, row.cells, strict=True):
            if cell.partial:
                lines.append(f"* {' · '.join(row.labels)} · {label}：{cell.coverage}")
    return lines


def _plain(value: float, decimals: int) -> str:
    return f"{formatting.rounded(value, decimals):.{decimals}f}"
