"""Demo statistics (演示数据) for ``make demo``: seeded, deterministic, labelled.

:func:`build_demo_data` reads zone, form and indicator descriptions from the database, has
:func:`bianhe.demo.values.generate_values` invent the figures, writes them through
the one ingest path, marks the reports ``is_demo``, runs the data-quality checks and gives the
reports their review history with the demo users (:mod:`bianhe.demo.history`). How the
figures are invented is described in :mod:`bianhe.demo.values`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.utils import timezone

from bianhe.analytics.facts import rebuild as rebuild_facts
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.catalog.loader import load_catalogue
from bianhe.catalog.models import CatalogVersion, Indicator
from bianhe.demo.history import Plan, replay
from bianhe.demo.targets import build_demo_targets
from bianhe.demo.users import ADMIN, DemoDataError, reporter_username, reviewer_username
from bianhe.demo.values import (  # noqa: F401 (SPIKE_CODES: part of this API)
    DEFAULT_SEED,
    DEFAULT_YEARS,
    SPIKE_CODES,
    FormSpec,
    IndicatorSpec,
    ZoneSpec,
    _rng,
    generate_values,
)
from bianhe.periods import ANNUAL, MONTHLY, Period
from bianhe.quality.actions import ensure_default_rules
from bianhe.quality.checks import check_reports
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import Report, ReportForm, Status
from bianhe.reporting.setup import ensure_default_forms
from bianhe.reporting.workflow import MINISTRY, PROVINCE, ZONE
from bianhe.zones.models import OrgUnit

RETURN_REASONS = (
    "部分指标同比波动较大，请核实并在说明中补充原因后重新报送。",
    "固定资产投资数据与统计部门口径不一致，请核对后重新报送。",
    "边民互市贸易额请以海关统计数据为准核实后重新报送。",
    "请补充重点项目开工情况说明后重新报送。",
    "税收收入请与税务部门数据核对一致后重新报送。",
)
MINISTRY_RETURN_REASON = "请省级商务主管部门会同园区复核实际使用外资数据后重新报送。"
_TZ = ZoneInfo("Asia/Shanghai")
#: Final status shares by how recent the period is (0: the newest of its form).
_STATUS_SHARES = {
    0: ((Status.DRAFT, 0.2), (Status.SUBMITTED, 0.3), (Status.RETURNED, 0.15),
        (Status.APPROVED, 0.2), (Status.ACCEPTED, 0.15)),
    1: ((Status.DRAFT, 0.05), (Status.SUBMITTED, 0.15), (Status.RETURNED, 0.05),
        (Status.APPROVED, 0.35), (Status.ACCEPTED, 0.4)),
    "past": ((Status.RETURNED, 0.01), (Status.SUBMITTED, 0.005), (Status.APPROVED, 0.02),
             (Status.ACCEPTED, 0.965)),
}
LATE_SHARE = 0.12
RETURN_HISTORY_SHARE = 0.06  # returned once by the province, then resubmitted
MINISTRY_RETURN_SHARE = 0.015  # returned once by the ministry after approval


def database_specs(years: Iterable[int]) -> tuple[list[ZoneSpec], list[FormSpec],
                                                  dict[int, dict[str, IndicatorSpec]]]:
    """The registry's zones, the active report forms and each year's catalogue, as specs."""
    years = list(years)
    active: dict[str, set[int]] = {}
    units = {}
    for year in years:
        for unit in OrgUnit.objects.zones().active_in_year(year).select_related("parent"):
            active.setdefault(unit.code, set()).add(year)
            units[unit.code] = unit
    zones = [ZoneSpec(code=code, province=unit.parent.code if unit.parent_id else "",
                      neighbours=tuple(unit.neighbour_countries or ()),
                      active_years=frozenset(active[code]), valid_from=unit.valid_from,
                      valid_to=unit.valid_to,
                      area_km2=float(unit.area_km2) if unit.area_km2 else None)
             for code, unit in sorted(units.items())]
    forms = [FormSpec(code=form.code, frequency=form.frequency,
                      indicator_codes=tuple(form.indicator_codes),
                      zones=frozenset(z.code for z in form.zones.all()))
             for form in ReportForm.objects.filter(is_active=True).prefetch_related("zones")]
    catalogues: dict[int, dict[str, IndicatorSpec]] = {}
    for ind in Indicator.objects.filter(version__year__in=years).select_related("version"):
        catalogues.setdefault(ind.version.year, {})[ind.code] = IndicatorSpec(
            code=ind.code, frequency=ind.frequency, time_behaviour=ind.time_behaviour,
            value_type=ind.value_type, decimals=ind.decimals,
            min_value=None if ind.min_value is None else float(ind.min_value),
            max_value=None if ind.max_value is None else float(ind.max_value),
            disaggregation=ind.disaggregation)
    return zones, forms, catalogues


def build_demo_data(*, seed: int = DEFAULT_SEED, years: Iterable[int] = DEFAULT_YEARS,
                    today: dt.date | None = None) -> dict:
    """Write seeded demo statistics for ``years`` and walk the reports through the workflow.

    1. Creates each year's catalogue and the default report forms when missing.
    2. Generates the values with :func:`generate_values` and writes them through
       :func:`bianhe.reporting.actions.do_save_values` as the platform (``actor=None``, source
       "system"), one batch per year, then marks the new reports ``is_demo``.
    3. Gives every new report its planned review history (:func:`plan_report`) through
       the workflow's rules, set-based (:func:`bianhe.demo.history.replay`), as the demo
       users created by :func:`bianhe.demo.users.ensure_demo_users` (reporter explains the
       flagged values and submits, province reviewer accepts the explanations and approves
       or returns with a reason, ``demo-admin`` accepts), so the audit log has the full
       trail. The newest periods of each form are left in every state (draft, submitted,
       returned, approved, accepted); older ones are mostly accepted, some were returned
       once and resubmitted, some were submitted after the deadline. The reports carry the
       plan's historical ``first_submitted_at``, ``submitted_at``, ``approved_at`` and
       ``accepted_at``: only the demo does this, everywhere else those fields are stamped
       "now" by the actions. The audit rows keep their true time (when the demo was built).
    4. Rebuilds the analytics fact table once (:func:`bianhe.analytics.facts.rebuild`).
    5. Gives every zone its annual work targets of the two years before and this year, derived from
       those figures (:func:`bianhe.demo.targets.build_demo_targets`).

    Idempotent: a year that has demo reports already is skipped, and a zone × form ×
    period that has any report is never touched. Everything happens in one transaction.
    Returns counts (values, planted values, reports per status, late reports, …).
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    years = sorted(y for y in set(years) if dt.date(y, 1, 1) <= today)
    counts: dict = {"seed": seed, "years": [], "skipped_years": [], "values": 0,
                    "planted": 0, "reports": 0, "statuses": {}, "late": 0,
                    "transitions": 0}
    with transaction.atomic():
        for year in years:
            load_catalogue(year, source=Source.SYSTEM)
        latest = CatalogVersion.objects.order_by("-year").first()
        ensure_default_forms(latest, source=Source.SYSTEM)
        ensure_default_rules(source=Source.SYSTEM)
        done = {int(p[:4]) for p in Report.objects.filter(is_demo=True)
                .values_list("period", flat=True).distinct()}
        todo = [y for y in years if y not in done]
        counts["skipped_years"] = [y for y in years if y in done]
        counts["years"] = todo
        if not todo:
            counts["targets"] = build_demo_targets(today)
            counts["seconds"] = round(time.perf_counter() - started, 2)
            return counts
        zones, forms, catalogues = database_specs(todo)
        users = _demo_users(zones)
        frame = generate_values(zones, forms, catalogues, seed=seed, years=todo, today=today)
        if frame.empty:
            counts["targets"] = build_demo_targets(today)
            counts["seconds"] = round(time.perf_counter() - started, 2)
            return counts
        existing = set(Report.objects.filter(period__in=frame["period"].unique())
                       .values_list("zone__code", "form__code", "period"))
        if existing:
            keep = [k not in existing for k in zip(frame["zone"], frame["form"],
                                                   frame["period"], strict=True)]
            frame = frame[keep]
        frame = frame.assign(year=frame["period"].str[:4])
        reports: list[Report] = []
        for year, part in frame.groupby("year", sort=True):
            result = do_save_values(None, part[["zone", "period", "indicator", "member",
                                                "value"]],
                                    source=Source.SYSTEM, today=today, label=f"演示数据 {year}")
            if not result.ok:
                listed = "; ".join(f"{p.location} {p.indicator}: {p.message}"
                                   for p in result.problems[:10])
                raise DemoDataError(f"ingest refused {result.problem_count} demo value(s) "
                                    f"of {year}: {listed}")
            # The reports of exactly the cells just written (none of them existed before).
            keys = set(zip(part["zone"], part["form"], part["period"], strict=True))
            written = [r for r in Report.objects.filter(period__in={k[2] for k in keys})
                       .select_related("zone", "form")
                       if (r.zone.code, r.form.code, r.period) in keys]
            Report.objects.filter(pk__in=[r.pk for r in written]).update(is_demo=True)
            reports += written
        # Nothing is stamped later than ``today`` (end of its working day) or than now.
        now = min(timezone.now(), dt.datetime.combine(today, dt.time(18), tzinfo=_TZ))
        reports, transitions = _run_workflow(reports, users, seed=seed, now=now)
        statuses = Counter(str(r.status) for r in reports)
        late = sum(1 for r in reports if r.is_late)
        counts.update(values=len(frame), planted=int(frame["planted"].sum()),
                      reports=len(reports), statuses=dict(sorted(statuses.items())),
                      late=late, transitions=transitions)
        record(actor=None, action="reporting.demo.build", object_type="reporting.report",
               object_repr=f"演示数据 {todo[0]}–{todo[-1]}", source=Source.SYSTEM,
               after={k: v for k, v in counts.items() if k != "skipped_years"})
        # Annual work targets of the two years before and this year, derived from the figures above.
        counts["targets"] = build_demo_targets(today)
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _demo_users(zones: Sequence[ZoneSpec]) -> dict[str, object]:
    from bianhe.accounts.models import User

    wanted = {ADMIN} | {reporter_username(z.code) for z in zones} \
        | {reviewer_username(z.province) for z in zones}
    users = {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}
    missing = sorted(wanted - set(users))
    if missing:
        raise DemoDataError("demo users missing (create them with "
                            f"bianhe.demo.users.ensure_demo_users()): {', '.join(missing)}")
    return users


