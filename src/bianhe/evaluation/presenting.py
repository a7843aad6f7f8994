"""Stored evaluation results in the words people read: names instead of node and indicator
codes, scores in 分, ranks as 第3名 with their 5—95 % band, reasons for not ranking, what
moved a rank, the statistical audit. The pages, the XLSX export and the API all read a run
through :func:`ranking`, so that they show the same rows to the same person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from bianhe import formatting
from bianhe.catalog.models import Indicator
from bianhe.evaluation.models import EvaluationRun, Scheme, ZoneResult
from bianhe.evaluation.queries import full_table, is_ministry, results_for
from bianhe.evaluation.schemes import Node, ParsedScheme, SchemeError, parse

SCORE_DECIMALS = 2
MAX_CR_TEXT = "0.10"


# --- numbers -----------------------------------------------------------------------------
def score_text(value) -> str:
    """53.37分; — when there is no score."""
    return formatting.with_unit(value, SCORE_DECIMALS, _("points"))


def points_text(value) -> str:
    """A contribution or its change in index points, with its sign: +3.20分, -0.41分."""
    if not formatting.is_number(value):
        return formatting.MISSING
    sign = "+" if formatting.rounded(value, SCORE_DECIMALS) > 0 else ""
    return f"{sign}{formatting.number(value, SCORE_DECIMALS)}{_('points')}"


def whole(value) -> int | None:
    """A Monte-Carlo rank percentile as the whole rank it rounds to (half up)."""
    return int(formatting.rounded(value, 0)) if formatting.is_number(value) else None


def rank_text(rank) -> str:
    """第3名; — when not ranked."""
    if rank is None:
        return formatting.MISSING
    return _("No. %(rank)d") % {"rank": rank}


def band_text(low, high) -> str:
    """第1—7名 (第3名 when both ends agree); — without a band."""
    low, high = whole(low), whole(high)
    if low is None or high is None:
        return formatting.MISSING
    if low == high:
        return rank_text(low)
    return _("No. %(low)d—%(high)d") % {"low": low, "high": high}


def change_text(previous, rank) -> str:
    """↑2 (two places up since last year), ↓1, 持平; — when either rank is missing."""
    if previous is None or rank is None:
        return formatting.MISSING
    moved = previous - rank
    if moved == 0:
        return _("unchanged")
    return f"↑{moved}" if moved > 0 else f"↓{-moved}"


def percent_text(share, decimals: int = 1) -> str:
    """A weight (0–1) as a percentage: 53.96% at two decimals; — for none."""
    if not formatting.is_number(share):
        return formatting.MISSING
    return f"{formatting.number(share * 100, decimals)}%"


# --- the scheme in words -------------------------------------------------------------------
@dataclass
class Catalogue:
    """Catalogue names and units of the indicators a scheme reads, in the reader's language."""

    names: dict[str, str]
    units: dict[str, str]
    decimals: dict[str, int]

    @classmethod
    def of(cls, codes, year: int | None = None) -> Catalogue:
        english = (get_language() or "").startswith("en")
        names, units, decimals = {}, {}, {}
        rows = Indicator.objects.filter(code__in=list(codes))
        # Older years first, so that the chosen year's names (or the newest) win.
        ordered = rows.order_by("version__year").values_list(
            "code", "name_zh", "name_en", "unit", "decimals", "version__year")
        for code, zh, en, unit, places, year_of in ordered:
            if year is not None and year_of > year and code in names:
                continue
            names[code] = (en or zh) if english else zh
            units[code] = unit
            decimals[code] = places
        return cls(names, units, decimals)

    def name(self, code: str) -> str:
        return self.names.get(code, code)


