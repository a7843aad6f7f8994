"""The national benchmark database of ``bench_analytics.py``: built once per backend.

Not a test. Runs inside a process whose Django settings point at the benchmark database
(``BIANHE_HOME`` / ``BIANHE_DATABASE_URL`` set by ``bench_analytics.py``). What it builds:

* the real registry (``zones.registry.load_registry``: 7 provinces, 20 zones), the real
  catalogue for each of the 10 years (``catalog.loader.load_catalogue``) and the default
  quality rules (``quality.actions.ensure_default_rules``);
* synthetic zones ``BZ-0001``… through ``zones.actions.do_create_org_unit`` up to
  ``--zones`` zones (2,543 by default) over the 7 provinces, with their province's
  orientation; most count from before 2017, about 4 % start in 2019–2023 and about 2 % end
  in 2021–2025 (so registry validity removes values), about 10 % have an area;
* 7 synthetic indicators ``BENCH_01``…``BENCH_07`` in every catalogue version, and every
  indicator made monthly (in this database only): 60 indicators, 70 values a zone-month
  because TRADE_BY_PARTNER has 8 partner members and ENTERPRISES_BY_SIZE 4 sizes;
* one monthly form ``BENCH-M`` holding the 60 indicators, assigned to every zone;
* one report per zone × month 2017M01–2026M12: accepted, except in the last two months,
  where about 20 % are submitted and 10 % approved, and 2026M12 of ``FRESH_ZONES`` zones,
  left as drafts for the freshness measurement;
* every value of every report (``reporting_datavalue``) and the fact table, filled by the
  production loader ``analytics.facts.rebuild()``.

Values are made in SQL from three small seeded tables (zone × year levels from a seeded
numpy generator, the 120 months, the 70 cells): value = zone level × cell base × share ×
(1 ± 5 % noise by zone, year and root) × the year-to-date fraction of the month (flows), so
flows never fall within a year and every monthly default rule holds (EXPORT + IMPORT =
TRADE_TOTAL = Σ TRADE_BY_PARTNER ≥ BORDER_TRADE = its two parts; IND_TAX ≤ TAX ≤ FISCAL;
ABOVE_SCALE_IND_OUTPUT ≤ IND_OUTPUT; MAJOR_PROJECTS_STARTED ≤ MAJOR_PROJECTS). The noise
is integer arithmetic, so both backends hold the same values. Bulk loads run with the
tables' secondary indexes (and on PostgreSQL their foreign keys and unique constraints)
dropped, then re-created from the definitions read from the catalogue of the database
before dropping them; the script checks the definitions are the same afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

FIRST_YEAR = 2017
YEARS = 10
ZONES = 2_543  # China's 2018 development-zone catalogue (中国开发区审核公告目录, 2018)
SEED = 20180226
FORM_CODE = "BENCH-M"
FRESH_ZONES = 12  # zones whose last month stays a draft (freshness)
SYNTHETIC = (  # code, behaviour, value type, aggregation, unit
    ("BENCH_01", "flow_ytd", "decimal", "sum", "万元"),
    ("BENCH_02", "flow_ytd", "decimal", "sum", "万元"),
    ("BENCH_03", "flow_ytd", "decimal", "sum", "万美元"),
    ("BENCH_04", "flow_ytd", "integer", "sum", "人次"),
    ("BENCH_05", "stock", "integer", "sum", "个"),
    ("BENCH_06", "stock", "decimal", "sum", "万元"),
    ("BENCH_07", "rate", "percent", "none", "%"),
)
PROVINCE_SHARE = {"CN-NM": 0.13, "CN-LN": 0.11, "CN-JL": 0.12, "CN-HL": 0.14,
                  "CN-GX": 0.17, "CN-YN": 0.19, "CN-XJ": 0.14}
# Shares of a parent figure: the rules' identities hold by construction.
TRADE_CHILDREN = {"EXPORT": 0.55, "IMPORT": 0.45, "BORDER_TRADE": 0.3,
                  "BORDER_SMALL_TRADE": 0.18, "BORDER_RESIDENT_TRADE": 0.12}
PARTNER_SHARE = {"RU": 0.2, "MN": 0.1, "KZ": 0.15, "VN": 0.2, "MM": 0.1, "LA": 0.05,
                 "KP": 0.05, "OTHER": 0.15}
SIZE_SHARE = {"LARGE": 0.05, "MEDIUM": 0.15, "SMALL": 0.3, "MICRO": 0.5}
ROOT_OF = {**{code: "TRADE_TOTAL" for code in TRADE_CHILDREN},
           "TRADE_BY_PARTNER": "TRADE_TOTAL",
           "TAX_REVENUE": "FISCAL_REVENUE", "IND_TAX_REVENUE": "FISCAL_REVENUE",
           "ABOVE_SCALE_IND_OUTPUT": "IND_OUTPUT", "MAJOR_PROJECTS_STARTED": "MAJOR_PROJECTS",
           "IND_VALUE_ADDED": "GDP", "ABOVE_SCALE_IND_ENT": "ENTERPRISES"}
COEF = {**TRADE_CHILDREN, "TAX_REVENUE": 0.8, "IND_TAX_REVENUE": 0.4,
        "ABOVE_SCALE_IND_OUTPUT": 0.7, "MAJOR_PROJECTS_STARTED": 0.5,
        "IND_VALUE_ADDED": 0.35, "ABOVE_SCALE_IND_ENT": 0.1}
BASE = {"TRADE_TOTAL": 3.0, "FISCAL_REVENUE": 0.3, "IND_OUTPUT": 4.0, "GDP": 2.0,
        "MAJOR_PROJECTS": 0.002, "ENTERPRISES": 0.05, "ENTERPRISES_BY_SIZE": 0.02}
RATE_BASE = {"GDP_GROWTH": 6.0, "LAND_INVEST_INTENSITY": 300.0, "LAND_TAX_INTENSITY": 30.0,
             "RD_INTENSITY": 2.0, "ENERGY_INTENSITY": 0.5, "SOLID_WASTE_UTIL": 80.0,
             "BENCH_07": 40.0}
DEMO_NOTE = "基准测试合成数据(演示数据):不是真实统计"
LOADED_TABLES = ("reporting_datavalue", "analytics_fact")


def periods() -> list[tuple[str, int, int]]:
    return [(f"{y}M{m:02d}", y, m) for y in range(FIRST_YEAR, FIRST_YEAR + YEARS)
            for m in range(1, 13)]


def last_period() -> str:
    return f"{FIRST_YEAR + YEARS - 1}M12"


def year_fraction(month: int) -> float:
    """Share of the year's flow reported by the end of ``month`` (rising, 1.0 at 12)."""
    return month * (108 + month) / 1440.0


