"""The seeded demo statistics (演示数据) of ``make demo``, on a two-year slice."""

import datetime as dt
import hashlib
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import transaction

from bianhe.audit.models import AuditLog
from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.loader import load_catalogue
from bianhe.catalog.models import CatalogVersion
from bianhe.demo import build as demo
from bianhe.demo.users import ensure_demo_users
from bianhe.periods import Period
from bianhe.reporting.models import DataValue, Report, Status, ValueChange
from bianhe.reporting.setup import ensure_default_forms
from bianhe.zones.registry import load_registry

YEARS = range(2023, 2025)
TODAY = dt.date(2026, 1, 15)


def checksum(rows) -> str:
    digest = hashlib.sha256()
    for row in sorted(rows):
        digest.update("|".join(map(str, row)).encode())
    return digest.hexdigest()


def plain(value) -> str:
    return format(Decimal(value).normalize(), "f")


def frame_checksum(frame: pd.DataFrame) -> str:
    return checksum((zone, period, code, member, plain(value)) for zone, period, code, member,
                    value in frame[["zone", "period", "indicator", "member", "value"]]
                    .itertuples(index=False, name=None))


def stored_checksum() -> str:
    return checksum((zone, period, code, member, plain(value))
                    for zone, period, code, member, value in DataValue.objects.values_list(
                        "report__zone__code", "report__period", "indicator_code", "member",
                        "value"))


@pytest.fixture
def specs(registry):
    for year in YEARS:
        load_catalogue(year)
    ensure_default_forms(CatalogVersion.objects.order_by("-year").first())
    return demo.database_specs(YEARS)


