"""The audit log reads as Chinese: actions and object types by label, changes as
"字段：旧值 → 新值" with field names and choice labels (never JSON), choice-list filters,
系统 for the platform, Excel-import rows with the IP and the report; the zone change
history reads the same."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from django.utils import translation

from bianhe.audit.actions import record
from bianhe.audit.labels import ACTION_LABELS
from bianhe.audit.models import AuditLog, Source
from bianhe.reporting.models import Report
from bianhe.reporting.workflow import TRANSITIONS
from bianhe.zones.actions import do_update_org_unit
from bianhe.zones.models import OrgUnit
from test_excel import ZONE, download, fill, month, upload  # noqa: F401 (month: fixture)

SRC = Path(__file__).resolve().parent.parent / "src" / "bianhe"


def main_text(response) -> str:
    page = response.content.decode()
    return page[page.index("<main"):page.index("</main>")]


def area_label() -> str:
    with translation.override("zh-hans"):
        return str(OrgUnit._meta.get_field("area_km2").verbose_name)


def change_area(people, code="BECZ-GX-01"):
    zone = OrgUnit.objects.get(code=code)
    admin = people["ministry_admin"]
    if zone.area_km2 is not None:
        do_update_org_unit(admin, zone, {"area_km2": None})
    do_update_org_unit(admin, OrgUnit.objects.get(code=code), {"area_km2": Decimal("12.5")})
    return zone


def test_a_zone_area_change_reads_field_old_and_new_value(client_for, people):
    zone = change_area(people)
    client = client_for("ministry_admin")
    page = main_text(client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert f"{area_label()}：— → 12.5" in page
    table = page[page.index("<table"):]
    assert "修改组织单元" in table and "zones.orgunit" not in table
    assert "{" not in page
    history = main_text(client.get(f"/zones/{zone.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert f"{area_label()}：— → 12.5" in history and "{" not in history
    assert "修改组织单元" in history


def test_choice_fields_show_their_labels_and_the_platform_is_system(client_for, db):
    record(actor=None, action="reporting.report.approve", object_type="reporting.report",
           object_id="7", object_repr="某报表", before={"status": "submitted"},
           after={"status": "approved"}, source=Source.SYSTEM)
    page = main_text(client_for("ministry_admin").get("/audit/",
                                                      HTTP_ACCEPT_LANGUAGE="zh-hans"))
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>", page)
    assert ("系统", "报表审核通过") in rows
    table = page[page.index("<table"):]
    assert "状态：已上报 → 省级已审核" in table and "system" not in table


def test_the_filters_are_choice_lists(client_for, people):
    change_area(people)
    client = client_for("ministry_admin")
    page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for name in ("action", "object_type", "source"):
        assert re.search(rf'<select name="{name}"', page), name
    assert '<option value="zones.orgunit.update">修改组织单元</option>' in page
    filtered = client.get("/audit/?action=zones.orgunit.update")
    assert {e.action for e in filtered.context["page"]} == {"zones.orgunit.update"}
    assert client.get("/audit/?action=zones.orgunit").context["form"].errors


def test_every_recorded_action_has_a_label():
    names = set()
    for path in SRC.rglob("*.py"):
        names |= set(re.findall(r'action="([a-z_]+(?:\.[a-z_]+)+)"', path.read_text("utf-8")))
    names |= {f"reporting.report.{name}" for name in TRANSITIONS}
    names |= {"quality.rule.create", "quality.rule.change"}  # built with a conditional
    assert names and names <= set(ACTION_LABELS), sorted(names - set(ACTION_LABELS))


def test_the_csv_export_keeps_raw_values_and_adds_readable_columns(client_for, people):
    change_area(people)
    response = client_for("ministry_admin").get("/audit/export.csv?action=zones.orgunit.update",
                                                HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    newest = rows[0]
    assert newest["action"] == "zones.orgunit.update" and '"area_km2"' in newest["after"]
    assert newest["action_label"] == "修改组织单元"
    assert newest["changes"] == f"{area_label()}：— → 12.5"


def test_an_excel_import_row_carries_the_ip_and_the_report(client_for, month):  # noqa: F811
    client = client_for("pingxiang_reporter")
    data = fill(download(client, month), {(ZONE, "TRADE_TOTAL", ""): 100,
                                          (ZONE, "EXPORT", ""): 60, (ZONE, "IMPORT", ""): 40})
    response = upload(client, month, data)
    assert response.status_code == 200
    report = Report.objects.get(zone__code=ZONE, form__code="BH-M", period=month.code)
    log = AuditLog.objects.get(action="reporting.values.import")
    assert log.ip_address == "127.0.0.1"
    assert log.object_id == str(report.pk) and log.after["reports"] == [report.pk]


def test_indicator_codes_recorded_in_a_row_are_shown_by_name(client_for, catalogue):
    record(actor=None, action="quality.explanation.write", object_type="reporting.report",
           object_id="9", object_repr="凭祥 2026年11月 BORDER_SMALL_TRADE",
           after={"text": "口岸临时关闭"}, source=Source.WEB)
    record(actor=None, action="quality.rule.create", object_type="quality.rule",
           object_id="R99", object_repr="R99", after={"expression": "EXPORT + IMPORT == "
                                                      "TRADE_TOTAL", "frequencies": ["monthly"]},
           source=Source.CLI)
    page = main_text(client_for("ministry_admin").get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "凭祥 2026年11月 边境小额贸易额" in page
    assert "出口额 + 进口额 == 进出口总额" in page
    assert "月度" in page
    for code in ("BORDER_SMALL_TRADE", "TRADE_TOTAL", "monthly"):
        assert code not in page