# --- small parameter tables ----------------------------------------------------------------
def cells(catalogue: list[dict]) -> list[dict]:
    """The 70 (indicator, member) cells with the parameters of their values."""
    import numpy as np

    rng = np.random.default_rng(SEED + 1)
    roots: dict[str, int] = {}
    result = []
    specs = [(r["code"], r["time_behaviour"], r["value_type"], r["decimals"],
              r["disaggregation"]) for r in catalogue]
    specs += [(code, behaviour, vtype, 0 if vtype == "integer" else 1 if vtype == "percent"
               else 2, "") for code, behaviour, vtype, _agg, _unit in SYNTHETIC]
    for code, behaviour, vtype, decimals, disaggregation in specs:
        root = ROOT_OF.get(code, code)
        root_id = roots.setdefault(root, len(roots) + 1)
        is_rate = behaviour == "rate"
        if is_rate:
            base, amp = RATE_BASE[code], 0.4
        elif root in BASE:
            base, amp = BASE[root], 0.1
        elif vtype == "integer":
            base, amp = float(rng.uniform(0.002, 0.02)), 0.1
        elif behaviour == "stock":
            base, amp = float(rng.uniform(0.0005, 0.05)), 0.1
        else:
            base, amp = float(rng.uniform(0.05, 1.5)), 0.1
        shares = {"partner_country": PARTNER_SHARE, "enterprise_size": SIZE_SHARE}.get(
            disaggregation, {"": 1.0})
        digits = 0 if vtype == "integer" else int(decimals)
        for member, share in shares.items():
            result.append({"code": code, "member": member, "root": root_id, "base": base,
                           "coef": COEF.get(code, 1.0) * share, "amp": amp,
                           "flow": int(behaviour == "flow_ytd"), "scaled": int(not is_rate),
                           "digits": max(digits, 0), "pos": len(result)})
    return result


