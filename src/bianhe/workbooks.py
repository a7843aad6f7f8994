"""What every XLSX table of the platform shares: printed as a statistical table is printed."""

from __future__ import annotations


def print_as_table(sheet, first_header: int, last_header: int | None = None) -> None:
    """Landscape A4, all columns on one page width (as many pages down as needed), the
    heading rows repeated on every page, centred."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = f"{first_header}:{last_header or first_header}"
    sheet.print_options.horizontalCentered = True
