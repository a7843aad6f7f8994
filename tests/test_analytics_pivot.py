"""The pivot page, its XLSX and CSV exports and saved views, through the web client."""

from __future__ import annotations

import codecs
import datetime as dt
import html
import io
import math
import re
from urllib.parse import urlencode

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from python_calamine import CalamineWorkbook

from analytics_data import put
from bianhe.analytics.actions import do_save_view
from bianhe.analytics.models import SavedView
from bianhe.analytics.queries import run
from bianhe.analytics.query import Query
from bianhe.audit.models import AuditLog
from bianhe.reporting.models import Report
from personas import PASSWORD

PIVOT, EXPORT = "/analytics/pivot/", "/analytics/pivot/export/"
GX1, GX2, XJ1 = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01"
LAST = dt.date.today().year - 1  # the default range ends with last year
PREVIOUS = LAST - 1


@pytest.fixture
def trade(catalogue):
    put({(GX1, f"{LAST}M12", "TRADE_TOTAL"): 1200.5, (GX2, f"{LAST}M12", "TRADE_TOTAL"): 300.25,
         (XJ1, f"{LAST}M12", "TRADE_TOTAL"): 50, (GX1, f"{PREVIOUS}M12", "TRADE_TOTAL"): 1000,
         (GX1, f"{LAST}M12", "EXPORT"): 700, (XJ1, f"{LAST}M12", "EXPORT"): 20})


DEMO_NOTE = "Demonstration data: not real statistics."  # 演示数据 in Chinese


def in_chinese(msgid: str, **values) -> str:
    """The message as the page shows it in the platform's language."""
    with translation.override("zh-hans"):
        text = gettext(msgid)
    return text % values if values else text