def input_words(node: Node, catalogue: Catalogue) -> str:
    """How an indicator's column is computed, with its unit: 进出口总额比上年增长（%）."""
    spec = node.input
    measure = spec.get("measure")
    first = catalogue.name(spec.get("indicator", ""))
    per = catalogue.name(spec.get("per", ""))
    if measure == "growth":
        return _("%(indicator)s, growth on the year before (%%)") % {"indicator": first}
    if measure == "ratio":
        scale = spec.get("scale", 1)
        if scale == 100:
            return _("%(indicator)s as a share of %(per)s (%%)") % {"indicator": first,
                                                                   "per": per}
        if scale in (1, None):
            return _("ratio of %(indicator)s to %(per)s") % {"indicator": first, "per": per}
        return _("ratio of %(indicator)s to %(per)s (×%(scale)s)") % {
            "indicator": first, "per": per, "scale": formatting.number(scale, 0)}
    if measure == "neighbour_share":
        return _("%(indicator)s with the neighbouring countries as a share of %(per)s (%%)") % {
            "indicator": first, "per": per}
    if measure == "target_completion":
        return _("average completion of the annual work targets (%)")
    if measure == "reporting_score":
        return _("data quality and timeliness score (0—100)")
    unit = catalogue.units.get(spec.get("indicator", ""), "")
    return f"{first}（{unit}）" if unit else first


def input_unit(node: Node, catalogue: Catalogue) -> str:
    """The unit of an indicator's input column."""
    if node.unit:
        return node.unit
    spec = node.input
    measure = spec.get("measure")
    if measure in ("growth", "neighbour_share", "target_completion"):
        return "%"
    if measure == "ratio":
        return "%" if spec.get("scale") == 100 else ""
    if measure == "reporting_score":
        return _("points")
    return catalogue.units.get(spec.get("indicator", ""), "")


def input_decimals(node: Node, catalogue: Catalogue) -> int:
    """A catalogue figure keeps the catalogue's decimals; a computed rate or share one."""
    if node.input.get("measure") == "value":
        return catalogue.decimals.get(node.input.get("indicator", ""), 1)
    return 1


def direction_words(node: Node) -> str:
    return _("higher is better") if node.direction >= 0 else _("lower is better")


METHOD_WORDS = {
    "equal": gettext_lazy("Equal weights"),
    "explicit": gettext_lazy("Weights set by the scheme"),
    "children": gettext_lazy("Weights set by the scheme"),
    "ahp": gettext_lazy("Analytic hierarchy process (pairwise judgements)"),
    "entropy": gettext_lazy("Entropy weights (from the data)"),
    "critic": gettext_lazy("Weights from the indicators' contrast and correlation (from the "
                           "data)"),
    "pca": gettext_lazy("Principal component weights (from the data)"),
}


def method_words(node: Node) -> str:
    words = METHOD_WORDS.get(node.weight_method)
    return str(words) if words else node.weight_method


def consistency_text(node: Node) -> str:
    """CR = 0.012 < 0.10, for a pillar weighted by AHP; "" otherwise."""
    if node.consistency_ratio is None:
        return ""
    return f"CR = {node.consistency_ratio:.3f} < {MAX_CR_TEXT}"


@dataclass
class TreeRow:
    node: Node
    parent: Node | None
    input_words: str = ""
    unit: str = ""

    @property
    def depth(self) -> int:
        return self.node.depth

    @property
    def weight(self) -> str:
        if self.node.weight is None:
            return _("from the data")
        return percent_text(self.node.weight)

    @property
    def overall(self) -> str:
        if self.node.overall is None:
            return _("from the data")
        return percent_text(self.node.overall)

    @property
    def method(self) -> str:
        return method_words(self.node)

    @property
    def consistency(self) -> str:
        return consistency_text(self.node)


def tree_rows(parsed: ParsedScheme, catalogue: Catalogue) -> list[TreeRow]:
    """The tree in reading order (pillars, then their indicators), with words for inputs."""
    rows: list[TreeRow] = []

    def walk(node: Node, parent: Node | None) -> None:
        row = TreeRow(node=node, parent=parent)
        if node.is_indicator:
            row.input_words = input_words(node, catalogue)
            row.unit = input_unit(node, catalogue)
        rows.append(row)
        for child in node.children:
            walk(child, node)

    walk(parsed.tree, None)
    return rows


def is_proposal(scheme: Scheme) -> bool:
    """The scheme's own name says it is a proposal (the platform's, not an official method)."""
    return "建议" in scheme.name or "proposal" in scheme.name.lower()


