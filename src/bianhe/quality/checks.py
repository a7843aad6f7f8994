"""Running the rules and the outlier checks over reports, and storing their flags.

One engine serves the entry grid (a single report, after each save), submission (the
report's flags must be current), and the bulk re-run (every report in a period range).
Per frequency and per chunk of zones it loads the zones' whole series in one query, lays
them out as dense arrays (:mod:`bianhe.quality.panel`), evaluates every rule and every
outlier method on all cells at once, and keeps the flags that fall on the reports being
checked. So a single report and a bulk run see the same history and raise the same flags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import FloatField, Max, Min
from django.db.models.functions import Cast
from django.utils import timezone

from bianhe.catalog.models import Indicator, TimeBehaviour
from bianhe.periods import Period
from bianhe.quality.evaluate import evaluate_rule
from bianhe.quality.models import Check, Flag, OutlierConfig, Rule, Severity
from bianhe.quality.outliers import decumulate, detect
from bianhe.quality.panel import Panel
from bianhe.quality.rules import CompiledRule, compile_rules
from bianhe.reporting.models import DataValue, Report
from bianhe.zones.models import OrgUnit

#: Zones loaded and checked together: bounds memory and gives the bulk run its steps.
ZONE_CHUNK = 200
#: Ids per ``IN (…)`` list.
CHUNK = 10_000


@dataclass
class CheckSummary:
    reports: int = 0
    flags: int = 0
    by_check: dict[str, int] = field(default_factory=dict)
    broken_rules: list[str] = field(default_factory=list)


@dataclass
class _Target:
    """The reports of one frequency being checked, by zone and period."""

    frequency: str
    reports: dict[tuple[str, str], list[tuple[int, frozenset[str]]]] = field(
        default_factory=lambda: defaultdict(list))  # (zone, period) -> [(id, codes)]

    def zones(self) -> list[str]:
        return sorted({zone for zone, _p in self.reports})


def rules_changed_at():
    """The last change to any rule or to the outlier settings (flags older are stale)."""
    stamps = [Rule.objects.aggregate(at=Max("updated_at"))["at"],
              OutlierConfig.objects.aggregate(at=Max("updated_at"))["at"]]
    stamps = [s for s in stamps if s is not None]
    return max(stamps) if stamps else None


def is_stale(report: Report, changed_rules=None) -> bool:
    checked = report.quality_checked_at
    if checked is None:
        return True
    if report.values_changed_at is not None and report.values_changed_at > checked:
        return True
    changed_rules = rules_changed_at() if changed_rules is None else changed_rules
    return changed_rules is not None and changed_rules > checked


def ensure_checked(report: Report) -> None:
    """Re-check the report when its values or the rules changed after its last check."""
    if is_stale(report):
        check_reports([report.pk])


def plan_steps(report_ids: Iterable[int]) -> list[_Target]:
    """The reports grouped by frequency, each frequency's zones cut into chunks."""
    targets: dict[str, _Target] = {}
    rows = (row for part in _chunks(list(report_ids))
            for row in Report.objects.filter(pk__in=part)
            .values_list("pk", "zone__code", "period", "form__frequency",
                         "form__indicator_codes"))
    for pk, zone, period, frequency, codes in rows:
        target = targets.setdefault(frequency, _Target(frequency))
        target.reports[(zone, period)].append((pk, frozenset(codes)))
    steps = []
    for target in targets.values():
        zones = target.zones()
        for start in range(0, len(zones), ZONE_CHUNK):
            chunk = set(zones[start:start + ZONE_CHUNK])
            part = _Target(target.frequency)
            for key, reports in target.reports.items():
                if key[0] in chunk:
                    part.reports[key] = reports
            steps.append(part)
    return steps


