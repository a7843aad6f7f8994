"""Benchmark: the data-quality checks (validation rules + outlier detection), issue "Data quality".

Not a test: a script that prints a summary. Target: the full default rule set and the outlier
checks over a national-scale set — 2,543 development zones (China's 2018 catalogue of
development zones) × 6 years × 12 months × 60 monthly series, about 11 M values — in
**under 60 s** on this 2-core machine. Two parts, ``--national`` and ``--demo`` (default: both).

**National (in memory, no database).** A seeded numpy generator (not timed, reported apart)
makes a long table ``zone, period, indicator, member, value`` — the columns and dtypes that
``checks.load_values`` returns (``str`` text columns, float values) — for zones ``BZ-0001``…
over 2020M01–2025M12. The 60 series of a zone are the 32 monthly (indicator, member) cells of
the catalogue (24 monthly indicators and the 8 partner members of TRADE_BY_PARTNER) and 28
synthetic codes ``X01``… (``--extra-flows`` of them year-to-date flows, the rest stocks).
Values are year-to-date cumulative flows (stocks as levels) with a zone size, yearly growth,
a shared year effect, monthly seasonality and noise, consistent with every monthly default
rule: EXPORT + IMPORT = TRADE_TOTAL = sum(TRADE_BY_PARTNER) ≥ BORDER_TRADE =
BORDER_SMALL_TRADE + BORDER_RESIDENT_TRADE, IND_TAX ≤ TAX ≤ FISCAL_REVENUE,
ABOVE_SCALE_IND_OUTPUT ≤ IND_OUTPUT, MAJOR_PROJECTS_STARTED ≤ MAJOR_PROJECTS (integers).
Values are not rounded. Planted errors, for sanity figures:

- spikes: 0.5 % of all values (``--spike-share``), one period's flow (before cumulation) or
  one level ×10, on the series where a rise breaks no rule (as the demo data does);
- rule breaks: 0.1 % of the zone-months get TRADE_TOTAL's year-to-date value +3 %, which
  R01 (EXPORT + IMPORT == TRADE_TOTAL) and R03 (sum(TRADE_BY_PARTNER) == TRADE_TOTAL) must
  catch.

Rules: every row of ``quality/data/rules.csv`` (``read_default_rules``) becomes an unsaved
``Rule`` and is compiled with ``parse_rule`` against the catalogue's codes plus the synthetic
ones, as ``compile_rules`` does (no scope). Rules whose ``frequencies`` exclude monthly
(R05, R09, R10: quarterly) are skipped exactly as ``checks.flags_for`` skips them: the set has
no quarterly values. Outlier settings: an unsaved ``OutlierConfig()`` (the defaults: every
method, consensus of ``min_methods`` = 2, severity warning) through
``OutlierConfig.settings()``.

Two pipelines are timed, each over the zones in chunks of ``--chunk`` zones (default
``checks.ZONE_CHUNK`` = 200, as ``checks.plan_steps`` cuts them; ``--chunk 0`` = the whole set
as one panel); every zone × month is a report being checked:

``pipeline``  the numeric part, with a breakdown. Per chunk: ``Panel.from_long`` and
              ``checks._Placer`` (panel); ``evaluate_rule`` for each monthly rule, ``failed &
              placer.target``, ``np.nonzero`` and the two sides of each failure (rules); the
              outlier part written out as ``checks._outlier_flags`` does it — grouped by
              time behaviour, ``np.stack``, ``decumulate`` for year-to-date flows, ``detect``,
              consensus of ``min_methods`` methods, then per method ``np.nonzero`` and the
              value, score, low (not below the indicator's minimum) and high of each hit
              (outliers). No Django objects.
``engine``    the production function itself: ``checks.flags_for`` per chunk, with
              ``checks.load_values`` (the database query) replaced by a function that returns
              the chunk's slice of the in-memory table. This includes building one ``Flag``
              model instance per flag (unsaved; nothing is written). Its flags must be the
              pipeline's (same report, indicator, member and kind; same sum of lower bounds),
              or the script stops.

The slices of the table per chunk are made before timing (they stand in for the query).
Recall = planted spikes that the outlier consensus flags ÷ planted spikes. Also counted:
flags whose score exceeds 1e6 in absolute value, which only a spread of float rounding noise
gives (a sparse small-count series). The sha256 of the engine's files is printed, and a
warning if one changed on disk during the run.

**Demo (through the database).** In a child process with a fresh temporary ``BIANHE_HOME``
(SQLite), or a PostgreSQL database created for the run and dropped afterwards (``--database-url``
or ``BIANHE_BENCH_DATABASE_URL``; ``test``, ``test_test`` and system databases are refused), it
does what ``bianhe demo`` does — ``cli.cmd_init`` (no admin), ``demo.users.ensure_demo_users``,
``demo.build.build_demo_data`` for ``--demo-from`` (default 2019, as ``bianhe demo``) to
this year — not timed, then times
``quality.checks.check_reports`` over every report, which loads the values, runs every active
rule and the outlier checks, and replaces the stored flags.

    .venv/bin/python bench/bench_quality.py --national --repeat 3
    .venv/bin/python bench/bench_quality.py --demo --repeat 3 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_quality
"""

from __future__ import annotations

