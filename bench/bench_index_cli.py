"""Benchmark: `bianhe index build` as a whole process, beside R with COINr, and the
command line's Monte Carlo with BLAS on one thread or as it comes.

Not a test: a script that prints medians. Each command is started as a child process
(``subprocess.Popen`` then ``os.wait4``) after one untimed warm-up; the two commands of a
comparison run in turn, A B A B …, so that both see the same machine, and the ratio is
taken pair by pair. Per run: wall time (``time.perf_counter`` around start and wait), CPU
time (user + system of the child, from ``wait4``) and peak memory (its ``ru_maxrss``).

(a) `python -m bianhe.cli index build` of COINr's ASEM example (examples/asem.yaml with
    the shared data's validation/coinr/ASEM_iData.csv: build and the four CSV files)
    against `Rscript bench/asem_coinr.R` (COINr's same build, results to CSV). R is
    skipped, saying so, when Rscript or COINr is not installed. Targets: < 0.3 s, and at
    least 3× faster than R.
(b) the same command with `--uncertainty 10000` (weights ±25 %), BLAS limited to one
    thread (the engine's default, `uncertainty.BLAS_THREADS = 1`) against BLAS as numpy
    starts it (`BLAS_THREADS = None`). Target: peak memory < 150 MiB.

Usage: ``.venv/bin/python bench/bench_index_cli.py [--runs 7] [--only a|b]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BIANHE_SHARED_DIR") or ROOT.parent / "shared")
COINR_DIR = SHARED / "validation" / "coinr"
SPEC = ROOT / "examples" / "asem.yaml"

CLI_WITH_BLAS = """
import sys
import bianhe.index.uncertainty as uncertainty
uncertainty.BLAS_THREADS = None if sys.argv[1] == "default" else int(sys.argv[1])
from bianhe.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_once(command: list[str], env: dict, cwd: Path) -> dict:
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({child.returncode}): {err.strip()[:500]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024}


def compare(label_a, a, label_b, b, runs, env, cwd) -> None:
    run_once(a, env, cwd)
    if b:
        run_once(b, env, cwd)
    results = {label_a: [], label_b: []}
    for _ in range(runs):
        results[label_a].append(run_once(a, env, cwd))
        if b:
            results[label_b].append(run_once(b, env, cwd))
    for label, rows in results.items():
        if not rows:
            continue
        print(f"  {label}: " + ", ".join(
            f"{key} median {statistics.median(r[key] for r in rows):.3f}"
            f" (min {min(r[key] for r in rows):.3f}, max {max(r[key] for r in rows):.3f})"
            for key in ("wall", "cpu", "peak_mib")))
    if b:
        for key in ("wall", "cpu"):
            ratios = [x[key] / y[key] for x, y in zip(results[label_a], results[label_b],
                                                      strict=True)]
            print(f"  {label_a} / {label_b} {key}: median {statistics.median(ratios):.3f} "
                  f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)})")


def r_command(out: Path) -> list[str] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("  R: skipped (Rscript is not installed)")
        return None
    probe = subprocess.run([rscript, "-e", "cat(as.character(packageVersion('COINr')))"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("  R: skipped (the COINr package is not installed)")
        return None
    version = subprocess.run([rscript, "--version"], capture_output=True, text=True)
    print(f"  R: {version.stdout.splitlines()[0]}; COINr {probe.stdout.strip()}")
    return [rscript, str(ROOT / "bench" / "asem_coinr.R"), str(COINR_DIR), str(out)]


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    load = os.getloadavg()[0]
    return (f"nproc {os.cpu_count()}, CPU {model}, load(1 min) {load:.2f}; Python "
            f"{platform.python_version()}, {platform.platform()}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", choices=["a", "b"], action="append")
    args = parser.parse_args(argv)
    parts = set(args.only or "ab")
    if not (COINR_DIR / "ASEM_iData.csv").exists():
        raise SystemExit(f"the ASEM data is not at {COINR_DIR} (set BIANHE_SHARED_DIR)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        # As installed: Python's compiled bytecode kept between runs (in the temporary
        # directory, not in the tree), as pip's install and R's byte-compiled COINr keep it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cwd / "pycache")
        build = ["index", "build", "--spec", str(SPEC),
                 "--data", str(COINR_DIR / "ASEM_iData.csv"), "--out", str(cwd / "asem.csv")]
        if "a" in parts:
            print(f"(a) whole process, ASEM build, {args.runs} runs each after a warm-up")
            compare("bianhe", [sys.executable, "-m", "bianhe.cli", *build],
                    "Rscript+COINr", r_command(cwd / "coinr.csv"), args.runs, env, cwd)
        if "b" in parts:
            print(f"(b) whole process, ASEM build + 10,000 Monte-Carlo replications, "
                  f"{args.runs} runs each after a warm-up")
            mc = [*build, "--uncertainty", "10000", "--seed", "1"]
            compare("BLAS 1 thread", [sys.executable, "-c", CLI_WITH_BLAS, "1", *mc],
                    "BLAS default", [sys.executable, "-c", CLI_WITH_BLAS, "default", *mc],
                    args.runs, env, cwd)


if __name__ == "__main__":
    main()
