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
from decimal import Decimal

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from bianhe import formatting
from bianhe.analytics.query import (
    ALL,
    DIMENSION_LABELS,
    DIMENSIONS,
    INDICATOR,
    LEVELS,
    MEASURE,
    MEASURE_HEADINGS,
    MEASURES,
    MEMBER,
    RANK,
    UNIT,
    VALUE,
    ZONE,
    QueryError,
)

MISSING = formatting.MISSING
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
    value: float | None  # in the unit shown (亿元 when the table is scaled)
    text: str
    decimals: int
    included: int | None = None  # coverage: zones whose figures went into the cell
    expected: int | None = None  # zones that count in the cell's group and period

    @property
    def partial(self) -> bool:
        """A figure over fewer zones than its group holds: never to be read as a total."""
        return self.value is not None and self.included is not None and \
            self.expected is not None and self.included < self.expected

    @property
    def coverage(self) -> str:
        if self.included is None or self.expected is None:
            return ""
        return _("Confirmed zones %(coverage)s") % {
            "coverage": formatting.coverage(self.included, self.expected)}


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
    #: Per column, "n/N" zones covered over all rows, when the rows are the org units.
    coverage_row: list[str] | None = None

    @property
    def cell_count(self) -> int:
        return len(self.rows) * len(self.column_keys)

    @property
    def has_partial(self) -> bool:
        return any(cell.partial for row in self.rows for cell in row.cells)


def rounded(value: float, decimals: int) -> Decimal:
    """``value`` rounded half up (四舍五入, as Excel shows it); see :mod:`bianhe.formatting`."""
    return formatting.rounded(value, decimals)


def number_format(decimals: int) -> str:
    """The Excel number format showing ``decimals`` places with thousands separators."""
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _measure_of(result, key: dict[str, str]) -> str:
    return key.get(MEASURE) or result.query.measure


def display_unit(result, indicator: str, measure: str) -> tuple[str, int, float]:
    """(unit shown, decimals shown, divisor) of one indicator's figures of one measure;
    with ``scale=yi`` a 万元 amount is shown in 亿元."""
    unit = result.unit_of(indicator, measure)
    places = result.decimals_of(indicator, measure)
    if result.query.scale == "yi" and measure == VALUE and \
            unit in formatting.TEN_THOUSAND_UNITS:
        _value, shown, places = formatting.in_display_unit(None, unit, places, yi=True)
        return shown, places, 10_000.0
    return unit, places, 1.0


def _with_unit(label: str, unit: str) -> str:
    return f"{label}（{unit}）" if unit else label


def unit_coverage(result) -> dict[str, str]:
    """Org unit -> "n/N" (several joined by 、) of its figures that are partial totals."""
    frame = result.frame
    if result.query.level == ZONE or frame.empty or "included" not in frame:
        return {}
    shown = frame[frame["value"].notna() & (frame["included"] < frame["expected"])]
    found: dict[str, list[str]] = {}
    for unit, n, total in sorted(set(zip(shown["unit"], shown["included"], shown["expected"],
                                         strict=True))):
        found.setdefault(unit, []).append(formatting.coverage(n, total))
    return {unit: "、".join(items) for unit, items in found.items()}


def unit_label(result, code: str, label: str, coverage: str) -> str:
    """A group's label, saying when its figures cover only part of its zones:
    "已确认园区合计（2/20）" instead of "全部园区", "云南省（已确认3/4）"."""
    if not coverage:
        return label
    if result.query.level == ALL:
        return _("Confirmed-zone total (%(coverage)s)") % {"coverage": coverage}
    return _("%(name)s (confirmed %(coverage)s)") % {"name": label, "coverage": coverage}


def level_label(result, labels: dict | None = None) -> str:
    """The level as a title says it; all zones below full coverage are "已确认园区合计"."""
    if result.query.level == ALL:
        labels = labels or dimension_labels(result)
        return next(iter(labels[UNIT].values()), str(LEVELS[ALL]))
    return str(LEVELS[result.query.level])


