"""The benchmarks' own PostgreSQL databases: named, dropped and created safely.

Each benchmark takes a database URL; these helpers refuse the databases that CI and the
server itself use, and recreate the named one through the server's ``postgres`` database.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

RESERVED_DATABASES = {"test", "test_test", "postgres", "template0", "template1"}


def admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's ``postgres`` database, name of the benchmark database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in RESERVED_DATABASES:
        raise SystemExit(f"refusing to use database {name!r}: give a dedicated benchmark "
                         "database, e.g. postgres://postgres@127.0.0.1:5432/bianhe_bench")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_postgres(url: str, *, drop_only: bool = False) -> None:
    """Drop the benchmark database (ending its sessions) and, unless ``drop_only``, create
    it empty."""
    import psycopg
    from psycopg import sql

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def worker_home(prefix: str, database_url: str, **extra: str) -> str:
    """A fresh ``BIANHE_HOME`` for a benchmark whose jobs run on the database backend: the
    environment set for this process and the workers it starts (``extra``: more variables),
    and the PostgreSQL database recreated when one is given. Returns the home."""
    import os
    import tempfile

    home = tempfile.mkdtemp(prefix=prefix)
    os.environ.update({"BIANHE_HOME": home, "BIANHE_DATABASE_URL": database_url,
                       "BIANHE_TASKS_BACKEND": "database", "BIANHE_REDIS_URL": "",
                       "BIANHE_LOG_LEVEL": "WARNING",
                       "DJANGO_SETTINGS_MODULE": "bianhe.settings", **extra})
    if database_url:
        recreate_postgres(database_url)
    return home
