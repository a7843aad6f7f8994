"""Read side of data quality: the flags of a grid, the reviewer's risk-ranked worklist,
completeness and timeliness, and the per-zone quality score. Set-based: a fixed number of
grouped queries whatever the number of reports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from bianhe.catalog.disaggregations import member_label
from bianhe.periods import Period, periods_between
from bianhe.quality.models import Check, Explanation, ExplanationStatus, Flag, Severity
from bianhe.reporting.models import DataValue, Report, ReportForm, ValueChange
from bianhe.zones.models import OrgUnit

#: Weights of the worklist's risk ranking: an error outweighs any number of warnings a
#: report is likely to have; an unexplained warning outweighs an explained one.
RISK_WEIGHTS = {"errors": 100, "unexplained": 20, "warnings": 5, "outliers": 3, "changes": 1}


@dataclass
class CellQuality:
    flags: list[Flag] = field(default_factory=list)
    explanation: Explanation | None = None

    @property
    def errors(self) -> list[Flag]:
        return [f for f in self.flags if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Flag]:
        return [f for f in self.flags if f.severity == Severity.WARNING]

    @property
    def needs_explanation(self) -> bool:
        return bool(self.warnings) and not (
            self.explanation and self.explanation.text
            and self.explanation.status != ExplanationStatus.SUPERSEDED)


def cell_quality(report: Report | None) -> dict[tuple[str, str], CellQuality]:
    """Flags and explanation of every cell of a report (two queries)."""
    cells: dict[tuple[str, str], CellQuality] = defaultdict(CellQuality)
    if report is None:
        return cells
    for flag in report.flags.select_related("rule"):
        cells[(flag.indicator_code, flag.member)].flags.append(flag)
    for explanation in report.explanations.all():
        cells[(explanation.indicator_code, explanation.member)].explanation = explanation
    return cells


def blocking_problems(report: Report) -> tuple[list[str], list[str]]:
    """(cells with errors, cells with warnings but no explanation) by indicator name.

    A few light queries: this runs on every submission.
    """
    errors, warned = set(), set()
    for code, member, severity in report.flags.values_list("indicator_code", "member",
                                                           "severity"):
        (errors if severity == Severity.ERROR else warned).add((code, member))
    explained = set(report.explanations.exclude(text="")
                    .exclude(status=ExplanationStatus.SUPERSEDED)
                    .values_list("indicator_code", "member"))

    indicators = {ind.code: ind for ind in report.catalog_version.indicators.filter(
        code__in={code for code, _m in errors | warned})}

    def labels(cells):
        # Named as the grid names them ("分国别(地区)进出口额 · 俄罗斯"), never by code.
        named = []
        for code, member in sorted(cells):
            ind = indicators.get(code)
            name = ind.name_zh if ind else code
            named.append(f"{name} · {member_label(ind.disaggregation, member)}"
                         if member and ind else name)
        return named

    return labels(errors), labels(warned - errors - explained)


def risk_rows(reports) -> list[dict]:
    """Reports with their counts of errors, warnings, outliers, unexplained flagged cells and
    values changed between the first and the latest submission, highest risk first."""
    reports = list(reports.select_related("zone", "zone__parent", "form"))
    ids = [r.pk for r in reports]
    counts = {pk: defaultdict(int) for pk in ids}
    flagged_cells: dict[int, set] = defaultdict(set)
    warned_cells: dict[int, set] = defaultdict(set)
    for pk, severity, check, code, member in (Flag.objects.filter(report_id__in=ids)
                                              .values_list("report_id", "severity", "kind",
                                                           "indicator_code", "member")):
        row = counts[pk]
        if severity == Severity.ERROR:
            row["errors"] += 1
        else:
            row["warnings"] += 1
            warned_cells[pk].add((code, member))
        if check != Check.RULE:
            row["outliers"] += 1
        flagged_cells[pk].add((code, member))
    explained = defaultdict(set)
    # A superseded explanation explains a value that no longer exists: not explained.
    for pk, code, member in (Explanation.objects.filter(report_id__in=ids).exclude(text="")
                             .exclude(status=ExplanationStatus.SUPERSEDED)
                             .values_list("report_id", "indicator_code", "member")):
        explained[pk].add((code, member))
    accepted = dict(Explanation.objects.filter(report_id__in=ids,
                                               status=ExplanationStatus.ACCEPTED)
                    .values("report_id").annotate(n=Count("id"))
                    .values_list("report_id", "n"))
    # Changes between the first and the latest submission: what a resubmission altered.
    changes = dict(ValueChange.objects.filter(report_id__in=ids,
                                              report__first_submitted_at__isnull=False,
                                              at__gt=F("report__first_submitted_at"),
                                              at__lte=F("report__submitted_at"))
                   .values("report_id").annotate(n=Count("id")).values_list("report_id", "n"))
    rows = []
    for report in reports:
        row = counts[report.pk]
        row["unexplained"] = len(warned_cells[report.pk] - explained[report.pk])
        row["changes"] = changes.get(report.pk, 0)
        risk = sum(weight * row[key] for key, weight in RISK_WEIGHTS.items())
        rows.append({"report": report, "risk": risk, "errors": row["errors"],
                     "warnings": row["warnings"], "outliers": row["outliers"],
                     "unexplained": row["unexplained"], "changes": row["changes"],
                     "explained": len(explained[report.pk] & flagged_cells[report.pk]),
                     "accepted": accepted.get(report.pk, 0)})
    rows.sort(key=lambda r: (-r["risk"], r["report"].period, r["report"].zone.path))
    return rows


def followup_rows(user, *, province: str = "", only_open: bool = True):
    """Flagged cells with their explanation, for the province's follow-up list."""
    flags = (Flag.objects.restrict(user).filter(severity=Severity.WARNING)
             .select_related("report__zone__parent", "report__form", "rule")
             .order_by("report__zone__path", "-report__period", "indicator_code"))
    if province:
        flags = flags.filter(report__province_code=province)
    explanations = {(e.report_id, e.indicator_code, e.member): e for e in
                    Explanation.objects.restrict(user).filter(
                        report_id__in=flags.values("report_id"))}
    rows: dict[tuple, dict] = {}
    for flag in flags[:5000]:
        key = (flag.report_id, flag.indicator_code, flag.member)
        row = rows.setdefault(key, {"report": flag.report, "indicator": flag.indicator_code,
                                    "member": flag.member, "flags": [],
                                    "explanation": explanations.get(key)})
        row["flags"].append(flag)
    result = list(rows.values())
    if only_open:
        result = [r for r in result if r["explanation"] is None
                  or r["explanation"].status != ExplanationStatus.ACCEPTED]
    return result


