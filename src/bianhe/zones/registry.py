"""Loading the zone registry from its CSV data file, all or nothing, idempotently.

The shipped file ``zones/data/registry.csv`` is built from the sourced facts in the shared
reference data; unknown facts (most approved areas, several approval years) are left empty.
Loading compares each row with the database and writes — and audits — only what differs, so
a second load changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from bianhe.audit.models import Source
from bianhe.datafiles import DataFileError, read_csv_file
from bianhe.roles import Level
from bianhe.zones.actions import do_create_org_unit, do_update_org_unit
from bianhe.zones.models import OrgUnit, Orientation, ZoneKind

DEFAULT_REGISTRY = Path(__file__).resolve().parent / "data" / "registry.csv"

COLUMNS = (
    "code",
    "level",
    "parent_code",
    "name_zh",
    "name_en",
    "kind",
    "host_area",
    "neighbour_countries",
    "orientation",
    "approval_year",
    "approved_on",
    "approval_note",
    "area_km2",
    "area_basis",
    "valid_from",
    "valid_to",
    "source",
    "notes",
)
CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]{1,31}$")
LEVEL_ORDER = {Level.MINISTRY: 0, Level.PROVINCE: 1, Level.ZONE: 2}


class RegistryFileError(DataFileError):
    """The registry file cannot be loaded; ``problems`` lists every reason found."""


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    not_in_file: list[str] = field(default_factory=list)


def _date(value: str, column: str, problems: list[str], where: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: {column} {value!r} is not a YYYY-MM-DD date")
        return None


def read_registry(path: Path) -> list[dict]:
    """Parse and check the whole file; raise :class:`RegistryFileError` listing all problems."""
    problems: list[str] = []
    raw_rows = read_csv_file(path, COLUMNS, RegistryFileError)

    rows: list[dict] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(raw_rows, start=2):
        where = f"line {line}"
        if None in raw:
            problems.append(f"{where}: more fields than columns")
            continue
        value = {key: (raw[key] or "").strip() for key in COLUMNS}
        code = value["code"]
        if not CODE_PATTERN.match(code):
            problems.append(f"{where}: code {code!r} must be 2–32 capitals, digits or '-'")
        elif code in seen:
            problems.append(f"{where}: duplicate code {code} (first on line {seen[code]})")
        else:
            seen[code] = line
        if value["level"] not in Level.values:
            problems.append(f"{where}: level {value['level']!r} is not one of {Level.values}")
        if not value["name_zh"]:
            problems.append(f"{where}: name_zh is empty")
        if value["kind"] and value["kind"] not in ZoneKind.values:
            problems.append(f"{where}: kind {value['kind']!r} is not one of {ZoneKind.values}")
        if value["orientation"] and value["orientation"] not in Orientation.values:
            problems.append(
                f"{where}: orientation {value['orientation']!r} is not one of "
                f"{Orientation.values}"
            )
        year = None
        if value["approval_year"]:
            if re.fullmatch(r"\d{4}", value["approval_year"]):
                year = int(value["approval_year"])
            else:
                problems.append(f"{where}: approval_year {value['approval_year']!r} is not a year")
        area = None
        if value["area_km2"]:
            try:
                area = Decimal(value["area_km2"])
                if not area.is_finite() or area <= 0:
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(f"{where}: area_km2 {value['area_km2']!r} is not a positive number")
                area = None
        rows.append(
            {
                "line": line,
                "code": code,
                "level": value["level"],
                "parent_code": value["parent_code"],
                "fields": {
                    "name_zh": value["name_zh"],
                    "name_en": value["name_en"],
                    "kind": value["kind"],
                    "host_area": value["host_area"],
                    "neighbour_countries": [
                        part.strip() for part in value["neighbour_countries"].split(";")
                        if part.strip()
                    ],
                    "orientation": value["orientation"],
                    "approval_year": year,
                    "approved_on": _date(value["approved_on"], "approved_on", problems, where),
                    "approval_note": value["approval_note"],
                    "area_km2": area,
                    "area_basis": value["area_basis"],
                    "valid_from": _date(value["valid_from"], "valid_from", problems, where),
                    "valid_to": _date(value["valid_to"], "valid_to", problems, where),
                    "source": value["source"],
                    "notes": value["notes"],
                },
            }
        )
    levels = {row["code"]: row["level"] for row in rows}
    for row in rows:
        parent = row["parent_code"]
        if row["level"] == Level.MINISTRY:
            if parent:
                problems.append(f"line {row['line']}: the ministry row must have no parent_code")
        elif parent not in levels:
            problems.append(f"line {row['line']}: parent_code {parent!r} is not in the file")
    if problems:
        raise RegistryFileError(path, problems)
    return sorted(rows, key=lambda row: (LEVEL_ORDER.get(row["level"], 9), row["line"]))


def load_registry(
    path: Path | str | None = None,
    *,
    actor=None,
    source: str = Source.CLI,
    update_existing: bool = True,
) -> LoadResult:
    """Create or update every unit of the file in one transaction; audit what changed.

    ``update_existing=False`` only adds the units that are missing: ``bianhe init`` uses it,
    so that running it again (e.g. after an upgrade) never undoes an administrator's edits.
    """
    path = Path(path) if path else DEFAULT_REGISTRY
    rows = read_registry(path)
    result = LoadResult()
    with transaction.atomic():
        units = {unit.code: unit for unit in OrgUnit.objects.select_related("parent")}
        for row in rows:
            try:
                _load_row(row, units, result, actor=actor, source=source,
                          update_existing=update_existing)
            except ValidationError as exc:
                messages = [f"{key}: {msg}" for key, msgs in exc.message_dict.items()
                            for msg in msgs]
                # Raising inside the atomic block rolls back every row written so far.
                raise RegistryFileError(
                    path, [f"line {row['line']} ({row['code']}): {m}" for m in messages]
                ) from None
    file_codes = {row["code"] for row in rows}
    result.not_in_file = sorted(set(OrgUnit.objects.values_list("code", flat=True)) - file_codes)
    return result


def _load_row(row: dict, units: dict, result: LoadResult, *, actor, source: str,
              update_existing: bool) -> None:
    parent = units.get(row["parent_code"]) if row["parent_code"] else None
    unit = units.get(row["code"])
    if unit is None:
        fields = {"code": row["code"], "level": row["level"], "parent": parent, **row["fields"]}
        units[row["code"]] = do_create_org_unit(actor, fields, source=source)
        result.created.append(row["code"])
        return
    if unit.level != row["level"]:
        raise ValidationError(
            {"level": f"{row['code']} is a {unit.level} in the database, not a {row['level']}"}
        )
    if not update_existing:
        result.unchanged += 1
        return
    changes = dict(row["fields"])
    if unit.parent_id != (parent.pk if parent else None):
        changes["parent"] = parent
    if do_update_org_unit(actor, unit, changes, source=source):
        result.updated.append(row["code"])
    else:
        result.unchanged += 1
