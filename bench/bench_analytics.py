"""Benchmark: analytics on a national-scale database, issue "Analytics".

Not a test: a script that prints a summary. Targets, on 2,543 zones × 10 years × 12 months ×
60 indicators, in SQLite and in PostgreSQL: a pivot of one indicator × province × year in
a median < 100 ms warm and < 1 s cold; a zone profile page < 150 ms; the ministry dashboard
< 300 ms; a value the ministry accepts visible in official analytics within 1 s.

Each backend's database is built once (``analytics_data.py`` says what it holds) in its own
place — SQLite under ``<home-root>/sqlite`` (``BIANHE_HOME``), PostgreSQL in the database of
``--database-url`` (default ``bianhe_bench``; ``test``, ``test_test`` and system databases are
refused) with ``<home-root>/postgresql`` as ``BIANHE_HOME`` — and kept: ``--reuse`` skips the
build when the marker file of a finished build is there. Every phase runs in a child
process with that backend's settings; the backends run one after the other.

Phases, per backend:

``warm``   one untimed warm-up, then the median of ``--repeat`` runs (``time.perf_counter``)
           of: the engine (``analytics.queries.run`` as a ministry analyst, TRADE_TOTAL ×
           province × year 2017–2026); the engine's fact read alone (``read_facts``); a plain
           ``SELECT`` of those facts with and without the member named; the same pivot as
           one SQL ``GROUP BY`` over ``analytics_fact``; the same over ``reporting_datavalue``
           ⨝ ``reporting_report`` ⨝ zones, first with the schema's indexes only, then with
           two extra covering indexes made for it; a DuckDB snapshot of the fact table
           (export timed) and the pivot over it; the pages through Django's test ``Client``
           (``force_login``) in the same process: the pivot page, the zone profile and the
           dashboard (each page's data builder instead when the page is not there yet).
           Every way of computing the pivot must give the engine's 70 figures.
``cold``   a new Python process per sample, Django set up, nothing queried yet: the time of
           the first call (``run()``, ``read_facts``, the pivot page as the first request and
           after one ``/catalog/`` request, the extra-index SQL, DuckDB; the schema-index SQL
           after the extra indexes are dropped again). Before each sample the OS page cache
           is dropped (``sync``; ``3`` to ``/proc/sys/vm/drop_caches``, needs root; the
           script says if it failed) and on PostgreSQL the server's shared buffers are
           flooded with ``pg_prewarm`` of 1 GB of another table (the server is shared, so it
           is not restarted).
``fresh``  for each draft of the last month: the zone reporter submits, the province
           reviewer approves (``review.actions.do_transition``, users made with
           ``accounts.actions.do_create_user``), then the ministry administrator accepts while a
           second process polls ``run()`` (official basis, zone level, year-to-date at the
           report's month) in a loop; the figure is the time from the start of the ``accept``
           call to the end of the first poll that returns the report's TRADE_TOTAL. The
           reports are then put back to draft through the workflow (reopen, undo the
           approval, withdraw), so the phase can run again.

    .venv/bin/python bench/bench_analytics.py                       # both backends
    .venv/bin/python bench/bench_analytics.py --reuse --backend sqlite
    .venv/bin/python bench/bench_analytics.py --zones 200 --home-root ../bench-small \\
        --database-url postgres://postgres@127.0.0.1:5432/bianhe_bench_small
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(Path(__file__).resolve().parent)]

import benchdb  # noqa: E402

import analytics_data as data  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bianhe_bench"
TARGETS = {"pivot warm": 0.100, "pivot cold": 1.0, "zone profile": 0.150,
           "dashboard": 0.300, "freshness": 1.0}
YEARS = [str(data.FIRST_YEAR + i) for i in range(data.YEARS)]
PIVOT_URL = (f"/analytics/pivot/?indicator=TRADE_TOTAL&level=province&granularity=year"
             f"&start={YEARS[0]}&end={YEARS[-1]}")
PROFILE_ZONE = "BECZ-GX-01"
EXTRA_INDEXES = {  # for the DataValue ⨝ Report pivot: both make its reads index-only
    "sqlite": ["CREATE INDEX bench_datavalue_cover ON reporting_datavalue "
               "(report_id, indicator_code, member, value)",
               "CREATE INDEX bench_report_cover ON reporting_report (period, status, zone_id)"],
    "postgresql": ["CREATE INDEX bench_datavalue_cover ON reporting_datavalue "
                   "(report_id, indicator_code, member) INCLUDE (value)",
                   "CREATE INDEX bench_report_cover ON reporting_report (period, status) "
                   "INCLUDE (zone_id)"],
}
COLD_KINDS = ("engine", "read_facts", "page", "page_after_other", "datavalue_sql_indexed",
              "duckdb")
WARM_UP_PAGE = "/catalog/"  # a page that reads no facts: warms the process, not the data


def _log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S", time.gmtime())
    print(f"  [{stamp}] {message}", file=sys.stderr, flush=True)


def fingerprint() -> dict[str, str]:
    """sha256 (12 hex digits) of the analytics code measured: others change it meanwhile."""
    import hashlib

    src = ROOT / "src" / "bianhe" / "analytics"
    files = sorted(src.glob("*.py")) + sorted(src.glob("templates/analytics/*.html"))
    result = {f.relative_to(src).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()[:12]
              for f in files}
    result["(all)"] = hashlib.sha256("".join(result.values()).encode()).hexdigest()[:12]
    return result


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn, repeat: int) -> dict:
    fn()  # warm-up, not counted
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return {"median": statistics.median(runs), "runs": runs}


# --- in a child: the pivot, four ways ----------------------------------------------------------
def pivot_query():
    from bianhe.analytics.query import Query

    return Query(indicators=("TRADE_TOTAL",), level="province", granularity="year",
                 start=YEARS[0], end=YEARS[-1])


def decembers() -> list[str]:
    return [f"{year}M12" for year in YEARS]


def engine_figures(result) -> dict:
    return {(row.unit, row.period): row.value for row in result.frame.itertuples()
            if row.value == row.value}


def fact_rows_sql(member: bool = False):
    """The engine's own fact query for the pivot (as ``queries.read_facts`` builds it), or
    the same naming the member (the total, ''), which the index's second column wants."""
    from bianhe.analytics.models import Fact

    rows = Fact.objects.filter(indicator_code="TRADE_TOTAL", period__in=decembers(),
                               status__in=["accepted"])
    if member:
        rows = rows.filter(member__in=[""])
    rows = rows.values_list(
        "zone_id", "period", "member", "value", "is_demo")
    return rows.query.sql_with_params()