# --- completeness and timeliness -----------------------------------------------------------

STATES = ("on_time", "late", "missing", "pending")


def completeness(user, form: ReportForm, periods: list[Period], today: dt.date) -> dict:
    """Per zone × period: on time, late, missing, or not yet due; totals per period and per
    province. Three queries: zones, reports, and the form's assignment."""
    years = {p.year for p in periods}
    zones = list(OrgUnit.objects.restrict(user).zones().filter(report_forms=form)
                 .select_related("parent").order_by("path"))
    reports = {(r.zone_id, r.period): r for r in Report.objects.filter(
        form=form, period__in=[p.code for p in periods], zone__in=zones)}
    matrix, totals = [], {p.code: dict.fromkeys(STATES, 0) for p in periods}
    provinces: dict[str, dict] = {}
    for zone in zones:
        active = {year: zone.is_active_in_year(year) for year in years}
        cells = []
        for period in periods:
            if not active[period.year]:
                cells.append(None)
                continue
            report = reports.get((zone.pk, period.code))
            due = report.deadline if report else period.deadline(form.deadline_days)
            if report is not None and report.first_submitted_at is not None:
                state = "late" if report.is_late else "on_time"
            else:
                state = "missing" if today > due else "pending"
            cells.append({"state": state, "report": report, "period": period})
            totals[period.code][state] += 1
            province = provinces.setdefault(zone.parent.code if zone.parent else "", {
                "unit": zone.parent, **dict.fromkeys(STATES, 0)})
            province[state] += 1
        matrix.append({"zone": zone, "cells": cells})
    for row in list(totals.values()) + list(provinces.values()):
        row["expected"] = sum(row[s] for s in STATES)
        row["received"] = row["on_time"] + row["late"]
        due = row["expected"] - row["pending"]
        row["on_time_share"] = round(100 * row["on_time"] / due, 1) if due else None
    return {"matrix": matrix, "totals": totals, "provinces": list(provinces.values())}


