import datetime as dt
from decimal import Decimal

import pytest

from bianhe.audit.models import AuditLog
from bianhe.roles import Level
from bianhe.zones.models import OrgUnit, ZoneKind
from bianhe.zones.registry import COLUMNS, DEFAULT_REGISTRY, RegistryFileError, load_registry

# These tests load the registry and the catalogue themselves.
pytestmark = pytest.mark.usefixtures("unseeded")


def test_the_shipped_registry_holds_the_ministry_seven_provinces_and_twenty_zones(db):
    result = load_registry()
    assert len(result.created) == 28
    assert OrgUnit.objects.filter(level=Level.MINISTRY).count() == 1
    assert set(OrgUnit.objects.provinces().values_list("code", flat=True)) == {
        "CN-NM", "CN-LN", "CN-JL", "CN-HL", "CN-GX", "CN-YN", "CN-XJ"}
    assert OrgUnit.objects.zones().filter(kind=ZoneKind.BORDER).count() == 17
    assert OrgUnit.objects.zones().filter(kind=ZoneKind.CROSS_BORDER).count() == 3


def test_loading_the_registry_twice_changes_nothing_and_audits_nothing(db):
    load_registry()
    audit_rows = AuditLog.objects.count()
    again = load_registry()
    assert (again.created, again.updated, again.unchanged) == ([], [], 28)
    assert AuditLog.objects.count() == audit_rows


def test_the_2021_registry_has_19_zones_and_the_2024_registry_20(registry):
    assert OrgUnit.objects.zones().active_in_year(2021).count() == 19
    assert OrgUnit.objects.zones().active_in_year(2023).count() == 19
    assert OrgUnit.objects.zones().active_in_year(2024).count() == 20
    new = OrgUnit.objects.get(code="CBECZ-NM-01")
    assert new.name_zh == "中蒙二连浩特-扎门乌德经济合作区"
    assert not new.is_active_in_year(2023) and new.is_active_in_year(2024)
    assert OrgUnit.objects.zones().active_on(dt.date(2024, 3, 18)).count() == 19
    assert OrgUnit.objects.zones().active_on(dt.date(2024, 3, 19)).count() == 20


def test_a_zone_that_ended_drops_out_of_later_years(registry):
    zone = OrgUnit.objects.get(code="BECZ-YN-02")
    OrgUnit.objects.filter(pk=zone.pk).update(valid_to=dt.date(2022, 6, 30))
    assert OrgUnit.objects.zones().active_in_year(2022).filter(pk=zone.pk).exists()
    assert not OrgUnit.objects.zones().active_in_year(2023).filter(pk=zone.pk).exists()


def test_unknown_facts_stay_empty_and_sources_are_kept(registry):
    dandong = OrgUnit.objects.get(code="BECZ-LN-01")
    assert dandong.area_km2 is None
    assert "neamco.com" in dandong.source
    bole = OrgUnit.objects.get(code="BECZ-XJ-02")
    assert bole.approval_year is None  # "1992(待核)" in the source: not verified
    assert "待核" in bole.approval_note
    helong = OrgUnit.objects.get(code="BECZ-JL-02")
    assert helong.area_km2 == Decimal("0.76")
    assert helong.approved_on == dt.date(2015, 3, 3)
    assert OrgUnit.objects.get(code="BECZ-JL-01").neighbour_countries == ["俄罗斯", "朝鲜"]


def test_regional_orientation_follows_article_three_of_the_notice(registry):
    orientation = dict(OrgUnit.objects.provinces().values_list("code", "orientation"))
    assert orientation["CN-XJ"] == "westward"
    assert orientation["CN-GX"] == "asean"
    assert orientation["CN-YN"] == "south_southeast_asia"
    assert {orientation[c] for c in ("CN-HL", "CN-LN", "CN-JL", "CN-NM")} == {"northeast"}


def _write(tmp_path, rows, header=COLUMNS):
    path = tmp_path / "registry.csv"
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(**values):
    return [values.get(column, "") for column in COLUMNS]