def engine_read():
    """The engine's read of the pivot's facts: ``queries.read_facts`` as ``run()`` calls it."""
    from bianhe.analytics.queries import read_facts

    return read_facts("TRADE_TOTAL", decembers(), ("accepted",), None, [""])


def engine_read_sql() -> tuple[str, str]:
    """The SQL text ``read_facts`` sends (parameters inlined by the backend's own quoting)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        engine_read()
    sql = queries.captured_queries[-1]["sql"]
    return sql, sql


def _valid_year_sql(vendor: str) -> str:
    year = ("CAST(strftime('%%Y', z.{f}) AS INTEGER)" if vendor == "sqlite"
            else "CAST(EXTRACT(YEAR FROM z.{f}) AS INTEGER)")
    period_year = "CAST(SUBSTR({t}.period, 1, 4) AS INTEGER)"
    return (f"COALESCE({year.format(f='valid_from')}, z.approval_year, 0) <= {period_year} "
            f"AND COALESCE({year.format(f='valid_to')}, 9999) >= {period_year}")


def grouped_sql(vendor: str, source: str) -> tuple[str, list]:
    """The pivot aggregated in SQL, from the fact table or from DataValue ⨝ Report."""
    marks = ", ".join(["%s"] * len(YEARS))
    valid = _valid_year_sql(vendor)
    if source == "fact":
        sql = ("SELECT pz.code, SUBSTR(f.period, 1, 4), SUM(f.value) FROM analytics_fact f "
               "JOIN zones_orgunit z ON z.id = f.zone_id "
               "JOIN zones_orgunit pz ON pz.id = z.parent_id "
               "WHERE f.indicator_code = 'TRADE_TOTAL' AND f.member = '' AND "
               f"f.status = 'accepted' AND f.period IN ({marks}) AND "
               f"{valid.format(t='f')} GROUP BY pz.code, SUBSTR(f.period, 1, 4)")
    else:
        sql = ("SELECT pz.code, SUBSTR(r.period, 1, 4), SUM(v.value) FROM reporting_report r "
               "JOIN reporting_datavalue v ON v.report_id = r.id AND "
               "v.indicator_code = 'TRADE_TOTAL' AND v.member = '' "
               "JOIN zones_orgunit z ON z.id = r.zone_id "
               "JOIN zones_orgunit pz ON pz.id = z.parent_id "
               f"WHERE r.status = 'accepted' AND r.period IN ({marks}) AND "
               f"{valid.format(t='r')} GROUP BY pz.code, SUBSTR(r.period, 1, 4)")
    return sql, decembers()


def fetch(sql: str, params) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def explain(sql: str, params) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if params is None:  # the SQL holds its literals
            cursor.execute(prefix + sql)
        else:
            cursor.execute(prefix + sql, params)
        return [" | ".join(str(c) for c in row) for row in cursor.fetchall()]


def same_figures(engine: dict, rows) -> bool:
    other = {(code, year): float(total) for code, year, total in rows}
    return other.keys() == engine.keys() and all(
        abs(other[k] - engine[k]) <= 1e-9 * max(abs(engine[k]), 1.0) for k in engine)


def duckdb_path() -> Path:
    from django.conf import settings

    return Path(settings.BIANHE_HOME) / "snapshot.duckdb"


DUCKDB_PIVOT = ("SELECT z.province, SUBSTR(f.period, 1, 4), SUM(f.value) FROM fact f "
                "JOIN zone z ON z.id = f.zone_id WHERE f.indicator_code = 'TRADE_TOTAL' AND "
                "f.member = '' AND f.status = 'accepted' AND f.period IN ({marks}) AND "
                "CAST(SUBSTR(f.period, 1, 4) AS INTEGER) BETWEEN z.first_year AND "
                "z.last_year GROUP BY 1, 2")


def duckdb_export() -> dict:
    """Snapshot the fact table into DuckDB: a CSV dump (COPY on PostgreSQL, the cursor on
    SQLite), then a table sorted by indicator, member and period, and the zones."""
    import csv

    import duckdb
    from django.db import connection

    from bianhe.analytics.registry import all_zones

    target = duckdb_path()
    dump = target.with_suffix(".csv")
    columns = "zone_id, indicator_code, member, period, status, value"
    start = time.perf_counter()
    with connection.cursor() as cursor, dump.open("w", newline="") as out:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY (SELECT {columns} FROM analytics_fact) TO STDOUT "
                                    "(FORMAT csv)") as copy:
                for block in copy:
                    out.write(bytes(block).decode())
        else:
            cursor.execute(f"SELECT {columns} FROM analytics_fact")
            writer = csv.writer(out)
            while rows := cursor.fetchmany(200_000):
                writer.writerows(rows)
    dumped = time.perf_counter()
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute(
        "CREATE TABLE fact AS SELECT * FROM read_csv(?, header = false, columns = "
        "{'zone_id': 'INTEGER', 'indicator_code': 'VARCHAR', 'member': 'VARCHAR', "
        "'period': 'VARCHAR', 'status': 'VARCHAR', 'value': 'DOUBLE'}, nullstr = '\\N', "
        "allow_quoted_nulls = false) "
        "ORDER BY indicator_code, member, period", [str(dump)])
    zones = all_zones()
    con.execute("CREATE TABLE zone (id INTEGER, province VARCHAR, first_year INTEGER, "
                "last_year INTEGER)")
    con.executemany("INSERT INTO zone VALUES (?, ?, ?, ?)", [
        (int(i), p, int(a), int(b)) for i, p, a, b in zip(
            zones.ids, zones.province_codes, zones.valid_from_year, zones.valid_to_year,
            strict=True)])
    con.close()
    done = time.perf_counter()
    size = dump.stat().st_size
    dump.unlink()
    return {"dump_s": dumped - start, "load_s": done - dumped, "total_s": done - start,
            "csv_mb": size / 1e6, "duckdb_mb": target.stat().st_size / 1e6}


def duckdb_pivot(con) -> list:
    marks = ", ".join(["?"] * len(YEARS))
    return con.execute(DUCKDB_PIVOT.format(marks=marks), decembers()).fetchall()


# --- in a child: pages ------------------------------------------------------------------------
def page_or_builder(client, url: str, builder, repeat: int) -> dict:
    """The page through the test client when it answers 200, else its data builder."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # read now: the next request empties the log
    if response.status_code == 200:
        result = timed(lambda: client.get(url), repeat)
        return {**result, "what": f"page {url}", "queries": count,
                "bytes": len(response.content)}
    note = f"page {url} answered {response.status_code}"
    try:
        function = builder()
        function()
    except Exception as exc:  # the pages are being written: say what happened
        return {"what": f"{note}; builder failed ({type(exc).__name__}: {exc})",
                "median": None}
    return {**timed(function, repeat), "what": f"{note}; timed the builder instead"}


