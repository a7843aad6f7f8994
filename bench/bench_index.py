"""Benchmark: composite-index build, Monte-Carlo uncertainty and Sobol sensitivity.

Not a test: a script that prints a summary (medians of ``--repeat`` runs, default 5, each
timed with ``time.perf_counter``; one untimed warm-up run first). Parts:

(a) ``build()`` of 230 units × 53 indicators in five pillars (seeded random data; min–max
    0–1, weighted arithmetic means; weights 1) — target < 10 ms (COINr: 24 ms);
(b) COINr's ASEM default build (examples/asem.yaml, 51 × 49, denominators, group-mean
    imputation, COINr treatment, min–max 0–100) if the spec and the data in
    the shared data's validation/coinr/ exist — target < 30 ms (COINr: 87 ms);
(c) ``uncertainty()`` with 10,000 replications at 230 × 53 (weights ×U(0.75, 1.25),
    normalisation minmax/zscore/rank, aggregation arithmetic/geometric) — target < 3 s
    (COINr: 31.6 ms per replication, ≈ 5 min);
(d) ``sensitivity()`` for 8 input groups (5 pillar weight groups, index weights,
    normalisation, aggregation) with 1,024 base samples, N·(k + 2) = 10,240 runs —
    target < 10 s (COINr, N = 100: 69 s);
(e) ``uncertainty()`` as (c) at the scale of every zone: 2,543 synthetic units × 40
    indicators in five pillars, 10,000 replications, median of at most 3 runs — target
    < 30 s.

``--profile`` adds a cProfile of (a). Usage: ``.venv/bin/python bench/bench_index.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bianhe.index.build import build
from bianhe.index.spec import load_spec
from bianhe.index.uncertainty import sensitivity, uncertainty

ROOT = Path(__file__).resolve().parents[1]
ASEM_SPEC = ROOT / "examples" / "asem.yaml"
#: The team's shared reference data: ``../shared`` beside the checkout, or $BIANHE_SHARED_DIR.
SHARED = Path(os.environ.get("BIANHE_SHARED_DIR") or ROOT.parent / "shared")
ASEM_DATA = SHARED / "validation" / "coinr" / "ASEM_iData.csv"


def synthetic(units=230, indicators=53, pillars=5, seed=2024):
    rng = np.random.default_rng(seed)
    sizes = [indicators // pillars + (1 if p < indicators % pillars else 0)
             for p in range(pillars)]
    nodes = [{"code": "Index"}]
    cols = {}
    k = 0
    latent = rng.normal(size=units)
    for p, size in enumerate(sizes):
        nodes.append({"code": f"P{p + 1}", "parent": "Index", "weight": 1})
        for _ in range(size):
            code = f"X{k + 1:02d}"
            direction = -1 if k % 5 == 4 else 1
            nodes.append({"code": code, "parent": f"P{p + 1}", "weight": 1,
                          "direction": direction})
            cols[code] = 50 + 10 * (direction * 0.6 * latent + rng.normal(size=units))
            k += 1
    spec = load_spec({"unit": "unit", "normalise": {"method": "minmax", "low": 0, "high": 1},
                      "nodes": nodes})
    data = pd.DataFrame({"unit": [f"U{i:03d}" for i in range(units)], **cols})
    return spec, data


def timed(fn, repeat):
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal"))
        ram = f"{mem / 1024 ** 2:.1f} GiB"
    except (OSError, StopIteration):
        ram = "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"nproc {os.cpu_count()}, CPU {model}, RAM {ram}, load(1 min) {load:.2f}\n"
            f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"pandas {pd.__version__}, {platform.platform()}")


def report(label, median, times, target, peer):
    runs = ", ".join(f"{t * 1e3:.1f}" for t in times)
    ok = "met" if median < target else "MISSED"
    print(f"{label}: median {median * 1e3:.1f} ms (runs ms: {runs}); target "
          f"< {target * 1e3:g} ms {ok}; COINr {peer}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--replications", type=int, default=10_000)
    parser.add_argument("--base-samples", type=int, default=1024)
    parser.add_argument("--only", choices=["a", "b", "c", "d", "e"], action="append")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    parts = set(args.only or "abcde")
    print(machine())
    spec, data = synthetic()
    print(f"synthetic: {len(data)} units × {len(spec.indicators)} indicators, "
          f"{len(spec.root.children)} pillars")
    if "a" in parts:
        med, times = timed(lambda: build(spec, data), args.repeat)
        report("(a) build 230 × 53", med, times, 0.010, "24 ms")
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            for _ in range(20):
                build(spec, data)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    if "b" in parts:
        if ASEM_SPEC.exists() and ASEM_DATA.exists():
            asem = load_spec(ASEM_SPEC)
            asem_data = pd.read_csv(ASEM_DATA)
            med, times = timed(lambda: build(asem, asem_data), args.repeat)
            report(f"(b) ASEM build {len(asem_data)} × {len(asem.indicators)}", med, times,
                   0.030, "87 ms")
        else:
            print(f"(b) skipped: {ASEM_SPEC} or {ASEM_DATA} not found")
    if "c" in parts:
        def mc():
            return uncertainty(spec, data, n=args.replications, seed=0, weight_noise=0.25,
                               normalisations=("minmax", "zscore", "rank"),
                               aggregations=("arithmetic", "geometric"))
        med, times = timed(mc, args.repeat)
        report(f"(c) uncertainty, {args.replications} replications", med, times, 3.0,
               "31.6 ms/replication ≈ 316 s for 10,000")
        print(f"    per replication: {med / args.replications * 1e6:.0f} µs")
    if "d" in parts:
        inputs = [f"weights:P{p}" for p in range(1, 6)] + ["weights:Index", "normalisation",
                                                           "aggregation"]

        def sa():
            return sensitivity(spec, data, base_samples=args.base_samples, seed=0,
                               inputs=inputs, weight_noise=0.25,
                               normalisations=("minmax", "zscore", "rank"),
                               aggregations=("arithmetic", "geometric"))
        res = sa()
        med, times = timed(sa, args.repeat)
        report(f"(d) Sobol, 8 inputs, N = {args.base_samples} ({res.runs} runs)", med, times,
               10.0, "69 s at N = 100")
        print(res.indices.round(4).to_string())
    if "e" in parts:
        big_spec, big_data = synthetic(units=2543, indicators=40, pillars=5)
        repeat = min(args.repeat, 3)

        def big():
            return uncertainty(big_spec, big_data, n=args.replications, seed=0,
                               weight_noise=0.25, normalisations=("minmax", "zscore", "rank"),
                               aggregations=("arithmetic", "geometric"))
        med, times = timed(big, repeat)
        report(f"(e) uncertainty, 2,543 × 40, {args.replications} replications", med, times,
               30.0, "not measured")
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"    peak memory of this process so far: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