def parsed_or_none(scheme: Scheme) -> ParsedScheme | None:
    try:
        return parse(scheme.text)
    except SchemeError:
        return None


def scheme_tree(scheme: Scheme) -> tuple[ParsedScheme | None, list]:
    """The parsed scheme and its readable rows (the page's and the API's tree)."""
    parsed = parsed_or_none(scheme)
    if parsed is None:
        return None, []
    return parsed, tree_rows(parsed, Catalogue.of(parsed.indicator_codes()))


# --- reasons, flags, movers ------------------------------------------------------------------
class Names:
    """Node code → name for a run's scheme (pillars and indicators)."""

    def __init__(self, parsed: ParsedScheme | None):
        self.parsed = parsed
        self.nodes: dict[str, Node] = {}
        if parsed is not None:
            stack = [parsed.tree]
            while stack:
                node = stack.pop()
                self.nodes[node.code] = node
                stack.extend(node.children)

    def __call__(self, code: str) -> str:
        node = self.nodes.get(code)
        return node.name if node else code

    def pillars(self) -> list[Node]:
        return self.parsed.pillars() if self.parsed else []

    def leaves(self) -> list[Node]:
        """Indicators in reading order."""
        out = []
        for pillar in self.pillars():
            stack = [pillar]
            while stack:
                node = stack.pop(0)
                if node.is_indicator:
                    out.append(node)
                else:
                    stack[:0] = node.children
        return out

    def pillar_of(self, code: str) -> Node | None:
        for pillar in self.pillars():
            stack = [pillar]
            while stack:
                node = stack.pop()
                if node.code == code:
                    return pillar
                stack.extend(node.children)
        return None


def not_ranked_words(reason: str, names: Names, min_coverage: float) -> str:
    """"coverage:0.5000" and "no_pillar:CODE" as sentences."""
    kind, _sep, detail = reason.partition(":")
    if kind == "coverage":
        return _("accepted figures for %(share)s of the indicators, fewer than the %(needed)s "
                 "the scheme requires") % {"share": percent_text(float(detail)),
                                           "needed": percent_text(min_coverage)}
    if kind == "no_pillar":
        return _("no accepted figure for any indicator of the pillar “%(pillar)s”") % {
            "pillar": names(detail)}
    return reason


POLICY_WORDS = {
    "reweight": gettext_lazy("by the scheme's missing-data policy: the weight is shared "
                             "among the other indicators of the pillar"),
    "impute_mean": gettext_lazy("by the scheme's missing-data policy: filled with the mean "
                                "of the zones"),
    "impute_median": gettext_lazy("by the scheme's missing-data policy: filled with the "
                                  "median of the zones"),
    "impute_group_mean": gettext_lazy("by the scheme's missing-data policy: filled with the "
                                      "mean of its group"),
    "impute_previous": gettext_lazy("by the scheme's missing-data policy: filled with the "
                                    "year before"),
    "not_ranked": gettext_lazy("the zone is not ranked"),
}


def handled_words(policy: str) -> str:
    words = POLICY_WORDS.get(policy)
    return str(words) if words else policy


def movers_words(movers, names: Names) -> list[str]:
    """[[code, change]] → ["进出口总额增速贡献 +3.20分"]."""
    return [_("%(indicator)s contributed %(points)s") % {"indicator": names(code),
                                                       "points": points_text(change)}
            for code, change in movers or []]


FACTOR_WORDS = {
    "normalisation": gettext_lazy("choice of normalisation method"),
    "aggregation": gettext_lazy("choice of aggregation method"),
    "imputation": gettext_lazy("choice of imputation of missing figures"),
    "drop": gettext_lazy("leaving out one indicator"),
}


def factor_words(name: str, names: Names, root: str) -> str:
    """A sensitivity factor: "weights:OPENING" → 对外开放内部各指标的权重."""
    kind, _sep, code = name.partition(":")
    if kind == "weights":
        if code == root:
            return _("weights of the pillars")
        return _("weights within “%(node)s”") % {"node": names(code)}
    words = FACTOR_WORDS.get(name)
    return str(words) if words else name


