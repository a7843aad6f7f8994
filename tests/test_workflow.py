"""The three-level workflow: who may move a report where, locks, reasons and audit rows."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from bianhe.audit.models import AuditLog
from bianhe.catalog.disaggregations import members
from bianhe.catalog.models import CatalogVersion
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import Report, ReportForm, Status
from bianhe.reporting.queries import form_indicators
from bianhe.review.actions import do_transition, do_transition_many


def fill(user, period, zone="BECZ-GX-01", value="10"):
    form = ReportForm.objects.get(code="BH-M")
    version = CatalogVersion.objects.get(year=period.year)
    rows = [{"zone": zone, "period": period.code, "indicator": ind.code, "member": member,
             "value": value}
            for ind in form_indicators(form, version) for member in members(ind.disaggregation)]
    result = do_save_values(user, rows)
    assert result.ok, result.problems[:3]
    return Report.objects.get(zone__code=zone, form=form, period=period.code)


@pytest.fixture
def filled(people, open_month):
    return fill(people["pingxiang_reporter"], open_month)


def test_the_full_path_from_draft_to_accepted_leaves_an_audit_row_per_step(people, filled):
    reporter, admin = people["pingxiang_reporter"], people["ministry_admin"]
    from personas import make_user  # noqa: F401  (the GX reviewer is created below)
    reviewer = people["guangxi_reviewer"]
    report = do_transition(reporter, filled, "submit")
    assert report.status == Status.SUBMITTED and report.first_submitted_at
    report = do_transition(reviewer, report, "approve")
    report = do_transition(admin, report, "accept")
    assert report.status == Status.ACCEPTED
    trail = list(AuditLog.objects.filter(object_type="reporting.report", object_id=str(report.pk))
                 .order_by("at", "id").values_list("action", "actor_name"))
    assert trail == [("reporting.report.submit", "pingxiang-reporter"),
                     ("reporting.report.approve", "gx-reviewer"),
                     ("reporting.report.accept", "ministry-admin")]


def test_a_report_cannot_be_submitted_until_every_indicator_is_filled(people, open_month):
    reporter = people["pingxiang_reporter"]
    assert do_save_values(reporter, [{"zone": "BECZ-GX-01", "period": open_month.code,
                                      "indicator": "EXPORT", "value": "1"}]).ok
    report = Report.objects.get()
    with pytest.raises(ValidationError, match=r"TRADE_TOTAL|IND_OUTPUT"):
        do_transition(reporter, report, "submit")
    report.refresh_from_db()
    assert report.status == Status.DRAFT


def test_a_reviewer_of_another_province_cannot_approve(people, filled):
    do_transition(people["pingxiang_reporter"], filled, "submit")
    with pytest.raises(Http404):
        do_transition(people["xinjiang_reviewer"], filled, "approve")
    filled.refresh_from_db()
    assert filled.status == Status.SUBMITTED


@pytest.mark.parametrize(("key", "name"), [
    ("pingxiang_reporter", "approve"),   # a zone never approves itself
    ("ministry_admin", "approve"),       # the ministry does not skip the province
    ("ministry_analyst", "accept"),
    ("northeast_observer", "submit"),
])
def test_each_transition_belongs_to_one_level(people, filled, key, name):
    do_transition(people["pingxiang_reporter"], filled, "submit")
    with pytest.raises(Http404):
        do_transition(people[key], filled, name)


def test_returning_needs_a_reason_and_reopens_the_report_for_the_zone(people, filled):
    reviewer = people["guangxi_reviewer"]
    reporter = people["pingxiang_reporter"]
    do_transition(reporter, filled, "submit")
    with pytest.raises(ValidationError):
        do_transition(reviewer, filled, "return", reason="  ")
    report = do_transition(reviewer, filled, "return", reason="出口数据与海关口径不符")
    assert report.status == Status.RETURNED and report.returned_reason
    # Returned values can be corrected, then the report is submitted again.
    assert do_save_values(reporter, [{"zone": "BECZ-GX-01", "period": report.period,
                                      "indicator": "EXPORT", "value": "11"}]).ok
    assert do_transition(reporter, report, "submit").status == Status.SUBMITTED
    entry = AuditLog.objects.get(action="reporting.report.return")
    assert entry.after == {"status": "returned", "reason": "出口数据与海关口径不符"}


def test_only_the_level_that_locked_a_report_can_reopen_it(people, filled):
    reporter, admin = people["pingxiang_reporter"], people["ministry_admin"]
    do_transition(reporter, filled, "submit")
    assert do_transition(reporter, filled, "withdraw", reason="发现错误").status == Status.DRAFT
    do_transition(reporter, filled, "submit")
    reviewer = people["guangxi_reviewer"]
    do_transition(reviewer, filled, "approve")
    with pytest.raises(ValidationError):
        do_transition(reporter, filled, "withdraw", reason="x")  # the province locked it
    with pytest.raises(ValidationError):
        do_transition(reviewer, filled, "unapprove")  # a reason is required
    do_transition(reviewer, filled, "unapprove", reason="需复核")
    do_transition(reviewer, filled, "approve")
    do_transition(admin, filled, "accept")
    with pytest.raises(ValidationError):
        do_transition(reviewer, filled, "unapprove", reason="x")  # the ministry locked it
    assert do_transition(admin, filled, "reopen", reason="口径调整").status == Status.APPROVED


def test_a_province_approves_many_reports_at_once_or_none(people, open_month):
    reviewer = people["guangxi_reviewer"]
    admin = people["ministry_admin"]
    first = fill(admin, open_month, zone="BECZ-GX-01")
    second = fill(admin, open_month, zone="BECZ-GX-02")
    reporter = people["pingxiang_reporter"]
    do_transition(reporter, first, "submit")
    with pytest.raises(ValidationError):
        do_transition_many(reviewer, [first, second], "approve")  # second is still a draft
    first.refresh_from_db()
    assert first.status == Status.SUBMITTED
    from bianhe.demo.users import ensure_demo_users  # a reporter for BECZ-GX-02
    ensure_demo_users()
    from bianhe.accounts.models import User
    do_transition(User.objects.get(username="demo-reporter-becz-gx-02"), second, "submit")
    moved = do_transition_many(reviewer, [first, second], "approve")
    assert {r.status for r in moved} == {Status.APPROVED}
