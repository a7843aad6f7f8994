"""Coverage of the dashboards' and profiles' figures, and the period those pages show.

The coverage of a figure is the number of zones whose official (accepted) figure it
includes out of the zones expected: those the registry lists as valid in that year (within
the user's scope for the scope's totals, among every zone for medians and ranks). A total
over 2 of 20 zones is a partial sum, and the pages say so ("已确认园区合计（2/20）").

One grouped ``COUNT(DISTINCT zone)`` query on the fact table per page gives the zones with
an accepted figure for every key indicator and every recent period, for the scope, for all
zones and for the page's own zone at once; the expected counts come from the zones the page
has already loaded. Nothing here is computed per zone.

The page's period (a year-to-date month, 1—N月) is, unless the user picks one, the latest
month whose coverage reaches ``BIANHE_COVERAGE_THRESHOLD`` percent (100 by default):

* totals (ministry, province reviewer, observer): coverage within the user's scope;
* a zone's own page (reporter dashboard, zone profile): the latest month in which the zone
  has its figures and every zone's coverage reaches the threshold, so that ranks and medians
  compare like with like; failing that, at least :data:`MIN_PEERS` zones.

The coverage of a month is that of its least covered monthly key indicator (in practice a
zone's monthly report is accepted whole, so they agree).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from bianhe import formatting
from bianhe.analytics.dashboard_common import MIN_PEERS, reported_code
from bianhe.analytics.models import Fact
from bianhe.catalog.models import Indicator
from bianhe.periods import MONTHLY, Period
from bianhe.reporting.models import Status

#: How many months back the period picker and the default reach (this year and last).
WINDOW_MONTHS = 24
SCOPE, EVERY, OWN = "scope", "every", "own"


@dataclass(frozen=True)
class Cover:
    """Zones included in a figure out of the zones expected."""

    included: int
    expected: int

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.included >= self.expected

    @property
    def text(self) -> str:
        return formatting.coverage(self.included, self.expected)

    def reaches(self, threshold: float) -> bool:
        return self.expected > 0 and self.included * 100 >= threshold * self.expected


def threshold() -> float:
    return float(getattr(settings, "BIANHE_COVERAGE_THRESHOLD", 100))


def _valid_in(year: int) -> Q:
    """Facts of zones the registry lists as valid in ``year`` (``registry.Zones.valid_in``)."""
    return (Q(zone__valid_from__lte=dt.date(year, 12, 31))
            | Q(zone__valid_from__isnull=True, zone__approval_year__isnull=True)
            | Q(zone__valid_from__isnull=True, zone__approval_year__lte=year)) & (
        Q(zone__valid_to__isnull=True) | Q(zone__valid_to__gte=dt.date(year, 1, 1)))


def expected_by_year(zones, years) -> dict[int, int]:
    """Zones of ``zones`` (a :class:`~bianhe.analytics.registry.Zones`) valid in each year."""
    years = sorted(set(years))
    if not years or not len(zones):
        return dict.fromkeys(years, 0)
    valid = zones.valid_in(np.array(years))
    return {year: int(valid[:, i].sum()) for i, year in enumerate(years)}


@dataclass
class Coverage:
    """Zones with an accepted figure per (indicator, reported period), and those expected."""

    definitions: dict[str, Indicator]
    months: list[Period]  # the candidate months, oldest first
    counts: dict[tuple[str, str], dict[str, int]]  # (code, reported period) -> what -> zones
    expected: dict[str, dict[int, int]]  # SCOPE / EVERY -> year -> zones expected
    lead: list[str] = field(default_factory=list)  # the codes a month's coverage is of

    @classmethod
    def count(cls, definitions: dict[str, Indicator], today: dt.date, *, scope_zones,
              scoped: bool, every_zones=None, zone_id: int | None = None,
              extra: tuple[tuple[str, str], ...] = ()) -> Coverage:
        """One grouped query over the fact table for the months up to ``today``.

        ``scope_zones``: the zones of the user's scope (their ids filter the scope's count
        when ``scoped``); ``every_zones``: all zones, for medians and ranks (None: not
        needed); ``zone_id``: the page's own zone; ``extra``: further (code, reported period)
        pairs to count, such as the December totals of a trend.
        """
        last = Period.containing(today, MONTHLY)
        months = [last]
        while len(months) < WINDOW_MONTHS:
            months.append(months[-1].previous())
        months.reverse()
        wanted = {(code, found) for code, indicator in definitions.items() for month in months
                  if (found := reported_code(indicator, month)) is not None}
        wanted |= set(extra)
        counts: dict[tuple[str, str], dict[str, int]] = {}
        if wanted:
            codes = sorted({code for code, _p in wanted})
            periods = sorted({p for _c, p in wanted})
            years = sorted({int(p[:4]) for p in periods})
            valid = Q()
            for year in years:
                valid |= Q(period__startswith=str(year)) & _valid_in(year)
            aggregates = {EVERY: Count("zone", distinct=True)}
            if scoped:
                aggregates[SCOPE] = Count("zone", distinct=True,
                                          filter=Q(zone_id__in=[int(i) for i in
                                                                scope_zones.ids]))
            if zone_id is not None:
                aggregates[OWN] = Count("zone", distinct=True, filter=Q(zone_id=zone_id))
            rows = (Fact.objects.filter(status=Status.ACCEPTED, indicator_code__in=codes,
                                        period__in=periods)
                    .filter(valid).order_by().values("indicator_code", "period")
                    .annotate(**aggregates))
            for row in rows:
                key = (row["indicator_code"], row["period"])
                if key in wanted:
                    found = {EVERY: row[EVERY], SCOPE: row.get(SCOPE, row[EVERY]),
                             OWN: row.get(OWN, 0)}
                    counts[key] = found
        years = {m.year for m in months} | {int(p[:4]) for _c, p in wanted}
        expected = {SCOPE: expected_by_year(scope_zones, years)}
        expected[EVERY] = expected_by_year(every_zones, years) if every_zones is not None \
            else expected[SCOPE]
        # A month's coverage is of the monthly key indicators that anybody reports at all.
        reported = {code for code, _p in counts}
        monthly = [c for c, d in definitions.items() if d.frequency == MONTHLY and c in reported]
        lead = monthly or [c for c in definitions if c in reported]
        return cls(definitions, months, counts, expected, lead=lead)

    def cell(self, code: str, reported: str | None, of: str = SCOPE) -> Cover:
        """Coverage of one indicator at one reported period."""
        if reported is None:
            return Cover(0, 0)
        return Cover(self.counts.get((code, reported), {}).get(of, 0),
                     self.expected[of if of != OWN else SCOPE].get(int(reported[:4]), 0))

    def at(self, code: str, month: Period, of: str = SCOPE) -> Cover:
        """Coverage of ``code`` as shown on the page of ``month`` (its own period)."""
        return self.cell(code, reported_code(self.definitions[code], month), of)

    def of_month(self, month: Period, of: str = SCOPE) -> Cover:
        """The month's coverage: that of its least covered lead indicator."""
        covers = [self.at(code, month, of) for code in self.lead]
        if not covers:
            return Cover(0, 0)
        return min(covers, key=lambda c: c.included)

    def has_any(self, month: Period, of: str = SCOPE) -> bool:
        """Some zone has an official figure of a lead indicator for ``month``."""
        return any(self.at(code, month, of).included for code in self.lead)