def pages(repeat: int) -> dict:
    from django.test import Client

    from bianhe.accounts.models import User

    analyst = User.objects.get(username="bench-analyst")
    client = Client(raise_request_exception=False)
    client.force_login(analyst)

    def profile():
        from bianhe.analytics.profile import build_profile

        return lambda: build_profile(analyst, PROFILE_ZONE)

    def dashboard():
        from bianhe.analytics.dashboards import build_dashboard

        return lambda: build_dashboard(analyst)

    def pivot():
        from bianhe.analytics.queries import run

        return lambda: run(analyst, pivot_query())

    return {"pivot page": page_or_builder(client, PIVOT_URL, pivot, repeat),
            "zone profile": page_or_builder(client, f"/analytics/zones/{PROFILE_ZONE}/",
                                            profile, repeat),
            "dashboard": page_or_builder(client, "/analytics/", dashboard, repeat)}


def phase_warm(args) -> dict:
    from django.db import connection

    from bianhe.accounts.models import User
    from bianhe.analytics.queries import run

    vendor = connection.vendor
    phase_drop_extra(args)  # left by an interrupted run
    analyst = User.objects.get(username="bench-analyst")
    out: dict = {"load_start": _load()}
    engine = engine_figures(run(analyst, pivot_query()))
    out["figures"] = len(engine)
    out["engine run()"] = timed(lambda: run(analyst, pivot_query()), args.repeat)
    sql, captured = engine_read_sql()
    out["engine read_facts()"] = {**timed(engine_read, args.repeat), "sql": captured,
                                  "plan": explain(captured, None)}
    for name, member in (("fact rows, member not named", False),
                         ("fact rows, member named", True)):
        sql, params = fact_rows_sql(member=member)
        out[name] = {**timed(lambda sql=sql, params=params: fetch(sql, params), args.repeat),
                     "rows": len(fetch(sql, params)), "plan": explain(sql, params)}
    checks = {}
    for name, source in (("fact GROUP BY", "fact"),
                         ("DataValue ⨝ Report GROUP BY, schema indexes", "datavalue")):
        sql, params = grouped_sql(vendor, source)
        checks[name] = same_figures(engine, fetch(sql, params))
        out[name] = {**timed(lambda sql=sql, params=params: fetch(sql, params), args.repeat),
                     "plan": explain(sql, params)}
    _log("extra indexes for DataValue ⨝ Report…")
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in EXTRA_INDEXES[vendor]:
            cursor.execute(statement)
        cursor.execute("ANALYZE")
    out["extra indexes build s (with ANALYZE)"] = time.perf_counter() - start
    out["extra index sizes MB"] = index_sizes(["bench_datavalue_cover", "bench_report_cover"])
    name = "DataValue ⨝ Report GROUP BY, extra indexes"
    sql, params = grouped_sql(vendor, "datavalue")
    checks[name] = same_figures(engine, fetch(sql, params))
    out[name] = {**timed(lambda: fetch(sql, params), args.repeat),
                 "plan": explain(sql, params)}
    if args.duckdb:
        import duckdb

        _log("DuckDB snapshot…")
        out["duckdb export"] = duckdb_export()
        con = duckdb.connect(str(duckdb_path()), read_only=True)
        checks["DuckDB snapshot"] = same_figures(engine, duckdb_pivot(con))
        out["DuckDB snapshot"] = timed(lambda: duckdb_pivot(con), args.repeat)
        con.close()
    out["same figures as the engine"] = checks
    _log("pages…")
    out["pages"] = pages(args.repeat)
    out["sizes MB"] = index_sizes(None)
    out["load_end"] = _load()
    return out