GOOD = [
    _row(code="MOFCOM", level="ministry", name_zh="商务部"),
    _row(code="CN-XJ", level="province", parent_code="MOFCOM", name_zh="新疆维吾尔自治区"),
]


@pytest.mark.parametrize(("rows", "message"), [
    ([*GOOD, _row(code="CN-XJ", level="province", parent_code="MOFCOM", name_zh="重复")],
     "duplicate code CN-XJ"),
    ([*GOOD, _row(code="Z-1", level="zone", parent_code="CN-XX", name_zh="园区", kind="border")],
     "parent_code 'CN-XX' is not in the file"),
    ([*GOOD, _row(code="Z-1", level="zone", parent_code="CN-XJ", name_zh="园区", kind="border",
                  valid_from="2024-13-01")], "valid_from '2024-13-01' is not a YYYY-MM-DD"),
    ([*GOOD, _row(code="Z-1", level="zone", parent_code="CN-XJ", name_zh="园区", kind="border",
                  area_km2="-3")], "area_km2 '-3' is not a positive number"),
    ([*GOOD, _row(code="z 1", level="zone", parent_code="CN-XJ", name_zh="园区")],
     "code 'z 1' must be"),
    ([*GOOD, _row(code="Z-1", level="county", parent_code="CN-XJ", name_zh="园区")],
     "level 'county'"),
])
def test_a_malformed_registry_file_is_refused_whole_with_the_reason(db, tmp_path, rows,
                                                                     message):
    with pytest.raises(RegistryFileError) as caught:
        load_registry(_write(tmp_path, rows))
    assert any(message in problem for problem in caught.value.problems), caught.value.problems
    assert OrgUnit.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_a_file_with_missing_columns_names_them(db, tmp_path):
    path = _write(tmp_path, [["MOFCOM", "ministry"]], header=("code", "level"))
    with pytest.raises(RegistryFileError, match="missing columns: parent_code"):
        load_registry(path)


def test_a_row_failing_model_checks_rolls_back_the_rows_before_it(db, tmp_path):
    # The zone has no kind: the model refuses it after the ministry and province were saved.
    rows = [*GOOD, _row(code="Z-1", level="zone", parent_code="CN-XJ", name_zh="园区")]
    with pytest.raises(RegistryFileError, match=r"line 4 \(Z-1\)"):
        load_registry(_write(tmp_path, rows))
    assert OrgUnit.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_a_changed_fact_in_the_file_updates_the_zone_and_audits_before_and_after(
        registry, tmp_path):
    text = DEFAULT_REGISTRY.read_text(encoding="utf-8")
    path = tmp_path / "registry.csv"
    path.write_text(text.replace("和龙边境经济合作区,Helong", "和龙边境经济合作区(新),Helong"),
                    encoding="utf-8")
    result = load_registry(path)
    assert result.updated == ["BECZ-JL-02"]
    entry = AuditLog.objects.filter(action="zones.orgunit.update").get()
    assert entry.before == {"name_zh": "和龙边境经济合作区"}
    assert entry.after == {"name_zh": "和龙边境经济合作区(新)"}
    assert entry.source == "cli"


def test_a_zone_without_a_start_date_counts_from_its_approval_year(registry):
    # 临沧 (approved 2014) has no exact date: it is absent from 2013 and present in 2014.
    lincang = OrgUnit.objects.get(code="BECZ-YN-04")
    assert lincang.valid_from is None and lincang.approval_year == 2014
    assert not OrgUnit.objects.active_in_year(2013).filter(pk=lincang.pk).exists()
    assert OrgUnit.objects.active_in_year(2014).filter(pk=lincang.pk).exists()
    assert not lincang.is_active_in_year(2013) and lincang.is_active_in_year(2014)
    # 博乐's year is not verified: it counts in every year the registry covers.
    assert OrgUnit.objects.active_in_year(1993).filter(code="BECZ-XJ-02").exists()
    assert OrgUnit.objects.zones().active_in_year(2010).count() == 16