def table_rows(content: bytes) -> dict[str, list[str]]:
    """{data-row key: the cell texts} of the pivot table in a page."""
    page = content.decode()
    rows = {}
    for key, body in re.findall(r'<tr data-row="([^"]*)">(.*?)</tr>', page, re.S):
        rows[html.unescape(key)] = [html.unescape(re.sub(r"<sup[^>]*>.*?</sup>", "", cell))
                                    for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
    return rows


def params(**values) -> str:
    base = {"indicator": "TRADE_TOTAL", "level": "province", "granularity": "year",
            "start": str(PREVIOUS), "end": str(LAST)}
    base.update(values)
    return urlencode(base, doseq=True)


# --- the page ---------------------------------------------------------------------------------
def test_the_ministry_sees_trade_by_province_for_the_last_five_years_by_default(client_for,
                                                                               trade):
    response = client_for("ministry_admin").get(PIVOT)
    assert response.status_code == 200
    rows = table_rows(response.content)
    assert set(rows) == {"CN-GX", "CN-HL", "CN-JL", "CN-LN", "CN-NM", "CN-XJ", "CN-YN"}
    # Five years ending last year; 1,200.5 + 300.25 rounded half up.
    assert rows["CN-GX"] == ["—", "—", "—", "1,000.0", "1,500.8"]
    assert rows["CN-XJ"][-1] == "50.0"
    page = response.content.decode()
    assert f"{LAST - 4}年" in page and f"{LAST}年" in page
    assert 'id="pivot-chart-data"' in page
    assert html.escape(in_chinese("Basis: official figures, accepted by the ministry.")) in page


def test_a_zone_reporter_sees_only_its_zone_by_default(client_for, trade):
    response = client_for("pingxiang_reporter").get(PIVOT)
    assert response.status_code == 200
    rows = table_rows(response.content)
    assert list(rows) == [GX1]
    assert rows[GX1][-2:] == ["1,000.0", "1,200.5"]
    page = response.content.decode()
    assert GX2 not in page and XJ1 not in page
    assert "凭祥" in page or GX1 in page


def test_a_province_reviewer_choosing_zones_gets_its_provinces_zones_only(client_for, trade):
    response = client_for("xinjiang_reviewer").get(f"{PIVOT}?{params(level='zone')}")
    assert response.status_code == 200
    rows = table_rows(response.content)
    assert XJ1 in rows and GX1 not in rows
    assert rows[XJ1] == ["—", "50.0"]


@pytest.mark.parametrize("key", ["pingxiang_reporter", "xinjiang_reviewer",
                                 "northeast_observer"])
def test_no_scoped_user_sees_another_scopes_units_on_the_page_or_in_exports(
        client_for, trade, key):
    from openpyxl import load_workbook

    from personas import hidden_markers

    client = client_for(key)
    hidden = hidden_markers(key)
    for level in ("zone", "province", "orientation", "all"):
        query = params(level=level)
        texts = [client.get(f"{PIVOT}?{query}").content.decode(),
                 client.get(f"{EXPORT}?{query}&format=csv").content.decode("utf-8-sig")]
        sheet = load_workbook(io.BytesIO(
            client.get(f"{EXPORT}?{query}&format=xlsx").content)).active
        texts.append(" ".join(str(cell.value) for row in sheet.iter_rows() for cell in row))
        for text in texts:
            assert not sorted(marker for marker in hidden if marker in text), (level, key)


def test_indicators_in_the_columns_carry_their_units(client_for, trade):
    query = params(indicator=["TRADE_TOTAL", "EXPORT"], start=str(LAST), columns="indicator",
                   level="zone", unit=[GX1, XJ1])
    response = client_for("ministry_analyst").get(f"{PIVOT}?{query}")
    assert response.status_code == 200
    assert table_rows(response.content) == {GX1: ["1,200.5", "700.0"], XJ1: ["50.0", "20.0"]}
    assert "进出口总额（万元）" in response.content.decode()


def test_htmx_asks_the_same_view_for_the_table_only(client_for, trade):
    response = client_for("ministry_admin").get(f"{PIVOT}?{params()}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="pivot-table"' in page and "<html" not in page


@pytest.mark.parametrize(("query", "msgid", "values"), [
    (params(rows="region"), "Unknown dimension %(name)s; the dimensions are: %(allowed)s.",
     {"name": "region", "allowed": "indicator, unit, period, member, measure"}),
    (params(start=str(LAST), end=str(PREVIOUS)),
     "The period range %(first)s–%(last)s is in the wrong order.",
     {"first": f"{LAST}年", "last": f"{PREVIOUS}年"}),
    (params(indicator=["TRADE_TOTAL", "EXPORT"]),
     "%(dimension)s has %(count)d items: put it in the rows or the columns, or choose one "
     "item.", {"dimension": "INDICATOR", "count": 2}),
])
def test_a_query_that_cannot_run_answers_400_with_its_message_and_no_table(
        client_for, trade, query, msgid, values):
    if values.get("dimension") == "INDICATOR":
        values["dimension"] = in_chinese("Indicator")
    response = client_for("ministry_admin").get(f"{PIVOT}?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert html.escape(in_chinese(msgid, **values)) in page
    assert 'id="pivot-table"' not in page and 'id="export-xlsx"' not in page
    assert 'lang="zh-hans"' in page


def test_a_table_over_the_cell_limit_is_refused_before_it_is_computed(client_for, trade,
                                                                       settings):
    settings.BIANHE_PIVOT_MAX_CELLS = 100
    query = params(level="zone", granularity="month", start=f"{LAST}M01", end=f"{LAST}M12")
    response = client_for("ministry_admin").get(f"{PIVOT}?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="pivot-table"' not in page
    limit = in_chinese("This table would have %(cells)s cells; the limit is %(limit)s. "
                       "Choose fewer indicators, org units or periods.", cells="X", limit="100")
    assert html.escape(limit.split("X")[-1].split("100")[0]) in page
    export = client_for("ministry_admin").get(f"{EXPORT}?{query}&format=xlsx")
    assert export.status_code == 400
    assert export["Content-Type"].startswith("text/plain")


def test_only_reviewers_are_offered_and_may_use_unaccepted_data(client_for, trade):
    analyst = client_for("ministry_analyst")
    assert 'id="id_basis"' not in analyst.get(PIVOT).content.decode()
    refused = analyst.get(f"{PIVOT}?{params(basis='reviewed')}")
    assert refused.status_code == 400
    assert html.escape(in_chinese("Only reviewers may include data that is not yet accepted.")) \
        in refused.content.decode()
    reviewer = client_for("xinjiang_reviewer")
    assert 'id="id_basis"' in reviewer.get(PIVOT).content.decode()
    assert reviewer.get(f"{PIVOT}?{params(basis='reviewed')}").status_code == 200


def test_demo_figures_are_labelled_above_the_table(client_for, trade):
    Report.objects.update(is_demo=True)
    from bianhe.analytics.facts import rebuild

    rebuild()
    page = client_for("ministry_admin").get(PIVOT).content.decode()
    note = page.split('id="pivot-demo-note"')[1].split("</p>")[0]
    assert html.escape(in_chinese(DEMO_NOTE)) in note
    assert page.index('id="pivot-demo-note"') < page.index('id="pivot-table"')


# --- exports ----------------------------------------------------------------------------------
def engine_figures(user, **kwargs) -> dict[tuple[str, str], float]:
    query = Query(**{"indicators": ("TRADE_TOTAL",), "level": "province", "start": str(PREVIOUS),
                     "end": str(LAST), **kwargs})
    result = run(user, query)
    return {(row.unit, row.period): row.value for row in result.frame.itertuples()
            if not math.isnan(row.value)}


def xlsx_rows(content: bytes) -> list[list]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return workbook.get_sheet_by_index(0).to_python()


def test_the_xlsx_export_holds_numbers_equal_to_the_engines_with_unit_and_notes(
        client_for, people, trade):
    response = client_for("ministry_admin").get(f"{EXPORT}?{params()}&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == \
        f'attachment; filename="analytics-TRADE_TOTAL-{PREVIOUS}-{LAST}.xlsx"'
    rows = xlsx_rows(response.content)
    assert "进出口总额" in rows[0][0] and f"{PREVIOUS}年—{LAST}年" in rows[0][0]
    assert "万元" in rows[1][0]
    header_at = next(i for i, row in enumerate(rows) if row[0] == in_chinese("Org unit"))
    assert rows[header_at][1:3] == [f"{PREVIOUS}年", f"{LAST}年"]
    # In the earlier year only one of 广西's two zones reported: its label says so.
    labels = {"广西壮族自治区（已确认1/2）": "CN-GX", "新疆维吾尔自治区（已确认1/5）": "CN-XJ"}
    figures = {}
    for row in rows[header_at + 1:header_at + 8]:
        for year, cell in zip((str(PREVIOUS), str(LAST)), row[1:3], strict=True):
            if cell != "":
                assert isinstance(cell, float)
                figures[(labels[row[0]], year)] = cell
    assert figures == engine_figures(people["ministry_admin"])
    assert figures[("CN-GX", str(LAST))] == 1500.75  # full precision, shown with 1 decimal
    assert rows[header_at + 8][0] == "已确认园区"
    assert rows[header_at + 8][1:3] == ["1/20", "3/20"]
    notes = [row[0] for row in rows[header_at + 9:] if row and row[0]]
    assert notes[0] == in_chinese("Notes")
    assert in_chinese("Basis: official figures, accepted by the ministry.") in notes


def test_the_xlsx_number_formats_follow_the_decimals(client_for, trade):
    from openpyxl import load_workbook

    content = client_for("ministry_admin").get(f"{EXPORT}?{params()}&format=xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    numbers = [cell for row in sheet.iter_rows() for cell in row
               if isinstance(cell.value, float | int) and not isinstance(cell.value, bool)]
    assert numbers and {cell.number_format for cell in numbers} == {"#,##0.0"}


def test_the_demo_note_comes_first_in_the_exports(client_for, trade):
    Report.objects.update(is_demo=True)
    from bianhe.analytics.facts import rebuild

    rebuild()
    client = client_for("ministry_admin")
    rows = xlsx_rows(client.get(f"{EXPORT}?{params()}&format=xlsx").content)
    assert rows[2][0] == in_chinese(DEMO_NOTE)
    notes_at = next(i for i, row in enumerate(rows) if row[0] == in_chinese("Notes"))
    assert rows[notes_at + 1][0] == in_chinese(DEMO_NOTE)
    text = client.get(f"{EXPORT}?{params()}&format=csv").content.decode("utf-8-sig")
    assert text.splitlines()[2] == f"# {in_chinese(DEMO_NOTE)}"


def test_the_csv_export_has_a_bom_the_table_and_commented_notes(client_for, people, trade):
    response = client_for("ministry_admin").get(f"{EXPORT}?{params()}&format=csv")
    assert response.status_code == 200
    assert response.content.startswith(codecs.BOM_UTF8)
    assert response["Content-Disposition"].endswith(f'-{PREVIOUS}-{LAST}.csv"')
    frame = pd.read_csv(io.BytesIO(response.content), comment="#", encoding="utf-8-sig",
                        index_col=0)
    assert list(frame.columns) == [f"{PREVIOUS}年", f"{LAST}年"]
    guangxi = "广西壮族自治区（已确认1/2）"  # one of two zones in the earlier year
    assert frame.loc[guangxi, f"{LAST}年"] == 1500.8
    assert frame.loc["新疆维吾尔自治区（已确认1/5）", f"{LAST}年"] == 50.0
    assert math.isnan(frame.loc["新疆维吾尔自治区（已确认1/5）", f"{PREVIOUS}年"])
    engine = engine_figures(people["ministry_admin"])
    assert frame.loc[guangxi, f"{PREVIOUS}年"] == engine[("CN-GX", str(PREVIOUS))]
    comments = [line for line in response.content.decode("utf-8-sig").splitlines()
                if line.startswith("# ")]
    assert "万元" in comments[1]
    assert f"# {in_chinese('Basis: official figures, accepted by the ministry.')}" in comments


def test_an_export_of_a_bad_query_is_a_400_text(client_for, trade):
    client = client_for("ministry_admin")
    response = client.get(f"{EXPORT}?{params(rows='region')}&format=csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "region" in response.content.decode()
    assert client.get(f"{EXPORT}?{params()}&format=pdf").status_code == 400


# --- saved views ------------------------------------------------------------------------------
def save(client, name, query=None, **extra):
    data = {"indicator": "TRADE_TOTAL", "level": "province", "granularity": "year",
            "start": str(PREVIOUS), "end": str(LAST), "rows": "unit", "columns": "period",
            "name": name, **extra}
    data.update(query or {})
    return client.post("/analytics/views/save/", data)


def test_saving_a_view_is_audited_and_opens_the_pivot_with_it(client_for, people, trade):
    client = client_for("ministry_admin")
    response = save(client, "广西贸易")
    view = SavedView.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PIVOT}?view={view.pk}"
    assert view.owner == people["ministry_admin"] and view.query["indicator"] == ["TRADE_TOTAL"]
    entry = AuditLog.objects.get(action="analytics.view.save")
    assert entry.after["name"] == "广西贸易" and entry.before is None
    assert entry.actor == people["ministry_admin"] and entry.source == "web"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert table_rows(page.content)["CN-GX"] == ["1,000.0", "1,500.8"]
    assert "广西贸易" in page.content.decode()
    # Saving under the same name changes that view.
    save(client, "广西贸易", {"measure": "yoy"}, is_shared="1")
    view = SavedView.objects.get()
    assert view.query["measure"] == "yoy" and view.is_shared
    assert AuditLog.objects.filter(action="analytics.view.save").count() == 2
    assert AuditLog.objects.filter(action="analytics.view.save").first().before["is_shared"] \
        is False


@pytest.mark.parametrize("bad", [{"rows": "region"}, {"start": str(LAST), "end": str(PREVIOUS)},
                                 {"indicator": "NO_SUCH_THING"}, {"basis": "reviewed"}])
def test_a_bad_query_saves_nothing(client_for, trade, bad):
    response = save(client_for("ministry_analyst"), "坏视图", bad)
    assert response.status_code == 400
    assert not SavedView.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="analytics.view").exists()


@pytest.mark.parametrize("name", ["", "   ", "长" * 101])
def test_a_view_needs_a_name_of_at_most_100_characters(client_for, trade, name):
    response = save(client_for("ministry_analyst"), name)
    assert response.status_code == 400
    assert not SavedView.objects.exists()


def test_a_shared_view_is_seen_by_the_same_scope_only(client_for, people, trade):
    from bianhe.accounts.actions import do_create_user
    from bianhe.audit.models import Source
    from bianhe.zones.models import OrgUnit

    reviewer = people["xinjiang_reviewer"]
    shared = do_save_view(reviewer, "新疆贸易", Query(indicators=("TRADE_TOTAL",), level="zone",
                                                   start=str(PREVIOUS), end=str(LAST)), True)
    private = do_save_view(reviewer, "草稿", Query(indicators=("EXPORT",), level="zone",
                                                 start=str(PREVIOUS), end=str(LAST)), False)
    observer = do_create_user(None, username="xj-observer", password=PASSWORD,
                              role="observer", scope_units=[OrgUnit.objects.get(code="CN-XJ")],
                              source=Source.CLI)
    client = client_for("northeast_observer")
    client.force_login(observer)
    page = client.get(PIVOT).content.decode()
    assert "新疆贸易" in page and "草稿" not in page
    opened = client.get(f"{PIVOT}?view={shared.pk}")
    assert opened.status_code == 200
    assert XJ1 in table_rows(opened.content)
    assert "新疆贸易" in opened.content.decode() and reviewer.username in opened.content.decode()
    assert client.get(f"{PIVOT}?view={private.pk}").status_code == 404
    # Not the owner: the view cannot be deleted, and answers as if absent.
    assert client.post(f"/analytics/views/{shared.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=shared.pk).exists()

    other = client_for("northeast_observer")
    assert "新疆贸易" not in other.get(PIVOT).content.decode()
    assert other.get(f"{PIVOT}?view={shared.pk}").status_code == 404
    assert other.get(f"{EXPORT}?view={shared.pk}").status_code == 404
    ministry = client_for("ministry_analyst")
    assert ministry.get(f"{PIVOT}?view={shared.pk}").status_code == 404


def test_the_owner_deletes_a_view_and_it_is_audited(client_for, people, trade):
    view = do_save_view(people["ministry_admin"], "全部", Query(
        indicators=("TRADE_TOTAL",), start=str(PREVIOUS), end=str(LAST)), True)
    assert client_for("ministry_analyst").post(
        f"/analytics/views/{view.pk}/delete/").status_code == 404
    response = client_for("ministry_admin").post(f"/analytics/views/{view.pk}/delete/")
    assert response.status_code == 302
    assert not SavedView.objects.exists()
    entry = AuditLog.objects.get(action="analytics.view.delete")
    assert entry.before["name"] == "全部" and entry.object_id == str(view.pk)
    assert client_for("ministry_admin").get(f"{PIVOT}?view={view.pk}").status_code == 404
    assert client_for("ministry_admin").get(f"{PIVOT}?view=abc").status_code == 404


def test_a_view_of_an_indicator_removed_from_the_catalogue_shows_why(client_for, people,
                                                                     trade):
    from bianhe.catalog.models import Indicator

    view = do_save_view(people["ministry_admin"], "出口", Query(
        indicators=("EXPORT",), start=str(PREVIOUS), end=str(LAST)), False)
    deleted, _by_model = Indicator.objects.filter(code="EXPORT").delete()
    assert deleted == 3  # one per catalogue year; nothing protects an indicator row
    client = client_for("ministry_admin")
    response = client.get(f"{PIVOT}?view={view.pk}")
    assert response.status_code == 400
    page = response.content.decode()
    assert html.escape(in_chinese("Unknown indicator: %(codes)s.", codes="EXPORT")) in page
    assert 'id="pivot-table"' not in page
    assert client.get(f"{EXPORT}?view={view.pk}&format=xlsx").status_code == 400


def test_the_page_costs_the_same_queries_for_more_saved_views(client_for, people, trade,
                                                               django_assert_num_queries):
    client = client_for("ministry_admin")

    def add(names):
        for name in names:
            do_save_view(people["ministry_analyst"], name, Query(
                indicators=("TRADE_TOTAL",), start=str(PREVIOUS), end=str(LAST)), True)

    add(["一"])
    client.get(PIVOT)
    with CaptureQueriesContext(connection) as before:
        assert client.get(PIVOT).status_code == 200
    add(["二", "三", "四", "五"])
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(PIVOT)


# --- the layout, without the database ------------------------------------------------------------
def hand_made_result(**query):
    from bianhe.analytics.queries import Result

    frame = pd.DataFrame({
        "indicator": ["A", "A", "A", "A", "B", "B", "B"],
        "unit": ["U1", "U1", "U2", "U2", "U1", "U1", "U2"],
        "period": ["2024", "2025", "2024", "2025", "2024", "2025", "2024"],
        "member": "_T",
        "value": [1234.25, 2000.0, float("nan"), 5.0, 0.123, 0.5, -0.04],
    })
    return Result(
        query=Query(indicators=("A", "B"), start="2024", end="2025", **query), frame=frame,
        labels={"indicator": {"A": "甲", "B": "乙"}, "unit": {"U1": "一区", "U2": "二区"},
                "period": {"2024": "2024年", "2025": "2025年"}, "member": {"_T": "合计"}},
        order={"indicator": ["A", "B"], "unit": ["U1", "U2"], "period": ["2024", "2025"],
               "member": ["_T"]},
        measure_units={"A": "万元", "B": "%"}, decimals={"A": 1, "B": 2})


def test_two_row_dimensions_nest_with_the_outer_label_spanning_its_rows():
    from bianhe.analytics.pivot import layout

    table = layout(hand_made_result(rows=("indicator", "unit"), columns=("period",)))
    assert [row.key for row in table.rows] == [("A", "U1"), ("A", "U2"), ("B", "U1"),
                                               ("B", "U2")]
    assert [(h.text, h.span) for h in table.rows[0].headers] == [("甲（万元）", 2), ("一区", 1)]
    assert table.rows[1].headers[0] is None
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["1,234.3", "2,000.0"], ["—", "5.0"], ["0.12", "0.50"], ["-0.04", "—"]]
    assert table.unit_note == ""


def test_two_column_dimensions_give_two_header_rows():
    from bianhe.analytics.pivot import layout

    table = layout(hand_made_result(rows=("unit",), columns=("indicator", "period")))
    assert [[(h.text, h.span) for h in row] for row in table.header_rows] == [
        [("甲（万元）", 2), ("乙（%）", 2)],
        [("2024年", 1), ("2025年", 1), ("2024年", 1), ("2025年", 1)]]
    assert [cell.decimals for cell in table.rows[0].cells] == [1, 1, 2, 2]
    assert table.rows[0].cells[0].value == 1234.25


def test_a_dimension_off_the_axes_must_have_one_item():
    from bianhe.analytics.pivot import layout
    from bianhe.analytics.query import QueryError

    with pytest.raises(QueryError):
        layout(hand_made_result(rows=("unit",), columns=("period",)))


def test_a_radar_has_one_axis_per_column_with_its_own_scale():
    from bianhe.analytics.pivot import chart_data

    chart = chart_data(hand_made_result(rows=("unit",), columns=("indicator", "period"),
                                        chart="radar"))
    assert chart["type"] == "radar" and len(chart["axes"]) == 4
    assert chart["axes"][0]["max"] >= 1234.25 and chart["axes"][2]["min"] < 0
    assert chart["series"][0] == {"name": "一区", "data": [1234.3, 2000.0, 0.12, 0.5]}
    few = chart_data(hand_made_result(rows=("unit", "period"), columns=("indicator",),
                                      chart="radar"))
    assert few["type"] == "bar" and few["note"]


def test_with_many_zones_the_zone_filter_is_typed_as_codes_and_still_works(
        client_for, trade, monkeypatch):
    from bianhe.analytics import views

    monkeypatch.setattr(views, "UNIT_OPTIONS_MAX", 5)  # the 20 registry zones are "many"
    client = client_for("ministry_admin")
    page = client.get(PIVOT).content.decode()
    assert 'id="id_unit_codes"' in page and f'value="{GX2}"' not in page
    response = client.get(PIVOT, {"indicator": "TRADE_TOTAL", "level": "zone",
                                  "unit": f"{GX1},{XJ1}", "start": str(LAST), "end": str(LAST)})
    assert set(table_rows(response.content)) == {GX1, XJ1}
