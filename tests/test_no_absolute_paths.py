"""No tracked file names a directory of the machine it was written on.

Shared reference data is ``../shared/…`` beside the checkout (or ``$BIANHE_SHARED_DIR``),
scratch space a temporary directory or ``BIANHE_HOME``: a path such as a home directory,
a team machine's work tree or a fixed temporary directory works on one machine only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Roots that only exist on some developer's machine. Not flagged: URL paths (the root
#: follows a host name), the platform's own routes (/api/…, /static/…), system programs
#: and devices (/usr/bin/chromium, /dev/null), and the example server layout of the
#: deployment guide (/srv/bianhe/var, /etc/…).
ROOTS = ("work", "home", "root", "tmp", "Users", "mnt", "private", "scratch")
MACHINE_ROOT = re.compile(r"(?<![\w.:/~-])/(?:" + "|".join(ROOTS) + ")"
                          r"(?:/[^\s`'\")\]]*)?(?=[\s`'\")\],;:]|$)")
#: (file, path) pairs that are meant, each with its reason.
ALLOWED: dict[tuple[str, str], str] = {}
BINARY = {".mo", ".png", ".jpg", ".gif", ".ico", ".xlsx", ".woff", ".woff2", ".ttf", ".gz",
          ".br", ".zip", ".pdf"}


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout.decode()
    return [name for name in listing.split("\0") if name]


def offences(name: str, text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in MACHINE_ROOT.finditer(line):
            if (name, match.group()) not in ALLOWED:
                found.append(f"{name}:{number}: {match.group()}")
    return found


def test_no_tracked_file_names_a_directory_of_one_machine():
    problems = []
    for name in tracked_files():
        path = REPO / name
        if path.suffix in BINARY or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        problems += offences(name, text)
    assert not problems, "\n".join(problems[:40])


#: Examples for the check itself. The roots are written as "{root}" and filled in when the
#: test runs, so that this file names no machine's directory either.
@pytest.mark.parametrize(("line", "flagged"), [
    ("ASEM_DATA = Path('/{work}/shared/validation/coinr/ASEM_iData.csv')", True),
    ("--home-root /{tmp}/bench-small \\", True),
    ("git worktree add /{tmp}/old b4134c3", True),
    ("export BIANHE_HOME=/{home}/someone/bianhe", True),
    ("see /{root}/.cache for details", True),
    ("a scratch copy in /{tmp}", True),
    ("https://www.hljszw.org.cn/{home}/book/info/", False),
    ("python scripts/build_registry.py ../shared/data/zones.csv", False),
    ('executable_path="/usr/bin/chromium"', False),
    ("GET /api/v1/zones", False),
    ("> /dev/null", False),
    ("export BIANHE_HOME=/srv/bianhe/var", False),
    ("the /{tmp}l/ directory, /{home}page", False),
])
def test_the_check_tells_machine_paths_from_urls_and_routes(line, flagged):
    line = line.format(**{root: root for root in ROOTS})
    assert bool(offences("x", line)) == flagged
