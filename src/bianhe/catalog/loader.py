"""Loading the default catalogue file into a year's catalogue version, all or nothing."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError

from bianhe.audit.models import Source
from bianhe.catalog.actions import do_create_version
from bianhe.catalog.models import CatalogVersion
from bianhe.datafiles import DataFileError, read_csv_file

DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "data" / "indicators.csv"
COLUMNS = ("code", "name_zh", "name_en", "definition", "unit", "value_type", "decimals",
           "min_value", "max_value", "frequency", "time_behaviour", "aggregation",
           "weight_code", "category", "direction", "disaggregation", "source", "notes")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")


class CatalogueFileError(DataFileError):
    """The catalogue file cannot be loaded; ``problems`` lists every reason found."""


def read_catalogue(path: Path) -> list[dict]:
    problems: list[str] = []
    # Extra columns are tolerated: notes columns added by the people who keep the file.
    raw_rows = read_csv_file(path, COLUMNS, CatalogueFileError, extra_allowed=True)
    rows, seen = [], {}
    for line, raw in enumerate(raw_rows, start=2):
        value = {key: (raw.get(key) or "").strip() for key in COLUMNS}
        if not CODE.match(value["code"]):
            problems.append(f"line {line}: code {value['code']!r} must be 2–32 capitals, "
                            "digits or '_'")
        elif value["code"] in seen:
            problems.append(f"line {line}: duplicate code {value['code']} "
                            f"(first on line {seen[value['code']]})")
        else:
            seen[value["code"]] = line
        fields = dict(value)
        for column in ("min_value", "max_value"):
            if value[column]:
                try:
                    fields[column] = Decimal(value[column])
                except InvalidOperation:
                    problems.append(f"line {line}: {column} {value[column]!r} is not a number")
            else:
                fields[column] = None
        if value["decimals"].isdigit():
            fields["decimals"] = int(value["decimals"])
        else:
            problems.append(f"line {line}: decimals {value['decimals']!r} is not 0–9")
        rows.append((line, fields))
    if problems:
        raise CatalogueFileError(path, problems)
    return rows


def _note(path: Path) -> str:
    """What the audit row says of where the catalogue came from (recorded text, Chinese)."""
    if path == DEFAULT_CATALOGUE:
        return "由随平台发布的指标目录文件导入"
    return f"由文件“{path.name}”导入"


def load_catalogue(year: int, path: Path | str | None = None, *, actor=None,
                   source: str = Source.CLI) -> CatalogVersion | None:
    """Create ``year``'s catalogue from the file; None when that year has one already."""
    if CatalogVersion.objects.filter(year=year).exists():
        return None
    path = Path(path) if path else DEFAULT_CATALOGUE
    rows = read_catalogue(path)
    try:
        return do_create_version(actor, year, [fields for _line, fields in rows],
                                 source=source, note=_note(path))
    except ValidationError as exc:
        messages = [f"{field}: {m}" for field, ms in getattr(exc, "message_dict", {
            "__all__": exc.messages}).items() for m in ms]
        raise CatalogueFileError(path, messages) from None