def index_sizes(names) -> dict:
    """Size of the named indexes, or of the big tables and all their indexes."""
    from django.db import connection

    tables = ("reporting_datavalue", "analytics_fact", "reporting_report")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if names is None:
                cursor.execute("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE "
                               "relname = ANY(%s) OR oid IN (SELECT indexrelid FROM pg_index "
                               "WHERE indrelid IN (SELECT oid FROM pg_class WHERE relname "
                               "= ANY(%s)))", [list(tables), list(tables)])
            else:
                cursor.execute("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE "
                               "relname = ANY(%s)", [list(names)])
        else:
            if names is None:
                cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name IN "
                               "(%s, %s, %s)", list(tables))
                names = [row[0] for row in cursor.fetchall()]
            marks = ", ".join(["%s"] * len(names))
            cursor.execute(f"SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ({marks}) "
                           "GROUP BY name", list(names))
        return {name: round(size / 1e6, 1) for name, size in cursor.fetchall()}


def phase_drop_extra(args) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        for name in ("bench_datavalue_cover", "bench_report_cover"):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute("ANALYZE")
    return {}


def phase_cold(args) -> dict:
    """The first call in this fresh process (its connection opens inside the timing)."""
    from django.db import connection

    from bianhe.accounts.models import User
    from bianhe.analytics.queries import run

    kind = args.kind
    if kind == "duckdb":
        import duckdb

        start = time.perf_counter()
        con = duckdb.connect(str(duckdb_path()), read_only=True)
        duckdb_pivot(con)
        return {"seconds": time.perf_counter() - start}
    analyst = User.objects.get(username="bench-analyst")  # opens the connection
    connection.close()
    if kind in ("page", "page_after_other"):
        from django.test import Client

        client = Client(raise_request_exception=False)
        client.force_login(analyst)
        if kind == "page_after_other":
            client.get(WARM_UP_PAGE)
        connection.close()
        start = time.perf_counter()
        response = client.get(PIVOT_URL)
        seconds = time.perf_counter() - start
        return {"seconds": seconds if response.status_code == 200 else None,
                "status": response.status_code}
    if kind == "explain":  # PostgreSQL: where a first query of these facts found its pages
        sql, params = fact_rows_sql(member=True)
        return {"plan": [row[0] for row in fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]}
    start = time.perf_counter()
    if kind == "engine":
        run(analyst, pivot_query())
    elif kind == "read_facts":
        engine_read()
    else:  # datavalue_sql_indexed, datavalue_sql_plain
        fetch(*grouped_sql(connection.vendor, "datavalue"))
    return {"seconds": time.perf_counter() - start}


