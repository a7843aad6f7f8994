import re

from bianhe.audit.models import AuditLog
from bianhe.zones.models import OrgUnit


def rows(response):
    return response.content.decode().count("<tr data-code=")


def test_the_registry_page_shows_19_zones_for_2021_and_20_for_2024(client_for):
    client = client_for("ministry_analyst")
    assert rows(client.get("/zones/", {"year": 2021})) == 19
    assert rows(client.get("/zones/", {"year": 2024})) == 20


def test_the_htmx_filter_gets_only_the_table(client_for):
    client = client_for("ministry_analyst")
    response = client.get("/zones/", {"year": 2024, "kind": "cross_border"},
                          HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and rows(response) == 3


def test_the_registry_export_is_the_same_scoped_list_as_csv(client_for):
    text = client_for("xinjiang_reviewer").get("/zones/export.csv").content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("code,name_zh")
    assert len(lines) == 1 + 5 and all(",CN-XJ," in line for line in lines[1:])


def test_the_zone_page_shows_sources_and_marks_unverified_facts(client_for):
    html = client_for("ministry_analyst").get("/zones/BECZ-LN-01/").content.decode()
    assert "丹东边境经济合作区" in html and "neamco.com" in html
    # The approved area is unknown: it says so, and who may fill it in.
    assert "待补充（部级管理员可编辑）" in html


def test_sources_that_are_not_government_documents_are_references_to_verify(client_for):
    from bianhe.zones.sources import is_official_source

    assert is_official_source("商务部办公厅《关于……的通知》（商办资函〔2021〕163号）")
    assert is_official_source("https://www.mofcom.gov.cn/article/xxx.html")
    assert not is_official_source("https://neamco.com/01gmrb/x.htm")
    assert not is_official_source("https://gov.cn.example.com/x")
    html = client_for("ministry_analyst").get("/zones/BECZ-LN-01/").content.decode()
    section = html[html.index("参考来源"):]
    assert "neamco.com" in section[:1000] and "待核实" in section[:1000]
    assert "资料来源" not in html


def test_an_empty_fact_is_never_silently_blank(client_for):
    zone = OrgUnit.objects.get(code="BECZ-GX-01")
    OrgUnit.objects.filter(pk=zone.pk).update(host_area="", notes="", area_basis="")
    html = client_for("pingxiang_reporter").get(f"/zones/{zone.code}/").content.decode()
    blank = re.findall(r"<dd>\s*</dd>", html)
    assert not blank, blank
    assert html.count("待补充（部级管理员可编辑）") >= 3


def test_an_edit_with_an_impossible_validity_is_refused_in_chinese(client_for):
    client = client_for("ministry_admin")
    zone = OrgUnit.objects.get(code="BECZ-GX-01")
    form = client.get(f"/zones/{zone.code}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(valid_from="2030-01-01", valid_to="2020-01-01")
    response = client.post(f"/zones/{zone.code}/edit/", data)
    assert response.status_code == 200
    assert "有效期" in response.content.decode()
    zone.refresh_from_db()
    assert zone.valid_from is None
    assert not AuditLog.objects.filter(action="zones.orgunit.update").exists()


def test_an_administrator_adds_a_zone_which_counts_from_its_validity(client_for):
    client = client_for("ministry_admin")
    province = OrgUnit.objects.get(code="CN-XJ")
    response = client.post("/zones/new/", {
        "code": "BECZ-XJ-09", "parent": province.pk, "name_zh": "测试边境经济合作区",
        "kind": "border", "valid_from": "2026-06-01", "neighbour_countries": "哈萨克斯坦、蒙古国"})
    assert response.status_code == 302, response.context["form"].errors
    zone = OrgUnit.objects.get(code="BECZ-XJ-09")
    assert zone.path == "/MOFCOM/CN-XJ/BECZ-XJ-09/"
    assert zone.neighbour_countries == ["哈萨克斯坦", "蒙古国"]
    assert OrgUnit.objects.zones().active_in_year(2025).count() == 20
    assert OrgUnit.objects.zones().active_in_year(2026).count() == 21
    assert AuditLog.objects.filter(action="zones.orgunit.create", object_id=str(zone.pk),
                                   source="web").exists()


def test_a_duplicate_zone_code_is_refused(client_for):
    client = client_for("ministry_admin")
    province = OrgUnit.objects.get(code="CN-XJ")
    response = client.post("/zones/new/", {"code": "BECZ-XJ-01", "parent": province.pk,
                                           "name_zh": "重复", "kind": "border"})
    assert response.status_code == 200
    assert "已存在" in response.content.decode()
    assert OrgUnit.objects.filter(code="BECZ-XJ-01").get().name_zh == "伊宁边境经济合作区"


def test_the_home_page_of_each_role_shows_what_it_can_reach(client_for):
    admin = client_for("ministry_admin").get("/").content.decode()
    assert "/audit/" in admin and "/accounts/users/" in admin
    reporter = client_for("pingxiang_reporter").get("/").content.decode()
    assert "凭祥边境经济合作区" in reporter and "/audit/" not in reporter


def test_english_is_one_switch_away(client_for):
    client = client_for("ministry_analyst")
    client.post("/i18n/setlang/", {"language": "en", "next": "/zones/"})
    html = client.get("/zones/").content.decode()
    assert "Zone registry" in html and "Dandong Border Economic Cooperation Zone" in html