def check_reports(report_ids: Iterable[int], *,
                  progress: Callable[[int, int, CheckSummary], None] | None = None
                  ) -> CheckSummary:
    """Recompute the flags of these reports (all of them replaced, in one transaction per
    step) and stamp them checked."""
    summary = CheckSummary()
    steps = plan_steps(report_ids)
    rules, broken = compile_rules(Rule.objects.filter(is_active=True)
                                  .prefetch_related("scope_units"))
    summary.broken_rules = [f"{rule.code}: {error}" for rule, error in broken]
    config = OutlierConfig.current()
    settings = config.settings()
    # The newest catalogue year wins for a code whose definition changed.
    specs = {code: (behaviour, None if minimum is None else float(minimum))
             for code, behaviour, minimum in Indicator.objects.order_by("version__year")
             .values_list("code", "time_behaviour", "min_value")}
    zone_paths = {}
    years = year_ranges({step.frequency for step in steps})
    for index, step in enumerate(steps):
        if not zone_paths:
            zone_paths = dict(OrgUnit.objects.values_list("code", "path"))
        flags = flags_for(step, rules, settings, config, specs, zone_paths,
                          years[step.frequency])
        ids = [pk for reports in step.reports.values() for pk, _codes in reports]
        with transaction.atomic():
            now = timezone.now()
            for part in _chunks(ids):
                Flag.objects.filter(report_id__in=part).delete()
                Report.objects.filter(pk__in=part).update(quality_checked_at=now)
            Flag.objects.bulk_create(flags, batch_size=2000)
        summary.reports += len(ids)
        summary.flags += len(flags)
        for flag in flags:
            summary.by_check[flag.kind] = summary.by_check.get(flag.kind, 0) + 1
        if progress is not None:
            progress(index + 1, len(steps), summary)
    return summary


def _chunks(ids: list[int]) -> list[list[int]]:
    """Id lists cut to what one SQL statement takes (SQLite and PostgreSQL cap parameters)."""
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def year_ranges(frequencies) -> dict[str, tuple[int, int]]:
    """The first and last year any report of each frequency has.

    Every check lays a zone's series out over these same years, so a single report checked
    alone and the same report checked in a bulk run see identical arrays.
    """
    ranges = {}
    for frequency in frequencies:
        bounds = Report.objects.filter(form__frequency=frequency).aggregate(
            first=Min("period"), last=Max("period"))
        ranges[frequency] = (int(bounds["first"][:4]), int(bounds["last"][:4])) \
            if bounds["first"] else (None, None)
    return ranges


def load_values(zones: list[str], frequency: str) -> pd.DataFrame:
    """Every stored value of these zones at this frequency (all periods, all forms)."""
    rows = (DataValue.objects
            .filter(report__zone__code__in=zones, report__form__frequency=frequency,
                    value__isnull=False)
            .values_list("report__zone__code", "report__period", "indicator_code", "member",
                         Cast("value", FloatField())))
    return pd.DataFrame.from_records(list(rows), columns=["zone", "period", "indicator",
                                                          "member", "value"])


def flags_for(step: _Target, rules: list[CompiledRule], settings, config: OutlierConfig,
              specs: dict[str, tuple], zone_paths: dict[str, str],
              years: tuple[int, int]) -> list[Flag]:
    zones = step.zones()
    frame = load_values(zones, step.frequency)
    if frame.empty:
        return []
    panel = Panel.from_long(frame, step.frequency, zones=zones, first_year=years[0],
                            last_year=years[1])
    placer = _Placer(step, panel)
    flags: list[Flag] = []
    for compiled in rules:
        frequencies = compiled.rule.frequencies
        if frequencies and step.frequency not in frequencies:
            continue
        outcome = evaluate_rule(compiled.parsed, panel, missing=compiled.rule.missing_policy,
                                tolerance=compiled.tolerance)
        failed = outcome.failed & placer.target
        if compiled.scope_paths:
            rows = np.array([any(zone_paths.get(z, "").startswith(p)
                                 for p in compiled.scope_paths) for z in panel.zones])
            failed &= rows[:, None]
        code, member = compiled.anchor
        for z, t in zip(*np.nonzero(failed), strict=True):
            report_id = placer.report(z, t, code)
            if report_id is not None:
                flags.append(Flag(report_id=report_id, indicator_code=code, member=member,
                                  kind=Check.RULE, rule=compiled.rule,
                                  severity=compiled.rule.severity,
                                  left=_num(outcome.left[z, t]),
                                  right=_num(outcome.right[z, t])))
    flags += _outlier_flags(panel, placer, settings, config.severity, specs,
                            config.min_methods)
    return flags