#: An annual report whose deadline is further back than this, in a demo that holds a later
#: year, is "past" although it is its form's newest: by December last year's annual report
#: (due in the spring) has long been accepted, and the evaluation of that year needs it.
SETTLED_AFTER = dt.timedelta(days=120)


def _recency(reports: Sequence[Report], now: dt.datetime) -> dict[int, int | str]:
    """0 for a report of its form's newest period, 1 for the two before, else "past";
    a settled annual report (:data:`SETTLED_AFTER`) is "past" too."""
    periods: dict[int, list[Period]] = {}
    for report in reports:
        periods.setdefault(report.form_id, []).append(report.period_obj)
    order = {form: sorted(set(ps), reverse=True) for form, ps in periods.items()}
    latest_year = max((report.period_obj.year for report in reports), default=0)
    rank = {}
    for report in reports:
        position = order[report.form_id].index(report.period_obj)
        rank[report.pk] = 0 if position == 0 else 1 if position <= 2 and \
            report.form.frequency == MONTHLY else "past"
        if report.form.frequency == ANNUAL and report.period_obj.year < latest_year \
                and report.deadline < (now - SETTLED_AFTER).date():
            rank[report.pk] = "past"
    return rank


def _stamp(day: dt.date, rng: np.random.Generator) -> dt.datetime:
    """A working-hours moment of ``day`` in Beijing time (09:00–17:59, same UTC date)."""
    return dt.datetime.combine(day, dt.time(int(rng.integers(9, 18)), int(rng.integers(60))),
                               tzinfo=_TZ)


