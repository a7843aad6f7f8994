"""Laying a computed :class:`~bianhe.analytics.queries.Result` out as a table and a chart.

The query names the dimensions of the rows and of the columns; each axis is the cartesian
product of its dimensions' items in the result's display order (the first dimension is the
outer one). A dimension on neither axis must have exactly one item — it then titles the
table instead. Every figure keeps its unit: the indicator's label carries it when indicators
are on an axis, the caption carries it when there is one indicator.

The same :class:`Table` feeds the page, the XLSX and the CSV export, so that the three
always agree. Cells are filled with one vectorised reindex, not a loop over facts.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from bianhe.analytics.query import (
    DIMENSION_LABELS,
    DIMENSIONS,
    INDICATOR,
    LEVELS,
    MEASURES,
    QueryError,
)

MISSING = "—"
#: A chart with more lines than this is unreadable; the table still shows every row.
MAX_CHART_SERIES = 30
#: Fewer axes than this make a radar a line; such a table is drawn as bars.
MIN_RADAR_AXES = 3


@dataclass
class HeaderCell:
    text: str
    span: int = 1


@dataclass
class Cell:
    value: float | None
    text: str
    decimals: int


@dataclass
class Row:
    key: tuple[str, ...]  # the codes of the row dimensions
    labels: list[str]  # one label per row dimension
    headers: list[HeaderCell | None]  # None where an outer label's rowspan covers it
    cells: list[Cell]


@dataclass
class Table:
    caption: str
    unit_note: str  # "Unit: 万元" when the whole table has one unit, else ""
    row_dimensions: list[tuple[str, str]]  # (dimension, label)
    column_dimensions: list[tuple[str, str]]
    column_keys: list[tuple[str, ...]]
    column_labels: list[list[str]]  # per column: one label per column dimension
    header_rows: list[list[HeaderCell]]  # one per column dimension, outer first
    rows: list[Row]
    fixed: dict[str, str] = field(default_factory=dict)  # dimension -> the one item's label
    units: dict[str, str] = field(default_factory=dict)  # indicator label -> unit

    @property
    def cell_count(self) -> int:
        return len(self.rows) * len(self.column_keys)


def rounded(value: float, decimals: int) -> Decimal:
    """``value`` rounded half up (四舍五入, as Excel shows it): 1500.25 → 1500.3; no -0."""
    result = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals),
                                                  rounding=ROUND_HALF_UP)
    return result if result != 0 else abs(result)


def format_value(value: float | None, decimals: int) -> str:
    """``1234.56`` with 1 decimal → ``1,234.6``; missing → ``—``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{rounded(value, decimals):,.{decimals}f}"


def number_format(decimals: int) -> str:
    """The Excel number format showing ``decimals`` places with thousands separators."""
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def dimension_labels(result) -> dict[str, dict[str, str]]:
    """Item labels per dimension; an indicator's label carries its unit of measure."""
    labels = {dim: dict(result.labels.get(dim, {})) for dim in DIMENSIONS}
    for code, name in list(labels[INDICATOR].items()):
        unit = result.measure_units.get(code, "")
        labels[INDICATOR][code] = f"{name}({unit})" if unit else name
    return labels


def _check_fixed(result) -> dict[str, str]:
    query = result.query
    fixed = {}
    on_axes = set(query.rows) | set(query.columns)
    for dim in DIMENSIONS:
        if dim in on_axes:
            continue
        items = result.order.get(dim, [])
        if len(items) != 1:
            raise QueryError(
                _("%(dimension)s has %(count)d items: put it in the rows or the columns, or "
                  "choose one item.") % {"dimension": DIMENSION_LABELS[dim],
                                         "count": len(items)})
        fixed[dim] = items[0]
    return fixed


def _values(result, row_dims, col_dims, fixed_dims) -> np.ndarray:
    """(rows, columns) float array of the result's values, NaN where there is none."""
    order = result.order
    names = list(row_dims) + list(col_dims) + list(fixed_dims)
    full = pd.MultiIndex.from_product([order[d] for d in names], names=names)
    n_rows = math.prod(len(order[d]) for d in row_dims)
    n_cols = math.prod(len(order[d]) for d in col_dims)
    frame = result.frame
    if frame.empty:
        return np.full((n_rows, n_cols), np.nan)
    series = frame.set_index(list(DIMENSIONS))["value"]
    series = series[~series.index.duplicated(keep="first")]
    values = series.reindex(full.reorder_levels(list(DIMENSIONS))).to_numpy(dtype=float)
    # An infinite ratio (a zero denominator) is no figure either.
    return np.where(np.isfinite(values), values, np.nan).reshape(n_rows, n_cols)


def _decimals(result, row_keys, col_keys, row_dims, col_dims, fixed) -> np.ndarray:
    decimals = result.decimals
    if INDICATOR in row_dims:
        at = row_dims.index(INDICATOR)
        per_row = np.array([decimals[key[at]] for key in row_keys], dtype=int)
        return np.repeat(per_row[:, None], len(col_keys), axis=1)
    if INDICATOR in col_dims:
        at = col_dims.index(INDICATOR)
        per_col = np.array([decimals[key[at]] for key in col_keys], dtype=int)
        return np.repeat(per_col[None, :], len(row_keys), axis=0)
    return np.full((len(row_keys), len(col_keys)), decimals[fixed[INDICATOR]], dtype=int)


