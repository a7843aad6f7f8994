"""Workers for the job tests: a real worker of the database backend, in this process or as
a `bianhe worker` process on the test database (a file under BIANHE_HOME, see conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

from django.conf import settings
from django.db import connections


def run_queued_jobs() -> None:
    """Run every queued task in this process with the database backend's own worker loop
    (without its signal handlers, which would replace pytest's)."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
           startup_delay=False, max_tasks=None, worker_id="test-in-process",
           excluded_queue_names=[]).run()


def worker_env(**extra) -> dict:
    """The environment of a worker process that opens this test's database."""
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "BIANHE_HOME": str(settings.BIANHE_HOME),
            "BIANHE_DATABASE_URL": url, "BIANHE_TASKS_BACKEND": "database",
            "BIANHE_REDIS_URL": "", **extra}


def worker_process(*args, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bianhe.cli", "worker", *args],
                            env=worker_env(**env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