def zone_levels(zone_ids: list[int]) -> list[tuple[int, int, float]]:
    """(zone id, year, level in 万元 a year): log-normal size, zone growth, a year effect."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    size = np.clip(rng.lognormal(0.0, 1.0, len(zone_ids)), 0.1, None) * 1e4
    growth = rng.normal(0.06, 0.04, len(zone_ids))
    effect = np.array([0.05, 0.04, 0.03, -0.07, 0.08, -0.03, 0.05, 0.02, 0.0, 0.0])[:YEARS]
    level = size[:, None] * np.exp(np.cumsum(growth[:, None] + effect[None, :], axis=1))
    return [(zone, FIRST_YEAR + y, float(level[i, y])) for i, zone in enumerate(zone_ids)
            for y in range(YEARS)]


# --- index juggling --------------------------------------------------------------------------
def secondary_definitions(cursor, vendor: str, table: str) -> list[tuple[str, str, str]]:
    """(kind, name, SQL to re-create) of the table's indexes and, on PostgreSQL, its unique
    and foreign-key constraints: everything but the primary key."""
    if vendor == "sqlite":
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                       "tbl_name = %s AND sql IS NOT NULL ORDER BY name", [table])
        return [("index", name, sql) for name, sql in cursor.fetchall()]
    cursor.execute("SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
                   [table])
    constraints = [("constraint", name, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {d}')
                   for name, d, _kind in cursor.fetchall()]
    cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                   "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = "
                   "i.indexname AND c.conrelid = %s::regclass) ORDER BY i.indexname",
                   [table, table])
    return constraints + [("index", name, d) for name, d in cursor.fetchall()]


def drop_secondary(cursor, vendor: str, table: str) -> list[tuple[str, str, str]]:
    definitions = secondary_definitions(cursor, vendor, table)
    for kind, name, _sql in definitions:
        if kind == "constraint":
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for kind, name, _sql in definitions:
        if kind == "index":
            cursor.execute(f'DROP INDEX "{name}"')
    return definitions


def recreate_secondary(cursor, definitions, log) -> dict[str, float]:
    timings = {}
    # Indexes first: the unique constraints and foreign keys then find what they need.
    for kind, name, sql in sorted(definitions, key=lambda d: d[0] != "index"):
        start = time.perf_counter()
        cursor.execute(sql)
        timings[name] = time.perf_counter() - start
        log(f"    {kind} {name}: {timings[name]:.1f} s")
    return timings


# --- the build -------------------------------------------------------------------------------
def build(zones: int, log: Callable[[str], None]) -> dict:
    """Fill the (empty, migrated) database; returns counts and the time of each step."""
    from django.db import connection, transaction

    vendor = connection.vendor
    steps: dict[str, float] = {}

    def step(name):
        class _Timer:
            def __enter__(self):
                self.start = time.perf_counter()
                log(f"{name}…")

            def __exit__(self, *exc):
                steps[name] = time.perf_counter() - self.start
                if exc[0] is None:
                    log(f"{name}: {steps[name]:.1f} s")
        return _Timer()

    with step("registry, catalogues 2017–2026, rules, users"):
        catalogue, users = _reference_data()
    with step(f"zones up to {zones}"):
        zone_rows = _zones(zones)
    with step("synthetic indicators, monthly, the form"):
        form_id = _form(catalogue)
    cell_rows = cells(catalogue)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET work_mem = '256MB'")
            cursor.execute("SET synchronous_commit = off")
        else:
            cursor.execute("PRAGMA cache_size = -1000000")  # 1 GB while loading
        with step("parameter tables"):
            _parameter_tables(cursor, vendor, zone_rows, cell_rows)
        with step("reports"), transaction.atomic():
            _reports(cursor, vendor, form_id)
        saved = {}
        for table in LOADED_TABLES:
            saved[table] = drop_secondary(cursor, vendor, table)
        with step("values (reporting_datavalue)"):
            for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
                with transaction.atomic():
                    _values(cursor, vendor, form_id, year)
                log(f"    values of {year} written")
        with step("indexes and constraints of reporting_datavalue"):
            steps["index detail: reporting_datavalue"] = recreate_secondary(
                cursor, saved["reporting_datavalue"], log)
        with step("facts (analytics.facts.rebuild)"):
            from bianhe.analytics.facts import rebuild

            facts = rebuild()
        with step("indexes and constraints of analytics_fact"):
            steps["index detail: analytics_fact"] = recreate_secondary(
                cursor, saved["analytics_fact"], log)
        for table in LOADED_TABLES:
            if secondary_definitions(cursor, vendor, table) != saved[table]:
                raise SystemExit(f"{table}: the re-created indexes differ from the originals")
        for table in ("bench_zone_year", "bench_period", "bench_cell", "bench_zone"):
            cursor.execute(f"DROP TABLE {table}")
        with step("ANALYZE" if vendor == "sqlite" else "VACUUM ANALYZE"):
            cursor.execute("ANALYZE" if vendor == "sqlite" else "VACUUM ANALYZE")
        if vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {}
        for table in ("zones_orgunit", "reporting_report", "reporting_datavalue",
                      "analytics_fact"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    counts["zones"] = len(zone_rows)
    counts["facts"] = facts
    counts["cells_per_report"] = len(cell_rows)
    counts["indicators"] = len({c["code"] for c in cell_rows})
    return {"steps": steps, "counts": counts, "users": users}


def _reference_data():
    from bianhe.accounts.actions import do_create_user
    from bianhe.audit.models import Source
    from bianhe.catalog.loader import DEFAULT_CATALOGUE, load_catalogue, read_catalogue
    from bianhe.quality.actions import ensure_default_rules
    from bianhe.roles import Role
    from bianhe.zones.registry import load_registry

    load_registry()
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        load_catalogue(year)
    ensure_default_rules()
    users = {}
    for username, role in (("bench-admin", Role.MINISTRY_ADMIN),
                           ("bench-analyst", Role.MINISTRY_ANALYST)):
        do_create_user(None, username=username, password=PASSWORD, role=role,
                       display_name=f"{username}(基准测试)", source=Source.CLI)
        users[role] = username
    return [fields for _line, fields in read_catalogue(DEFAULT_CATALOGUE)], users


PASSWORD = "Kx7!mq2-Vw9#lp4z"  # the benchmark database's users; local only


def _zones(total: int) -> list[tuple[int, str, bool]]:
    """Synthetic zones up to ``total``; returns (id, province code, is_fresh) of all zones."""
    import numpy as np
    from django.db import transaction

    from bianhe.audit.models import Source
    from bianhe.roles import Level
    from bianhe.zones.actions import do_create_org_unit
    from bianhe.zones.models import OrgUnit, ZoneKind

    provinces = {p.code: p for p in OrgUnit.objects.filter(level=Level.PROVINCE)}
    existing = OrgUnit.objects.filter(level=Level.ZONE).count()
    rng = np.random.default_rng(SEED + 2)
    codes = sorted(PROVINCE_SHARE)
    shares = np.array([PROVINCE_SHARE[c] for c in codes])
    n = max(total - existing, 0)
    chosen = rng.choice(len(codes), size=n, p=shares / shares.sum())
    kind = rng.random(n)
    with transaction.atomic():
        for i in range(n):
            province = provinces[codes[chosen[i]]]
            fields = {"code": f"BZ-{i + 1:04d}", "level": Level.ZONE, "parent": province,
                      "name_zh": f"合成园区{i + 1:04d}(演示数据)", "kind": ZoneKind.BORDER,
                      "orientation": province.orientation,
                      "approval_year": int(rng.integers(1992, 2017)),
                      "source": DEMO_NOTE}
            if kind[i] < 0.04:  # approved during the decade: counts from then
                year = int(rng.integers(2019, 2024))
                fields["approval_year"] = year
                fields["valid_from"] = dt.date(year, int(rng.integers(1, 13)), 1)
            elif kind[i] > 0.98:  # abolished during the decade
                fields["valid_to"] = dt.date(int(rng.integers(2021, 2026)), 6, 30)
            if rng.random() < 0.1:
                fields["area_km2"] = Decimal(f"{rng.uniform(1.0, 50.0):.3f}")
                fields["area_basis"] = DEMO_NOTE
            do_create_org_unit(None, fields, source=Source.SYSTEM)
    zones = list(OrgUnit.objects.filter(level=Level.ZONE).order_by("id")
                 .values_list("id", "parent__code", "valid_to"))
    # Drafts of the last month in zones spread over the list that the registry still counts.
    open_ended = [zone_id for zone_id, _p, valid_to in zones if valid_to is None]
    fresh = set(open_ended[::max(len(open_ended) // FRESH_ZONES, 1)][:FRESH_ZONES])
    zones = [(zone_id, province) for zone_id, province, _to in zones]
    return [(zone_id, province, zone_id in fresh) for zone_id, province in zones]


def _form(catalogue) -> int:
    from bianhe.catalog.models import CatalogVersion, Indicator
    from bianhe.reporting.models import ReportForm
    from bianhe.zones.models import OrgUnit

    rows = []
    for version in CatalogVersion.objects.all():
        for i, (code, behaviour, vtype, aggregation, unit) in enumerate(SYNTHETIC):
            rows.append(Indicator(
                version=version, code=code, position=100 + i,
                name_zh=f"合成指标{code[-2:]}(演示数据)", name_en=f"Synthetic {code[-2:]}",
                definition=DEMO_NOTE, unit=unit, value_type=vtype,
                decimals=0 if vtype == "integer" else 1 if vtype == "percent" else 2,
                min_value=0, max_value=100 if vtype == "percent" else None,
                frequency="monthly", time_behaviour=behaviour, aggregation=aggregation,
                category="economy", direction="higher_better", source=DEMO_NOTE))
    Indicator.objects.bulk_create(rows)
    Indicator.objects.update(frequency="monthly")
    codes = [r["code"] for r in catalogue] + [s[0] for s in SYNTHETIC]
    form = ReportForm.objects.create(code=FORM_CODE, name_zh="基准测试月报(演示数据)",
                                     name_en="Benchmark monthly report", frequency="monthly",
                                     indicator_codes=codes, deadline_days=10, window_days=60)
    form.zones.set(OrgUnit.objects.filter(level="zone"))
    return form.pk


def _parameter_tables(cursor, vendor, zone_rows, cell_rows) -> None:
    from bianhe.catalog.models import CatalogVersion

    real = "DOUBLE PRECISION"
    date, stamp = ("DATE", "TIMESTAMPTZ") if vendor == "postgresql" else ("TEXT", "TEXT")
    cursor.execute("CREATE TABLE bench_zone (zone_id INTEGER PRIMARY KEY, "
                   "province_code VARCHAR(32), fresh INTEGER)")
    cursor.executemany("INSERT INTO bench_zone VALUES (%s, %s, %s)",
                       [(z, p, int(f)) for z, p, f in zone_rows])
    cursor.execute(f"CREATE TABLE bench_zone_year (zone_id INTEGER, year INTEGER, "
                   f"level {real}, PRIMARY KEY (zone_id, year))")
    cursor.executemany("INSERT INTO bench_zone_year VALUES (%s, %s, %s)",
                       zone_levels([z for z, _p, _f in zone_rows]))
    cursor.execute(f"CREATE TABLE bench_period (period VARCHAR(8) PRIMARY KEY, year INTEGER, "
                   f"month INTEGER, cum {real}, version_id INTEGER, deadline {date}, "
                   f"submitted {stamp}, approved {stamp}, accepted {stamp}, recent INTEGER)")
    versions = dict(CatalogVersion.objects.values_list("year", "id"))
    rows = []
    suffix = "+00:00" if vendor == "postgresql" else ""
    for code, year, month in periods():
        end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        deadline = end + dt.timedelta(days=10)
        rows.append((code, year, month, year_fraction(month), versions[year],
                     deadline.isoformat(),
                     f"{end + dt.timedelta(days=7)} 02:00:00{suffix}",
                     f"{end + dt.timedelta(days=12)} 03:00:00{suffix}",
                     f"{end + dt.timedelta(days=20)} 06:00:00{suffix}",
                     int(code >= f"{FIRST_YEAR + YEARS - 1}M11")))
    cursor.executemany("INSERT INTO bench_period VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
                       "%s)", rows)
    cursor.execute(f"CREATE TABLE bench_cell (pos INTEGER PRIMARY KEY, code VARCHAR(32), "
                   f"member VARCHAR(16), root INTEGER, base {real}, coef {real}, amp {real}, "
                   f"flow INTEGER, scaled INTEGER, digits INTEGER)")
    cursor.executemany("INSERT INTO bench_cell VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       [(c["pos"], c["code"], c["member"], c["root"], c["base"], c["coef"],
                         c["amp"], c["flow"], c["scaled"], c["digits"]) for c in cell_rows])


STATUS_SQL = ("CASE WHEN z.fresh = 1 AND p.period = '{last}' THEN 'draft' "
              "WHEN p.recent = 1 AND (z.zone_id + p.month) %% 10 < 2 THEN 'submitted' "
              "WHEN p.recent = 1 AND (z.zone_id + p.month) %% 10 = 2 THEN 'approved' "
              "ELSE 'accepted' END")


def _reports(cursor, vendor, form_id) -> None:
    status = STATUS_SQL.format(last=last_period())
    null = "CAST(NULL AS TIMESTAMPTZ)" if vendor == "postgresql" else "NULL"
    cursor.execute(
        "INSERT INTO reporting_report (zone_id, form_id, period, catalog_version_id, "
        "province_code, deadline, status, first_submitted_at, submitted_at, approved_at, "
        "accepted_at, returned_reason, explanation, is_demo, return_count, values_changed_at, "
        "quality_checked_at, created_at, updated_at) "
        f"SELECT zone_id, %s, period, version_id, province_code, deadline, status, "
        f"CASE WHEN status = 'draft' THEN {null} ELSE submitted END, "
        f"CASE WHEN status = 'draft' THEN {null} ELSE submitted END, "
        f"CASE WHEN status IN ('approved', 'accepted') THEN approved ELSE {null} END, "
        f"CASE WHEN status = 'accepted' THEN accepted ELSE {null} END, "
        "'', '', %s, 0, submitted, NULL, submitted, "
        "CASE WHEN status = 'accepted' THEN accepted ELSE submitted END FROM ("
        f"SELECT z.zone_id, z.province_code, p.*, {status} AS status "
        "FROM bench_zone z CROSS JOIN bench_period p) q ORDER BY period, zone_id",
        [form_id, True])


def value_sql(vendor: str) -> str:
    """The value of cell ``c`` for the zone-year ``zy`` at month ``p`` (both backends)."""
    noise = ("((CAST(zy.zone_id AS BIGINT) * 7919 + zy.year * 104729 + c.root * 15485863) "
             "%% 10007) / 10007.0 - 0.5")
    raw = (f"(CASE WHEN c.scaled = 1 THEN zy.level ELSE 1.0 END) * c.base * c.coef * "
           f"(1.0 + c.amp * CAST({noise} AS DOUBLE PRECISION)) * "
           f"(CASE WHEN c.flow = 1 THEN p.cum ELSE 1.0 END)")
    if vendor == "postgresql":
        return f"ROUND(CAST({raw} AS NUMERIC), c.digits)"
    return f"ROUND({raw}, c.digits)"


def _values(cursor, vendor, form_id, year) -> None:
    cursor.execute(
        "INSERT INTO reporting_datavalue (report_id, indicator_code, member, value, comment, "
        "updated_at) "
        f"SELECT r.id, c.code, c.member, {value_sql(vendor)}, '', r.created_at "
        "FROM bench_period p JOIN reporting_report r ON r.period = p.period "
        "JOIN bench_zone_year zy ON zy.zone_id = r.zone_id AND zy.year = p.year "
        "CROSS JOIN bench_cell c WHERE p.year = %s AND r.form_id = %s ORDER BY r.id, c.pos",
        [year, form_id])


def write_marker(path, result: dict) -> None:
    path.write_text(json.dumps(result, indent=1, default=str))


# --- where the databases live, and their state ------------------------------------------------
def zone_count(backend: str, home: Path, url: str) -> int | None:
    """Zones in the backend's database now (None when there is no such database): a marker
    file alone does not prove the database is the one it describes."""
    sql = "SELECT COUNT(*) FROM zones_orgunit WHERE level = 'zone'"
    try:
        if backend == "sqlite":
            import sqlite3

            path = home / "bianhe.sqlite3"
            if not path.exists():
                return None
            conn = sqlite3.connect(path)
            try:
                return conn.execute(sql).fetchone()[0]
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchone()[0]
    except Exception:  # no database, or not built: build it
        return None


def drop_caches() -> dict:
    def cached() -> float:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("Cached:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    before = cached()
    subprocess.run(["sync"], check=False)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        ok = True
    except OSError:
        ok = False
    return {"ok": ok, "cached_mb_before": round(before), "cached_mb_after": round(cached())}


def flood_shared_buffers(url: str) -> None:
    """Fill PostgreSQL's shared buffers with another table's pages (8 × 128 MB)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        blocks = conn.execute("SELECT pg_relation_size('reporting_datavalue') / 8192")\
            .fetchone()[0]
        conn.execute("SELECT pg_prewarm('reporting_datavalue', 'buffer', 'main', 0, %s)",
                     [min(blocks - 1, 131_071)])


def disk_usage(backend: str, home: Path, url: str) -> int:
    if backend == "sqlite":  # pages in use: the file keeps the dropped extra indexes' pages
        import sqlite3

        conn = sqlite3.connect(home / "bianhe.sqlite3")
        try:
            pages, free, size = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in
                                 ("page_count", "freelist_count", "page_size"))
        finally:
            conn.close()
        return (pages - free) * size
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
