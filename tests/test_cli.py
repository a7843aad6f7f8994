import os
import subprocess
import sys

import pytest

import bianhe
from bianhe.accounts.models import ApiToken, User
from bianhe.audit.models import AuditLog
from bianhe.cli import main
from bianhe.demo.users import DEMO_PASSWORD, ensure_demo_users
from bianhe.roles import Role
from bianhe.zones.actions import do_update_org_unit
from bianhe.zones.models import OrgUnit


def run_cli(tmp_path, *args):
    env = {**os.environ, "BIANHE_HOME": str(tmp_path), "BIANHE_DATABASE_URL": ""}
    return subprocess.run([sys.executable, "-m", "bianhe.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_help_lists_every_command(tmp_path):
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("init", "demo", "serve", "worker", "check", "user", "token", "registry",
                    "manage"):
        assert f"    {command}" in result.stdout


def test_init_is_idempotent_and_check_then_passes_on_a_fresh_home(tmp_path):
    assert run_cli(tmp_path, "check").returncode == 1  # nothing migrated yet
    first = run_cli(tmp_path, "init", "--admin-password", "Ministry-admin-pass-1")
    assert first.returncode == 0, first.stderr
    assert "registry: 28 created" in first.stdout and "administrator: created admin" in first.stdout
    second = run_cli(tmp_path, "init")
    assert "registry: 0 created, 0 updated, 28 already present" in second.stdout
    assert "none created" in second.stdout
    check = run_cli(tmp_path, "check")
    assert check.returncode == 0, check.stderr
    assert "registry: 1 ministry, 7 province, 20 zone" in check.stdout


def test_a_malformed_registry_file_stops_init_with_the_reason(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,level\nMOFCOM,ministry\n", encoding="utf-8")
    result = run_cli(tmp_path / "home", "init", "--registry", str(bad))
    assert result.returncode == 1
    assert "missing columns" in result.stderr


def test_user_add_gives_a_role_and_scope_and_audits_it(registry, capsys):
    assert main(["user", "add", "yn-reviewer", "--role", "province_reviewer",
                 "--scope", "CN-YN", "--password", "Kunming-spring-2026"]) == 0
    user = User.objects.get(username="yn-reviewer")
    assert user.role == Role.PROVINCE_REVIEWER
    assert list(user.scope_units.values_list("code", flat=True)) == ["CN-YN"]
    assert AuditLog.objects.get(action="accounts.user.create", object_id=str(user.pk)
                                ).source == "cli"


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "zone_reporter", "--scope", "CN-YN"], "must be scoped to the level"),
    (["--role", "zone_reporter", "--scope", "NOWHERE"], "unknown org unit code(s): NOWHERE"),
    (["--role", "ministry_analyst", "--password", "short"], "too short"),
])
def test_user_add_refuses_bad_input_and_writes_nothing(registry, capsys, args, message):
    assert main(["user", "add", "someone", *args]) == 1
    assert message in capsys.readouterr().err
    assert not User.objects.filter(username="someone").exists()


def test_token_create_prints_a_token_that_only_exists_as_a_digest(people, capsys):
    assert main(["token", "create", "xj-reviewer", "--name", "bridge", "--days", "7"]) == 0
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user__username="xj-reviewer")
    assert token.digest == ApiToken.digest_of(secret)


def test_the_demo_gives_every_role_and_every_scope_a_login(registry):
    logins = ensure_demo_users()
    users = User.objects.filter(username__startswith="demo-")
    assert len(logins) == users.count() == 2 + 7 + 20 + 1
    assert {user.role for user in users} == set(Role.values)
    scoped = {code for user in users for code in user.scope_units.values_list("code", flat=True)}
    assert set(OrgUnit.objects.exclude(level="ministry").values_list("code", flat=True)) <= scoped
    assert all(user.check_password(DEMO_PASSWORD) for user in users)
    audit_rows = AuditLog.objects.count()
    ensure_demo_users()  # a second start changes nothing
    assert AuditLog.objects.count() == audit_rows


def test_the_demo_password_is_hashed_once_and_a_changed_one_is_reset(registry):
    from bianhe.demo.users import reporter_username

    ensure_demo_users()
    users = User.objects.filter(username__startswith="demo-")
    assert users.values("password").distinct().count() == 1  # one hashing, not thirty
    changed = users.get(username=reporter_username("BECZ-GX-01"))
    changed.set_password("Another-secret-2026")
    changed.save()
    ensure_demo_users()
    changed.refresh_from_db()
    assert changed.check_password(DEMO_PASSWORD)
    assert AuditLog.objects.filter(action="accounts.user.set_password",
                                   object_id=str(changed.pk)).count() == 1


def test_a_shared_password_hash_must_be_a_hash(registry):
    from bianhe.accounts.actions import do_create_user

    with pytest.raises(ValueError):
        do_create_user(None, username="someone", password=DEMO_PASSWORD,
                       role=Role.MINISTRY_ANALYST, password_hash=DEMO_PASSWORD)
    assert not User.objects.filter(username="someone").exists()


def test_init_again_keeps_the_edits_an_administrator_made(registry, capsys):
    zone = OrgUnit.objects.get(code="BECZ-GX-02")
    do_update_org_unit(None, zone, {"notes": "管理员补充的说明"})
    assert main(["init"]) == 0
    zone.refresh_from_db()
    assert zone.notes == "管理员补充的说明"
    # The explicit load is the way back to the file, and it says what it changed.
    assert main(["registry", "load"]) == 0
    assert "1 updated" in capsys.readouterr().out
    zone.refresh_from_db()
    assert zone.notes != "管理员补充的说明"


NO_DJANGO_CHECK = """
import sys
from bianhe.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help
    code = exc.code
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print("django modules:", len(loaded), loaded[:3])
sys.exit(code)
"""


@pytest.mark.parametrize("args", [["--help"], ["index", "--help"], ["index", "build"]])
def test_file_commands_set_up_no_django_and_write_no_home(tmp_path, args):
    """`bianhe index …` and the help work on files only: no Django imported, no ./var,
    no secret key, nothing written but what was asked for."""
    examples = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")
    if args[-1] == "build":
        args = [*args, "--spec", os.path.join(examples, "zones-demo.yaml"), "--data",
                os.path.join(examples, "zones-demo-data.csv"), "--out", "out.csv"]
    env = {k: v for k, v in os.environ.items()
           if k not in ("BIANHE_HOME", "DJANGO_SETTINGS_MODULE")}
    env["BIANHE_DATABASE_URL"] = "mysql://nowhere/x"  # refused by Django's set-up only
    # The same sources as this test run (it runs elsewhere: a relative path would not hold).
    source = os.path.dirname(os.path.dirname(bianhe.__file__))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", NO_DJANGO_CHECK, *args], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "django modules: 0 []" in result.stdout
    written = sorted(p.name for p in tmp_path.iterdir())
    expected = (["out.contributions.csv", "out.csv", "out.missing.csv", "out.strengths.csv"]
                if "build" in args else [])
    assert written == expected


def test_database_commands_still_set_up_django_and_refuse_a_bad_environment(tmp_path):
    env = {**os.environ, "BIANHE_HOME": str(tmp_path), "BIANHE_DATABASE_URL": "mysql://x/y"}
    result = subprocess.run([sys.executable, "-m", "bianhe.cli", "check"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "configuration error" in result.stderr
