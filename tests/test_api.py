import pytest

from bianhe.audit.models import AuditLog
from bianhe.zones.models import OrgUnit


def test_the_openapi_document_lists_the_registry_routes(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/zones" in spec["paths"] and "/api/v1/zones/{code}" in spec["paths"]
    assert "patch" in spec["paths"]["/api/v1/zones/{code}"]


def test_the_zone_list_answers_the_year_and_province_filters(client_for):
    client = client_for("ministry_analyst")
    assert len(client.get("/api/v1/zones", {"year": 2021}).json()) == 19
    assert len(client.get("/api/v1/zones", {"year": 2024}).json()) == 20
    yunnan = client.get("/api/v1/zones", {"year": 2024, "province": "CN-YN"}).json()
    assert {zone["code"] for zone in yunnan} == {
        "BECZ-YN-01", "BECZ-YN-02", "BECZ-YN-03", "BECZ-YN-04", "CBECZ-YN-01"}
    assert client.get("/api/v1/zones", {"year": "next"}).status_code == 422


def test_me_tells_the_caller_its_role_and_scope(client_for):
    me = client_for("northeast_observer").get("/api/v1/me").json()
    assert me["role"] == "observer" and me["scope"] == ["BECZ-HL-01", "CN-LN"]


def test_an_administrator_patches_a_zone_and_the_change_is_audited_as_api(client_for):
    client = client_for("ministry_admin")
    response = client.patch("/api/v1/zones/BECZ-XJ-04", {"area_km2": 2.5,
                                                         "valid_to": "2030-12-31"},
                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["area_km2"] == 2.5
    entry = AuditLog.objects.get(action="zones.orgunit.update")
    assert entry.source == "api"
    assert entry.after == {"area_km2": "2.5", "valid_to": "2030-12-31"}


@pytest.mark.parametrize("payload", [
    {"code": "NEW-CODE"},  # not editable
    {"area_km2": -1},
    {"area_km2": "2.5"},  # strict: a string is not a number
    {"valid_from": "2030-01-01", "valid_to": "2020-01-01"},
    {"kind": "inland"},
])
def test_a_bad_patch_is_refused_and_writes_nothing(client_for, payload):
    client = client_for("ministry_admin")
    before = list(OrgUnit.objects.values())
    response = client.patch("/api/v1/zones/BECZ-XJ-04", payload,
                            content_type="application/json")
    assert response.status_code == 422
    assert "detail" in response.json()
    assert list(OrgUnit.objects.values()) == before
    assert not AuditLog.objects.filter(action="zones.orgunit.update").exists()


def test_a_reviewer_cannot_patch_even_a_zone_it_can_see(client_for):
    client = client_for("xinjiang_reviewer")
    assert client.get("/api/v1/zones/BECZ-XJ-04").status_code == 200
    response = client.patch("/api/v1/zones/BECZ-XJ-04", {"notes": "x"},
                            content_type="application/json")
    assert response.status_code == 404


def test_input_errors_have_a_stable_code_and_a_chinese_message(client_for):
    client = client_for("ministry_admin")
    response = client.patch("/api/v1/zones/BECZ-XJ-04", {"area_km2": -1, "colour": "red"},
                            content_type="application/json")
    assert response.status_code == 422
    detail = {error["code"]: error for error in response.json()["detail"]}
    assert detail["greater_than"]["field"] == "body.payload.area_km2"
    assert detail["greater_than"]["message"] == "必须大于0.0。"
    assert detail["extra_forbidden"]["field"].endswith("colour")


def test_the_api_docs_load_nothing_from_outside_the_platform(client, db):
    # The platform runs on closed government networks: no CDN, ever.
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle" in html
    assert "cdn." not in html and "https://" not in html.replace("https://swagger.io", "")