PROGRESS_WORDS = {
    "inputs": gettext_lazy("Reading the accepted figures"),
    "build": gettext_lazy("Computing the scores"),
    "uncertainty": gettext_lazy("Monte-Carlo simulation of the rank bands"),
    "sensitivity": gettext_lazy("Sensitivity analysis"),
    "summary": gettext_lazy("Summing up"),
}


def progress_words(message: str) -> str:
    words = PROGRESS_WORDS.get(message)
    return str(words) if words else ""


def error_words(run: EvaluationRun) -> str:
    """Why a run failed, in words."""
    error = run.error or (run.job.error if run.job else "")
    if "fewer than two zones" in error:
        return _("Fewer than two zones have enough accepted figures to be ranked.")
    if "stalled" in error:
        return _("The worker running the evaluation stopped; start it again.")
    return _("The computation failed: %(error)s") % {"error": error or _("no reason given")}


# --- a run's ranking, as the person asking may see it ---------------------------------------
@dataclass
class Row:
    result: ZoneResult
    url: str = ""

    @property
    def zone(self):
        return self.result.zone

    @property
    def province(self):
        return self.result.zone.parent

    @property
    def score(self) -> str:
        return score_text(self.result.score)

    @property
    def rank(self) -> str:
        return rank_text(self.result.rank)

    @property
    def band(self) -> str:
        return band_text(self.result.rank_p5, self.result.rank_p95)

    @property
    def band_low(self) -> int | None:
        return whole(self.result.rank_p5)

    @property
    def band_high(self) -> int | None:
        return whole(self.result.rank_p95)

    @property
    def previous(self) -> str:
        return rank_text(self.result.previous_rank)

    @property
    def change(self) -> str:
        return change_text(self.result.previous_rank, self.result.rank)

    @property
    def moved(self) -> int | None:
        if self.result.previous_rank is None or self.result.rank is None:
            return None
        return self.result.previous_rank - self.result.rank


@dataclass
class Ranking:
    """The rows of a run one person sees: every zone (``full``), or only those in its scope
    with the medians of all."""

    run: EvaluationRun
    full: bool
    rows: list[Row]
    unranked: list[tuple[Row, str]]
    names: Names
    pillar_scores: dict[int, list[str]] = field(default_factory=dict)

    @property
    def summary(self) -> dict:
        return self.run.summary or {}

    @property
    def zones_total(self) -> int:
        return int(self.summary.get("zones", 0))

    @property
    def ranked_total(self) -> int:
        return int(self.summary.get("ranked", 0))

    @cached_property
    def pillars(self) -> list[Node]:
        return self.names.pillars()

    @property
    def median_score(self) -> str:
        return score_text((self.summary.get("median") or {}).get("score"))

    @cached_property
    def pillar_medians(self) -> list[tuple[Node, str]]:
        medians = self.summary.get("median") or {}
        return [(pillar, score_text(medians.get(pillar.code))) for pillar in self.pillars]

    def pillar_cells(self, row: Row) -> list[str]:
        return [score_text((row.result.pillars.get(p.code) or {}).get("score"))
                for p in self.pillars]


def run_names(run: EvaluationRun) -> Names:
    return Names(parsed_or_none(run.scheme))


def ranking(user, run: EvaluationRun, names: Names | None = None) -> Ranking:
    names = names or run_names(run)
    results = list(results_for(user, run))
    min_coverage = float((run.summary or {}).get("min_coverage", run.min_coverage))
    # Scorecards are for the zones in the user's scope (all of them for the ministry).
    reachable = None if is_ministry(user) else set(
        ZoneResult.objects.restrict(user).filter(run=run).values_list("pk", flat=True))
    rows, unranked = [], []
    for result in results:
        url = reverse("evaluation:scorecard", kwargs={"run_id": run.pk,
                                                      "code": result.zone.code})
        row = Row(result, url=url if reachable is None or result.pk in reachable else "")
        if result.rank is None:
            unranked.append((row, not_ranked_words(result.not_ranked, names, min_coverage)))
        else:
            rows.append(row)
    return Ranking(run=run, full=full_table(user), rows=rows, unranked=unranked, names=names)