import argparse
import atexit
import inspect
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parent.parent
ZONES = 2_543  # China's 2018 development-zone catalogue (中国开发区审核公告目录, 2018)
FIRST_YEAR = 2020
YEARS = 6
SERIES = 60
TARGET_SECONDS = 60.0
SPIKE_FACTOR = 10
ABSURD_SCORE = 1e6  # an outlier score above this means a spread of float rounding noise
NOT_FLAGS = ("consensus_cells", "absurd_scores")  # counts that are not flags
BREAK_SHARE = 0.001  # zone-months whose TRADE_TOTAL is +3 %
BREAK_FACTOR = 1.03
# Monthly seasonality of period flows (Spring Festival dip, December peak), as the demo's.
SEASON = (0.86, 0.84, 1.0, 0.98, 1.0, 1.05, 0.98, 0.99, 1.03, 1.0, 1.07, 1.2)
YEAR_EFFECT = (-0.07, 0.08, -0.03, 0.05, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0)
# Codes on the larger side of a "<=" only: a ×10 rise breaks no rule.
SPIKE_SAFE_IN_RULES = {"FISCAL_REVENUE", "IND_OUTPUT", "MAJOR_PROJECTS"}


def _log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


ENGINE_FILES = ("quality/checks.py", "quality/panel.py", "quality/evaluate.py",
                "quality/expressions.py", "quality/outliers.py", "quality/rules.py",
                "quality/data/rules.csv")


