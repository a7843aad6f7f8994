"""The demo's annual work targets (演示数据): for the current demo year tracking shows
ahead, on-track and lagging targets under both measures, including targets lagging by the
linear 时序进度 but on track by the zone's seasonal pattern; last year's are met or missed;
two sets wait for their province."""

import datetime as dt

import pytest
from django.db import transaction

from bianhe.audit.models import AuditLog
from bianhe.demo import build as demo
from bianhe.demo.targets import PENDING, build_demo_targets
from bianhe.demo.users import ensure_demo_users, reporter_username, reviewer_username
from bianhe.targets.completion import completion_by_zone
from bianhe.targets.models import SetStatus, TargetSet
from bianhe.targets.tracking import track
from bianhe.zones.registry import load_registry

TODAY = dt.date(2026, 12, 7)
YEAR = TODAY.year


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The demo of 2021 to 2026 (five earlier years feed the seasonal expectation), rolled
    back after this module's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_registry()
        ensure_demo_users()
        counts = demo.build_demo_data(years=range(YEAR - 5, YEAR + 1), today=TODAY)
        yield counts
        transaction.set_rollback(True)


def test_the_demo_gives_every_zone_targets_for_the_two_years_before_and_this_year(built, db):
    assert set(built["targets"]) == {YEAR - 2, YEAR - 1, YEAR}
    sets = TargetSet.objects.filter(year=YEAR)
    assert sets.count() == built["targets"][YEAR]["sets"] >= 19
    assert all(s.is_demo for s in TargetSet.objects.all())
    assert sorted(sets.filter(status=SetStatus.SUBMITTED)
                  .values_list("zone__code", flat=True)) == sorted(PENDING)
    assert not TargetSet.objects.filter(year__lt=YEAR).exclude(status=SetStatus.APPROVED)


def test_this_years_tracking_shows_every_status_under_both_measures(built, db):
    frame = track(TargetSet.objects.all(), YEAR).frame
    for measure in ("status_linear", "status_seasonal"):
        assert {"ahead", "on_track", "lagging"} <= set(frame[measure]), measure
    split = frame[(frame["status_linear"] == "lagging") & (frame["status_seasonal"] == "on_track")]
    assert len(split) >= 3
    assert {"TRADE_TOTAL", "FAI"} & set(split["indicator_code"])


def test_last_years_targets_are_met_and_missed(built, db):
    table = completion_by_zone(YEAR - 1)
    assert len(table) >= 19
    assert 0 < table["met"].sum() < table["targets"].sum()
    assert table["completion"].between(0.8, 1.2).all()


def test_each_demo_set_has_its_audit_trail_by_the_demo_people(built, db):
    target_set = TargetSet.objects.select_related("zone__parent").get(
        year=YEAR, zone__code="BECZ-GX-01")
    trail = list(AuditLog.objects.filter(object_type="targets.targetset",
                                         object_id=str(target_set.pk))
                 .order_by("id").values_list("action", "actor_name"))
    reporter, reviewer = reporter_username("BECZ-GX-01"), reviewer_username("CN-GX")
    assert trail == [("targets.target.save", reporter), ("targets.set.submit", reporter),
                     ("targets.set.approve", reviewer)]


def test_building_the_demo_targets_again_changes_nothing(built, db):
    before = (TargetSet.objects.count(), AuditLog.objects.count())
    assert build_demo_targets(TODAY) == {}
    assert (TargetSet.objects.count(), AuditLog.objects.count()) == before
