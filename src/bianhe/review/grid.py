"""How the entry grid writes each row: figures through :mod:`bianhe.formatting`, a 上期 that
is comparable with this period, 同比 in words (百分点 for rates), and which rows a save
changed so that the page can refresh them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from bianhe import formatting
from bianhe.periods import ANNUAL, Period
from bianhe.reporting.models import DataValue


@dataclass
class Shown:
    """A row's figures as the grid prints them."""

    value: str
    previous: str
    previous_note: str
    last_year: str
    change: str


def _values(zone, form, period: Period) -> dict:
    return {(code, member): value for code, member, value in DataValue.objects.filter(
        report__zone=zone, report__form=form, report__period=period.code)
        .values_list("indicator_code", "member", "value")}


def has_previous_column(period: Period) -> bool:
    """In annual forms 上期 is 上年同期: the grid shows that column once."""
    return period.frequency != ANNUAL


def decorate(rows, zone, form, period: Period) -> None:
    """Attach ``row.shown`` (a :class:`Shown`) to every grid row.

    Beside the first period of a year (1月, 一季度) the previous period of a year-to-date
    flow is last year's whole-year total (1—12月), which no one compares with one month.
    The comparable figure is that last period's own flow (12月 = 1—12月 − 1—11月); when it
    cannot be worked out the cell says "—" and its tooltip says why.
    """
    first_of_year = period.frequency != ANNUAL and period.previous_in_year() is None
    before_previous = {}
    if first_of_year and any(row.indicator.is_cumulative for row in rows):
        before_previous = _values(zone, form, period.previous().previous())
    previous_label = period.previous().label()
    for row in rows:
        ind = row.indicator
        previous, note = row.previous, ""
        if first_of_year and ind.is_cumulative:
            earlier = before_previous.get((ind.code, row.member))
            if previous is not None and earlier is not None:
                previous = previous - earlier
                note = _("%(period)s on its own (the year-to-date total less the one "
                         "before), comparable with this first period of the year") % {
                    "period": previous_label}
            else:
                previous = None
                note = _("Not comparable: the previous period's year-to-date figure is the "
                         "whole of last year, and its own %(period)s figure is not "
                         "available") % {"period": previous_label}
        row.shown = Shown(
            value=formatting.number(row.value, ind.decimals),
            previous=formatting.number(previous, ind.decimals),
            previous_note=note,
            last_year=formatting.number(row.last_year, ind.decimals),
            change=year_on_year(row.value, row.last_year, ind.unit, ind.decimals))


def year_on_year(value, base, unit: str, decimals: int) -> str:
    """同比 as bulletins write it: "增长9.6%" / "下降0.1%"; rates in percent as a
    difference: "提高0.15个百分点"; "—" when there is nothing to compare."""
    if value is None or base is None:
        return formatting.MISSING
    if formatting.is_percent_unit(unit):
        return formatting.change(value - base, points=True, decimals=max(decimals, 1))
    if base == 0:
        return formatting.MISSING
    return formatting.change((value - base) / abs(base) * 100)


def flag_signature(flags) -> frozenset:
    """What a row shows of its flags: two rows with equal signatures look the same."""
    return frozenset((f.kind, f.rule_id, f.severity, f.left, f.right, f.value, f.score,
                      f.low, f.high) for f in flags)


def flags_by_cell(report) -> dict[tuple[str, str], frozenset]:
    """The signature of every flagged cell of a report, as stored now (one query)."""
    if report is None:
        return {}
    cells: dict[tuple[str, str], list] = {}
    for flag in report.flags.all():
        cells.setdefault((flag.indicator_code, flag.member), []).append(flag)
    return {key: flag_signature(flags) for key, flags in cells.items()}