def plan_report(report: Report, rank: int | str, *, seed: int,
                now: dt.datetime) -> tuple[list[tuple[str, str]], dict[str, dt.datetime]]:
    """The transitions (name, reason) a demo report goes through and its historical times."""
    rng = _rng(seed, "workflow", report.zone.code, report.form.code, report.period)
    shares = _STATUS_SHARES[rank]
    u, final = rng.random(), shares[-1][0]
    for status, share in shares:
        if u < share:
            final = status
            break
        u -= share
    late, history = rng.random() < LATE_SHARE, rng.random()
    reason = RETURN_REASONS[int(rng.integers(len(RETURN_REASONS)))]
    offset = int(rng.integers(1, 31)) if late else -int(rng.integers(0, 10))
    moment = _stamp(report.deadline + dt.timedelta(days=offset), rng)
    if final == Status.DRAFT or moment > now:
        return [], {}

    def later(low: int, high: int) -> dt.datetime:
        nonlocal moment
        moment = min(_stamp(moment.date() + dt.timedelta(days=int(rng.integers(low, high))),
                            rng), now)
        return moment

    steps = [("submit", "")]
    stamps = {"first_submitted_at": moment, "submitted_at": moment}
    if final != Status.RETURNED and history < RETURN_HISTORY_SHARE:
        later(1, 5)
        steps += [("return", reason), ("submit", "")]
        stamps["submitted_at"] = later(1, 7)
    if final == Status.RETURNED:
        later(1, 5)
        steps.append(("return", reason))
    if final in (Status.APPROVED, Status.ACCEPTED):
        steps.append(("approve", ""))
        stamps["approved_at"] = later(1, 7)
    if final == Status.ACCEPTED:
        if history > 1 - MINISTRY_RETURN_SHARE:
            later(2, 10)
            steps += [("ministry_return", MINISTRY_RETURN_REASON), ("submit", ""),
                      ("approve", "")]
            stamps["submitted_at"] = later(1, 6)
            stamps["approved_at"] = later(1, 5)
        steps.append(("accept", ""))
        stamps["accepted_at"] = later(3, 26)
    return steps, stamps


def _run_workflow(reports: Sequence[Report], users: Mapping[str, object], *, seed: int,
                  now: dt.datetime) -> tuple[list[Report], int]:
    """Every planned history through the workflow's rules at once, then the fact table.

    The checks run once over every new report; the planted values raise warnings, which the
    demo reporters explain before submitting (errors would stop the demo: none occur).
    Returns the reports as they end up, and the number of transitions made.
    """
    rank = _recency(reports, now)
    check_reports([r.pk for r in reports])
    admin = users[ADMIN]
    plans = []
    for report in sorted(reports, key=lambda r: (r.period_obj, r.form.code, r.zone.path)):
        steps, stamps = plan_report(report, rank[report.pk], seed=seed, now=now)
        actors = {ZONE: users[reporter_username(report.zone.code)],
                  PROVINCE: users[reviewer_username(report.province_code)], MINISTRY: admin}
        plans.append(Plan(report, steps, stamps, actors))
    transitions = replay(plans)
    # Official analytics read the fact table: filled once, from the reports as they now are.
    rebuild_facts()
    return [plan.report for plan in plans], transitions
