"""The one path every value takes: its checks, all-or-nothing writes and value history."""

import pytest
from django.utils import translation

from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import DataValue, Report, Status, ValueChange, WindowOverride


@pytest.fixture
def reporter(people):
    return people["pingxiang_reporter"]  # BECZ-GX-01


def cell(period, indicator, value, **extra):
    return {"zone": "BECZ-GX-01", "period": period.code, "indicator": indicator,
            "value": value, "location": extra.pop("location", indicator), **extra}


def messages_of(result):
    return [(p.location, p.message) for p in result.problems]


def test_a_valid_value_is_stored_with_its_history(reporter, open_month):
    result = do_save_values(reporter, [cell(open_month, "TRADE_TOTAL", "1,234.5",
                                            comment="含转口")])
    assert result.ok and result.created == 1 and result.reports_created == 1
    value = DataValue.objects.get()
    assert (value.indicator_code, value.value, value.comment) == ("TRADE_TOTAL", 1234.5, "含转口")
    change = ValueChange.objects.get()
    assert (change.old_value, change.new_value, change.actor_name, change.source) == (
        None, 1234.5, reporter.username, "web")
    report = Report.objects.get()
    assert (report.zone.code, report.status, report.province_code) == ("BECZ-GX-01", "draft",
                                                                     "CN-GX")


@pytest.mark.parametrize(("typed", "message"), [
    ("1.2万", "不要带"),
    ("abc", "不是数字"),
    ("12%", "不要带"),
    ("1,23", "不是数字"),
    ("-5", "不得低于最小值0"),
])
def test_a_bad_number_is_refused_in_chinese_and_nothing_is_written(reporter, open_month,
                                                                   typed, message):
    with translation.override("zh-hans"):
        result = do_save_values(reporter, [cell(open_month, "TRADE_TOTAL", "100"),
                                           cell(open_month, "EXPORT", typed, location="C12")])
    assert not result.ok
    assert any(loc == "C12" and message in text for loc, text in messages_of(result)), \
        messages_of(result)
    assert not DataValue.objects.exists() and not Report.objects.exists()
    assert not ValueChange.objects.exists()


def test_full_width_digits_are_read_by_an_explicit_rule(reporter, open_month):
    assert do_save_values(reporter, [cell(open_month, "EXPORT", "１２３．５")]).ok
    assert DataValue.objects.get().value == 123.5


@pytest.mark.parametrize(("row", "message"), [
    ({"zone": "BECZ-XJ-01"}, "Unknown zone, or a zone you may not report for."),
    ({"zone": "NOWHERE"}, "Unknown zone, or a zone you may not report for."),
    ({"indicator": "NO_SUCH"}, "Unknown indicator code"),
    ({"period": "2024M13"}, "Not a period"),
    ({"member": "RU"}, "This breakdown does not fit"),
    ({"indicator": "GDP"}, "another frequency"),
])
def test_rows_that_do_not_fit_are_refused(reporter, open_month, row, message):
    with translation.override("en"):
        result = do_save_values(reporter, [{**cell(open_month, "EXPORT", "1"), **row}])
    assert any(message in text for _loc, text in messages_of(result)), messages_of(result)
    assert not DataValue.objects.exists()


def test_a_duplicate_row_is_refused(reporter, open_month):
    with translation.override("en"):
        result = do_save_values(reporter, [cell(open_month, "EXPORT", "1", location="line 2"),
                                           cell(open_month, "EXPORT", "2", location="line 3")])
    assert messages_of(result) == [("line 3", "Duplicate: this zone, period, indicator and "
                                              "breakdown appear twice.")]


def test_a_breakdown_member_must_be_named(reporter, open_month):
    assert do_save_values(reporter, [cell(open_month, "TRADE_BY_PARTNER", "5", member="VN")]).ok
    assert DataValue.objects.get().member == "VN"


def test_a_year_to_date_value_may_not_fall_within_the_year(reporter, catalogue):
    # Use the ministry's override to open two past months of this year.
    from django.utils import timezone

    from bianhe.periods import Period
    from bianhe.reporting.models import ReportForm

    year = timezone.localdate().year
    form = ReportForm.objects.get(code="BH-M")
    for month in (2, 3):
        WindowOverride.objects.create(form=form, period=f"{year}M0{month}", is_open=True,
                                      reason="test")
    feb, mar = Period.parse(f"{year}M02"), Period.parse(f"{year}M03")
    with translation.override("en"):
        same_batch = do_save_values(reporter, [cell(feb, "EXPORT", "100"),
                                               cell(mar, "EXPORT", "90", location="M03")])
        assert messages_of(same_batch) == [
            ("M03", "A year-to-date value cannot be below the previous period's value.")]
        assert do_save_values(reporter, [cell(feb, "EXPORT", "100")]).ok
        stored = do_save_values(reporter, [cell(mar, "EXPORT", "99", location="M03")])
        assert not stored.ok
        assert do_save_values(reporter, [cell(mar, "EXPORT", "100")]).ok
        raising_feb = do_save_values(reporter, [cell(feb, "EXPORT", "101", location="M02")])
        assert messages_of(raising_feb) == [
            ("M02", "A year-to-date value cannot be above the next period's stored value.")]