# --- freshness ---------------------------------------------------------------------------------
def phase_fresh_reader(args) -> dict:
    """Poll ``run()`` for the zone on stdin until it returns the expected value."""
    import math

    from bianhe.accounts.models import User
    from bianhe.analytics.queries import run
    from bianhe.analytics.query import Query

    analyst = User.objects.get(username="bench-analyst")
    period = data.last_period()
    for line in sys.stdin:
        zone, expected = line.split()
        expected = float(expected)
        query = Query(indicators=("TRADE_TOTAL",), level="zone", units=(zone,),
                      granularity="ytd", start=period, end=period)
        polls, durations = 0, []
        while True:
            start = time.clock_gettime(time.CLOCK_MONOTONIC)
            value = run(analyst, query).frame["value"].iloc[0]
            end = time.clock_gettime(time.CLOCK_MONOTONIC)
            polls += 1
            durations.append(end - start)
            if polls == 1:
                print("READY", flush=True)
            if not math.isnan(value) and abs(value - expected) <= 1e-6 * max(expected, 1):
                print(json.dumps({"seen": end, "polls": polls,
                                  "poll_median": statistics.median(durations)}), flush=True)
                break
    return {}


def phase_fresh(args) -> dict:
    from django.core.exceptions import ValidationError

    from bianhe.accounts.actions import do_create_user
    from bianhe.accounts.models import User
    from bianhe.quality.actions import do_explain
    from bianhe.reporting.models import Report
    from bianhe.review.actions import do_transition
    from bianhe.roles import Role
    from bianhe.zones.models import OrgUnit

    admin = User.objects.get(username="bench-admin")
    drafts = list(Report.objects.filter(status="draft", period=data.last_period())
                  .select_related("zone").order_by("zone__code")[:args.fresh])

    def user(name, role, unit):
        existing = User.objects.filter(username=name).first()
        return existing or do_create_user(None, username=name, password=data.PASSWORD,
                                          role=role, scope_units=[unit])

    reader = subprocess.Popen([sys.executable, __file__, "--child", "fresh_reader",
                               "--out", os.devnull], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=os.environ)
    samples = []
    for report in drafts:
        zone = report.zone
        reporter = user(f"bench-reporter-{zone.code}", Role.ZONE_REPORTER, zone)
        province = OrgUnit.objects.get(pk=zone.parent_id)
        reviewer = user(f"bench-reviewer-{province.code}", Role.PROVINCE_REVIEWER, province)
        start = time.perf_counter()
        explained = 0
        for _attempt in range(3):
            try:
                do_transition(reporter, report, "submit")
                break
            except ValidationError:
                from bianhe.quality.queries import blocking_problems

                errors, unexplained = blocking_problems(report)
                if errors or not unexplained:
                    raise
                for cell in unexplained:
                    code, _, member = cell.partition("/")
                    do_explain(reporter, report, code, member, "基准测试:合成数据的波动")
                    explained += 1
        submit_s = time.perf_counter() - start
        do_transition(reviewer, report, "approve")
        expected = float(report.values.get(indicator_code="TRADE_TOTAL", member="").value)
        reader.stdin.write(f"{zone.code} {expected!r}\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "READY"
        t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
        do_transition(admin, report, "accept")
        accepted = time.clock_gettime(time.CLOCK_MONOTONIC)
        seen = json.loads(reader.stdout.readline())
        samples.append({"zone": zone.code, "visible_s": seen["seen"] - t0,
                        "accept_s": accepted - t0, "polls": seen["polls"],
                        "poll_median_s": seen["poll_median"], "submit_s": submit_s,
                        "explanations": explained})
        _log(f"  {zone.code}: visible after {samples[-1]['visible_s'] * 1000:.0f} ms "
             f"(accept {samples[-1]['accept_s'] * 1000:.0f} ms)")
    reader.stdin.close()
    reader.wait()
    for report, sample in zip(drafts, samples, strict=False):  # back to draft, for next time
        report.refresh_from_db()
        reporter = User.objects.get(username=f"bench-reporter-{sample['zone']}")
        reviewer = User.objects.get(
            username=f"bench-reviewer-{OrgUnit.objects.get(pk=report.zone.parent_id).code}")
        do_transition(admin, report, "reopen", reason="基准测试复原")
        do_transition(reviewer, report, "unapprove", reason="基准测试复原")
        do_transition(reporter, report, "withdraw", reason="基准测试复原")
    return {"samples": samples,
            "median_visible_s": statistics.median(s["visible_s"] for s in samples),
            "median_accept_s": statistics.median(s["accept_s"] for s in samples),
            "median_poll_s": statistics.median(s["poll_median_s"] for s in samples)}


# --- in a child: the build ------------------------------------------------------------------------
def phase_build(args) -> dict:
    from django.core.management import call_command

    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_s = time.perf_counter() - start
    result = data.build(args.zones, _log)
    result["steps"] = {"migrate": migrate_s, **result["steps"]}
    result["total_s"] = time.perf_counter() - start
    return result


PHASES = {"build": phase_build, "warm": phase_warm, "cold": phase_cold,
          "drop_extra": phase_drop_extra, "fresh": phase_fresh,
          "fresh_reader": phase_fresh_reader}


def child_main(args) -> None:
    import django

    django.setup()
    result = PHASES[args.child](args)
    Path(args.out).write_text(json.dumps(result, default=str))


# --- the parent ----------------------------------------------------------------------------------
def backend_env(backend: str, args) -> tuple[dict, Path]:
    home = Path(args.home_root) / backend
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BIANHE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "bianhe.settings",
           "BIANHE_DATABASE_URL": args.database_url if backend == "postgresql" else "",
           "BIANHE_DEBUG": "0", "BIANHE_STATIC_MANIFEST": "0",
           "BIANHE_ALLOWED_HOSTS": "testserver,localhost",
           "PYTHONPATH": os.pathsep.join(p for p in (args.pylib, os.environ.get("PYTHONPATH"))
                                         if p)}
    return env, home


