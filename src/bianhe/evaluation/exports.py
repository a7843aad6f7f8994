"""A run's ranking as an Excel workbook, with the rows the page shows the same person.

A title row (the year, and 演示数据 when the run computed demo data), the scheme and the
publication, the units; then one row per ranked zone with its rank, the 5—95 % band of its
rank, score and pillar scores (numbers, two decimals, not text), last year's rank and the
change; the medians of all ranked zones; the zones not ranked with the reason; the method and
the run's fingerprint below. Printed as statistical tables are: landscape A4, one page wide,
the header row repeated on every page.
"""

from __future__ import annotations

import io
import re

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bianhe import formatting
from bianhe.evaluation.presenting import Ranking, method_note
from bianhe.workbooks import print_as_table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCORE_FORMAT = "#,##0.00"
RANK_FORMAT = "0"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def title(ranking: Ranking) -> str:
    """2025年度边(跨)合区综合评价排名（演示数据）."""
    run = ranking.run
    text = _("%(year)s comprehensive evaluation of the border and cross-border economic "
             "cooperation zones: ranking") % {"year": formatting.period_label(str(run.year))}
    if run.label:
        text += f"（{run.label}）"
    if run.is_demo:
        text += _(" (demo data)")
    return text


def filename(run) -> str:
    return f"evaluation-{run.year}-run{run.pk}-ranking.xlsx"


def _status(ranking: Ranking) -> str:
    run = ranking.run
    parts = [_("Scheme: %(scheme)s") % {"scheme": str(run.scheme)}]
    if run.is_published:
        parts.append(_("published on %(date)s") % {"date": formatting.date_zh(
            run.published_at)})
    elif run.is_variant:
        parts.append(_("a variant for comparison, not published"))
    else:
        parts.append(_("not published"))
    return "；".join(parts)


def ranking_xlsx(ranking: Ranking) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _SHEET_FORBIDDEN.sub("", str(_("Ranking")))[:31] or "Ranking"
    bold = Font(bold=True)
    pillars = ranking.pillars

    sheet.cell(row=1, column=1, value=title(ranking)).font = Font(bold=True, size=14)
    lines = [_status(ranking),
             _("Units: scores in points (0—100), ranks in places; the band of a rank is the "
               "5th to the 95th percentile of its Monte-Carlo ranks."),
             _("%(zones)d zones evaluated, %(ranked)d of them ranked.") % {
                 "zones": ranking.zones_total, "ranked": ranking.ranked_total}]
    if not ranking.full:
        lines.append(_("As the ministry has set, only the zones in your scope are listed, "
                       "with the medians of all ranked zones."))
    line = 2
    for text in lines:
        sheet.cell(row=line, column=1, value=text)
        line += 1
    if ranking.run.is_demo:
        demo = sheet.cell(row=line, column=1, value=_("Demo data, not official statistics."))
        demo.font = Font(bold=True, color="9C5700")
        demo.fill = PatternFill("solid", fgColor="FFF3CD")
        line += 1
    line += 1

    header = [_("Place in the ranking"), _("Band: from (5 %)"), _("Band: to (95 %)"),
              _("Zone code"), _("Zone"), _("Province"), _("Score (points)"),
              *[_("%(pillar)s (points)") % {"pillar": p.name} for p in pillars],
              _("Rank last year"), _("Rank change")]
    header_row = line
    fill = PatternFill("solid", fgColor="EEF1F5")
    for column, text in enumerate(header, 1):
        cell = sheet.cell(row=header_row, column=column, value=text)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    row_number = header_row
    first_pillar = 8
    for row in ranking.rows:
        row_number += 1
        result = row.result
        values = [result.rank, row.band_low, row.band_high, row.zone.code, row.zone.name,
                  row.province.name if row.province else "", result.score,
                  *[(result.pillars.get(p.code) or {}).get("score") for p in pillars],
                  result.previous_rank, row.change if row.moved is not None else ""]
        for column, value in enumerate(values, 1):
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=column, value=value)
            if column in (1, 2, 3) or column == first_pillar + len(pillars):
                cell.number_format = RANK_FORMAT
            elif column >= 7 and isinstance(value, float):
                cell.number_format = SCORE_FORMAT

    row_number += 1
    medians = ranking.summary.get("median") or {}
    sheet.cell(row=row_number, column=5, value=_("Median of the ranked zones")).font = bold
    for column, value in [(7, medians.get("score")),
                          *[(first_pillar + i, medians.get(p.code))
                            for i, p in enumerate(pillars)]]:
        if value is not None:
            cell = sheet.cell(row=row_number, column=column, value=value)
            cell.number_format, cell.font = SCORE_FORMAT, bold

    if ranking.unranked:
        row_number += 2
        sheet.cell(row=row_number, column=1, value=_("Zones not ranked")).font = bold
        for row, reason in ranking.unranked:
            row_number += 1
            sheet.cell(row=row_number, column=4, value=row.zone.code)
            sheet.cell(row=row_number, column=5, value=row.zone.name)
            sheet.cell(row=row_number, column=6, value=row.province.name if row.province
                       else "")
            sheet.cell(row=row_number, column=7, value=reason)

    row_number += 2
    sheet.cell(row=row_number, column=1, value=_("Notes")).font = bold
    notes = [*method_note(ranking.run),
             _("Fingerprint of the inputs, the scheme and the engine (SHA-256): %(hash)s")
             % {"hash": ranking.run.run_hash}]
    for note in notes:
        row_number += 1
        sheet.cell(row=row_number, column=1, value=note)

    widths = [8, 10, 10, 14, 30, 14, 12, *[12] * len(pillars), 10, 8]
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=6)
    print_as_table(sheet, header_row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