def run_title(run: EvaluationRun) -> str:
    """2025年度综合评价（标签）."""
    title = _("Comprehensive evaluation %(year)s") % {"year": formatting.period_label(
        str(run.year))}
    return f"{title}（{run.label}）" if run.label else title


# --- the statistical audit and the method ------------------------------------------------------
@dataclass
class AlphaRow:
    name: str
    alpha: str
    flagged: str  # "" | "incoherent" | "coherence_unknown" (the engine's coherence flags)
    correlation: str


@dataclass
class Audit:
    alphas: list[AlphaRow]
    missing: list[tuple[object, list[tuple[str, str]]]]  # (zone, [(indicator, handling)])
    missing_cells: int
    policy: str
    sobol: list[tuple[str, str, str]]
    weights: list[tuple[str, str]]

    @property
    def flagged(self) -> bool:
        return any(row.flagged for row in self.alphas)


def _decimal(value, decimals: int = 3) -> str:
    return formatting.number(value, decimals) if formatting.is_number(value) else \
        formatting.MISSING


def audit(run: EvaluationRun, names: Names, ranking: Ranking) -> Audit:
    """Cronbach's α per pillar (flagged when negative or undefined), the missing figures of
    the zones the reader sees and how the scheme handled them, the Sobol indices, the
    weights the run used."""
    summary = run.summary or {}
    root = names.parsed.tree.code if names.parsed else "INDEX"
    flagged = {flag["node"]: flag.get("check", "incoherent") for flag in summary.get("flags") or []}
    alphas = summary.get("cronbach_alpha") or {}
    correlation = summary.get("correlation") or {}
    rows = [AlphaRow(name=names(p.code), alpha=_decimal(alphas.get(p.code)),
                     flagged=flagged.get(p.code, ""),
                     correlation=_decimal(correlation.get(p.code)))
            for p in names.pillars() if p.code in alphas]
    if root in alphas:
        rows.append(AlphaRow(name=_("The pillars together"), alpha=_decimal(alphas[root]),
                             flagged=flagged.get(root, ""), correlation=formatting.MISSING))
    missing = []
    for row in [*ranking.rows, *(row for row, _reason in ranking.unranked)]:
        if row.result.missing:
            missing.append((row.zone, [(names(item["indicator"]),
                                        handled_words(item["handled"]))
                                       for item in row.result.missing]))
    missing.sort(key=lambda item: item[0].path)
    sobol = [(factor_words(name, names, root), _decimal(v.get("S")), _decimal(v.get("ST")))
             for name, v in sorted((summary.get("sobol") or {}).items(),
                                   key=lambda item: -(item[1].get("ST") or 0))]
    used = (summary.get("weights") or {}).get(root) or {}
    weights = [(names(code), percent_text(share)) for code, share in used.items()]
    return Audit(alphas=rows, missing=missing, missing_cells=int(summary.get(
        "missing_cells", 0)), policy=handled_words(summary.get("missing_policy", "reweight")),
        sobol=sobol, weights=weights)


def method_note(run: EvaluationRun) -> list[str]:
    """How the run computed, in sentences for the page and the export."""
    summary = run.summary or {}
    replications = summary.get("replications", run.replications)
    noise = summary.get("weight_noise")
    notes = [
        _("Only figures accepted by the ministry are used. A zone is ranked when it has "
          "accepted figures for at least %(share)s of the indicators and for at least one "
          "indicator of every pillar.") % {
            "share": percent_text(summary.get("min_coverage", run.min_coverage))},
        _("Each indicator is normalised as the scheme says and the scores are combined with "
          "the scheme's weights into a score from 0 to 100 points."),
        _("The 5—95 %% band of each rank comes from %(n)s Monte-Carlo replications in which "
          "the weights vary by up to ±%(noise)s and the normalisation changes between the "
          "scheme's, z-scores and ranks: a zone's rank fell within its band in 90 %% of them. "
          "Two zones whose bands overlap cannot be told apart with confidence.") % {
            "n": formatting.number(replications, 0),
            "noise": percent_text(noise if noise is not None else 0.25, 0)},
    ]
    if run.is_variant:
        notes.append(_("This run is a variant for comparison: it is not published."))
    return notes
