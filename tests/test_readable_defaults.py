"""Issue 11, section 6: pages open where their reader needs them, in Chinese words."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from django.utils import timezone

from bianhe.reporting.models import Report, Status
from personas import PASSWORD, PERSONAS
from visible_text import visible_text

HALF_WIDTH_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:()]|[,;:()][\u4e00-\u9fff]")
PERIOD_CODE = re.compile(r"\b\d{4}(?:M\d{2}|Q[1-4])\b")


def test_completeness_and_timeliness_open_on_the_monthly_form_of_this_year(client_for, catalogue):
    client = client_for("ministry_analyst")
    page = client.get("/quality/completeness/")
    assert page.context["form"].frequency == "monthly"
    assert page.context["year"] == timezone.localdate().year
    page = client.get("/reporting/timeliness/")
    assert page.context["form"].frequency == "monthly"
    html = page.content.decode()
    # A period picker, not a code box.
    assert '<select name="period">' in html and 'type="text" name="period"' not in html


def test_the_completeness_matrix_says_each_state_in_chinese(client_for, catalogue):
    html = client_for("xinjiang_reviewer").get("/quality/completeness/").content.decode()
    titles = re.findall(r'<td class="state-[a-z_]+"\s+title="([^"]*)"', html)
    assert titles and all(re.search(r"[\u4e00-\u9fff]", t) for t in titles), titles[:3]
    assert not {"on_time", "late", "missing", "pending"} & set(titles)
    assert not PERIOD_CODE.search(html.split('id="completeness-matrix"')[1].split("</thead>")[0])


def _returned(people, zone_code, period):
    """A report of ``period`` returned to the zone (written directly: old windows are shut)."""
    from bianhe.catalog.models import CatalogVersion
    from bianhe.periods import Period
    from bianhe.reporting.models import ReportForm
    from bianhe.zones.models import OrgUnit

    parsed = Period.parse(period)
    form = ReportForm.objects.get(frequency=parsed.frequency)
    zone = OrgUnit.objects.get(code=zone_code)
    return Report.objects.create(
        zone=zone, form=form, period=period, province_code=zone.parent.code,
        catalog_version=CatalogVersion.objects.filter(year__lte=parsed.year)
        .order_by("-year").first() or CatalogVersion.objects.order_by("year").first(),
        deadline=parsed.deadline(form.deadline_days), status=Status.RETURNED,
        returned_reason="请核实。")


def test_a_reporter_sees_this_years_returns_first_and_older_ones_folded(client_for, people,
                                                                         open_month):
    old = f"{open_month.year - 3}M06"
    _returned(people, "BECZ-GX-01", old)
    _returned(people, "BECZ-GX-01", open_month.code)
    client = client_for("pingxiang_reporter")
    for url in ("/reporting/", "/"):
        html = client.get(url).content.decode()
        folded = html.split("<details", 1)
        assert len(folded) == 2, url
        old_label = f"{open_month.year - 3}年6月" if url == "/reporting/" else \
            f"{open_month.year - 3}年1—6月"
        assert old_label in folded[1] and old_label not in folded[0], url
        assert open_month.label(cumulative=url == "/") in folded[0], url
    listing = client.get("/reporting/").content.decode()
    shown = " ".join(visible_text(listing))
    assert not PERIOD_CODE.search(shown), "period codes in the list"
    assert '<select name="period"' in listing


def test_the_report_list_filters_by_a_period_chosen_from_a_list(client_for, people, open_month):
    _returned(people, "BECZ-GX-01", open_month.code)
    client = client_for("pingxiang_reporter")
    page = client.get("/reporting/", {"period": open_month.code})
    assert list(page.context["page"]) and \
        all(r.period == open_month.code for r in page.context["page"])
    assert (open_month.code, open_month.label()) in page.context["filters"].fields[
        "period"].choices


def test_an_observer_lands_on_the_dashboard_and_others_on_the_home_page(client, people):
    response = client.post("/accounts/login/", {"username": PERSONAS["northeast_observer"]
                                                .username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/analytics/"
    client.logout()
    response = client.post("/accounts/login/", {"username": PERSONAS["xinjiang_reviewer"]
                                                .username, "password": PASSWORD})
    assert response["Location"] == "/"


def test_the_data_quality_menu_opens_on_completeness_for_those_who_review_nothing(client_for):
    html = client_for("northeast_observer").get("/").content.decode()
    assert 'href="/quality/completeness/">数据质量' in html
    html = client_for("xinjiang_reviewer").get("/").content.decode()
    assert 'href="/quality/">数据质量' in html


def test_the_ministry_is_told_how_many_reports_wait_for_its_acceptance(client_for, people,
                                                                       open_month):
    _returned(people, "BECZ-GX-01", open_month.code)
    Report.objects.update(status=Status.APPROVED)
    html = client_for("ministry_admin").get("/").content.decode()
    assert "1张报表等待您确认" in html


def test_due_dates_in_notices_are_written_in_chinese(people, catalogue):
    from bianhe.reporting.notices import notices_for

    texts = [n["text"] for n in notices_for(people["pingxiang_reporter"])]
    assert texts, "the reporter has something due"
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", t) for t in texts), texts
    assert any(re.search(r"\d{4}年\d{1,2}月\d{1,2}日", t) for t in texts), texts


def test_a_favicon_is_linked_from_every_page(client_for):
    import bianhe.web

    html = client_for("ministry_analyst").get("/").content.decode()
    assert 'rel="icon"' in html and "web/favicon.svg" in html
    icon = Path(bianhe.web.__file__).parent / "static" / "web" / "favicon.svg"
    assert icon.read_text(encoding="utf-8").startswith("<svg")


def test_rules_and_outlier_settings_are_in_words(client_for, catalogue):
    from bianhe.quality.actions import ensure_default_rules

    ensure_default_rules()
    client = client_for("ministry_admin")
    html = client.get("/quality/rules/").content.decode()
    table = html.split('id="rules"')[1].split("</table>")[0]
    assert "TRADE_TOTAL" not in table and "进出口总额" in table
    assert "monthly" not in table and "quarterly" not in table
    assert "sum(" not in table and "abs(" not in table
    assert '<select name="period_from">' in html and 'type="text" name="period_from"' not in html
    html = client.get("/quality/outliers/").content.decode()
    assert "docs/" not in html and ".md" not in html
    assert "> modified_z<" not in html and "修正z分数" in html


def test_system_is_written_as_such_on_the_runs_list(client_for):
    from bianhe.quality.models import QualityRun

    QualityRun.objects.create(period_from="2025M01", period_to="2025M12", actor_name="system")
    html = client_for("ministry_admin").get("/quality/runs/").content.decode()
    assert "系统" in html and ">system<" not in html
    assert "2025年1月—2025年12月" in html


def test_the_demo_login_table_names_roles_and_scopes_in_chinese(registry):
    from bianhe.demo.users import ensure_demo_users
    from bianhe.roles import Role

    logins = ensure_demo_users()
    roles = {row[1] for row in logins}
    assert roles == {"部级管理员", "部级分析员", "省级审核员", "园区填报员", "观察员"}
    assert not roles & set(Role.values)
    observer = next(row for row in logins if row[0] == "demo-observer")
    assert observer[2] == "广西壮族自治区、云南省"


def test_demo_texts_and_the_catalogue_use_full_width_punctuation():
    import bianhe.catalog
    from bianhe.demo.build import MINISTRY_RETURN_REASON, RETURN_REASONS
    from bianhe.demo.quality import EXPLANATIONS

    for text in (*EXPLANATIONS, *RETURN_REASONS, MINISTRY_RETURN_REASON):
        assert not HALF_WIDTH_IN_CHINESE.search(text), text
    path = Path(bianhe.catalog.__file__).parent / "data" / "indicators.csv"
    with path.open(encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert len({len(row) for row in rows}) == 1, "every row has the header's fields"
    header = rows[0]
    for row in rows[1:]:
        for field in ("name_zh", "definition", "notes"):
            text = row[header.index(field)]
            assert not HALF_WIDTH_IN_CHINESE.search(text), (row[0], field, text)
