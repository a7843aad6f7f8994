import csv
import io
import json

import pytest

from bianhe.audit.actions import record
from bianhe.audit.models import AppendOnlyError, AuditLog
from bianhe.zones.models import OrgUnit
from personas import PERSONAS


def test_editing_a_zone_on_the_web_writes_one_audit_row_with_before_and_after(client, people):
    client.force_login(people["ministry_admin"])
    zone = OrgUnit.objects.get(code="BECZ-GX-02")
    form = client.get(f"/zones/{zone.code}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["neighbour_countries"] = "越南"
    data["area_km2"] = "12.5"
    data["area_basis"] = "测试口径"
    response = client.post(f"/zones/{zone.code}/edit/", data, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    entry = AuditLog.objects.get(action="zones.orgunit.update")
    assert entry.before == {"area_km2": None, "area_basis": "未检索到"}
    assert entry.after == {"area_km2": "12.5", "area_basis": "测试口径"}
    assert (entry.actor, entry.source, entry.ip_address) == (
        people["ministry_admin"], "web", "10.1.2.3")


def test_audit_rows_can_be_neither_changed_nor_deleted(unseeded):
    entry = record(actor=None, action="test.thing", object_type="test", source="cli")
    entry.action = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.all().update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get().action == "test.thing"


def test_an_unknown_source_is_refused(db):
    with pytest.raises(ValueError, match="unknown audit source"):
        record(actor=None, action="x", object_type="x", source="email")


def test_the_audit_page_filters_by_action_and_source(client, people):
    client.force_login(people["ministry_admin"])
    page = client.get("/audit/", {"action": "accounts.user.create", "source": "cli"})
    entries = list(page.context["page"])
    assert len(entries) == len(PERSONAS)  # one per persona
    assert {entry.action for entry in entries} == {"accounts.user.create"}
    assert client.get("/audit/", {"since": "2026-02-01", "until": "2026-01-01"}
                      ).context["form"].errors


def test_the_audit_export_is_csv_that_a_reader_parses(client, people):
    client.force_login(people["ministry_admin"])
    response = client.get("/audit/export.csv", {"action": "zones.orgunit.create"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 28
    dandong = next(row for row in rows if "丹东" in row["object_repr"])
    assert json.loads(dandong["after"])["code"] == "BECZ-LN-01"
    assert dandong["source"] == "cli" and dandong["actor_name"] == "system"


def test_forwarded_addresses_are_believed_only_behind_configured_proxies(rf, settings):
    from bianhe.audit.actions import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.9",
                     HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.BIANHE_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.9"  # a client can write any X-Forwarded-For
    settings.BIANHE_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # the address our proxy appended
