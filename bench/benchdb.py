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