def _fingerprint(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 (12 hex digits) of the engine's files as run: they change while others work."""
    import hashlib

    src = ROOT / "src" / "bianhe"
    return {name: hashlib.sha256((src / name).read_bytes()).hexdigest()[:12]
            for name in ENGINE_FILES + extra}


def _setup_django(home: str, url: str = "") -> None:
    os.environ["BIANHE_HOME"] = home
    os.environ["BIANHE_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bianhe.settings"
    os.environ.setdefault("BIANHE_DEBUG", "0")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


# --- national: synthetic data --------------------------------------------------------------


def _catalogue():
    """Monthly (indicator, member) cells of the catalogue, behaviours, known members, the
    codes of integer indicators, and per code (time behaviour, minimum) as ``check_reports``
    passes them to ``flags_for``."""
    from bianhe.catalog.disaggregations import members
    from bianhe.catalog.loader import DEFAULT_CATALOGUE, read_catalogue

    rows = [fields for _line, fields in read_catalogue(DEFAULT_CATALOGUE)]
    known = {r["code"]: tuple(m for m in members(r["disaggregation"]) if m) for r in rows}
    behaviours = {r["code"]: r["time_behaviour"] for r in rows}
    monthly = [r for r in rows if r["frequency"] == "monthly"]
    cells = [(r["code"], m) for r in monthly for m in members(r["disaggregation"])]
    integer = {r["code"] for r in rows if r["value_type"] == "integer"}
    specs = {r["code"]: (r["time_behaviour"],
                         None if r["min_value"] is None else float(r["min_value"]))
             for r in rows}
    return cells, behaviours, known, integer, specs


def generate(zones: int, seed: int, spike_share: float, extra_flows: int, rule_codes: set[str]):
    """The long table, the series' keys and behaviours, the planted cells (global ids)."""
    import numpy as np
    import pandas as pd

    cells, behaviours, known, integer, specs = _catalogue()
    extra = SERIES - len(cells)
    if extra < 0:
        raise SystemExit(f"the catalogue has {len(cells)} monthly cells, more than {SERIES}")
    synthetic = [f"X{i:02d}" for i in range(1, extra + 1)]
    for i, code in enumerate(synthetic):
        behaviours[code] = "flow_ytd" if i < extra_flows else "stock"
        specs[code] = (behaviours[code], 0.0)
        known[code] = ()
    keys = cells + [(code, "") for code in synthetic]
    needed = {"EXPORT", "IMPORT", "TRADE_TOTAL", "BORDER_TRADE", "BORDER_SMALL_TRADE",
              "BORDER_RESIDENT_TRADE", "TRADE_BY_PARTNER", "FISCAL_REVENUE", "TAX_REVENUE",
              "IND_TAX_REVENUE", "IND_OUTPUT", "ABOVE_SCALE_IND_OUTPUT", "MAJOR_PROJECTS",
              "MAJOR_PROJECTS_STARTED"}
    missing = needed - {code for code, _m in keys}
    if missing:
        raise SystemExit(f"the catalogue lacks monthly {', '.join(sorted(missing))}")

    rng = np.random.default_rng(seed)
    Z, Y, P = zones, YEARS, 12
    season = np.array(SEASON)
    size = rng.lognormal(0.0, 1.0, Z) * 1e4  # 万元 a year
    growth = rng.normal(0.06, 0.04, Z)
    level = size[:, None] * np.exp(np.cumsum(growth[:, None] + np.array(YEAR_EFFECT[:Y]),
                                             axis=1))  # (Z, Y)

    def flows(weight: float, sigma: float = 0.06) -> np.ndarray:
        """Period flows (Z, Y, P): zone level × the series' share × season × noise."""
        share = weight * rng.lognormal(0.0, 0.3, Z)
        pattern = 1 + (season - 1) * rng.uniform(0.5, 1.5)
        return (share[:, None, None] * level[:, :, None] / 12 * pattern
                * rng.lognormal(0.0, sigma, (Z, Y, P)))

    def share(low: float, high: float) -> np.ndarray:
        """A zone's share, varying a little month to month, within [low, high]."""
        centre = rng.uniform(low, high, Z)[:, None, None]
        return np.clip(centre + rng.normal(0, 0.02, (Z, Y, P)), low, high)

    period: dict[tuple[str, str], np.ndarray] = {}  # period flows, or levels for stocks
    small, resident = flows(0.08), flows(0.04)
    border = small + resident
    total = border + flows(0.6)
    export = total * share(0.35, 0.75)
    period.update({("BORDER_SMALL_TRADE", ""): small, ("BORDER_RESIDENT_TRADE", ""): resident,
                   ("BORDER_TRADE", ""): border, ("TRADE_TOTAL", ""): total,
                   ("EXPORT", ""): export, ("IMPORT", ""): total - export})
    partners = [m for code, m in keys if code == "TRADE_BY_PARTNER"]
    weights = rng.dirichlet(np.full(len(partners), 1.5), Z)[:, None, None, :] \
        * rng.lognormal(0.0, 0.1, (Z, Y, P, len(partners)))
    weights /= weights.sum(axis=3, keepdims=True)
    for j, member in enumerate(partners):
        period[("TRADE_BY_PARTNER", member)] = total * weights[..., j]
    fiscal = flows(0.25)
    tax = fiscal * share(0.6, 0.9)
    output = flows(2.0)
    period.update({("FISCAL_REVENUE", ""): fiscal, ("TAX_REVENUE", ""): tax,
                   ("IND_TAX_REVENUE", ""): tax * share(0.2, 0.6),
                   ("IND_OUTPUT", ""): output,
                   ("ABOVE_SCALE_IND_OUTPUT", ""): output * share(0.5, 0.95)})
    projects = rng.poisson(np.clip(size / 4e3, 1, 40)[:, None], (Z, Y)) + 1
    period[("MAJOR_PROJECTS", "")] = np.repeat(projects[:, :, None], P, axis=2).astype(float)
    started = np.floor(projects[:, :, None]
                       * np.cumsum(rng.dirichlet(np.ones(P), (Z, Y)), axis=2))
    started = np.minimum(started, projects[:, :, None])
    period[("MAJOR_PROJECTS_STARTED", "")] = np.diff(started, axis=2, prepend=0.0)
    for key in keys:
        if key in period:
            continue
        if behaviours[key[0]] == "flow_ytd":
            period[key] = flows(rng.uniform(0.05, 1.0))
        else:  # a level drifting with the zone's growth
            drift = np.exp(np.linspace(0, 1, P) * growth[:, None])[:, None, :]
            period[key] = (rng.uniform(0.05, 1.0) * rng.lognormal(0.0, 0.3, Z)[:, None, None]
                           * level[:, :, None] * drift * rng.lognormal(0.0, 0.03, (Z, Y, P)))
            if key[0] in integer:
                period[key] = np.round(period[key])

    # Spikes: ×10 on one period flow or level, on the series a rise breaks no rule with.
    eligible = [k for k, (code, _m) in enumerate(keys)
                if code not in rule_codes or code in SPIKE_SAFE_IN_RULES]
    chance = min(1.0, spike_share * len(keys) / len(eligible))
    T, K = Y * P, len(keys)
    planted = []
    for k in eligible:
        hit = rng.random((Z, Y, P)) < chance
        period[keys[k]] = np.where(hit, period[keys[k]] * SPIKE_FACTOR, period[keys[k]])
        z, t = np.nonzero(hit.reshape(Z, T))
        planted.append((z * K + k) * T + t)
    planted_ids = np.sort(np.concatenate(planted))

    values = np.empty((Z, T, K))
    for k, key in enumerate(keys):
        series = period.pop(key)
        if behaviours[key[0]] == "flow_ytd":
            series = np.cumsum(series, axis=2)
        values[:, :, k] = series.reshape(Z, T)
    broken = rng.random((Z, T)) < BREAK_SHARE
    k_total = keys.index(("TRADE_TOTAL", ""))
    values[:, :, k_total] = np.where(broken, values[:, :, k_total] * BREAK_FACTOR,
                                     values[:, :, k_total])
    bz, bt = np.nonzero(broken)

    zone_codes = np.array([f"BZ-{i:04d}" for i in range(1, Z + 1)], dtype=object)
    period_codes = np.array([f"{FIRST_YEAR + y}M{m:02d}" for y in range(Y)
                             for m in range(1, P + 1)], dtype=object)
    n = Z * T * K
    zi = np.repeat(np.arange(Z), T * K)
    ti = np.tile(np.repeat(np.arange(T), K), Z)
    ki = np.tile(np.arange(K), Z * T)
    frame = pd.DataFrame({
        "zone": pd.array(zone_codes[zi], dtype="str"),
        "period": pd.array(period_codes[ti], dtype="str"),
        "indicator": pd.array(np.array([c for c, _m in keys], dtype=object)[ki], dtype="str"),
        "member": pd.array(np.array([m for _c, m in keys], dtype=object)[ki], dtype="str"),
        "value": values.reshape(n),
    })
    return {"frame": frame, "keys": keys, "behaviours": behaviours, "specs": specs,
            "known": known,
            "zones": list(zone_codes), "planted": planted_ids,
            "breaks": {(str(zone_codes[z]), str(period_codes[t]))
                       for z, t in zip(bz, bt, strict=True)},
            "eligible": len(eligible)}


# --- national: rules and the timed pipelines -----------------------------------------------


def compiled_default_rules(known):
    """Every default rule as an unsaved Rule, compiled as ``compile_rules`` does (no scope)."""
    from bianhe.catalog.loader import DEFAULT_CATALOGUE, read_catalogue
    from bianhe.quality.expressions import parse_rule
    from bianhe.quality.models import Rule
    from bianhe.quality.rules import CompiledRule, anchor_of, read_default_rules
    from bianhe.quality.tolerance import effective_tolerance

    halves = {r["code"]: 0.0 if r["value_type"] == "integer" else 0.5 * 10.0 ** -int(r["decimals"])
              for _line, r in read_catalogue(DEFAULT_CATALOGUE)}
    compiled = []
    for pk, row in enumerate(read_default_rules(), start=1):
        rule = Rule(pk=pk, code=row["code"], name=row["name"], expression=row["expression"],
                    severity=row["severity"], missing_policy=row["missing_policy"],
                    tolerance=float(row["tolerance"]) if row["tolerance"] else None,
                    frequencies=sorted(set(row["frequencies"].replace(";", " ").split())),
                    notes=row["basis"])
        parsed = parse_rule(rule.expression, indicators=known)
        compiled.append(CompiledRule(rule, parsed, anchor_of(parsed, known), (),
                                     effective_tolerance(rule, parsed, halves, known)))
    return compiled


def _steps(frame, zones: list[str], chunk: int, codes: frozenset[str]):
    """(step, the chunk's slice of the table) per chunk, as ``plan_steps`` cuts them; every
    zone × month is one report (ids are made up) of the monthly form."""
    import numpy as np

    from bianhe.quality.checks import _Target

    periods = [f"{FIRST_YEAR + y}M{m:02d}" for y in range(YEARS) for m in range(1, 13)]
    size = chunk or len(zones)
    column = frame["zone"].to_numpy()
    starts = np.searchsorted(column, [zones[i] for i in range(0, len(zones), size)])
    bounds = [*starts, len(frame)]
    steps = []
    for n, start in enumerate(range(0, len(zones), size)):
        step = _Target("monthly")
        for i, zone in enumerate(zones[start:start + size]):
            for j, period in enumerate(periods):
                step.reports[(zone, period)].append(((start + i) * len(periods) + j, codes))
        part = frame.iloc[bounds[n]:bounds[n + 1]]
        assert part["zone"].iloc[0] == zones[start] and part["zone"].iloc[-1] == step.zones()[-1]
        steps.append((step, part))
    return steps


def run_pipeline(steps, rules, settings, min_methods: int, specs, key_index, zone_row):
    """The numeric part of ``checks.flags_for`` per chunk; returns times, counts, cells."""
    import numpy as np

    from bianhe.catalog.models import TimeBehaviour
    from bianhe.quality.checks import _Placer
    from bianhe.quality.evaluate import evaluate_rule
    from bianhe.quality.outliers import decumulate, detect
    from bianhe.quality.panel import Panel

    seconds = Counter()
    counts: Counter = Counter()
    flagged_cells = []  # global ids of the cells the consensus flags (recall, not timed)
    rule_cells = defaultdict(set)  # rule code -> {(zone, period)}
    identities = []  # one int per flag: report, (indicator, member), kind (see _identity)
    low_sums: Counter = Counter()  # sum of the stored lower bounds per method
    started = time.perf_counter()
    for step, part in steps:
        t0 = time.perf_counter()
        zones = step.zones()
        panel = Panel.from_long(part, step.frequency, zones=zones, first_year=FIRST_YEAR,
                                last_year=FIRST_YEAR + YEARS - 1)  # as check_reports
        placer = _Placer(step, panel)
        t1 = time.perf_counter()
        found = []
        for compiled in rules:
            frequencies = compiled.rule.frequencies
            if frequencies and step.frequency not in frequencies:
                continue
            outcome = evaluate_rule(compiled.parsed, panel,
                                    missing=compiled.rule.missing_policy,
                                    tolerance=compiled.tolerance)
            failed = outcome.failed & placer.target
            z, t = np.nonzero(failed)
            left, right = outcome.left[z, t], outcome.right[z, t]  # what each Flag stores
            counts["rule"] += len(z)
            found.append((compiled, z, t, left, right))
        t2 = time.perf_counter()
        groups: dict[bool, list[tuple[str, str]]] = defaultdict(list)
        for key in panel.data:
            behaviour = specs.get(key[0], (None, None))[0]
            groups[behaviour == TimeBehaviour.FLOW_YTD].append(key)
        Z, P, Y = len(panel.zones), panel.periods_per_year, panel.years
        consensus, scores, hits = [], [], []
        for is_flow, keys in groups.items():
            stacked = np.stack([panel.data[key] for key in keys], axis=1)  # (Z, K, T)
            cube = stacked.reshape(Z * len(keys), Y, P)
            if is_flow:
                cube = decumulate(cube)
            results = detect(cube, settings)
            target = np.repeat(placer.target, len(keys), axis=0).reshape(Z * len(keys), Y, P)
            agree = sum(result.flagged.astype(np.int8) for result in results.values())
            target &= agree >= min(min_methods, len(results))
            minimum = np.array([np.nan if specs.get(code, (None, None))[1] is None
                                else specs[code][1] for code, _member in keys])
            for method, result in results.items():
                s, y, p = hit = np.nonzero(result.flagged & target)
                # What each Flag stores; the range never starts below the minimum.
                low, floor = result.low[s, y, p], minimum[s % len(keys)]
                low = np.where(np.isnan(low) | np.isnan(floor), low, np.maximum(low, floor))
                _stored = (cube[s, y, p], result.score[s, y, p], low, result.high[s, y, p])
                counts[method] += len(s)
                scores.append(_stored[1])
                hits.append((method, keys, hit, _stored[2]))
            consensus.append((keys, np.nonzero(target)))
        t3 = time.perf_counter()
        seconds["panel"] += t1 - t0
        seconds["rules"] += t2 - t1
        seconds["outliers"] += t3 - t2
        # Bookkeeping for the sanity figures, outside the timed sections.
        first = zone_row[zones[0]]
        for compiled, z, t, _left, _right in found:
            rule_cells[compiled.rule.code].update(zip(
                (zones[i] for i in z), (panel.period_code(j) for j in t), strict=True))
            identities.append(_identity((first + z) * (Y * P) + t,
                                        key_index[compiled.anchor], "rule", len(key_index)))
        for method, keys, (s, y, p), low in hits:
            z_local, k_local = np.divmod(s, len(keys))
            k_global = np.array([key_index[key] for key in keys])[k_local]
            identities.append(_identity((first + z_local) * (Y * P) + y * P + p, k_global,
                                        method, len(key_index)))
            low_sums[method] += float(np.nansum(low))
        for keys, (s, y, p) in consensus:
            z_local, k_local = np.divmod(s, len(keys))
            k_global = np.array([key_index[key] for key in keys])[k_local]
            flagged_cells.append(((first + z_local) * len(key_index) + k_global)
                                 * (Y * P) + y * P + p)
        counts["consensus_cells"] += sum(len(c[1][0]) for c in consensus)
        # Scores no real deviation gives: a spread that is float rounding noise.
        counts["absurd_scores"] += sum(int(np.count_nonzero(np.abs(x) > ABSURD_SCORE))
                                       for x in scores)
    seconds["total"] = seconds["panel"] + seconds["rules"] + seconds["outliers"]
    seconds["wall"] = time.perf_counter() - started  # with the untimed bookkeeping
    cells = np.concatenate(flagged_cells) if flagged_cells else np.zeros(0, dtype=np.int64)
    flags = np.sort(np.concatenate(identities)) if identities else np.zeros(0, np.int64)
    return dict(seconds), counts, cells, rule_cells, (flags, dict(low_sums))


def _identity(report, key, kind: str, n_keys: int):
    """A flag as one integer: report id, (indicator, member) index, kind."""
    from bianhe.quality.outliers import METHODS

    number = 0 if kind == "rule" else 1 + METHODS.index(kind)
    return (report * n_keys + key) * 8 + number


def run_engine(steps, rules, settings, config, specs, key_index):
    """``checks.flags_for`` per chunk, the database query replaced by the chunk's slice.

    Only the calls are timed; the flags are then turned into identities (to compare with the
    pipeline's) outside the clock."""
    import numpy as np

    from bianhe.quality import checks

    by_first_zone = {step.zones()[0]: part for step, part in steps}
    # The years every report of the frequency spans (``check_reports`` passes them since
    # ``checks.year_ranges`` exists; older versions of ``flags_for`` take no ``years``).
    extra = ({"years": (FIRST_YEAR, FIRST_YEAR + YEARS - 1)}
             if "years" in inspect.signature(checks.flags_for).parameters else {})
    original = checks.load_values
    checks.load_values = lambda zones, frequency: by_first_zone[zones[0]]
    kinds: Counter = Counter()
    low_sums: Counter = Counter()
    identities = []
    seconds = 0.0
    try:
        for step, _part in steps:
            t0 = time.perf_counter()
            flags = checks.flags_for(step, rules, settings, config, specs, {}, **extra)
            seconds += time.perf_counter() - t0
            kinds.update(flag.kind for flag in flags)
            identities += [_identity(f.report_id, key_index[(f.indicator_code, f.member)],
                                     f.kind, len(key_index)) for f in flags]
            for f in flags:
                if f.kind != "rule" and f.low is not None:
                    low_sums[f.kind] += f.low
            del flags
    finally:
        checks.load_values = original
    return seconds, kinds, (np.sort(np.array(identities, dtype=np.int64)), dict(low_sums))


def national(args) -> dict:
    import numpy as np
    import pandas as pd

    home = tempfile.mkdtemp(prefix="bianhe-bench-quality-")  # settings only, no database
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    _setup_django(home)
    from bianhe.quality.checks import ZONE_CHUNK
    from bianhe.quality.models import OutlierConfig

    chunk = ZONE_CHUNK if args.chunk is None else args.chunk
    fingerprint = _fingerprint()
    known = _catalogue()[2]
    # Codes the rules name (to keep the spikes off them); the synthetic codes are in no rule.
    rule_codes = set()
    from bianhe.quality.rules import read_default_rules
    for row in read_default_rules():
        rule_codes |= set(re.findall(r"[A-Z][A-Z0-9_]+", row["expression"])) & set(known)

    t0 = time.perf_counter()
    data = generate(args.zones, args.seed, args.spike_share, args.extra_flows, rule_codes)
    generate_seconds = time.perf_counter() - t0
    frame = data["frame"]
    _log(f"generated {len(frame):,} values ({args.zones:,} zones × {YEARS} years × 12 months "
         f"× {len(data['keys'])} series) in {generate_seconds:.1f} s, "
         f"{frame.memory_usage(deep=False).sum() / 1e6:,.0f} MB (shallow); "
         f"{len(data['planted']):,} spikes, {len(data['breaks'])} TRADE_TOTAL breaks")

    rules = compiled_default_rules(data["known"])
    monthly_rules = [c.rule.code for c in rules
                     if not c.rule.frequencies or "monthly" in c.rule.frequencies]
    config = OutlierConfig()  # unsaved: the defaults
    settings = config.settings()
    codes = frozenset(code for code, _m in data["keys"])
    t0 = time.perf_counter()
    steps = _steps(frame, data["zones"], chunk, codes)
    steps_seconds = time.perf_counter() - t0
    key_index = {key: k for k, key in enumerate(data["keys"])}
    zone_row = {zone: z for z, zone in enumerate(data["zones"])}
    _log(f"{len(steps)} step(s) of {chunk or args.zones} zones planned in "
         f"{steps_seconds:.1f} s; rules: {len(rules)} ({', '.join(monthly_rules)} monthly)")

    runs = []
    load_before = os.getloadavg()[0]
    for run in range(1, args.repeat + 1):
        seconds, counts, cells, rule_cells, fingerprints = run_pipeline(
            steps, rules, settings, config.min_methods, data["specs"], key_index, zone_row)
        record = {"pipeline": seconds, "counts": dict(counts)}
        if not args.skip_engine:
            engine_seconds, kinds, engine_prints = run_engine(steps, rules, settings, config,
                                                              data["specs"], key_index)
            record["engine"] = engine_seconds
            record["engine_kinds"] = dict(kinds)
            expected = {k: v for k, v in counts.items() if k not in NOT_FLAGS and v}
            if {k: v for k, v in kinds.items() if v} != expected:
                raise SystemExit(f"engine flags {dict(kinds)} differ from the pipeline's "
                                 f"{expected}")
            if not np.array_equal(engine_prints[0], fingerprints[0]):
                raise SystemExit("the engine flags other cells than the pipeline")
            for method, total in fingerprints[1].items():
                if not math.isclose(total, engine_prints[1].get(method, 0.0), rel_tol=1e-9):
                    raise SystemExit(f"{method}: the engine's lower bounds differ")
            record["engine_same_flags"] = True
        runs.append(record)
        _log(f"run {run}: pipeline {seconds['total']:.1f} s (panel {seconds['panel']:.1f}, "
             f"rules {seconds['rules']:.1f}, outliers {seconds['outliers']:.1f})"
             + ("" if args.skip_engine else f"; engine flags_for {record['engine']:.1f} s")
             + f"; {counts['consensus_cells']:,} outlier cells, {counts['rule']:,} rule flags")

    planted = data["planted"]
    caught = np.isin(planted, cells)
    flagged_planted = np.isin(cells, planted)
    breaks = data["breaks"]
    rule_sanity = {code: {"flags": len(found), "on_breaks": len(found & breaks)}
                   for code, found in sorted(rule_cells.items())}
    by_behaviour = Counter()
    behaviour_of = np.array([data["behaviours"][code] == "flow_ytd" for code, _m in data["keys"]])
    k_of = (cells // (YEARS * 12)) % len(data["keys"])
    by_behaviour.update(np.where(behaviour_of[k_of], "flow", "stock").tolist())
    result = {
        "zones": args.zones, "series": len(data["keys"]), "values": len(frame),
        "chunk": chunk, "steps": len(steps), "repeat": args.repeat, "seed": args.seed,
        "generate_seconds": generate_seconds, "steps_seconds": steps_seconds,
        "rules_all": [c.rule.code for c in rules], "rules_monthly": monthly_rules,
        "runs": runs,
        "median": {part: statistics.median(r["pipeline"][part] for r in runs)
                   for part in ("panel", "rules", "outliers", "total")},
        "median_engine": (None if args.skip_engine
                          else statistics.median(r["engine"] for r in runs)),
        "counts": runs[-1]["counts"],
        "flags": sum(v for k, v in runs[-1]["counts"].items() if k not in NOT_FLAGS),
        "planted": len(planted), "eligible_series": data["eligible"],
        "recall": float(caught.mean()) if len(planted) else float("nan"),
        "flagged_cells": len(cells), "flagged_planted": int(flagged_planted.sum()),
        "flagged_by_behaviour": dict(by_behaviour),
        "false_positive_rate": float((len(cells) - flagged_planted.sum())
                                     / (len(frame) - len(planted))),
        "breaks": len(breaks), "rule_sanity": rule_sanity,
        "load_1min": [load_before, os.getloadavg()[0]],
        "peak_rss_mb": _peak_rss_mb(), "files": fingerprint,
        "files_changed_during_run": sorted(k for k, v in _fingerprint().items()
                                           if fingerprint[k] != v),
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "pandas": pd.__version__},
    }
    return result


def print_national(r: dict) -> None:
    med = r["median"]
    print()
    print(f"National synthetic set: {r['zones']:,} zones × {YEARS} years × 12 months × "
          f"{r['series']} series = {r['values']:,} values; chunks of {r['chunk'] or 'all'} "
          f"zones ({r['steps']} steps); {r['repeat']} runs, medians")
    print(f"  generation (not timed): {r['generate_seconds']:.1f} s; peak RSS "
          f"{r['peak_rss_mb']:,.0f} MB; 1-min load {r['load_1min'][0]:.2f}/"
          f"{r['load_1min'][1]:.2f} on {os.cpu_count()} CPUs; Python {r['versions']['python']}, "
          f"numpy {r['versions']['numpy']}, pandas {r['versions']['pandas']}")
    print(f"  {'step':<48}{'seconds':>9}")
    for label, key in (("Panel.from_long + _Placer", "panel"),
                       (f"rules ({len(r['rules_monthly'])} monthly of "
                        f"{len(r['rules_all'])}): evaluate_rule + nonzero", "rules"),
                       ("outliers: stack, decumulate, detect, consensus", "outliers"),
                       ("pipeline total", "total")):
        print(f"  {label:<48}{med[key]:>9.2f}")
    if r["median_engine"] is not None:
        print(f"  {'engine: checks.flags_for (with Flag objects)':<48}"
              f"{r['median_engine']:>9.2f}")
    if r["median_engine"] is not None:
        same = all(run.get("engine_same_flags") for run in r["runs"])
        print(f"  {'':<4}engine flags = pipeline flags (cell, indicator, kind, lower bound): "
              f"{'yes, every run' if same else 'NO'}")
    per_run = ", ".join(f"{run['pipeline']['total']:.2f}" for run in r["runs"])
    engine_runs = ", ".join(f"{run['engine']:.2f}" for run in r["runs"] if "engine" in run)
    print(f"  per-run pipeline s: {per_run}" + (f"; engine s: {engine_runs}"
                                                if engine_runs else ""))
    counts = r["counts"]
    methods = ", ".join(f"{k} {v:,}" for k, v in counts.items()
                        if k not in NOT_FLAGS and k != "rule")
    print(f"  flags: {r['flags']:,} = rules {counts.get('rule', 0):,} + outliers ({methods}); "
          f"outlier cells (≥2 methods agree): {counts['consensus_cells']:,} "
          f"({r['flagged_by_behaviour']})")
    print(f"  flags with |score| > {ABSURD_SCORE:.0e} (a spread of rounding noise): "
          f"{counts.get('absurd_scores', 0):,}")
    print(f"  planted spikes: {r['planted']:,} on {r['eligible_series']} series; recall "
          f"{r['recall']:.1%}; flagged cells that are planted {r['flagged_planted']:,}; "
          f"unplanted cells flagged {r['false_positive_rate']:.3%}")
    sanity = "; ".join(f"{code} {v['flags']} ({v['on_breaks']} on breaks)"
                       for code, v in r["rule_sanity"].items() if v["flags"])
    quiet = [code for code, v in r["rule_sanity"].items() if not v["flags"]]
    sanity += f"; no failure: {', '.join(quiet)}" if quiet else ""
    print(f"  rule failures ({r['breaks']} planted TRADE_TOTAL breaks): {sanity or 'none'}")
    print("  files: " + ", ".join(f"{k.split('/')[-1]} {v}" for k, v in r["files"].items()))
    if r["files_changed_during_run"]:
        print(f"  WARNING: changed on disk during the run: {r['files_changed_during_run']}")
    total = med["total"]
    verdict = "meets" if total < TARGET_SECONDS else "misses"
    print(f"  target < {TARGET_SECONDS:.0f} s: {verdict} it (pipeline {total:.1f} s"
          + ("" if r["median_engine"] is None else f", engine {r['median_engine']:.1f} s")
          + ")", flush=True)


# --- demo: through the database ------------------------------------------------------------


def demo_parent(backend: str, url: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="bianhe-bench-quality-demo-") as home:
        env = {**os.environ, "BIANHE_HOME": home, "BIANHE_DATABASE_URL": url,
               "DJANGO_SETTINGS_MODULE": "bianhe.settings", "BIANHE_DEBUG": "0"}
        out = Path(home) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--demo-child", str(out),
                   "--repeat", str(args.repeat), "--demo-from", str(args.demo_from)]
        if backend == "postgresql":
            benchdb.recreate_postgres(url)
        try:
            subprocess.run(command, env=env, check=True, cwd=ROOT)
            return json.loads(out.read_text())
        finally:
            if backend == "postgresql" and not args.keep_database:
                benchdb.recreate_postgres(url, drop_only=True)


def demo_child(args) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone, translation

    from bianhe import cli
    from bianhe.demo.build import build_demo_data
    from bianhe.demo.users import ensure_demo_users
    from bianhe.quality.checks import check_reports
    from bianhe.quality.models import Flag
    from bianhe.reporting.models import DataValue, Report

    fingerprint = _fingerprint(("demo/build.py", "demo/history.py"))
    t0 = time.perf_counter()
    with translation.override("en"):  # as `bianhe demo` runs
        cli.cmd_init(argparse.Namespace(registry=None, no_admin=True))
        ensure_demo_users()
        years = range(args.demo_from, timezone.localdate().year + 1)
        counts = build_demo_data(years=years)
    build_seconds = time.perf_counter() - t0
    _log(f"{connection.vendor}: demo data for {years.start}–{years.stop - 1} built in "
         f"{build_seconds:.0f} s: {counts['values']:,} values, {counts['reports']:,} reports")
    ids = list(Report.objects.order_by("pk").values_list("pk", flat=True))
    by_frequency = dict(Counter(Report.objects.values_list("form__frequency", flat=True)))
    values = DataValue.objects.count()
    runs = []
    load_before = os.getloadavg()[0]
    for run in range(1, args.repeat + 1):
        t0 = time.perf_counter()
        summary = check_reports(ids)
        seconds = time.perf_counter() - t0
        runs.append({"seconds": seconds, "reports": summary.reports, "flags": summary.flags,
                     "by_check": summary.by_check, "broken_rules": summary.broken_rules})
        _log(f"run {run}: check_reports {seconds:.2f} s, {summary.reports:,} reports, "
             f"{summary.flags:,} flags")
    assert Flag.objects.count() == runs[-1]["flags"]
    rule_flags = dict(Counter(f"{code} {severity}" for code, severity in Flag.objects.filter(
        kind="rule").values_list("rule__code", "severity")))
    severities = dict(Counter(Flag.objects.values_list("severity", flat=True)))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            server = "PostgreSQL " + cursor.fetchone()[0].split()[0]
        else:
            cursor.execute("SELECT sqlite_version()")
            server = "SQLite " + cursor.fetchone()[0]
    result = {"backend": connection.vendor, "server": server, "build_seconds": build_seconds,
              "years": [years.start, years.stop - 1], "values": values,
              "reports": len(ids), "by_frequency": by_frequency, "runs": runs,
              "median": statistics.median(r["seconds"] for r in runs),
              "repeat": args.repeat, "load_1min": [load_before, os.getloadavg()[0]],
              "rule_flags": rule_flags, "severities": severities,
              "peak_rss_mb": _peak_rss_mb(), "files": fingerprint,
              "files_changed_during_run": sorted(
                  k for k, v in _fingerprint(("demo/build.py", "demo/history.py")).items()
                  if fingerprint[k] != v)}
    Path(args.demo_child).write_text(json.dumps(result))


def print_demo(results: list[dict]) -> None:
    for r in results:
        last = r["runs"][-1]
        runs = ", ".join(f"{x['seconds']:.2f}" for x in r["runs"])
        print()
        print(f"Demo data, {r['backend']} ({r['server']}): {r['years'][0]}–{r['years'][1]}, "
              f"{r['values']:,} values in {r['reports']:,} reports {r['by_frequency']}; "
              f"built in {r['build_seconds']:.0f} s (not timed)")
        print(f"  check_reports over every report: {r['median']:.2f} s (median of "
              f"{r['repeat']}; runs {runs}); "
              f"{last['reports']:,} reports checked, {last['flags']:,} flags "
              f"{dict(sorted(last['by_check'].items()))}"
              + (f"; broken rules {last['broken_rules']}" if last["broken_rules"] else ""))
        print(f"  flags by severity {r['severities']}; rule flags {r['rule_flags'] or 'none'}")
        print(f"  peak RSS {r['peak_rss_mb']:,.0f} MB; 1-min load {r['load_1min'][0]:.2f}/"
              f"{r['load_1min'][1]:.2f}")
        print("  files: " + ", ".join(f"{k.split('/')[-1]} {v}" for k, v in r["files"].items()))
        if r["files_changed_during_run"]:
            print(f"  WARNING: changed on disk during the run: {r['files_changed_during_run']}")


# --- main ----------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--national", action="store_true", help="only the synthetic set")
    parser.add_argument("--demo", action="store_true", help="only the demo data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20180226)
    parser.add_argument("--zones", type=int, default=ZONES)
    parser.add_argument("--chunk", type=int, default=None,
                        help="zones per step (default checks.ZONE_CHUNK; 0 = all at once)")
    parser.add_argument("--spike-share", type=float, default=0.005)
    parser.add_argument("--extra-flows", type=int, default=20,
                        help="synthetic codes that are year-to-date flows (the rest stocks)")
    parser.add_argument("--skip-engine", action="store_true",
                        help="time only the numeric pipeline, not checks.flags_for")
    parser.add_argument("--demo-from", type=int, default=2019,
                        help="first demo year, up to this year (default 2019, as "
                             "`bianhe demo`)")
    parser.add_argument("--database-url",
                        default=os.environ.get("BIANHE_BENCH_DATABASE_URL", ""),
                        help="PostgreSQL URL of a dedicated database for the demo part "
                             "(default $BIANHE_BENCH_DATABASE_URL); created, then dropped")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--demo-child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.zones < 1:
        parser.error("--repeat and --zones must be positive")
    if args.demo_child:
        demo_child(args)
        return
    both = not (args.national or args.demo)
    results: dict = {}
    if args.demo or both:
        backends = [] if args.skip_sqlite else [("sqlite", "")]
        if args.database_url:
            benchdb.admin_url(args.database_url)  # refuse reserved names before doing anything
            backends.append(("postgresql", args.database_url))
        results["demo"] = []
        for backend, url in backends:
            print(f"== demo data, {backend}: build, then check_reports × {args.repeat}",
                  flush=True)
            results["demo"].append(demo_parent(backend, url, args))
    if args.national or both:
        print(f"== national synthetic set, {args.zones:,} zones, {args.repeat} runs", flush=True)
        results["national"] = national(args)
        print_national(results["national"])
    if results.get("demo"):
        print_demo(results["demo"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