def yearly_completeness(user, form: ReportForm, years, today: dt.date) -> list[dict]:
    """The trend over years: per year, the totals of :func:`completeness` over its periods."""
    rows = []
    for year in years:
        periods = periods_of_year(form, year)
        totals = completeness(user, form, periods, today)["totals"].values()
        row = {key: sum(t[key] for t in totals) for key in (*STATES, "expected", "received")}
        due = row["expected"] - row["pending"]
        row["year"] = year
        row["on_time_share"] = round(100 * row["on_time"] / due, 1) if due else None
        row["received_share"] = round(100 * row["received"] / due, 1) if due else None
        rows.append(row)
    return rows


def quality_scores(user, year: int, today: dt.date) -> list[dict]:
    """Per zone, for one year: the share of due reports submitted on time, the share of
    reported values flagged, the share of submitted reports ever returned, and the score.

    The score is the plain mean of the three shares turned into "good" shares (on time,
    not flagged, not returned) × 100: equal weights, because no weighting has been set by
    the ministry; the evaluation can weight the three parts itself.
    """
    zones = list(OrgUnit.objects.restrict(user).zones().active_in_year(year)
                 .select_related("parent").order_by("path"))
    year_reports = Report.objects.filter(zone__in=zones, period__startswith=str(year))
    due = year_reports.filter(deadline__lt=today)
    stats = {row["zone_id"]: row for row in due.values("zone_id").annotate(
        due=Count("id"),
        sent=Count("id", filter=Q(first_submitted_at__isnull=False)),
        returned=Count("id", filter=Q(return_count__gt=0)))}
    late = defaultdict(int)
    for report in due.filter(first_submitted_at__isnull=False).only(
            "zone_id", "first_submitted_at", "deadline"):
        late[report.zone_id] += report.is_late
    values = dict(DataValue.objects.filter(report__in=year_reports, value__isnull=False)
                  .values("report__zone_id").annotate(n=Count("id"))
                  .values_list("report__zone_id", "n"))
    flagged = defaultdict(int)
    for zone_id, _report, _code, _member in (Flag.objects.filter(report__in=year_reports)
                                             .values_list("report__zone_id", "report_id",
                                                          "indicator_code", "member")
                                             .distinct()):
        flagged[zone_id] += 1
    rows = []
    for zone in zones:
        row = stats.get(zone.pk, {"due": 0, "sent": 0, "returned": 0})
        on_time = row["sent"] - late[zone.pk]
        shares = {
            # Due reports never sent count as not on time.
            "on_time": on_time / row["due"] if row["due"] else None,
            "flagged": flagged[zone.pk] / values[zone.pk] if values.get(zone.pk) else None,
            "returned": row["returned"] / row["sent"] if row["sent"] else None,
        }
        parts = [shares["on_time"], None if shares["flagged"] is None else
                 1 - shares["flagged"], None if shares["returned"] is None else
                 1 - shares["returned"]]
        known = [p for p in parts if p is not None]
        rows.append({"zone": zone, "due": row["due"], "sent": row["sent"],
                     "late": late[zone.pk], "returned": row["returned"],
                     "values": values.get(zone.pk, 0), "flagged": flagged[zone.pk],
                     **{f"{k}_share": None if v is None else round(100 * v, 1)
                        for k, v in shares.items()},
                     "score": round(100 * sum(known) / len(known), 1) if len(known) == 3
                     else None})
    return rows


def periods_of_year(form: ReportForm, year: int) -> list[Period]:
    first = Period.containing(dt.date(year, 1, 1), form.frequency)
    last = Period.containing(dt.date(year, 12, 31), form.frequency)
    return periods_between(first, last)

