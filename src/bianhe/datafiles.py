"""Reading the platform's shipped CSV data files (registry, catalogue) the same way."""

from __future__ import annotations

import csv
from pathlib import Path


class DataFileError(Exception):
    """A data file cannot be loaded; ``problems`` lists every reason found."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def read_csv_file(path: Path, columns, error=DataFileError, *, extra_allowed: bool = False
                  ) -> list[dict]:
    """The rows of a UTF-8 CSV (a BOM is allowed) whose header names ``columns``.

    Raises ``error(path, problems)`` when the file cannot be read or its header is wrong.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            rows, problems, line = [], [], 2
            for row in reader:
                # A row with more fields than the header puts the rest under None, one with
                # fewer leaves None values: either way a value is in the wrong column.
                fields = len(row) - 1 + len(row[None]) if None in row else sum(
                    value is not None for value in row.values())
                if fields != len(header):
                    problems.append(f"line {line}: {fields} fields, but the header has "
                                    f"{len(header)} (quote values that contain commas)")
                rows.append(row)
                line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise error(path, [f"cannot read the file: {exc}"]) from None
    missing = [column for column in columns if column not in header]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    extra = [column for column in header if column not in columns]
    if extra and not extra_allowed:
        problems.append(f"unknown columns: {', '.join(extra)}")
    if problems:
        raise error(path, problems)
    return rows
