"""Read-side helpers for reporting pages and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from bianhe.catalog.disaggregations import member_label, members
from bianhe.catalog.models import CatalogVersion, Indicator
from bianhe.periods import Period
from bianhe.reporting.models import Report, ReportForm
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit


def form_indicators(form: ReportForm, version: CatalogVersion) -> list[Indicator]:
    """The form's indicators in the form's order, as defined in ``version``."""
    found = {ind.code: ind for ind in version.indicators.filter(code__in=form.indicator_codes)}
    return [found[code] for code in form.indicator_codes if code in found]


def growth(current: Decimal | None, base: Decimal | None) -> Decimal | None:
    """同比 growth in percent, one decimal; None when either side is missing or base is 0."""
    if current is None or base is None or base == 0:
        return None
    return ((current - base) / abs(base) * 100).quantize(Decimal("0.1"))


@dataclass
class GridRow:
    indicator: Indicator
    member: str
    member_label: str
    value: Decimal | None
    comment: str
    previous: Decimal | None
    last_year: Decimal | None
    quality: object = None  # the cell's flags and explanation (bianhe.quality.queries)

    @property
    def growth(self) -> Decimal | None:
        return growth(self.value, self.last_year)

    @property
    def field_name(self) -> str:
        return f"{self.indicator.code}__{self.member}" if self.member else self.indicator.code


def _values_of(zone, form, period: Period) -> dict:
    report = Report.objects.filter(zone=zone, form=form, period=period.code).first()
    if report is None:
        return {}
    return {(v.indicator_code, v.member): v for v in report.values.all()}


def entry_grid(zone, form: ReportForm, period: Period, version: CatalogVersion,
               report: Report | None) -> list[GridRow]:
    """One row per indicator (and breakdown member) with last period and last year beside it.

    Three queries whatever the number of indicators: this period's, the previous period's
    and last year's values.
    """
    current = {(v.indicator_code, v.member): v for v in report.values.all()} if report else {}
    previous = _values_of(zone, form, period.previous())
    last_year = _values_of(zone, form, period.same_period_last_year())
    rows = []
    for indicator in form_indicators(form, version):
        for member in members(indicator.disaggregation):
            key = (indicator.code, member)
            rows.append(GridRow(
                indicator=indicator, member=member,
                member_label=member_label(indicator.disaggregation, member),
                value=current[key].value if key in current else None,
                comment=current[key].comment if key in current else "",
                previous=previous[key].value if key in previous else None,
                last_year=last_year[key].value if key in last_year else None,
            ))
    return rows


def due_reports(user, today: dt.date | None = None, horizon_days: int = 15) -> list[dict]:
    """For a reporter: each assigned form's periods that are due soon or overdue, unsent."""
    today = today or timezone.localdate()
    zones = list(OrgUnit.objects.restrict(user, Action.REPORT).zones()
                 .active_in_year(today.year))
    result = []
    forms = ReportForm.objects.filter(is_active=True, zones__in=zones).distinct()
    # Sent at least once: a returned report is listed as returned, not as overdue.
    sent = set(Report.objects.filter(zone__in=zones, form__in=forms,
                                     first_submitted_at__isnull=False)
               .values_list("zone_id", "form_id", "period"))
    for form in forms:
        assigned = set(form.zones.values_list("pk", flat=True))
        period = Period.containing(today, form.frequency)
        # The periods whose deadline is near or passed: this one and the two before it.
        candidates = [period.previous().previous(), period.previous(), period]
        for candidate in candidates:
            deadline = candidate.deadline(form.deadline_days)
            if deadline - today > dt.timedelta(days=horizon_days) or candidate.end > today + \
                    dt.timedelta(days=horizon_days):
                continue
            for zone in zones:
                if zone.pk in assigned and (zone.pk, form.pk, candidate.code) not in sent:
                    result.append({"zone": zone, "form": form, "period": candidate,
                                   "deadline": deadline, "overdue": deadline < today})
    return sorted(result, key=lambda item: item["deadline"])


def cell_history(report: Report, indicator_code: str, member: str):
    return report.changes.filter(indicator_code=indicator_code, member=member)


def timeliness_rows(user, form: ReportForm, period: Period, today: dt.date) -> list[dict]:
    """One row per zone in scope that is assigned ``form``: on time, late, missing, pending.

    "pending" means the deadline has not passed and nothing was submitted yet.
    """
    deadline = period.deadline(form.deadline_days)
    zones = (OrgUnit.objects.restrict(user).zones().active_in_year(period.year)
             .filter(report_forms=form).select_related("parent").order_by("path"))
    reports = {r.zone_id: r for r in Report.objects.filter(form=form, period=period.code,
                                                            zone__in=zones)}
    rows = []
    for zone in zones:
        report = reports.get(zone.pk)
        # A report keeps the deadline it was created with, even if the form's rule changes.
        due = report.deadline if report else deadline
        sent = report.first_submitted_at if report else None
        if sent is not None:
            state = "late" if report.is_late else "on_time"
        else:
            state = "missing" if today > due else "pending"
        rows.append({"zone": zone, "report": report, "submitted": sent, "deadline": due,
                     "state": state})
    return rows