def run_child(phase: str, backend: str, args, *extra: str) -> dict:
    env, home = backend_env(backend, args)
    out = home / f"{phase}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", phase,
               "--out", str(out), "--repeat", str(args.repeat), "--zones", str(args.zones),
               "--fresh", str(args.fresh), *([] if args.duckdb else ["--no-duckdb"]), *extra]
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    result = json.loads(out.read_text())
    out.unlink()
    return result


def cold_samples(backend: str, kind: str, args) -> dict:
    seconds, caches = [], []
    for _ in range(args.cold):
        if backend == "postgresql":
            data.flood_shared_buffers(args.database_url)
        caches.append(data.drop_caches())
        result = run_child("cold", backend, args, "--kind", kind)
        if result.get("seconds") is None:
            return {"median": None, "note": f"answered {result.get('status')}"}
        seconds.append(result["seconds"])
    return {"median": statistics.median(seconds), "runs": seconds,
            "caches_dropped": all(c["ok"] for c in caches), "caches": caches[0]}


def bench_backend(backend: str, args) -> dict:
    _env, home = backend_env(backend, args)
    marker = home / "build.json"
    result: dict = {}
    built = json.loads(marker.read_text()) if marker.exists() else None
    usable = bool(args.reuse and built and built["zones_asked"] == args.zones
                  and data.zone_count(backend, home, args.database_url) == built["counts"]["zones"])
    if not usable:
        _log(f"{backend}: building the national database ({args.zones} zones)…")
        marker.unlink(missing_ok=True)
        if backend == "postgresql":
            benchdb.recreate_postgres(args.database_url)
        else:
            for path in home.glob("bianhe.sqlite3*"):
                path.unlink()
        (home / "snapshot.duckdb").unlink(missing_ok=True)
        built = {**run_child("build", backend, args), "zones_asked": args.zones,
                 "built_on": time.strftime("%Y-%m-%d %H:%M"),
                 "database_mb": round(data.disk_usage(backend, home, args.database_url) / 1e6)}
        marker.write_text(json.dumps(built, indent=1))
    else:
        _log(f"{backend}: reusing the database built {built['built_on']}")
    result["build"] = built
    _log(f"{backend}: warm timings…")
    result["warm"] = run_child("warm", backend, args)
    result["cold"] = {}
    kinds = [k for k in COLD_KINDS if args.duckdb or k != "duckdb"]
    if backend == "postgresql":
        data.flood_shared_buffers(args.database_url)
        data.drop_caches()
        result["cold explain"] = run_child("cold", backend, args, "--kind", "explain")["plan"]
    for kind in kinds:
        _log(f"{backend}: cold {kind} ×{args.cold}…")
        result["cold"][kind] = cold_samples(backend, kind, args)
    run_child("drop_extra", backend, args)
    result["cold"]["datavalue_sql_plain"] = cold_samples(backend, "datavalue_sql_plain", args)
    _log(f"{backend}: freshness…")
    result["fresh"] = run_child("fresh", backend, args)
    result["database_mb"] = round(data.disk_usage(backend, home, args.database_url) / 1e6)
    return result


