"""The indicator catalogue: the shipped file, yearly versions, audited edits."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bianhe.audit.models import AuditLog
from bianhe.catalog.actions import do_copy_version, do_update_indicator
from bianhe.catalog.loader import (
    DEFAULT_CATALOGUE,
    CatalogueFileError,
    load_catalogue,
    read_catalogue,
)
from bianhe.catalog.models import CatalogVersion, Indicator
from bianhe.cli import main

# These tests load the registry and the catalogue themselves.
pytestmark = pytest.mark.usefixtures("unseeded")

REQUIRED = {"GDP", "IND_OUTPUT", "IND_VALUE_ADDED", "FISCAL_REVENUE", "TAX_REVENUE",
            "TRADE_TOTAL", "EXPORT", "IMPORT", "BORDER_TRADE", "BORDER_SMALL_TRADE",
            "BORDER_RESIDENT_TRADE", "TRADE_BY_PARTNER", "FDI_USED", "LANDED_PROCESSING", "FAI",
            "INVEST_ATTRACTED", "INVEST_IN_PLACE", "MAJOR_PROJECTS", "ENTERPRISES",
            "ABOVE_SCALE_IND_ENT", "ANCHOR_FIRMS", "EMPLOYEES", "PORT_FREIGHT",
            "CROSS_BORDER_PASSENGERS", "DEVELOPED_AREA", "LAND_IN_USE"}


def test_the_shipped_catalogue_covers_the_notice_in_40_to_60_indicators(db):
    version = load_catalogue(2024)
    codes = set(version.indicators.values_list("code", flat=True))
    assert 40 <= len(codes) <= 60 and codes >= REQUIRED
    units = dict(version.indicators.values_list("code", "unit"))
    assert len({units[c] for c in ("EXPORT", "IMPORT", "TRADE_TOTAL", "BORDER_TRADE")}) == 1
    assert version.indicators.get(code="TRADE_BY_PARTNER").disaggregation == "partner_country"
    assert not version.indicators.filter(time_behaviour="rate", aggregation="sum").exists()
    assert load_catalogue(2024) is None  # a year is created once


def test_a_catalogue_file_with_a_duplicate_or_a_bad_number_is_refused_whole(db, tmp_path):
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cat.csv"
    path.write_text("\n".join([*text, text[1]]) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueFileError, match="duplicate code GDP"):
        read_catalogue(path)
    rows = [text[0], text[1].replace(",0,", ",zero,", 1)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueFileError):
        load_catalogue(2030, path)
    assert not CatalogVersion.objects.filter(year=2030).exists()


def test_an_edit_changes_one_year_only_and_is_audited(people):
    load_catalogue(2024)
    do_copy_version(people["ministry_admin"], 2024, 2025)
    export_2025 = Indicator.objects.get(version__year=2025, code="EXPORT")
    do_update_indicator(people["ministry_admin"], export_2025,
                        {"definition": "新口径", "max_value": Decimal("1000000")})
    assert Indicator.objects.get(version__year=2024, code="EXPORT").definition != "新口径"
    entry = AuditLog.objects.get(action="catalog.indicator.update")
    assert entry.after == {"definition": "新口径", "max_value": "1000000"}
    assert AuditLog.objects.filter(action="catalog.version.create").count() == 2


def test_an_inconsistent_edit_is_refused(people):
    load_catalogue(2024)
    indicator = Indicator.objects.get(version__year=2024, code="EXPORT")
    with pytest.raises(ValidationError):
        do_update_indicator(people["ministry_admin"], indicator,
                            {"aggregation": "weighted_mean", "weight_code": ""})
    with pytest.raises(ValidationError):
        do_update_indicator(people["ministry_admin"], indicator,
                            {"min_value": Decimal("5"), "max_value": Decimal("1")})
    assert not AuditLog.objects.filter(action="catalog.indicator.update").exists()


def test_only_the_ministry_administrator_edits_the_catalogue(client_for):
    load_catalogue(2024)
    for key in ("ministry_analyst", "xinjiang_reviewer", "pingxiang_reporter"):
        client = client_for(key)
        assert client.get("/catalog/2024/EXPORT/").status_code == 200
        assert client.get("/catalog/2024/EXPORT/edit/").status_code == 404
        assert client.post("/catalog/copy/", {"from_year": 2024, "to_year": 2025}
                           ).status_code == 404
    admin = client_for("ministry_admin")
    page = admin.get("/catalog/2024/EXPORT/edit/")
    data = {name: page.context["form"][name].value() or "" for name in page.context["form"].fields}
    data["notes"] = "补充说明"
    assert admin.post("/catalog/2024/EXPORT/edit/", data).status_code == 302
    assert Indicator.objects.get(version__year=2024, code="EXPORT").notes == "补充说明"


def test_the_cli_loads_a_year_and_refuses_it_twice(db, capsys):
    assert main(["catalog", "load", "--year", "2023"]) == 0
    assert main(["catalog", "load", "--year", "2023"]) == 1
    assert "exists already" in capsys.readouterr().err


def test_the_ministry_opens_a_closed_period_with_a_reason(client_for, catalogue):
    from bianhe.reporting.models import WindowOverride

    admin = client_for("ministry_admin")
    response = admin.post("/reporting/forms/", {"form": "BH-M", "period": "2023M05",
                                                "is_open": "1", "reason": "补报历史数据"})
    assert response.status_code == 302
    assert WindowOverride.objects.get().is_open
    assert AuditLog.objects.get(action="reporting.window.set").after["reason"] == "补报历史数据"
    refused = admin.post("/reporting/forms/", {"form": "BH-M", "period": "2023Q2",
                                               "is_open": "1", "reason": "x"}, follow=True)
    assert "报送频率" in refused.content.decode() or "频率" in refused.content.decode()
    assert WindowOverride.objects.count() == 1
    reporter = client_for("pingxiang_reporter")
    reporter.post("/reporting/forms/", {"form": "BH-M", "period": "2023M06", "is_open": "1",
                                        "reason": "x"})
    assert WindowOverride.objects.count() == 1
