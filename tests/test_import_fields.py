"""A CSV row whose field count differs from the header is refused with its line number and
nothing from the file is written: an unquoted 1,234.5 is never stored as 1."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bianhe.audit.models import AuditLog
from bianhe.datafiles import DataFileError
from bianhe.quality.rules import DEFAULT_RULES, read_default_rules
from bianhe.reporting.import_views import parse_upload
from bianhe.reporting.models import DataValue, ValueChange

HEADER = "zone,period,indicator,member,value,comment\n"


def post(client, text):
    return client.post("/reporting/import/", {"file": SimpleUploadedFile(
        "v.csv", text.encode())}, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.mark.parametrize("bad_line, found", [
    ("BECZ-XJ-01,{p},EXPORT,,1,234.5,经霍尔果斯", 7),  # an unquoted thousands separator
    ("BECZ-XJ-01,{p},EXPORT,,12", 5),  # the comment column left out
])
def test_an_uneven_row_is_refused_with_its_line_and_nothing_is_written(
        client_for, open_month, bad_line, found):
    client = client_for("ministry_admin")
    audit_rows = AuditLog.objects.count()
    text = (HEADER + f"BECZ-GX-01,{open_month.code},EXPORT,,10,\n"
            + bad_line.format(p=open_month.code) + "\n"
            + f"BECZ-GX-02,{open_month.code},EXPORT,,11,\n")
    response = post(client, text)
    problems = response.context["problems"]
    assert [p.location for p in problems] == ["第3行"]
    assert f"本行有{found}个字段，而表头有6个" in problems[0].message
    assert "第3行" in response.content.decode()
    assert not DataValue.objects.exists() and not ValueChange.objects.exists()
    assert AuditLog.objects.count() == audit_rows


def test_a_quoted_value_with_commas_and_line_breaks_is_read_whole(client_for, open_month):
    client = client_for("ministry_admin")
    text = (HEADER + f'BECZ-XJ-01,{open_month.code},EXPORT,,"1,234.5","经霍尔果斯,\n分两行"\n'
            + f"BECZ-XJ-01,{open_month.code},IMPORT,,2,3,\n")
    response = post(client, text)
    # The record after the two-line comment starts on line 4.
    assert [p.location for p in response.context["problems"]] == ["第4行"]
    assert not DataValue.objects.exists()
    rows, problems = parse_upload("v.csv", text.replace(",2,3,", ",2,").encode())
    assert not problems and [r["value"] for r in rows] == ["1,234.5", "2"]
    assert rows[0]["comment"] == "经霍尔果斯,\n分两行"


def test_the_shipped_data_file_reader_refuses_an_uneven_row(tmp_path):
    text = Path(DEFAULT_RULES).read_text(encoding="utf-8").splitlines()
    text[3] = text[3] + ",多出的一列"
    bad = tmp_path / "rules.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="line 4: 9 fields, but the header has 8"):
        read_default_rules(bad)
    assert len(read_default_rules()) == 11  # the shipped file itself is even