def dimension_labels(result) -> dict[str, dict[str, str]]:
    """Item labels per dimension. The unit of the figures goes on the indicator's label
    when there is one measure, on the measure's label when there is one indicator; a group
    below full coverage says so in its label."""
    labels = {dim: dict(result.labels.get(dim, {})) for dim in DIMENSIONS}
    measures = result.order.get(MEASURE) or [result.query.measure]
    indicators = result.order.get(INDICATOR, [])
    labels[MEASURE] = {m: labels[MEASURE].get(m) or str(MEASURE_HEADINGS[m]) for m in measures}
    if len(measures) == 1:
        for code in indicators:
            labels[INDICATOR][code] = _with_unit(labels[INDICATOR][code],
                                                 display_unit(result, code, measures[0])[0])
    else:
        for m in measures:
            units = {display_unit(result, code, m)[0] for code in indicators}
            if len(units) == 1:
                labels[MEASURE][m] = _with_unit(labels[MEASURE][m], units.pop())
        if VALUE in measures and len(indicators) > 1:
            for code in indicators:
                labels[INDICATOR][code] = _with_unit(labels[INDICATOR][code],
                                                     display_unit(result, code, VALUE)[0])
    covered = unit_coverage(result)
    for code, label in list(labels[UNIT].items()):
        labels[UNIT][code] = unit_label(result, code, label, covered.get(code, ""))
    return labels


def _check_fixed(result) -> dict[str, str]:
    query = result.query
    fixed = {}
    on_axes = set(query.rows) | set(query.columns)
    for dim in DIMENSIONS:
        if dim in on_axes:
            continue
        items = _order(result, dim)
        if len(items) != 1:
            raise QueryError(
                _("%(dimension)s has %(count)d items: put it in the rows or the columns, or "
                  "choose one item.") % {"dimension": DIMENSION_LABELS[dim],
                                         "count": len(items)})
        fixed[dim] = items[0]
    return fixed


def _order(result, dim: str) -> list[str]:
    if dim == MEASURE:
        return result.order.get(MEASURE) or [result.query.measure]
    return result.order.get(dim, [])


def _frame(result) -> pd.DataFrame:
    """The result's frame with every dimension and the coverage columns present."""
    frame = result.frame
    if MEASURE not in frame:
        frame = frame.assign(measure=result.query.measure)
    if "included" not in frame:
        frame = frame.assign(included=-1, expected=-1)
    return frame


def _grids(result, row_dims, col_dims, fixed_dims) -> dict[str, np.ndarray]:
    """(rows, columns) arrays of the value (NaN where none) and the coverage counts."""
    names = list(row_dims) + list(col_dims) + list(fixed_dims)
    full = pd.MultiIndex.from_product([_order(result, d) for d in names], names=names)
    n_rows = math.prod(len(_order(result, d)) for d in row_dims)
    n_cols = math.prod(len(_order(result, d)) for d in col_dims)
    frame = _frame(result)
    if frame.empty:
        return {"value": np.full((n_rows, n_cols), np.nan),
                "included": np.full((n_rows, n_cols), -1),
                "expected": np.full((n_rows, n_cols), -1)}
    indexed = frame.set_index(list(DIMENSIONS))
    indexed = indexed[~indexed.index.duplicated(keep="first")]
    target = full.reorder_levels(list(DIMENSIONS))
    grids = {}
    for column, fill in (("value", np.nan), ("included", -1), ("expected", -1)):
        values = indexed[column].reindex(target).to_numpy(dtype=float)
        if column == "value":
            # An infinite ratio (a zero denominator) is no figure either.
            values = np.where(np.isfinite(values), values, np.nan)
        else:
            values = np.where(np.isnan(values), fill, values).astype(np.int64)
        grids[column] = values.reshape(n_rows, n_cols)
    return grids


def _cell_codes(dim: str, row_dims, col_dims, row_keys, col_keys, fixed) -> np.ndarray:
    """(rows, columns) array of the item of ``dim`` each cell belongs to."""
    if dim in row_dims:
        at = row_dims.index(dim)
        per_row = np.array([key[at] for key in row_keys], dtype=object)
        return np.repeat(per_row[:, None], len(col_keys), axis=1)
    if dim in col_dims:
        at = col_dims.index(dim)
        per_col = np.array([key[at] for key in col_keys], dtype=object)
        return np.repeat(per_col[None, :], len(row_keys), axis=0)
    return np.full((len(row_keys), len(col_keys)), fixed[dim], dtype=object)


