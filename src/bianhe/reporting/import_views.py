"""Bulk CSV/JSON import of values (ministry and integrations), with a dry run."""

from __future__ import annotations

import csv
import io
import json

from django.shortcuts import render
from django.utils.translation import gettext as _

from bianhe.access import require_right
from bianhe.audit.actions import client_ip
from bianhe.audit.models import Source
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.forms import UploadForm
from bianhe.reporting.ingest import COLUMNS, Problem, frame_from_records
from bianhe.roles import Action

MAX_IMPORT_BYTES = 200 * 1024 * 1024


def parse_upload(name: str, data: bytes) -> tuple[list[dict], list[Problem]]:
    """Rows of a CSV (UTF-8, header row) or JSON (a list of objects) file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(name, "", _("The file is not UTF-8 text (CSV or JSON)."))]
    if name.lower().endswith(".json") or text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            return [], [Problem(f"{name}:{exc.lineno}", "", _("Not valid JSON."))]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            return [], [Problem(name, "", _("JSON must be a list of objects."))]
        unknown = sorted({key for record in records for key in record} - set(COLUMNS))
        if unknown:
            return [], [Problem(name, "", _("Unknown columns: %(columns)s.")
                                % {"columns": ", ".join(unknown)})]
        return [{**r, "location": r.get("location") or _("item %(n)d") % {"n": i + 1}}
                for i, r in enumerate(records)], []
    try:
        lines = _csv_lines(text)
    except csv.Error as exc:
        return [], [Problem(name, "", _("The CSV file cannot be read: %(error)s.")
                            % {"error": exc})]
    header = [h.strip() for h in lines[0][1]] if lines else []
    missing = [c for c in ("zone", "period", "indicator", "value") if c not in header]
    if missing:
        return [], [Problem(name, "", _("Missing columns: %(columns)s.")
                            % {"columns": ", ".join(missing)})]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return [], [Problem(name, "", _("Unknown columns: %(columns)s.")
                            % {"columns": ", ".join(unknown)})]
    # A row with more or fewer fields than the header is refused, never padded or cut: an
    # unquoted 1,234.5 would otherwise be stored as 1 with 234.5 as the comment.
    uneven = [Problem(_("line %(n)d") % {"n": line}, "",
                      _("This line has %(found)d fields but the header has %(expected)d; "
                        "put a value that contains a comma in double quotes (\"1,234.5\") "
                        "or write it without thousands separators.")
                      % {"found": len(fields), "expected": len(header)})
              for line, fields in lines[1:] if len(fields) != len(header)]
    if uneven:
        return [], uneven
    rows = []
    for line, fields in lines[1:]:
        rows.append({**{k: v for k, v in zip(header, fields, strict=True) if k},
                     "location": _("line %(n)d") % {"n": line}})
    return rows, []


def _csv_lines(text: str) -> list[tuple[int, list[str]]]:
    """The non-empty records of a CSV text with the line each starts on (a quoted value
    may span lines); the first is the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    start = 1
    for fields in reader:
        if fields:
            records.append((start, fields))
        start = reader.line_num + 1
    return records


def import_values(request):
    require_right(request.user, Action.REPORT)
    form = UploadForm(request.POST or None, request.FILES or None)
    result, problems = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            problems = [Problem(upload.name, "", _("The file is larger than 200 MB."))]
        else:
            rows, problems = parse_upload(upload.name, upload.read())
            if not problems:
                result = do_save_values(
                    request.user, frame_from_records(rows), source=Source.IMPORT,
                    dry_run=form.cleaned_data["dry_run"], label=upload.name,
                    ip_address=client_ip(request))
                problems = result.problems
    return render(request, "reporting/import.html",
                  {"form": form, "result": result, "problems": problems})
