"""Typed readers for the ``BIANHE_*`` environment variables.

Every reader fails loudly with :class:`EnvError`, naming the variable and what it expected,
so that a mistyped deployment stops at start-up instead of running half-configured.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url


class EnvError(Exception):
    """An environment variable holds a value the platform cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise EnvError(f"{name}={number} is below the minimum of {minimum}")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise EnvError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise EnvError(f"{name} is set but empty; give a comma-separated list")
    return items


def env_home(name: str = "BIANHE_HOME", default: str = "./var") -> Path:
    """The data directory; created on first use so that a fresh checkout runs."""
    home = Path(env_str(name, default)).expanduser().resolve()
    if home.exists() and not home.is_dir():
        raise EnvError(f"{name}={home} exists and is not a directory")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvError(f"{name}={home} cannot be created: {exc.strerror}") from None
    return home


_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}


def env_database(name: str, home: Path) -> dict:
    """A Django ``DATABASES['default']`` dict from a URL; SQLite in WAL mode by default."""
    url = _raw(name) or ""
    if url == "":
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(home / "bianhe.sqlite3")}
    else:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in _DB_SCHEMES:
            raise EnvError(
                f"{name}={url!r}: unsupported scheme {scheme!r}; "
                "use sqlite:///path/to/file.sqlite3 or postgres://user@host:port/dbname"
            )
        try:
            config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        except Exception as exc:  # the parser raises several types; all mean a bad URL
            raise EnvError(f"{name}={url!r} is not a valid database URL: {exc}") from None
        if not config.get("NAME"):
            raise EnvError(f"{name}={url!r} names no database")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at
        # BEGIN so that two writers queue instead of failing with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


def env_secret_key(name: str, home: Path) -> str:
    """The secret key from the environment, else from ``HOME/secret_key``, made on first run."""
    value = _raw(name)
    if value:
        if len(value) < 32:
            raise EnvError(f"{name} is too short ({len(value)} characters); use at least 32")
        return value
    path = home / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) < 32:
            raise EnvError(f"{path} holds a secret key shorter than 32 characters; delete it")
        return key
    key = secrets.token_urlsafe(50)
    # O_EXCL: if two processes start at once, only one writes; the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
