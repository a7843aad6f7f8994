"""A zone's scorecard and two runs side by side, read from a run's stored results in the
words of :mod:`bianhe.evaluation.presenting`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from bianhe import formatting
from bianhe.evaluation.models import EvaluationRun, ZoneResult
from bianhe.evaluation.presenting import (
    Catalogue,
    Names,
    band_text,
    change_text,
    handled_words,
    input_decimals,
    input_unit,
    input_words,
    movers_words,
    not_ranked_words,
    percent_text,
    points_text,
    rank_text,
    score_text,
)
from bianhe.evaluation.queries import results_for


# --- a zone's scorecard -----------------------------------------------------------------------
@dataclass
class PillarRow:
    code: str
    name: str
    weight: str
    score: float | None
    score_text: str
    median: float | None
    median_text: str
    difference: str
    rank: str


@dataclass
class InputRow:
    pillar: str
    code: str
    name: str
    measure: str
    value: str
    score: str
    contribution: str
    missing: bool


@dataclass
class Card:
    pillars: list[PillarRow]
    inputs: list[InputRow]
    contributions: list[tuple[str, float]]
    strengths: list[str]
    weaknesses: list[str]
    missing: list[tuple[str, str]]
    movers: list[str]
    not_ranked: str
    moved_words: str
    previous_year: int


def _moved_words(result: ZoneResult) -> str:
    if result.previous_rank is None or result.rank is None:
        return ""
    moved = result.previous_rank - result.rank
    if moved > 0:
        return _("up %(n)d places on last year") % {"n": moved}
    if moved < 0:
        return _("down %(n)d places on last year") % {"n": -moved}
    return _("the same place as last year")


def scorecard(run: EvaluationRun, result: ZoneResult, names: Names) -> Card:
    summary = run.summary or {}
    medians = summary.get("median") or {}
    root = names.parsed.tree.code if names.parsed else "INDEX"
    used = (summary.get("weights") or {}).get(root) or {}
    pillars = []
    for pillar in names.pillars():
        own = (result.pillars.get(pillar.code) or {})
        score, median = own.get("score"), medians.get(pillar.code)
        difference = score - median if formatting.is_number(score) and \
            formatting.is_number(median) else None
        pillars.append(PillarRow(
            code=pillar.code, name=pillar.name,
            weight=percent_text(used.get(pillar.code, pillar.weight)),
            score=score, score_text=score_text(score), median=median,
            median_text=score_text(median), difference=points_text(difference),
            rank=rank_text(own.get("rank"))))
    codes = {leaf.code for leaf in names.leaves()}
    catalogue = Catalogue.of({leaf.input.get(key) for leaf in names.leaves()
                              for key in ("indicator", "per") if leaf.input.get(key)},
                             run.year)
    missing_codes = {item["indicator"] for item in result.missing or []}
    inputs = []
    for leaf in names.leaves():
        pillar = names.pillar_of(leaf.code)
        unit = input_unit(leaf, catalogue)
        value = result.inputs.get(leaf.code)
        inputs.append(InputRow(
            pillar=pillar.name if pillar else "", code=leaf.code, name=leaf.name,
            measure=input_words(leaf, catalogue),
            value=formatting.with_unit(value, input_decimals(leaf, catalogue), unit),
            score=score_text((result.indicators or {}).get(leaf.code)),
            contribution=points_text(result.contributions.get(leaf.code)),
            missing=leaf.code in missing_codes))
    contributions = sorted(((names(code), float(points))
                            for code, points in (result.contributions or {}).items()
                            if code in codes and formatting.is_number(points)),
                           key=lambda item: -item[1])
    return Card(
        pillars=pillars, inputs=inputs, contributions=contributions,
        strengths=[names(code) for code in result.strengths or []],
        weaknesses=[names(code) for code in result.weaknesses or []],
        missing=[(names(item["indicator"]), handled_words(item["handled"]))
                 for item in result.missing or []],
        movers=movers_words(result.movers, names),
        not_ranked=not_ranked_words(result.not_ranked, names, float(summary.get(
            "min_coverage", run.min_coverage))) if result.not_ranked else "",
        moved_words=_moved_words(result), previous_year=run.year - 1)


# --- two runs side by side --------------------------------------------------------------------
@dataclass
class CompareRow:
    zone: object
    a: ZoneResult | None
    b: ZoneResult | None

    @property
    def shift(self) -> str:
        """How the zone's rank in B differs from A: ↑2 (better in B), ↓1, 持平."""
        if self.a is None or self.b is None:
            return formatting.MISSING
        return change_text(self.a.rank, self.b.rank)

    @property
    def moved(self) -> int | None:
        if self.a is None or self.b is None or self.a.rank is None or self.b.rank is None:
            return None
        return self.a.rank - self.b.rank

    @property
    def a_rank(self) -> str:
        return rank_text(self.a.rank) if self.a else formatting.MISSING

    @property
    def b_rank(self) -> str:
        return rank_text(self.b.rank) if self.b else formatting.MISSING

    @property
    def a_band(self) -> str:
        return band_text(self.a.rank_p5, self.a.rank_p95) if self.a else formatting.MISSING

    @property
    def b_band(self) -> str:
        return band_text(self.b.rank_p5, self.b.rank_p95) if self.b else formatting.MISSING

    @property
    def a_score(self) -> str:
        return score_text(self.a.score) if self.a else formatting.MISSING

    @property
    def b_score(self) -> str:
        return score_text(self.b.score) if self.b else formatting.MISSING


@dataclass
class Comparison:
    a: EvaluationRun
    b: EvaluationRun
    rows: list[CompareRow]

    @property
    def changed(self) -> int:
        return sum(1 for row in self.rows if row.moved)


def comparison(user, a: EvaluationRun, b: EvaluationRun) -> Comparison:
    """Every zone of either run (the ministry's view), ordered by its rank in A."""
    in_a = {r.zone_id: r for r in results_for(user, a)}
    in_b = {r.zone_id: r for r in results_for(user, b)}
    zones = {r.zone_id: r.zone for r in [*in_a.values(), *in_b.values()]}
    rows = [CompareRow(zone=zones[z], a=in_a.get(z), b=in_b.get(z)) for z in zones]

    def order(row: CompareRow):
        first = row.a.rank if row.a and row.a.rank is not None else 10**6
        second = row.b.rank if row.b and row.b.rank is not None else 10**6
        return (first, second, row.zone.code)

    return Comparison(a=a, b=b, rows=sorted(rows, key=order))
