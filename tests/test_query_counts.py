"""Pages and API lists cost a fixed number of queries, however many rows they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bianhe.accounts.actions import do_create_user
from bianhe.roles import Role
from bianhe.zones.actions import do_create_org_unit
from bianhe.zones.models import OrgUnit
from personas import PASSWORD


def add_zones_with_reporters(count):
    province = OrgUnit.objects.get(code="CN-XJ")
    for number in range(count):
        zone = do_create_org_unit(None, {"code": f"TEST-XJ-{number:02d}", "level": "zone",
                                         "parent": province, "name_zh": f"测试园区{number}",
                                         "kind": "border"})
        do_create_user(None, username=f"reporter-{number:02d}", password=PASSWORD,
                       role=Role.ZONE_REPORTER, scope_units=[zone])


@pytest.mark.parametrize("url", ["/", "/zones/", "/zones/export.csv", "/api/v1/zones",
                                 "/accounts/users/", "/audit/"])
def test_a_list_costs_the_same_queries_for_20_more_zones_and_users(
        client_for, url, django_assert_num_queries):
    client = client_for("ministry_admin")
    client.get(url)  # warm up: session and language
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    add_zones_with_reporters(20)
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)