def layout(result) -> Table:
    """The result as a :class:`Table`; QueryError when an off-axis dimension has several
    items (the message tells the user what to change)."""
    query = result.query
    row_dims, col_dims = list(query.rows), list(query.columns)
    fixed = _check_fixed(result)
    labels = dimension_labels(result)
    row_keys = list(itertools.product(*(_order(result, d) for d in row_dims)))
    col_keys = list(itertools.product(*(_order(result, d) for d in col_dims)))
    grids = _grids(result, row_dims, col_dims, list(fixed))
    indicators = _cell_codes(INDICATOR, row_dims, col_dims, row_keys, col_keys, fixed)
    measures = _cell_codes(MEASURE, row_dims, col_dims, row_keys, col_keys, fixed)
    shown = {(i, m): display_unit(result, i, m) for i in _order(result, INDICATOR)
             for m in _order(result, MEASURE)}

    grid_rows = []
    for r, key in enumerate(row_keys):
        cells = []
        for c in range(len(col_keys)):
            _unit, places, divisor = shown[(indicators[r, c], measures[r, c])]
            raw = grids["value"][r, c]
            value = None if math.isnan(raw) else float(raw) / divisor
            n, total = int(grids["included"][r, c]), int(grids["expected"][r, c])
            cells.append(Cell(value, formatting.number(value, places), places,
                              n if n >= 0 else None, total if total >= 0 else None))
        grid_rows.append((key, cells))
    grid_rows = _sorted_by_rank(grid_rows, row_dims, measures)

    column_labels = [[labels[d][code] for d, code in zip(col_dims, key, strict=True)]
                     for key in col_keys]
    header_rows = []
    for j in range(len(col_dims)):
        block = math.prod(len(_order(result, d)) for d in col_dims[j + 1:])
        header_rows.append([HeaderCell(column_labels[c][j], block)
                            for c in range(0, len(col_keys), block)])
    blocks = [math.prod(len(_order(result, d)) for d in row_dims[i + 1:])
              for i in range(len(row_dims))]
    rows = []
    for r, (key, cells) in enumerate(grid_rows):
        row_labels = [labels[d][code] for d, code in zip(row_dims, key, strict=True)]
        headers = [HeaderCell(row_labels[i], blocks[i]) if r % blocks[i] == 0 else None
                   for i in range(len(row_dims))]
        rows.append(Row(key, row_labels, headers, cells))

    fixed_labels = {dim: labels[dim][code] for dim, code in fixed.items()}
    caption_parts = [labels[dim][code] if dim == UNIT else result.labels[dim][code]
                     for dim, code in fixed.items()
                     if dim != MEASURE and (dim != MEMBER or code != "_T")]
    if MEASURE in fixed:
        caption_parts.append(str(MEASURES[fixed[MEASURE]]))
    caption_parts.append(level_label(result, labels))
    unit_note = ""
    if INDICATOR in fixed and MEASURE in fixed:
        unit = shown[(fixed[INDICATOR], fixed[MEASURE])][0]
        unit_note = _("Unit: %(unit)s") % {"unit": unit} if unit else ""
    coverage_row = None
    if row_dims == [UNIT] and rows:
        coverage_row = []
        for c in range(len(col_keys)):
            counted = [row.cells[c] for row in rows if row.cells[c].expected is not None]
            coverage_row.append(formatting.coverage(
                sum(cell.included or 0 for cell in counted),
                sum(cell.expected for cell in counted)) if counted else "")
    first_measure = _order(result, MEASURE)[0]
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
        units={result.labels[INDICATOR][code]: shown[(code, first_measure)][0]
               for code in _order(result, INDICATOR)},
        coverage_row=coverage_row,
    )


def _sorted_by_rank(grid_rows, row_dims, measures: np.ndarray):
    """Rank views read best first: with one row dimension and a rank column, the rows are
    ordered by the first rank column (no rank last)."""
    if row_dims != [UNIT] or not grid_rows:
        return grid_rows
    rank_columns = [c for c in range(measures.shape[1]) if measures[0, c] == RANK]
    if not rank_columns:
        return grid_rows
    at = rank_columns[0]

    def place(item):
        value = item[1][at].value
        return (value is None, value if value is not None else 0.0)

    return sorted(grid_rows, key=place)


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