@dataclass
class Choice:
    """The period a page shows, why, and the periods the user may switch to."""

    period: Period | None
    reason: str = ""
    detail: str = ""
    error: str = ""
    options: list[dict] = field(default_factory=list)
    chosen_by_user: bool = False


def _short(month: Period, year: int) -> str:
    label = formatting.period_label(month, cumulative=True)
    prefix = f"{year}年"
    return label[len(prefix):] if month.year == year and label.startswith(prefix) else label


def _detail(coverage: Coverage, chosen: Period, of: str) -> str:
    """"2026年1—10月：20个园区均已确认；1—11月：3/20" for the chosen month and later ones."""
    parts = []
    for month in coverage.months:
        if month < chosen:
            continue
        cover = coverage.of_month(month, of)
        if month > chosen and not coverage.has_any(month, of):
            continue
        label = formatting.period_label(month, cumulative=True) if month == chosen \
            else _short(month, chosen.year)
        if cover.complete:
            parts.append(_("%(period)s: all %(count)d zones confirmed") % {
                "period": label, "count": cover.expected})
        else:
            parts.append(_("%(period)s: %(coverage)s") % {"period": label,
                                                          "coverage": cover.text})
    return _("; ").join(parts)


def choose(coverage: Coverage, requested: str | None, *, own_zone: bool = False) -> Choice:
    """The month to show: the user's choice if valid, else the latest well covered one.

    ``own_zone``: a page about one zone (its figures beside every zone's median and rank).
    """
    of = EVERY if own_zone else SCOPE
    level = threshold()
    usable = [m for m in coverage.months if coverage.has_any(m, OWN if own_zone else SCOPE)]
    if not usable:
        return Choice(None)
    options = []
    for month in reversed(usable):
        cover = coverage.of_month(month, of)
        options.append({"code": month.code, "label": _("%(period)s (confirmed %(coverage)s)")
                        % {"period": formatting.period_label(month, cumulative=True),
                           "coverage": cover.text}})
    choice = Choice(None, options=options)
    if requested:
        picked = next((m for m in usable if m.code == requested), None)
        if picked is not None:
            choice.period, choice.chosen_by_user = picked, True
            choice.reason = _("Showing the period you chose.")
        else:
            choice.error = _("The period you chose is not valid or has no official figures; "
                             "the default period is shown instead.")
    if choice.period is None:
        reaching = [m for m in usable if coverage.of_month(m, of).reaches(level)]
        if reaching:
            choice.period = reaching[-1]
            choice.reason = _("Showing the latest period in which at least %(threshold)s%% of "
                              "the zones have confirmed (accepted) figures.") % {
                "threshold": formatting.number(level, 0)}
        else:
            peers = [m for m in usable if coverage.of_month(m, of).included >= MIN_PEERS]
            choice.period = (peers or usable)[-1] if own_zone else usable[-1]
            choice.reason = _("No period has reached %(threshold)s%% of the zones confirmed "
                              "yet: showing the latest period with official figures, whose "
                              "totals are partial.") % {
                "threshold": formatting.number(level, 0)}
    choice.detail = _detail(coverage, choice.period, of)
    return choice