def _outlier_flags(panel: Panel, placer, settings, severity, specs,
                   min_methods: int) -> list[Flag]:
    """The outlier methods over every series, grouped by time behaviour: year-to-date
    flows are judged on their period flows (当期值), stocks and rates on their levels.

    A cell is flagged when at least ``min_methods`` methods agree; each agreeing method
    then gives its own reason. An expected range never starts below the indicator's
    minimum (a symmetric range around a small flow would otherwise go negative)."""
    flags = []
    groups: dict[bool, list[tuple[str, str]]] = defaultdict(list)
    for key in panel.data:
        behaviour = specs.get(key[0], (None, None))[0]
        groups[behaviour == TimeBehaviour.FLOW_YTD].append(key)
    Z, P, Y = len(panel.zones), panel.periods_per_year, panel.years
    for is_flow, keys in groups.items():
        stacked = np.stack([panel.data[key] for key in keys], axis=1)  # (Z, K, T)
        cube = stacked.reshape(Z * len(keys), Y, P)
        if is_flow:
            cube = decumulate(cube)
        results = detect(cube, settings)
        target = np.repeat(placer.target, len(keys), axis=0).reshape(Z * len(keys), Y, P)
        agree = sum(result.flagged.astype(np.int8) for result in results.values())
        target &= agree >= min(min_methods, len(results))
        for method, result in results.items():
            hits = result.flagged & target
            for s, y, p in zip(*np.nonzero(hits), strict=True):
                z, k = divmod(int(s), len(keys))
                t = int(y) * P + int(p)
                code, member = keys[k]
                report_id = placer.report(z, t, code)
                if report_id is None:
                    continue
                low, minimum = _num(result.low[s, y, p]), specs.get(code, (None, None))[1]
                if low is not None and minimum is not None:
                    low = max(low, minimum)
                flags.append(Flag(report_id=report_id, indicator_code=code, member=member,
                                  kind=method, severity=severity,
                                  value=_num(cube[s, y, p]), score=_num(result.score[s, y, p]),
                                  low=low, high=_num(result.high[s, y, p]),
                                  is_period_flow=is_flow))
    return flags


class _Placer:
    """Which report a flag at (zone row, period column, indicator) belongs to."""

    def __init__(self, step: _Target, panel: Panel):
        self.codes = panel.period_codes()
        self.zones = panel.zones
        column = {code: t for t, code in enumerate(self.codes)}
        row = {zone: z for z, zone in enumerate(panel.zones)}
        self.target = np.zeros((len(panel.zones), len(self.codes)), dtype=bool)
        self.step = step
        for zone, period in step.reports:
            if zone in row and period in column:
                self.target[row[zone], column[period]] = True

    def report(self, z: int, t: int, code: str) -> int | None:
        for pk, codes in self.step.reports.get((self.zones[z], self.codes[t]), ()):
            if code in codes:
                return pk
        return None


def _num(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def reports_in_range(first: Period, last: Period):
    """Reports of any frequency whose period lies within [first.start, last.end]."""
    periods = set()
    year = first.year
    while year <= last.year:
        for code in [str(year)] + [f"{year}Q{q}" for q in range(1, 5)] + \
                [f"{year}M{m:02d}" for m in range(1, 13)]:
            period = Period.parse(code)
            if period.start >= first.start and period.end <= last.end:
                periods.add(code)
        year += 1
    return Report.objects.filter(period__in=periods)


def severity_counts(flags) -> dict[str, int]:
    counts = {Severity.ERROR: 0, Severity.WARNING: 0}
    for flag in flags:
        counts[flag.severity] = counts.get(flag.severity, 0) + 1
    return counts
