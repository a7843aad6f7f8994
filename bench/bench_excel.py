"""Time a 19-zone province workbook: build the template, read it back filled, import it.

    python bench/bench_excel.py [--repeat 5]

Target (issue 3): a 19-zone province workbook in under 3 s. Runs on a fresh SQLite database
under a temporary BIANHE_HOME; prints the median of each step over the runs. Every run after
the first changes every value, so the import is a full update with its history rows.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["BIANHE_HOME"] = tempfile.mkdtemp(prefix="bianhe-bench-excel-")
    os.environ["BIANHE_DATABASE_URL"] = ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bianhe.settings"
    import django

    django.setup()
    import openpyxl
    from django.core.management import call_command
    from django.utils import timezone

    from bianhe.accounts.actions import do_create_user
    from bianhe.catalog.loader import load_catalogue
    from bianhe.catalog.models import CatalogVersion
    from bianhe.periods import Period
    from bianhe.reporting.actions import do_save_values
    from bianhe.reporting.excel import FIRST_DATA_ROW, build_template, read_workbook
    from bianhe.reporting.models import ReportForm
    from bianhe.reporting.setup import ensure_default_forms
    from bianhe.zones.models import OrgUnit
    from bianhe.zones.registry import load_registry

    call_command("migrate", interactive=False, verbosity=0)
    load_registry()
    period = Period.containing(timezone.localdate(), "monthly").previous()
    for year in (period.year - 1, period.year):
        load_catalogue(year)
    version = CatalogVersion.objects.get(year=period.year)
    ensure_default_forms(version)
    form = ReportForm.objects.get(code="BH-M")
    admin = do_create_user(None, username="bench-admin", password="Correct-horse-battery-9",
                           role="ministry_admin")
    zones = list(OrgUnit.objects.zones().active_in_year(period.year).order_by("path"))[:19]
    assert len(zones) == 19

    def fill(data: bytes, base: int) -> tuple[bytes, int]:
        book = openpyxl.load_workbook(io.BytesIO(data))
        count = 0
        for zone in zones:
            for row in book[zone.code].iter_rows(min_row=FIRST_DATA_ROW):
                if row[0].value:
                    row[4].value = base + row[0].row  # grows each run: year-to-date safe
                    count += 1
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue(), count

    timings = {"build": [], "read": [], "import": [], "total": []}
    for run in range(args.repeat):
        start = time.perf_counter()
        template = build_template(form, period, zones, version=version)
        built = time.perf_counter()
        filled, count = fill(template, 1000 * (run + 1))
        read_start = time.perf_counter()
        frame, problems = read_workbook(filled, form=form, period=period)
        read_end = time.perf_counter()
        assert not problems, problems[:3]
        result = do_save_values(admin, frame, source="excel", label="bench.xlsx")
        done = time.perf_counter()
        assert result.ok and result.created + result.updated == count, result.problems[:3]
        timings["build"].append(built - start)
        timings["read"].append(read_end - read_start)
        timings["import"].append(done - read_end)
        timings["total"].append((built - start) + (done - read_start))
        print(f"run {run + 1}: {count} values in 19 sheets ({len(template) // 1024} KB): "
              f"build {built - start:.3f} s, read {read_end - read_start:.3f} s, "
              f"import {done - read_end:.3f} s")
    print(f"median of {args.repeat} runs:")
    for step, values in timings.items():
        print(f"  {step:7s} {statistics.median(values):.3f} s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    sys.exit(main())
