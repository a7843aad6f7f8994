"""The data of the evaluation charts, passed to the page with json_script and drawn by
``evaluation/_charts_js.html`` with the vendored ECharts. Names only, never codes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bianhe.evaluation.presenting import Ranking
from bianhe.evaluation.scorecards import Card, Comparison


def _chart(kind: str, dom_id: str, title: str, **data) -> dict:
    return {"kind": kind, "dom_id": dom_id, "script_id": f"{dom_id}-data", "title": title,
            **data}


def bands(ranking: Ranking) -> dict | None:
    """One horizontal bar per ranked zone from the 5th to the 95th percentile of its
    Monte-Carlo ranks, its nominal rank marked on it."""
    rows = [row for row in ranking.rows if row.band_low is not None]
    if not rows:
        return None
    return _chart(
        "bands", "rank-bands", _("Ranks and their 5—95 % bands"),
        zones=[row.zone.name for row in rows],
        low=[row.band_low for row in rows], high=[row.band_high for row in rows],
        rank=[row.result.rank for row in rows], total=ranking.ranked_total,
        labels={"rank": _("rank"), "band": _("5—95 % band"), "axis": _("rank")})


def radar(card: Card) -> dict | None:
    """The zone's pillar scores against the median of all ranked zones (0–100 points)."""
    pillars = [p for p in card.pillars if p.score is not None]
    if len(pillars) < 3:  # a radar of fewer than three axes says nothing
        return None
    return _chart(
        "radar", "pillar-radar", _("Pillar scores against the median"),
        axes=[p.name for p in pillars],
        series=[{"name": _("this zone"), "data": [round(p.score, 2) for p in pillars]},
                {"name": _("median of the ranked zones"),
                 "data": [round(p.median, 2) if p.median is not None else 0
                          for p in pillars]}])


def contributions(card: Card) -> dict | None:
    """Each indicator's contribution to the score, in points."""
    if not card.contributions:
        return None
    return _chart(
        "bars", "contributions", _("Contribution of each indicator to the score"),
        categories=[name for name, _points in card.contributions],
        values=[round(points, 2) for _name, points in card.contributions],
        unit=_("points"))


def slope(comparison: Comparison) -> dict | None:
    """A line per zone from its rank in run A to its rank in run B."""
    lines = [row for row in comparison.rows
             if row.a and row.b and row.a.rank is not None and row.b.rank is not None]
    if not lines:
        return None
    total = max(max(row.a.rank, row.b.rank) for row in lines)
    return _chart(
        "slope", "rank-slope", _("Rank in run A and in run B"),
        sides=[_("Run A"), _("Run B")], total=total,
        lines=[{"name": row.zone.name, "ranks": [row.a.rank, row.b.rank],
                "moved": row.moved or 0} for row in lines],
        labels={"rank": _("rank")})