def layout(result) -> Table:
    """The result as a :class:`Table`; QueryError when an off-axis dimension has several
    items (the message tells the user what to change)."""
    query = result.query
    row_dims, col_dims = list(query.rows), list(query.columns)
    fixed = _check_fixed(result)
    labels = dimension_labels(result)
    order = result.order
    row_keys = list(itertools.product(*(order[d] for d in row_dims)))
    col_keys = list(itertools.product(*(order[d] for d in col_dims)))
    values = _values(result, row_dims, col_dims, list(fixed))
    places = _decimals(result, row_keys, col_keys, row_dims, col_dims, fixed)

    column_labels = [[labels[d][code] for d, code in zip(col_dims, key, strict=True)]
                     for key in col_keys]
    header_rows = []
    for j in range(len(col_dims)):
        block = math.prod(len(order[d]) for d in col_dims[j + 1:])
        header_rows.append([HeaderCell(column_labels[c][j], block)
                            for c in range(0, len(col_keys), block)])
    blocks = [math.prod(len(order[d]) for d in row_dims[i + 1:]) for i in range(len(row_dims))]
    rows = []
    for r, key in enumerate(row_keys):
        row_labels = [labels[d][code] for d, code in zip(row_dims, key, strict=True)]
        headers = [HeaderCell(row_labels[i], blocks[i]) if r % blocks[i] == 0 else None
                   for i in range(len(row_dims))]
        cells = []
        for c in range(len(col_keys)):
            raw = values[r, c]
            value = None if math.isnan(raw) else float(raw)
            cells.append(Cell(value, format_value(value, int(places[r, c])), int(places[r, c])))
        rows.append(Row(key, row_labels, headers, cells))

    fixed_labels = {dim: labels[dim][code] for dim, code in fixed.items()}
    caption_parts = [result.labels[dim][code] for dim, code in fixed.items()
                     if dim != "member" or code != "_T"]
    caption_parts.append(str(MEASURES[query.measure]))
    caption_parts.append(str(LEVELS[query.level]))
    unit_note = ""
    if INDICATOR in fixed:
        unit = result.measure_units.get(fixed[INDICATOR], "")
        unit_note = _("Unit: %(unit)s") % {"unit": unit} if unit else ""
    return Table(
        caption=" · ".join(caption_parts),
        unit_note=unit_note,
        row_dimensions=[(d, str(DIMENSION_LABELS[d])) for d in row_dims],
        column_dimensions=[(d, str(DIMENSION_LABELS[d])) for d in col_dims],
        column_keys=col_keys,
        column_labels=column_labels,
        header_rows=header_rows,
        rows=rows,
        fixed=fixed_labels,
        units={result.labels[INDICATOR][code]: result.measure_units.get(code, "")
               for code in order[INDICATOR]},
    )


def chart_data(result, table: Table | None = None) -> dict:
    """What the page's ECharts chart draws: one series per table row.

    ``line``, ``bar`` and ``stacked``: the x axis is the column headers, each row a line or
    a bar series (stacked on one another for ``stacked``). ``radar``: each column of the
    table is one axis of the radar, with its own scale (indicators in different units do not
    share one), and each row is one polygon — lay indicators (or periods) out in the columns
    and org units in the rows to compare zones' profiles; with fewer than
    :data:`MIN_RADAR_AXES` columns a bar chart is drawn instead (``note`` says so). At most
    :data:`MAX_CHART_SERIES` rows are drawn; ``truncated`` says when there were more.
    """
    table = table or layout(result)
    categories = [" · ".join(labels) for labels in table.column_labels]
    series = []
    for row in table.rows[:MAX_CHART_SERIES]:
        data = [None if cell.value is None else float(rounded(cell.value, cell.decimals))
                for cell in row.cells]
        series.append({"name": " · ".join(row.labels), "data": data})
    chart = result.query.chart
    note = ""
    if chart == "radar" and len(categories) < MIN_RADAR_AXES:
        chart = "bar"
        note = _("A radar chart needs at least %(count)d columns; a bar chart is shown "
                 "instead.") % {"count": MIN_RADAR_AXES}
    data = {
        "type": "radar" if chart == "radar" else "line" if chart == "line" else "bar",
        "stacked": chart == "stacked",
        "categories": categories,
        "series": series,
        "unit": table.unit_note,
        "truncated": len(table.rows) > MAX_CHART_SERIES,
        "note": note,
    }
    if chart == "radar":
        axes = []
        for c, name in enumerate(categories):
            column = [row.cells[c].value for row in table.rows[:MAX_CHART_SERIES]
                      if row.cells[c].value is not None]
            top = max(column, default=0.0)
            bottom = min(column, default=0.0)
            axes.append({"name": name, "max": _nice_bound(top) if top > 0 else 1,
                         "min": -_nice_bound(-bottom) if bottom < 0 else 0})
        data["axes"] = axes
    return data


def _nice_bound(value: float) -> float:
    """A round number a little above ``value`` (> 0): 1,234 → 1,500; 0.8 → 1."""
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value * 1.05:
            return step * magnitude
    return 10 * magnitude * 1.5