def machine(args) -> dict:
    import sqlite3

    info = {"nproc": os.cpu_count(), "python": platform.python_version(),
            "kernel": platform.release(), "sqlite": sqlite3.sqlite_version}
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            info["cpu"] = line.split(":", 1)[1].strip()
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            info["ram_gib"] = round(int(line.split()[1]) / 2**20, 1)
    from importlib.metadata import version

    for name in ("django", "numpy", "pandas", "psycopg"):
        info[name] = version(name)
    try:
        import psycopg

        with psycopg.connect(benchdb.admin_url(args.database_url)[0]) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            info["shared_buffers"] = conn.execute("SHOW shared_buffers").fetchone()[0]
    except Exception as exc:
        info["postgresql"] = f"unreachable ({exc})"
    if args.duckdb:
        import duckdb

        info["duckdb"] = duckdb.__version__
    return info


def _ms(seconds) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def _verdict(seconds, target) -> str:
    if seconds is None:
        return "not measured"
    return f"{'met' if seconds < target else 'MISSED'} ({target * 1000:,.0f} ms)"


def print_summary(report: dict) -> None:
    print("\nAnalytics benchmark", report["started"], "— machine:", json.dumps(report["machine"],
                                                                          ensure_ascii=False))
    for backend, r in report["backends"].items():
        b, w, c, f = r["build"], r["warm"], r["cold"], r["fresh"]
        counts = b["counts"]
        print(f"\n== {backend}: {counts['zones']:,} zones, {counts['reporting_report']:,} "
              f"reports, {counts['reporting_datavalue']:,} values, {counts['analytics_fact']:,}"
              f" facts; built in {b['total_s']:.0f} s; database {b.get('database_mb', 0):,} MB"
              f" after the build, {r['database_mb']:,} MB now")
        for step, seconds in b["steps"].items():
            if not step.startswith("index detail"):
                print(f"   build: {step:<48} {seconds:8.1f} s")
        p = w["pages"]
        rows = [("pivot warm: engine run()", w["engine run()"]["median"], "pivot warm"),
                (f"pivot warm: {p['pivot page']['what']}", p["pivot page"]["median"],
                 "pivot warm"),
                ("pivot cold: engine run()", c["engine"]["median"], "pivot cold"),
                ("pivot cold: page, first request of the process", c["page"]["median"],
                 "pivot cold"),
                (f"pivot cold: page, after one {WARM_UP_PAGE} request",
                 c["page_after_other"]["median"], "pivot cold"),
                (f"zone profile: {p['zone profile']['what']}", p["zone profile"]["median"],
                 "zone profile"),
                (f"dashboard: {p['dashboard']['what']}", p["dashboard"]["median"],
                 "dashboard"),
                ("freshness: accept → visible to another process", f["median_visible_s"],
                 "freshness")]
        print(f"   {'measure (median)':<78} {'time':>12}  target")
        for name, seconds, target in rows:
            print(f"   {name[:78]:<78} {_ms(seconds):>12}  {_verdict(seconds, TARGETS[target])}")
        print(f"   freshness detail: accept call {_ms(f['median_accept_s'])}, one poll "
              f"{_ms(f['median_poll_s'])}, {len(f['samples'])} reports")
        print("   storage comparison (warm median · cold median):")
        pairs = [("engine run() over analytics_fact", "engine run()", "engine"),
                 ("the engine's fact read alone (read_facts)", "engine read_facts()",
                  "read_facts"),
                 ("fact SELECT, member not named", "fact rows, member not named", None),
                 ("fact SELECT, member named", "fact rows, member named", None),
                 ("analytics_fact GROUP BY in SQL", "fact GROUP BY", None),
                 ("DataValue ⨝ Report GROUP BY, schema indexes",
                  "DataValue ⨝ Report GROUP BY, schema indexes", "datavalue_sql_plain"),
                 ("DataValue ⨝ Report GROUP BY, extra covering indexes",
                  "DataValue ⨝ Report GROUP BY, extra indexes", "datavalue_sql_indexed"),
                 ("DuckDB snapshot", "DuckDB snapshot", "duckdb")]
        for label, warm_key, cold_key in pairs:
            if warm_key not in w:
                continue
            cold = c.get(cold_key, {}).get("median") if cold_key else None
            print(f"     {label:<56} {_ms(w[warm_key]['median']):>12} · {_ms(cold):>12}")
        if "duckdb export" in w:
            e = w["duckdb export"]
            print(f"     DuckDB export: {e['total_s']:.1f} s (dump {e['dump_s']:.1f} s, load "
                  f"{e['load_s']:.1f} s), file {e['duckdb_mb']:.0f} MB")
        print(f"     extra indexes: {w['extra indexes build s (with ANALYZE)']:.1f} s, "
              f"{w['extra index sizes MB']} MB")
        print(f"     same figures as the engine: {w['same figures as the engine']}")
        print(f"     caches dropped before cold runs: {c['engine'].get('caches_dropped')} "
              f"({c['engine'].get('caches')})")
        print(f"   load average at warm start / end: {w['load_start']} · {w['load_end']}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--zones", type=int, default=data.ZONES)
    parser.add_argument("--reuse", action="store_true",
                        help="skip the build when a finished one is there")
    parser.add_argument("--repeat", type=int, default=9, help="warm runs (after one warm-up)")
    parser.add_argument("--cold", type=int, default=5, help="cold samples (new processes)")
    parser.add_argument("--fresh", type=int, default=9, help="reports for freshness")
    parser.add_argument("--home-root", default=os.environ.get("BIANHE_BENCH_HOME") or str(
        Path(tempfile.gettempdir()) / "bianhe-bench-analytics"),
                        help="where the built databases are kept between runs (default: "
                             "$BIANHE_BENCH_HOME, else bianhe-bench-analytics in the "
                             "temporary directory)")
    parser.add_argument("--database-url",
                        default=os.environ.get("BIANHE_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--pylib", help="a directory holding duckdb (pip install --target), "
                                         "optional (default: HOME_ROOT/pylib)")
    parser.add_argument("--no-duckdb", dest="duckdb", action="store_false")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.pylib = args.pylib or str(Path(args.home_root) / "pylib")
    if args.child:
        return child_main(args)
    if args.zones < 40:
        raise SystemExit("--zones must be at least 40")
    benchdb.admin_url(args.database_url)
    if args.duckdb:
        sys.path.append(args.pylib)
        try:
            import duckdb  # noqa: F401
        except ImportError:
            _log("duckdb is not importable: the DuckDB snapshot is skipped")
            args.duckdb = False
    started = time.time()
    report = {"started": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(args),
              "args": vars(args), "code_before": fingerprint(), "backends": {},
              "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                       capture_output=True, text=True).stdout.strip(),
              "uncommitted": subprocess.run(["git", "status", "--short", "src"], cwd=ROOT,
                                            capture_output=True, text=True).stdout.split("\n")}
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        report["backends"][backend] = bench_backend(backend, args)
    report["wall_s"] = time.time() - started
    report["code_after"] = fingerprint()
    if report["code_after"] != report["code_before"]:
        report["code_changed"] = sorted(k for k, v in report["code_after"].items()
                                        if report["code_before"].get(k) != v)
    out = Path(args.json) if args.json else Path(args.home_root) / \
        f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=1, default=str, ensure_ascii=False))
    print_summary(report)
    changed = [line for line in report["uncommitted"] if line.strip()]
    print(f"\ncommit {report['commit']}" + (f", uncommitted changes under src/: {changed}"
                                            if changed else ", no uncommitted change in src/"))
    print(f"analytics code measured: {report['code_before']['(all)']}"
          + (f"; CHANGED during the run: {report['code_changed']}"
             if "code_changed" in report else " (unchanged during the run)"))
    print(f"wall time {report['wall_s'] / 60:.1f} min; every figure in {out}")


if __name__ == "__main__":
    main()