def test_a_closed_window_refuses_values_until_the_ministry_reopens_it(reporter, catalogue):
    from bianhe.periods import Period
    from bianhe.reporting.models import ReportForm

    old = Period.parse("2020M01")
    with translation.override("en"):
        result = do_save_values(reporter, [cell(old, "EXPORT", "1")])
    assert any("no indicator catalogue" in t or "window" in t for _l, t in messages_of(result))
    assert not DataValue.objects.exists()
    form = ReportForm.objects.get(code="BH-M")
    from django.utils import timezone
    last_year = Period.parse(f"{timezone.localdate().year - 1}M01")
    with translation.override("en"):
        closed = do_save_values(reporter, [cell(last_year, "EXPORT", "1")])
    assert messages_of(closed) == [("EXPORT", "The entry window for this period is closed.")]
    WindowOverride.objects.create(form=form, period=last_year.code, is_open=True, reason="补报")
    assert do_save_values(reporter, [cell(last_year, "EXPORT", "1")]).ok


def test_a_submitted_report_is_locked(reporter, open_month):
    assert do_save_values(reporter, [cell(open_month, "EXPORT", "1")]).ok
    Report.objects.update(status=Status.SUBMITTED)
    with translation.override("en"):
        result = do_save_values(reporter, [cell(open_month, "EXPORT", "2")])
    assert "locked" in messages_of(result)[0][1]
    assert DataValue.objects.get().value == 1


def test_a_dry_run_reports_what_would_change_and_writes_nothing(reporter, open_month):
    assert do_save_values(reporter, [cell(open_month, "EXPORT", "1")]).ok
    result = do_save_values(reporter, [cell(open_month, "EXPORT", "2"),
                                       cell(open_month, "IMPORT", "3")], dry_run=True)
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 1, 1, 0)
    assert [(c["indicator"], c["old"], c["new"]) for c in result.changes] == [
        ("EXPORT", "1.0000", "2"), ("IMPORT", None, "3")]
    assert DataValue.objects.count() == 1 and ValueChange.objects.count() == 1


def test_saving_the_same_value_again_changes_nothing(reporter, open_month):
    assert do_save_values(reporter, [cell(open_month, "EXPORT", "1")]).ok
    again = do_save_values(reporter, [cell(open_month, "EXPORT", "1.0")])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ValueChange.objects.count() == 1


def test_the_ministry_may_import_for_any_zone_but_an_analyst_may_not(people, open_month):
    row = {**cell(open_month, "EXPORT", "7"), "zone": "BECZ-XJ-01"}
    assert not do_save_values(people["ministry_analyst"], [row]).ok
    assert do_save_values(people["ministry_admin"], [row], source="import").ok
    assert ValueChange.objects.get().source == "import"


def test_a_number_too_long_for_the_column_is_refused_not_rounded(reporter, open_month):
    with translation.override("en"):
        for typed in ("123456789012345678901", "0.00001"):
            result = do_save_values(reporter, [cell(open_month, "EXPORT", typed)])
            assert messages_of(result) == [("EXPORT", "Too many digits: at most 16 before the "
                                                      "decimal point and 4 after it.")]
    assert not DataValue.objects.exists()


def test_empty_cells_where_nothing_is_stored_are_not_values(reporter, open_month):
    result = do_save_values(reporter, [cell(open_month, "EXPORT", "5"),
                                       cell(open_month, "IMPORT", "")])
    assert (result.created, result.unchanged) == (1, 0)
    assert list(DataValue.objects.values_list("indicator_code", flat=True)) == ["EXPORT"]
    # Emptying a stored value is a change, kept in the history.
    assert do_save_values(reporter, [cell(open_month, "EXPORT", "")]).updated == 1
    assert DataValue.objects.get().value is None
    assert ValueChange.objects.count() == 2


def test_digits_of_other_scripts_are_not_numbers(reporter, open_month):
    assert not do_save_values(reporter, [cell(open_month, "EXPORT", "\u0663")]).ok
    assert not DataValue.objects.exists()


def test_unchanged_figures_of_a_locked_report_may_be_sent_again(reporter, open_month):
    assert do_save_values(reporter, [cell(open_month, "EXPORT", "1")]).ok
    Report.objects.update(status=Status.SUBMITTED)
    again = do_save_values(reporter, [cell(open_month, "EXPORT", "1.0"),
                                      cell(open_month, "IMPORT", "")])
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_the_value_history_cannot_be_rewritten(reporter, open_month):
    from bianhe.audit.models import AppendOnlyError

    assert do_save_values(reporter, [cell(open_month, "EXPORT", "1")]).ok
    change = ValueChange.objects.get()
    with pytest.raises(AppendOnlyError):
        change.save()
    with pytest.raises(AppendOnlyError):
        ValueChange.objects.all().delete()


def test_a_report_submitted_between_check_and_write_is_not_written_into(
        reporter, open_month, monkeypatch):
    from bianhe.reporting.ingest import writers as module

    assert do_save_values(reporter, [cell(open_month, "EXPORT", "1")]).ok
    real_write = module.write

    def submit_first(*args, **kwargs):
        Report.objects.update(status=Status.SUBMITTED)  # another session submits meanwhile
        return real_write(*args, **kwargs)

    monkeypatch.setattr(module, "write", submit_first)
    result = do_save_values(reporter, [cell(open_month, "EXPORT", "2")])
    assert not result.ok and "已被上报" in result.problems[0].message
    assert DataValue.objects.get().value == 1


def test_a_value_stored_meanwhile_is_upserted_not_lost(reporter, open_month, monkeypatch):
    # Both writers saw an empty cell; the second must update what the first stored.
    from bianhe.reporting.ingest import writers as module

    real_write = module.write

    def first_writer_wins_the_race(*args, **kwargs):
        monkeypatch.setattr(module, "write", real_write)
        assert do_save_values(reporter, [cell(open_month, "EXPORT", "5")]).ok
        return real_write(*args, **kwargs)

    monkeypatch.setattr(module, "write", first_writer_wins_the_race)
    assert do_save_values(reporter, [cell(open_month, "EXPORT", "6")]).ok
    assert DataValue.objects.get().value == 6