@pytest.fixture
def values(specs):
    return demo.generate_values(*specs, seed=2021, years=YEARS, today=TODAY)


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """One build of the slice for this module's database tests, rolled back after them.

    Each test still runs in its own savepoint (the ``db`` fixture), so one that writes
    cannot disturb the next.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        load_registry()
        ensure_demo_users()
        counts = demo.build_demo_data(years=YEARS, today=TODAY)
        yield counts
        transaction.set_rollback(True)


def numbers(values: pd.DataFrame) -> pd.DataFrame:
    return values.assign(number=values["value"].astype(float),
                         year=values["period"].str[:4])


def wide(values: pd.DataFrame) -> pd.DataFrame:
    """One row per zone × period, one column per indicator total (no breakdown)."""
    totals = numbers(values)
    return totals[totals["member"] == ""].pivot_table(
        index=["zone", "period"], columns="indicator", values="number")


# --- the generator -----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_values_and_another_seed_other_values(specs, values):
    again = demo.generate_values(*specs, seed=2021, years=YEARS, today=TODAY)
    other = demo.generate_values(*specs, seed=7, years=YEARS, today=TODAY)
    assert frame_checksum(values) == frame_checksum(again)
    assert frame_checksum(values) != frame_checksum(other)
    assert len(values) == len(other)


def test_a_year_has_the_same_values_whatever_other_years_are_generated(specs, values):
    alone = demo.generate_values(*specs, seed=2021, years=[2024], today=TODAY)
    assert frame_checksum(alone) == frame_checksum(values[values["period"].str[:4] == "2024"])


def test_every_zone_reports_every_period_of_every_assigned_form(specs, values):
    zones, forms, _catalogues = specs
    expected = 0
    for zone in zones:
        for year in zone.active_years:
            for form in forms:
                if zone.code in form.zones:
                    periods = {"monthly": 12, "quarterly": 4, "annual": 1}[form.frequency]
                    if zone.valid_from and zone.valid_from.year == year:
                        periods -= {"monthly": zone.valid_from.month - 1,
                                    "quarterly": (zone.valid_from.month - 1) // 3,
                                    "annual": 0}[form.frequency]
                    expected += periods
    combos = values[["zone", "form", "period"]].drop_duplicates()
    assert len(combos) == expected
    cells = values.groupby(["zone", "form", "period"]).size()
    assert cells.groupby(level="form").nunique().eq(1).all()  # every report is complete


def test_periods_not_yet_over_are_left_out(specs):
    partial = demo.generate_values(*specs, seed=2021, years=YEARS, today=dt.date(2024, 7, 15))
    periods = set(partial["period"])
    assert max(Period.parse(code).end for code in periods) == dt.date(2024, 6, 30)
    assert {"2024M06", "2024Q2", "2023"} <= periods
    assert not {"2024M07", "2024Q3", "2024"} & periods


def test_year_to_date_flows_never_fall_within_a_year(specs, values):
    _zones, _forms, catalogues = specs
    flows = {code for code, spec in catalogues[2024].items()
             if spec.time_behaviour == "flow_ytd"}
    table = numbers(values[values["indicator"].isin(flows)])
    table = table[~table["period"].str.fullmatch(r"\d{4}")].sort_values("period")
    steps = table.groupby(["zone", "indicator", "member", "year"])["number"].diff()
    assert steps.notna().sum() > 10_000
    assert (steps.dropna() >= 0).all()


def test_trade_and_revenue_add_up(values):
    monthly = wide(values[values["period"].str.contains("M")])
    assert np.allclose(monthly["EXPORT"] + monthly["IMPORT"], monthly["TRADE_TOTAL"])
    assert np.allclose(monthly["BORDER_SMALL_TRADE"] + monthly["BORDER_RESIDENT_TRADE"],
                       monthly["BORDER_TRADE"])
    assert (monthly["BORDER_TRADE"] <= monthly["TRADE_TOTAL"]).all()
    assert (monthly["TAX_REVENUE"] <= monthly["FISCAL_REVENUE"]).all()
    quarterly = wide(values[values["period"].str.contains("Q")])
    assert (quarterly["IND_VALUE_ADDED"] <= quarterly["GDP"]).all()
    partners = numbers(values[values["indicator"] == "TRADE_BY_PARTNER"]) \
        .groupby(["zone", "period"])["number"].sum()
    assert np.allclose(partners, monthly["TRADE_TOTAL"].reindex(partners.index))


def test_enterprises_by_size_add_up_to_the_year_end_count(values):
    table = numbers(values)
    by_size = table[table["indicator"] == "ENTERPRISES_BY_SIZE"].groupby(["zone", "year"])[
        "number"].sum()
    year_end = table[(table["indicator"] == "ENTERPRISES") & table["period"].str.endswith("Q4")]
    assert by_size.to_dict() == year_end.set_index(["zone", "year"])["number"].to_dict()


def test_trade_by_partner_is_mostly_with_the_zones_neighbours(specs, values):
    zones, _forms, _catalogues = specs
    names = {code: zh for code, zh, _en in DISAGGREGATIONS["partner_country"]["members"]}
    december = numbers(values[(values["indicator"] == "TRADE_BY_PARTNER")
                              & (values["period"] == "2024M12")])
    for zone in zones:
        rows = december[december["zone"] == zone.code]
        neighbours = rows[rows["member"].map(names).isin(zone.neighbours)]["number"].sum()
        assert neighbours > 0.5 * rows["number"].sum(), zone.code


def test_values_respect_each_indicators_type_and_bounds(specs, values):
    _zones, _forms, catalogues = specs
    table = numbers(values)
    for code, rows in table.groupby("indicator"):
        spec = catalogues[2024][code]
        if spec.min_value is not None:
            assert rows["number"].min() >= spec.min_value, code
        if spec.max_value is not None:
            assert rows["number"].max() <= spec.max_value, code
        if spec.value_type == "integer":
            assert (rows["number"] % 1 == 0).all(), code
    growth = table[table["indicator"] == "GDP_GROWTH"]["number"]
    assert growth.between(-30, 40).all()


def test_about_half_a_percent_of_values_are_planted_spikes(values):
    planted = values[values["planted"]]
    assert 0.002 < len(planted) / len(values) < 0.01
    assert set(planted["indicator"]) <= demo.SPIKE_CODES


# --- writing it through ingest and the workflow ---------------------------------------------


def test_the_demo_needs_the_demo_users(registry):
    with pytest.raises(demo.DemoDataError, match="demo-reporter-becz-gx-01"):
        demo.build_demo_data(years=[2024], today=TODAY)
    assert not Report.objects.exists()




def test_the_demo_stores_exactly_the_generated_values_in_demo_reports(built, db):
    generated = demo.generate_values(*demo.database_specs(YEARS), seed=2021, years=YEARS,
                                     today=TODAY)
    assert stored_checksum() == frame_checksum(generated)
    assert built["values"] == len(generated) == DataValue.objects.count()
    assert built["reports"] == Report.objects.count() > 600
    assert not Report.objects.filter(is_demo=False).exists()
    assert set(ValueChange.objects.values_list("source", flat=True)) == {"system"}


def test_demo_reports_show_every_workflow_state_with_a_real_audit_trail(built, db):
    statuses = set(Report.objects.values_list("status", flat=True))
    assert statuses == {Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED,
                        Status.ACCEPTED}
    returned = Report.objects.filter(status=Status.RETURNED)
    assert all(report.returned_reason for report in returned)
    actions = set(AuditLog.objects.filter(action__startswith="reporting.report.")
                  .values_list("action", flat=True))
    assert {"reporting.report.submit", "reporting.report.approve", "reporting.report.accept",
            "reporting.report.return"} <= actions
    approvals = AuditLog.objects.filter(action="reporting.report.approve")
    assert {entry.actor_name for entry in approvals} <= {
        f"demo-reviewer-{suffix}" for suffix in ("nm", "ln", "jl", "hl", "gx", "yn", "xj")}
    trail = AuditLog.objects.filter(action__startswith="reporting.report.")
    assert trail.count() == built["transitions"]
    assert set(trail.values_list("source", flat=True)) == {"system"}


def test_demo_reports_carry_historical_and_partly_late_submission_times(built, db):
    sent = Report.objects.exclude(status=Status.DRAFT)
    late = [report for report in sent if report.is_late]
    assert 0.05 < len(late) / sent.count() < 0.25
    assert built["late"] == len(late)
    for report in sent:
        assert report.period_obj.end < report.first_submitted_at.date() <= TODAY
        assert report.first_submitted_at <= report.submitted_at
        if report.status in (Status.APPROVED, Status.ACCEPTED):
            assert report.submitted_at < report.approved_at
        if report.status == Status.ACCEPTED:
            assert report.approved_at < report.accepted_at < dt.datetime(
                2026, 1, 1, tzinfo=dt.UTC)
    past = Report.objects.filter(period__startswith="2023")
    assert past.filter(status=Status.ACCEPTED).count() > 0.9 * past.count()


def test_running_the_demo_twice_changes_nothing(built, db):
    def state():
        return (stored_checksum(), checksum(Report.objects.values_list(
            "pk", "status", "first_submitted_at", "submitted_at", "approved_at",
            "accepted_at", "returned_reason", "is_demo")), AuditLog.objects.count(),
            ValueChange.objects.count())

    before = state()
    again = demo.build_demo_data(years=YEARS, today=TODAY)
    assert again["years"] == [] and again["skipped_years"] == list(YEARS)
    assert again["reports"] == again["values"] == 0
    assert state() == before


# --- the history, set-based through the workflow's rules -------------------------------------


def test_each_demo_report_history_replays_through_the_workflow_table(built, db):
    """The audit trail of every report is a path of the workflow table, by the right people."""
    from bianhe.demo.users import ADMIN, reporter_username, reviewer_username
    from bianhe.reporting.workflow import TRANSITIONS

    reports = {r.pk: r for r in Report.objects.select_related("zone")}
    trail: dict[int, list] = {}
    for entry in AuditLog.objects.filter(action__startswith="reporting.report.").order_by("id"):
        trail.setdefault(int(entry.object_id), []).append(entry)
    assert set(trail) == {pk for pk, r in reports.items() if r.status != Status.DRAFT}
    who = {"zone": lambda r: reporter_username(r.zone.code),
           "province": lambda r: reviewer_username(r.province_code),
           "ministry": lambda r: ADMIN}
    for pk, entries in trail.items():
        report, status, returns = reports[pk], Status.DRAFT, 0
        for entry in entries:
            transition = TRANSITIONS[entry.action.rsplit(".", 1)[1]]
            assert entry.before == {"status": status}
            assert status in transition.sources
            status = transition.target
            assert entry.after["status"] == status
            assert entry.actor_name == who[transition.level](report)
            assert bool(entry.after.get("reason")) == transition.needs_reason
            returns += transition.name in ("return", "ministry_return")
        assert status == report.status
        assert report.return_count == returns
        assert bool(report.returned_reason) == (status == Status.RETURNED)
        if status == Status.RETURNED:
            assert report.returned_reason == entries[-1].after["reason"]


def test_flagged_demo_values_are_explained_before_submission_and_accepted_on_approval(built,
                                                                                       db):
    from bianhe.demo.quality import EXPLANATIONS
    from bianhe.quality.models import Explanation, ExplanationStatus, Flag, Severity

    warned = set(Flag.objects.filter(severity=Severity.WARNING).exclude(
        report__status=Status.DRAFT).values_list("report_id", "indicator_code", "member"))
    assert warned
    assert not Flag.objects.filter(severity=Severity.ERROR).exclude(
        report__status=Status.DRAFT).exists()
    explanations = list(Explanation.objects.select_related("report__zone", "reviewed_by"))
    assert {(e.report_id, e.indicator_code, e.member) for e in explanations} == warned
    approved = set(AuditLog.objects.filter(action="reporting.report.approve")
                   .values_list("object_id", flat=True))
    for explanation in explanations:
        assert explanation.text in EXPLANATIONS
        assert explanation.author_name == \
            f"demo-reporter-{explanation.report.zone.code.lower()}"
        if str(explanation.report_id) in approved:
            assert explanation.status == ExplanationStatus.ACCEPTED
            assert explanation.reviewed_by.username.startswith("demo-reviewer-")
        else:
            assert explanation.status == ExplanationStatus.PENDING
    # Each written before its report's first submission, each acceptance before approval.
    order = list(AuditLog.objects.filter(action__in=(
        "quality.explanation.write", "quality.explanation.accept", "reporting.report.submit",
        "reporting.report.approve")).order_by("id").values_list("object_id", "action"))
    assert sum(a == "quality.explanation.write" for _o, a in order) == len(explanations)
    seen: dict[str, set] = {}
    for object_id, action in order:
        steps = seen.setdefault(object_id, set())
        if action == "quality.explanation.write":
            assert "reporting.report.submit" not in steps
        if action == "quality.explanation.accept":
            assert "reporting.report.approve" not in steps
        steps.add(action)


def test_the_fact_table_holds_exactly_the_locked_demo_values(built, db):
    from bianhe.analytics.models import Fact

    locked = (Status.SUBMITTED, Status.APPROVED, Status.ACCEPTED)
    expected = set(DataValue.objects.filter(report__status__in=locked, value__isnull=False)
                   .values_list("report_id", "indicator_code", "member", "report__status"))
    facts = set(Fact.objects.values_list("report_id", "indicator_code", "member", "status"))
    assert facts == expected and len(expected) > 10_000
    assert not Fact.objects.filter(is_demo=False).exists()


def _one_plan(steps, *, report=None, actors=None, stamps=None):
    from bianhe.demo.history import Plan
    from bianhe.demo.users import ADMIN, reporter_username, reviewer_username

    report = report or Report.objects.select_related("zone", "form").filter(
        status=Status.DRAFT).order_by("pk").first()
    from bianhe.accounts.models import User

    actors = actors or {
        "zone": User.objects.get(username=reporter_username(report.zone.code)),
        "province": User.objects.get(username=reviewer_username(report.province_code)),
        "ministry": User.objects.get(username=ADMIN)}
    moment = dt.datetime(2025, 12, 1, 10, tzinfo=dt.UTC)
    return Plan(report, steps, stamps if stamps is not None else {
        "first_submitted_at": moment, "submitted_at": moment}, actors)


@pytest.mark.parametrize("steps, message", [
    ([("approve", "")], "not possible from draft"),
    ([("submit", ""), ("return", "")], "a reason is needed"),
    ([("submit", ""), ("accept", "")], "not possible from submitted"),
])
def test_the_history_refuses_what_the_workflow_table_refuses(built, db, steps, message):
    from bianhe.demo.history import replay

    plan = _one_plan(steps)
    before = AuditLog.objects.count()
    with pytest.raises(demo.DemoDataError, match=message):
        replay([plan])
    assert AuditLog.objects.count() == before
    assert Report.objects.get(pk=plan.report.pk).status == Status.DRAFT


def test_the_history_refuses_an_incomplete_report_and_an_actor_out_of_scope(built, db):
    from bianhe.accounts.models import User
    from bianhe.demo.history import replay

    plan = _one_plan([("submit", "")])
    plan.report.values.filter(indicator_code=plan.report.form.indicator_codes[0]).update(
        value=None)
    with pytest.raises(demo.DemoDataError, match="cells are missing"):
        replay([plan])
    other = Report.objects.select_related("zone", "form").filter(status=Status.DRAFT).exclude(
        zone=plan.report.zone).order_by("pk").first()
    stranger = _one_plan([("submit", "")], report=other, actors={
        **plan.actors, "zone": User.objects.get(username=plan.actors["zone"].username)})
    with pytest.raises(demo.DemoDataError, match="may not do this"):
        replay([stranger])
    assert not AuditLog.objects.filter(object_id__in=[str(plan.report.pk), str(other.pk)],
                                       action__startswith="reporting.report.").exists()


def test_the_history_refuses_times_the_transitions_do_not_stamp(built, db):
    from bianhe.demo.history import replay

    plan = _one_plan([("submit", "")], stamps={
        "first_submitted_at": dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        "submitted_at": dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        "approved_at": dt.datetime(2025, 12, 2, tzinfo=dt.UTC)})
    with pytest.raises(demo.DemoDataError, match="planned times"):
        replay([plan])
