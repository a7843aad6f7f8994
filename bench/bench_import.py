"""Benchmark: import N monthly values from CSV with full validation (issue 3).

Not a test: a script that prints a table. For each database (SQLite always; PostgreSQL when
``--database-url`` or ``BIANHE_BENCH_DATABASE_URL`` is given) it

1. makes a fresh database — SQLite in a temporary ``BIANHE_HOME``; for PostgreSQL the
   database named in the URL is dropped and created with psycopg (never ``test`` or
   ``test_test``, which the test suite uses) — migrates it, loads the zone registry, the
   catalogue of every year needed (2020–2025) and the default report forms; the real zones
   active in all those years come first, then synthetic zones (``SYN-0001``…, kind border,
   spread over the existing provinces, assigned to the forms) up to the number needed;
2. generates a CSV of N valid monthly values (``zone, period, indicator, member, value,
   comment``): every monthly indicator of the catalogue, the partner members of
   TRADE_BY_PARTNER, year-to-date flows non-decreasing within a year, min/max respected;
3. times, ``--repeat`` times on emptied reporting tables:
   ``read``   ``pandas.read_csv(path, dtype=str, keep_default_na=False)``,
   ``check``  ``ingest(frame, actor=None, source="import", dry_run=True)`` (validate only),
   ``full``   ``ingest(frame, actor=None, source="import")`` (validate and write), inside
              which ``write`` is the time spent in ``ingest.writers.write`` (wrapped here);
   and reports medians. ``actor=None`` skips the entry windows; every other check runs.

Each database runs in its own child process (Django's settings are fixed at start-up).
Ratios (check/full, write/full, full/read) are measured within one repetition, side by side,
so they move less with the load of this shared machine than the absolute rates do.

    .venv/bin/python bench/bench_import.py --values 1000000 --repeat 3 \
        --database-url postgres://postgres@127.0.0.1:5432/bianhe_bench

``--profile FILE`` adds one cProfile'd full ingest (after the timed runs) and saves its
statistics to FILE (one file per database: ``FILE.sqlite`` / ``FILE.postgresql``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parent.parent
FIRST_YEAR = 2020
YEARS = 6  # 2020–2025: catalogue versions loaded, one per year
TARGET = 50_000  # values per second (issue 3)


# --- parent: one child process per database ----------------------------------------------


def _run_child(backend: str, url: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="bianhe-bench-") as home:
        env = {**os.environ, "BIANHE_HOME": home, "BIANHE_DATABASE_URL": url,
               "DJANGO_SETTINGS_MODULE": "bianhe.settings", "BIANHE_DEBUG": "0"}
        out = Path(home) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(out),
                   "--values", str(args.values), "--repeat", str(args.repeat),
                   "--seed", str(args.seed)]
        if args.profile:
            command += ["--profile", f"{args.profile}.{backend}"]
        if backend == "postgresql":
            benchdb.recreate_postgres(url)
        try:
            subprocess.run(command, env=env, check=True, cwd=ROOT)
            return json.loads(out.read_text())
        finally:
            if backend == "postgresql" and not args.keep_database:
                benchdb.recreate_postgres(url, drop_only=True)


def _rate(values: int, seconds: float) -> str:
    return f"{values / seconds:,.0f}" if seconds else "-"


def _print_table(results: list[dict]) -> None:
    print()
    for result in results:
        n = result["values"]
        med = result["median"]
        print(f"{result['backend']} ({result['server']}), {n:,} values, "
              f"{result['repeat']} runs, medians (setup {result['setup_seconds']:.1f} s, "
              f"CSV {result['csv_mb']:.1f} MB, peak RSS {result['peak_rss_mb']:,.0f} MB)")
        print(f"  {'step':<34}{'seconds':>9}{'values/s':>12}")
        rows = [
            ("read CSV (pandas)", med["read"]),
            ("validate only (ingest dry_run)", med["check"]),
            ("write (ingest.writers.write)", med["write"]),
            ("full ingest (validate + write)", med["full"]),
            ("whole: read + full ingest", med["whole"]),
        ]
        for label, seconds in rows:
            print(f"  {label:<34}{seconds:>9.2f}{_rate(n, seconds):>12}")
        ratios = result["median_ratios"]
        verdict = "meets" if n / med["whole"] >= TARGET else "misses"
        print(f"  side-by-side ratios (median of per-run ratios): "
              f"check/full {ratios['check_over_full']:.2f}, "
              f"write/full {ratios['write_over_full']:.2f}, "
              f"full/read {ratios['full_over_read']:.1f}")
        per_run = ", ".join(f"{r['whole']:.2f}" for r in result["runs"])
        print(f"  per-run whole seconds: {per_run}; 1-min load average before/after "
              f"{result['load_1min'][0]:.2f}/{result['load_1min'][1]:.2f} on {os.cpu_count()} "
              "CPUs")
        scale = "" if n == 1_000_000 else " (the target is set for 1,000,000 values)"
        print(f"  target {TARGET:,} values/s for the whole: {verdict} it{scale} "
              f"({result['ingest_py']})")
        print()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--database-url", default=os.environ.get("BIANHE_BENCH_DATABASE_URL", ""),
                        help="a PostgreSQL URL for a dedicated benchmark database "
                             "(default $BIANHE_BENCH_DATABASE_URL); SQLite runs too unless "
                             "--skip-sqlite")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep-database", action="store_true",
                        help="leave the PostgreSQL benchmark database in place afterwards")
    parser.add_argument("--profile", metavar="FILE",
                        help="also run one cProfile'd full ingest, stats saved to FILE.<db>")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.values < 1 or args.repeat < 1:
        parser.error("--values and --repeat must be positive")
    if args.child:
        _child(args)
        return
    backends = [] if args.skip_sqlite else [("sqlite", "")]
    if args.database_url:
        benchdb.admin_url(args.database_url)  # refuse reserved names before doing anything
        backends.append(("postgresql", args.database_url))
    results = []
    for backend, url in backends:
        print(f"== {backend}: {args.values:,} values × {args.repeat} runs", flush=True)
        results.append(_run_child(backend, url, args))
    _print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


# --- child: one database ------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _setup_database(values: int):
    """Migrate, load registry, catalogues and forms; return (zone codes, column spec)."""
    from django.core.management import call_command

    from bianhe.audit.models import Source
    from bianhe.catalog.loader import load_catalogue
    from bianhe.catalog.models import CatalogVersion, Frequency
    from bianhe.reporting.models import ReportForm
    from bianhe.reporting.setup import ensure_default_forms
    from bianhe.roles import Level
    from bianhe.zones.actions import do_create_org_unit
    from bianhe.zones.models import OrgUnit, ZoneKind
    from bianhe.zones.registry import load_registry

    call_command("migrate", interactive=False, verbosity=0)
    load_registry(source=Source.CLI)
    years = list(range(FIRST_YEAR, FIRST_YEAR + YEARS))
    for year in years:
        load_catalogue(year)
    latest = CatalogVersion.objects.order_by("-year").first()
    ensure_default_forms(latest)
    columns = _value_columns(latest)
    monthly = ReportForm.objects.get(is_active=True, frequency=Frequency.MONTHLY)
    assert set(monthly.indicator_codes) == {c["indicator"] for c in columns}

    per_zone = YEARS * 12 * len(columns)
    real = [z.code for z in OrgUnit.objects.filter(level=Level.ZONE).order_by("code")
            if all(z.is_active_in_year(y) for y in years)]
    needed = max(0, math.ceil(values / per_zone) - len(real))
    provinces = list(OrgUnit.objects.filter(level=Level.PROVINCE).order_by("code"))
    synthetic = []
    for i in range(1, needed + 1):
        synthetic.append(do_create_org_unit(None, {
            "code": f"SYN-{i:04d}", "level": Level.ZONE,
            "parent": provinces[i % len(provinces)], "name_zh": f"合成边合区{i:04d}",
            "name_en": f"Synthetic zone {i:04d}", "kind": ZoneKind.BORDER,
        }, source=Source.CLI))
    for form in ReportForm.objects.all():
        form.zones.add(*synthetic)
    return real + [z.code for z in synthetic], columns


def _value_columns(version) -> list[dict]:
    """One entry per (monthly indicator, member), with what the generator must respect."""
    from bianhe.catalog.disaggregations import members

    columns = []
    for ind in version.indicators.filter(frequency="monthly").order_by("position"):
        for member in members(ind.disaggregation):
            columns.append({
                "indicator": ind.code, "member": member, "value_type": ind.value_type,
                "flow": ind.time_behaviour == "flow_ytd",
                "min": None if ind.min_value is None else float(ind.min_value),
                "max": None if ind.max_value is None else float(ind.max_value),
            })
    return columns


def _generate_csv(path: Path, zones: list[str], columns: list[dict], values: int,
                  seed: int) -> None:
    """N rows ordered zone, year, month, indicator, member; valid by construction."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    k = len(columns)
    z = math.ceil(values / (YEARS * 12 * k))
    zones = zones[:z]
    # Values are held in tenths (integers), so the text is exact and monotone after
    # formatting; integer indicators use whole units.
    shape = (z, YEARS, 12, k)
    flow = np.array([c["flow"] for c in columns])
    integer = np.array([c["value_type"] == "integer" for c in columns])
    increments = rng.integers(0, 5_000, size=shape)
    tenths = np.where(flow, np.cumsum(increments, axis=2), rng.integers(0, 60_000, size=shape))
    tenths = np.where(integer, tenths // 10, tenths)  # integers: whole units, not tenths
    for j, column in enumerate(columns):  # shifting and capping keep flows non-decreasing
        scale = 1 if column["value_type"] == "integer" else 10
        if column["min"] is not None:
            tenths[..., j] += math.ceil(column["min"] * scale)
        if column["max"] is not None:
            tenths[..., j] = np.minimum(tenths[..., j], int(column["max"] * scale))
    flat = tenths.reshape(-1)[:values]
    is_int = np.broadcast_to(integer, shape).reshape(-1)[:values]
    whole = pd.Series(np.where(is_int, flat, flat // 10)).astype(str)
    decimal = whole + "." + pd.Series(flat % 10).astype(str)
    text = whole.where(is_int, decimal)

    zi, yi, mi, ki = np.unravel_index(np.arange(values), shape)
    period_codes = np.array([f"{FIRST_YEAR + y}M{m + 1:02d}" for y in range(YEARS)
                             for m in range(12)], dtype=object)
    comment = np.where(np.arange(values) % 97 == 0, "含部分估算", "")
    frame = pd.DataFrame({
        "zone": np.array(zones, dtype=object)[zi],
        "period": period_codes[yi * 12 + mi],
        "indicator": np.array([c["indicator"] for c in columns], dtype=object)[ki],
        "member": np.array([c["member"] for c in columns], dtype=object)[ki],
        "value": text.to_numpy(),
        "comment": comment,
    })
    frame.to_csv(path, index=False, encoding="utf-8")


def _empty_reporting_tables() -> None:
    from django.db import connection

    from bianhe.reporting.models import DataValue, Report, ValueChange

    tables = [connection.ops.quote_name(m._meta.db_table)
              for m in (ValueChange, DataValue, Report)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # CASCADE: every table that references reports (quality flags and
            # explanations, analytics facts) is emptied with them; PostgreSQL refuses to
            # truncate a referenced table alone, even when the referencing one is empty.
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0].split()[0]
        cursor.execute("SELECT sqlite_version()")
        return "SQLite " + cursor.fetchone()[0]


def _child(args) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    import resource

    import pandas as pd
    from django.db import connection

    from bianhe.reporting import ingest as ingest_module
    from bianhe.reporting.ingest import writers
    from bianhe.reporting.models import DataValue

    # Which version ran: the code changes over time (a package since issue 12).
    package = Path(ingest_module.__file__).parent
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        digest.update(source.read_bytes())
    ingest_py = f"{package.relative_to(ROOT / 'src')}/ sha256 {digest.hexdigest()[:12]}"
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    _log(f"{connection.vendor}: migrating and loading registry, catalogues, forms, zones")
    zones, columns = _setup_database(args.values)
    setup_seconds = time.perf_counter() - started
    _log(f"setup done in {setup_seconds:.1f} s: {len(zones)} zones × {YEARS} years × 12 "
         f"months × {len(columns)} indicator/member columns")

    write_seconds: list[float] = []
    original_write = writers.write

    def timed_write(*a, **kw):
        t0 = time.perf_counter()
        try:
            return original_write(*a, **kw)
        finally:
            write_seconds.append(time.perf_counter() - t0)

    writers.write = timed_write

    with tempfile.TemporaryDirectory(prefix="bianhe-bench-csv-") as tmp:
        path = Path(tmp) / "values.csv"
        t0 = time.perf_counter()
        _generate_csv(path, zones, columns, args.values, args.seed)
        _log(f"CSV generated in {time.perf_counter() - t0:.1f} s "
             f"({path.stat().st_size / 1e6:.1f} MB)")
        runs = []
        for run in range(1, args.repeat + 1):
            _empty_reporting_tables()
            t0 = time.perf_counter()
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            read = time.perf_counter() - t0
            assert len(frame) == args.values

            t0 = time.perf_counter()
            checked = ingest_module.ingest(frame, actor=None, source="import", dry_run=True)
            check = time.perf_counter() - t0
            if not checked.ok:
                raise SystemExit(f"generated data has {checked.problem_count} problems, e.g. "
                                 f"{checked.problems[:5]}")

            write_seconds.clear()
            t0 = time.perf_counter()
            written = ingest_module.ingest(frame, actor=None, source="import")
            full = time.perf_counter() - t0
            assert written.ok and written.created == args.values, written
            stored = DataValue.objects.count()
            assert stored == args.values, stored
            runs.append({"read": read, "check": check, "full": full,
                         "write": sum(write_seconds), "whole": read + full})
            _log(f"run {run}: read {read:.2f} s, check {check:.2f} s, full {full:.2f} s "
                 f"(write {sum(write_seconds):.2f} s) → "
                 f"{args.values / (read + full):,.0f} values/s")
            del frame

        if args.profile:
            import cProfile

            _empty_reporting_tables()
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            profiler = cProfile.Profile()
            profiler.enable()
            ingest_module.ingest(frame, actor=None, source="import")
            profiler.disable()
            profiler.dump_stats(args.profile)
            _log(f"profile of one full ingest saved to {args.profile}")
        csv_mb = path.stat().st_size / 1e6

    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    ratios = {
        "check_over_full": statistics.median(r["check"] / r["full"] for r in runs),
        "write_over_full": statistics.median(r["write"] / r["full"] for r in runs),
        "full_over_read": statistics.median(r["full"] / r["read"] for r in runs),
    }
    result = {
        "ingest_py": ingest_py,
        "backend": connection.vendor, "server": _server_version(), "values": args.values,
        "repeat": args.repeat, "zones": len(zones), "columns": len(columns),
        "setup_seconds": setup_seconds, "csv_mb": csv_mb, "runs": runs, "median": median,
        "median_ratios": ratios,
        "load_1min": [load_before, os.getloadavg()[0]],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(args.child).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
