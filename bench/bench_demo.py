"""Benchmark: what a newcomer waits for after ``make demo`` — from ``bianhe demo`` to the
first page answering. Target < 20 s on a quiet machine once the virtual environment exists.

Not a test: a script that prints each run and the median. Each run starts ``bianhe demo
--bind 127.0.0.1:PORT`` (this checkout's code, the current Python) with a fresh temporary
``BIANHE_HOME`` (SQLite, as ``make demo``), polls ``http://127.0.0.1:PORT/accounts/login/``
every 0.1 s, and takes the time from the start of the process to the first answer (any HTTP
status below 500). The server is then stopped (SIGINT to its process group) and the home
directory removed.

    .venv/bin/python bench/bench_demo.py --runs 3

``--no-serve`` times ``bianhe demo --no-serve`` to its exit instead (set-up and data only).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def one_run(*, serve: bool, timeout: float) -> float:
    home = tempfile.mkdtemp(prefix="bianhe-bench-demo-")
    port = _free_port()
    env = {**os.environ, "BIANHE_HOME": home, "BIANHE_DATABASE_URL": "",
           "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-c", "from bianhe.cli import entry; entry()", "demo",
               "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    if not serve:
        command.append("--no-serve")
    log = Path(home) / "demo.log"
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            if not serve:
                process.wait(timeout=timeout)
                if process.returncode:
                    raise RuntimeError(f"bianhe demo exited with {process.returncode}")
                return time.perf_counter() - started
            url = f"http://127.0.0.1:{port}/accounts/login/"
            while time.perf_counter() - started < timeout:
                if process.poll() is not None:
                    raise RuntimeError(f"bianhe demo exited with {process.returncode}:\n"
                                       + log.read_text()[-2000:])
                if _answers(url):
                    return time.perf_counter() - started
                time.sleep(0.1)
            raise RuntimeError(f"no answer within {timeout:.0f} s")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--no-serve", action="store_true",
                        help="time `bianhe demo --no-serve` to its exit")
    args = parser.parse_args()
    what = "bianhe demo --no-serve, to its exit" if args.no_serve else \
        "bianhe demo, to the first page answering"
    print(f"{what}; {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")
    times = []
    for run in range(1, args.runs + 1):
        seconds = one_run(serve=not args.no_serve, timeout=args.timeout)
        times.append(seconds)
        print(f"run {run}: {seconds:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    print(f"median {statistics.median(times):.1f} s, min {min(times):.1f} s, "
          f"max {max(times):.1f} s")


if __name__ == "__main__":
    main()
