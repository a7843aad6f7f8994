import os
import stat
import subprocess
import sys

import pytest

from bianhe.env import (
    EnvError,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_secret_key,
)


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_a_boolean_that_is_not_one_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("BIANHE_DEBUG", value)
    with pytest.raises(EnvError, match="BIANHE_DEBUG"):
        env_bool("BIANHE_DEBUG", False)


def test_booleans_integers_and_lists_are_read(monkeypatch):
    monkeypatch.setenv("BIANHE_X", "on")
    monkeypatch.setenv("BIANHE_N", "12")
    monkeypatch.setenv("BIANHE_L", "a.example, b.example")
    assert env_bool("BIANHE_X", False) is True
    assert env_int("BIANHE_N", 1) == 12
    assert env_list("BIANHE_L", []) == ["a.example", "b.example"]
    monkeypatch.setenv("BIANHE_N", "3")
    with pytest.raises(EnvError, match="BIANHE_N=3 is below the minimum of 5"):
        env_int("BIANHE_N", 60, minimum=5)
    monkeypatch.setenv("BIANHE_N", "ten")
    with pytest.raises(EnvError, match="BIANHE_N='ten' is not an integer"):
        env_int("BIANHE_N", 1)


def test_the_default_database_is_sqlite_in_wal_mode_under_the_home(tmp_path, monkeypatch):
    monkeypatch.delenv("BIANHE_DATABASE_URL", raising=False)
    config = env_database("BIANHE_DATABASE_URL", tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "bianhe.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


@pytest.mark.parametrize("url", ["mysql://root@localhost/db", "not a url", "postgres://host"])
def test_an_unusable_database_url_names_the_variable(tmp_path, monkeypatch, url):
    monkeypatch.setenv("BIANHE_DATABASE_URL", url)
    with pytest.raises(EnvError, match="BIANHE_DATABASE_URL"):
        env_database("BIANHE_DATABASE_URL", tmp_path)


def test_a_postgres_url_gives_the_postgresql_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("BIANHE_DATABASE_URL", "postgres://bianhe@db.internal:5432/bianhe")
    config = env_database("BIANHE_DATABASE_URL", tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"], config["PORT"]) == ("db.internal", "bianhe", 5432)


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("BIANHE_SECRET_KEY", raising=False)
    first = env_secret_key("BIANHE_SECRET_KEY", tmp_path)
    assert len(first) >= 50
    assert env_secret_key("BIANHE_SECRET_KEY", tmp_path) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    monkeypatch.setenv("BIANHE_SECRET_KEY", "short")
    with pytest.raises(EnvError, match="BIANHE_SECRET_KEY is too short"):
        env_secret_key("BIANHE_SECRET_KEY", tmp_path)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("BIANHE_SESSION_IDLE_MINUTES", "abc", "BIANHE_SESSION_IDLE_MINUTES='abc' is not an integer"),
    ("BIANHE_LOG_LEVEL", "LOUD", "BIANHE_LOG_LEVEL='LOUD' is not one of DEBUG"),
    ("BIANHE_DATABASE_URL", "mysql://x/y", "BIANHE_DATABASE_URL='mysql://x/y'"),
])
def test_the_platform_refuses_to_start_with_a_bad_variable(tmp_path, name, value, message):
    env = {**os.environ, "BIANHE_HOME": str(tmp_path), name: value}
    result = subprocess.run([sys.executable, "-m", "bianhe.cli", "check"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
