"""The ``bianhe`` command: set up, run and administer the platform.

Each subcommand is a small function; all of them go through the same action functions as
the web pages (so the CLI is audited with source "cli"), and report problems as one line on
stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

EXIT_ERROR = 1
EXIT_CONFIG = 2


class CommandError(Exception):
    """A problem to report in one line, exiting non-zero."""


# --- helpers ---------------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bianhe.settings")
    import django

    from bianhe.env import EnvError

    try:
        django.setup()
    except EnvError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def _today():
    """Today in Beijing (TIME_ZONE), not on the host's clock."""
    from django.utils import timezone

    return timezone.localdate()


def _generated_password() -> str:
    import secrets

    return secrets.token_urlsafe(12)


def _say(message: str = "") -> None:
    print(message, flush=True)


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _validation_message(exc) -> str:
    return "; ".join(exc.messages)


def _units(codes: list[str]):
    from bianhe.zones.models import OrgUnit

    units = list(OrgUnit.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {unit.code for unit in units})
    if missing:
        raise CommandError(f"unknown org unit code(s): {', '.join(missing)}")
    return units


# --- init, demo, serve, check ----------------------------------------------------------


def _load_registry(path: str | None, *, update_existing: bool) -> None:
    from bianhe.audit.models import Source
    from bianhe.zones.registry import RegistryFileError, load_registry

    try:
        result = load_registry(path, source=Source.CLI, update_existing=update_existing)
    except RegistryFileError as exc:
        problems = "\n  ".join(exc.problems)
        raise CommandError(f"registry file {exc.path} not loaded:\n  {problems}") from None
    kept = "unchanged" if update_existing else "already present (kept as they are)"
    _say(f"registry: {len(result.created)} created, {len(result.updated)} updated, "
         f"{result.unchanged} {kept}")
    if result.not_in_file:
        _say(f"registry: kept {len(result.not_in_file)} unit(s) not in the file: "
             f"{', '.join(result.not_in_file)}")


def _load_catalogue(years) -> None:
    """Create the catalogue of each year that has none, and the default report forms."""
    from bianhe.catalog.loader import CatalogueFileError, load_catalogue
    from bianhe.catalog.models import CatalogVersion
    from bianhe.reporting.setup import ensure_default_forms

    created = []
    for year in years:
        try:
            if load_catalogue(year):
                created.append(year)
        except CatalogueFileError as exc:
            problems = "\n  ".join(exc.problems)
            raise CommandError(f"catalogue file {exc.path} not loaded:\n  {problems}") from None
    _say(f"catalogue: created for {', '.join(map(str, created))}" if created
         else "catalogue: every year needed exists already")
    latest = CatalogVersion.objects.order_by("-year").first()
    forms = ensure_default_forms(latest)
    if forms:
        _say(f"report forms: created {', '.join(forms)}")
    from bianhe.quality.actions import ensure_default_rules

    rules = ensure_default_rules()
    if rules:
        _say(f"validation rules: created {', '.join(rules)}")
    from bianhe.evaluation.setup import ensure_default_scheme

    scheme = ensure_default_scheme()
    if scheme is not None:
        _say(f"evaluation scheme: created {scheme.code} (version {scheme.version})")


def cmd_init(args) -> None:
    _migrate()
    _say("database: migrated")
    # Only adds missing units: edits made since the last init are never undone here.
    # `bianhe registry load` is the explicit way to bring the registry in line with a file.
    _load_registry(args.registry, update_existing=False)
    _load_catalogue([_today().year])
    if getattr(args, "no_admin", False):
        return
    from bianhe.accounts.models import User
    from bianhe.roles import Role

    if User.objects.filter(role=Role.MINISTRY_ADMIN, is_active=True).exists():
        _say("administrator: one exists already, none created")
        return
    password = args.admin_password or os.environ.get("BIANHE_ADMIN_PASSWORD") or ""
    generated = not password
    if generated:
        password = _generated_password()
    _create_user(args.admin_username, password, Role.MINISTRY_ADMIN, [], "")
    _say(f"administrator: created {args.admin_username}")
    if generated:
        _say(f"administrator password (shown once): {password}")


def _create_user(username, password, role, units, display_name):
    from django.core.exceptions import ValidationError

    from bianhe.accounts.actions import do_create_user
    from bianhe.audit.models import Source

    try:
        return do_create_user(None, username=username, password=password, role=role,
                              scope_units=units, display_name=display_name,
                              source=Source.CLI)
    except ValidationError as exc:
        raise CommandError(f"user {username} not created: {_validation_message(exc)}") from None


def cmd_demo(args) -> None:
    args.no_admin = True
    cmd_init(args)
    from bianhe.demo.build import build_demo_data
    from bianhe.demo.users import DEMO_PASSWORD, DemoDataError, ensure_demo_users

    try:
        logins = ensure_demo_users()
        # 2019 to this year, so the newest periods have drafts and submissions to review.
        counts = build_demo_data(years=range(2019, _today().year + 1))
    except DemoDataError as exc:
        raise CommandError(str(exc)) from None
    if counts["years"]:
        _say(f"demo statistics (演示数据): {counts['values']} values in {counts['reports']} "
             f"reports for {counts['years'][0]}–{counts['years'][-1]}")
    else:
        _say("demo statistics (演示数据): present already")
    from bianhe.demo.evaluation import publish_earlier_evaluation

    earlier = publish_earlier_evaluation(_today())
    if earlier is not None:
        _say(f"demo evaluation (演示数据): {earlier.year} evaluated and published; "
             f"{earlier.year + 1} is left for the ministry to run and publish")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"演示账号 Demo logins — 密码 password: {DEMO_PASSWORD}")
    for column in ("账号", "角色", "范围"):
        table.add_column(column)
    for row in logins:
        table.add_row(*row)
    Console().print(table)
    _say("Demo environment: apart from the zone registry, all figures are demo data "
         "(演示数据), not official statistics.")
    if args.no_serve:
        return
    _say(f"Bianhe: http://{args.bind}/  (Ctrl-C to stop)")
    cmd_serve(args)


def cmd_serve(args) -> None:
    pending = _pending_migrations()
    if pending:
        raise CommandError(f"{len(pending)} migration(s) not applied; run `bianhe init` first")
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    from gunicorn.app.base import BaseApplication

    from bianhe.jobs.worker import start_worker_process, stop_worker_process
    from bianhe.wsgi import application

    # One job worker beside the web server, stopped with it (`bianhe worker` runs more).
    worker = None if getattr(args, "no_worker", False) else start_worker_process()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", args.bind)
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", 4)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", "-")
            self.cfg.set("on_exit", lambda _arbiter: stop_worker_process(worker))

        def load(self):
            return application

    try:
        Server().run()
    finally:
        stop_worker_process(worker)


def cmd_worker(args) -> None:
    """Run background jobs (quality runs, exports) until stopped."""
    from django.conf import settings

    from bianhe.jobs.worker import run_worker

    if not args.batch:
        _say(f"worker: {settings.BIANHE_TASKS_BACKEND} queue (Ctrl-C to stop)")
    run_worker(batch=args.batch)


def cmd_check(args) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    problems = []
    db = settings.DATABASES["default"]
    _say(f"home: {settings.BIANHE_HOME}")
    _say(f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}")
    _say(f"debug: {settings.DEBUG}; allowed hosts: {', '.join(settings.ALLOWED_HOSTS)}")
    secret_source = "environment" if os.environ.get("BIANHE_SECRET_KEY") else "home/secret_key"
    _say(f"secret key: from {secret_source}")
    try:
        call_command("check", verbosity=0)
    except Exception as exc:  # Django raises SystemCheckError with the full report
        problems.append(f"system checks: {exc}")
    try:
        connection.ensure_connection()
        _say(f"database connection: ok ({connection.vendor})")
    except Exception as exc:  # any driver error means the database is unreachable
        problems.append(f"database connection failed: {exc}")
    else:
        pending = _pending_migrations()
        if pending:
            problems.append(f"{len(pending)} migration(s) not applied; run `bianhe init`")
        else:
            from bianhe.roles import Level
            from bianhe.zones.models import OrgUnit

            counts = {level: OrgUnit.objects.filter(level=level).count() for level in Level}
            _say("registry: " + ", ".join(f"{n} {lvl.value}" for lvl, n in counts.items()))
            if counts[Level.ZONE] == 0:
                problems.append("the registry is empty; run `bianhe init`")
    if problems:
        raise CommandError("; ".join(problems))
    _say("ok")


# --- users, tokens, registry -------------------------------------------------------------


def cmd_user_add(args) -> None:
    password = args.password or os.environ.get("BIANHE_USER_PASSWORD") or ""
    generated = not password
    if generated:
        password = _generated_password()
    user = _create_user(args.username, password, args.role, _units(args.scope or []),
                        args.display_name or "")
    _say(f"created {user.username} ({user.get_role_display()})")
    if generated:
        _say(f"password (shown once): {password}")


def cmd_user_list(args) -> None:
    from bianhe.accounts.models import User

    for user in User.objects.prefetch_related("scope_units"):
        scope = ",".join(unit.code for unit in user.scope_units.all()) or "*"
        state = "" if user.is_active else " (inactive)"
        _say(f"{user.username}\t{user.role}\t{scope}{state}")


def cmd_user_password(args) -> None:
    from django.core.exceptions import ValidationError

    from bianhe.accounts.actions import do_set_password
    from bianhe.accounts.models import User
    from bianhe.audit.models import Source

    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise CommandError(f"no user {args.username}")
    password = args.password or os.environ.get("BIANHE_USER_PASSWORD") or ""
    generated = not password
    if generated:
        password = _generated_password()
    try:
        do_set_password(None, user, password, source=Source.CLI)
    except ValidationError as exc:
        raise CommandError(f"password not set: {_validation_message(exc)}") from None
    _say(f"password of {user.username} set")
    if generated:
        _say(f"password (shown once): {password}")


def cmd_token_create(args) -> None:
    from django.core.exceptions import ValidationError

    from bianhe.accounts.actions import do_create_api_token
    from bianhe.accounts.models import User
    from bianhe.audit.models import Source

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {args.username}")
    try:
        _token, secret = do_create_api_token(None, user, name=args.name, days=args.days,
                                             source=Source.CLI)
    except ValidationError as exc:
        raise CommandError(f"token not created: {_validation_message(exc)}") from None
    _say(secret)


def cmd_registry_load(args) -> None:
    _load_registry(args.file, update_existing=True)


def cmd_catalog_load(args) -> None:
    from bianhe.catalog.loader import CatalogueFileError, load_catalogue

    try:
        version = load_catalogue(args.year, args.file)
    except CatalogueFileError as exc:
        problems = "\n  ".join(exc.problems)
        raise CommandError(f"catalogue file {exc.path} not loaded:\n  {problems}") from None
    if version is None:
        raise CommandError(f"the catalogue for {args.year} exists already; edit it on the web")
    _say(f"catalogue {args.year}: {version.indicators.count()} indicators")


def cmd_quality_run(args) -> None:
    """Re-run every active rule and outlier check over a period range, with progress."""
    from django.core.exceptions import ValidationError

    from bianhe.audit.models import Source
    from bianhe.jobs.worker import run_with_progress_bar
    from bianhe.quality.actions import do_queue_run

    today = _today()
    first = args.period_from or f"{today.year - 1}M01"
    last = args.period_to or f"{today.year}M{today.month:02d}"
    try:
        run = do_queue_run(None, first, last, source=Source.CLI, queue=False)
    except ValidationError as exc:
        raise CommandError(_validation_message(exc)) from None
    try:
        run_with_progress_bar(run.job, title=f"quality run {run.pk}: {first}–{last}",
                              quiet=args.quiet)
    except Exception as exc:
        raise CommandError(f"quality run {run.pk} failed: {exc}") from None
    run.refresh_from_db()
    _say(f"quality run {run.pk}: {run.reports_checked} reports checked, "
         f"{run.flags_found} flags")
    if run.error:
        _say(f"rules skipped: {run.error}")


def cmd_analytics_rebuild(args) -> None:
    """Rebuild the analytics fact table from the reports (after loading statuses in bulk)."""
    from bianhe.analytics.facts import rebuild

    _say(f"analytics facts: {rebuild():,} values of submitted, approved or accepted reports")


def cmd_evaluation(args) -> int:
    """The annual comprehensive evaluation (bianhe.evaluation.commands)."""
    from bianhe.evaluation.commands import CommandFailed, dispatch

    try:
        return dispatch(args, _say)
    except CommandFailed as exc:
        raise CommandError(str(exc)) from None


def cmd_index_build(args) -> None:
    """Build a composite index from a YAML spec and a data CSV (no database involved)."""
    from pathlib import Path

    from bianhe.index.build import build
    from bianhe.index.errors import SpecError
    from bianhe.index.io import (
        contributions_table,
        missing_table,
        read_data,
        strengths_table,
        write_results,
        write_table,
    )
    from bianhe.index.spec import load_spec

    if args.uncertainty is not None and args.uncertainty < 1:
        raise CommandError("--uncertainty needs a number of runs of at least 1")
    if args.decimals is not None and not 0 <= args.decimals <= 12:
        raise CommandError("--decimals needs a whole number from 0 to 12")
    out = Path(args.out)
    beside = {name: out.with_suffix(f".{name}.csv")
              for name in ("contributions", "strengths", "missing", "uncertainty")}
    try:
        spec = load_spec(args.spec)
        data = read_data(args.data, spec)
        result = build(spec, data)
        ranks = None
        if args.uncertainty:
            from bianhe.index.uncertainty import run_uncertainty_for_cli

            ranks = run_uncertainty_for_cli(spec, data, args.uncertainty, args.seed or 0)
    except SpecError as exc:
        raise CommandError(f"index not built: {exc}") from None
    decimals = _index_decimals(args, spec)
    try:
        write_results(result, out, decimals=decimals)
        write_table(contributions_table(result, decimals=decimals), beside["contributions"])
        write_table(strengths_table(result, decimals=decimals), beside["strengths"])
        write_table(missing_table(result), beside["missing"])
        flags = None
        if args.audit:
            from bianhe.index.audit import audit, write_audit

            report = audit(result)
            write_audit(result, args.audit, report=report)
            flags = report["flags"]
        if ranks is not None:
            ranks.to_csv(beside["uncertainty"], index=False)
    except OSError as exc:
        raise CommandError(f"cannot write {exc.filename}: {exc.strerror}") from None
    _say_index_summary(args, spec, result, decimals, beside, ranks is not None, flags)


def _index_decimals(args, spec) -> int | None:
    """Scores are written rounded half up: --decimals, else the decimals the spec ranks on
    (rank_round), else 2; --full-precision writes them as computed."""
    if args.full_precision:
        return None
    if args.decimals is not None:
        return args.decimals
    return spec.rank_round if spec.rank_round is not None else 2


def _say_index_summary(args, spec, result, decimals, beside, uncertainty, flags) -> None:
    from bianhe.index.build import round_half_up

    root = spec.root.code
    precision = "full precision" if decimals is None else f"scores to {decimals} decimals"
    _say(f"index {root}: {len(result.scores)} units, {len(spec.indicators)} indicators, "
         f"{len(spec.aggregates)} aggregates → {args.out} ({precision})")
    top = result.scores[root].dropna().sort_values(ascending=False)
    if len(top):
        first = (repr(float(top.iloc[0])) if decimals is None else
                 f"{round_half_up(top.iloc[:1], decimals).iloc[0]:.{decimals}f}")
        _say(f"first: {top.index[0]} ({first})")
    _say(f"contributions → {beside['contributions']}; strengths and weaknesses → "
         f"{beside['strengths']}")
    actions = result.missing["action"].value_counts()
    if len(result.missing):
        cells = "1 cell" if len(result.missing) == 1 else f"{len(result.missing)} cells"
        _say(f"missing values: {cells} ({actions.get('imputed', 0)} "
             f"imputed, {actions.get('reweighted', 0)} reweighted) → {beside['missing']}")
    else:
        _say(f"missing values: none (→ {beside['missing']}, empty)")
    if args.audit:
        incoherent = [f["node"] for f in flags if f["code"] == "incoherent"]
        _say(f"audit → {args.audit}: {len(flags)} flag(s)"
             + (f"; incoherent: {', '.join(incoherent)}" if incoherent else ""))
    if uncertainty:
        _say(f"uncertainty ({args.uncertainty} runs, seed {args.seed or 0}): median rank and "
             f"5th–95th percentile rank per unit → {beside['uncertainty']}")


def cmd_manage(args) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["bianhe manage", *args.args])


# --- argument parsing ------------------------------------------------------------------


class _RoleNames:
    """The role codes, read from :mod:`bianhe.roles` (which imports Django) only when argparse
    checks a value or prints them, so that building the parser needs no Django."""

    def _values(self) -> list[str]:
        from bianhe.roles import Role

        return list(Role.values)

    def __iter__(self):
        return iter(self._values())

    def __contains__(self, value) -> bool:
        return value in self._values()


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; importable and usable without Django."""
    parser = argparse.ArgumentParser(
        prog="bianhe",
        description="Bianhe (边合): the platform for border and cross-border economic "
        "cooperation zones. Configuration comes from BIANHE_* environment variables.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def registry_option(p):
        p.add_argument("--registry", metavar="FILE",
                       help="registry CSV to load (default: the file shipped in the package)")

    p = sub.add_parser("init", help="migrate the database, load the registry, create the "
                       "first administrator (safe to run again)")
    registry_option(p)
    p.add_argument("--admin-username", default="admin")
    p.add_argument("--admin-password",
                   help="default: $BIANHE_ADMIN_PASSWORD, else generated and printed once")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="init, create one demo user per role and scope, print "
                       "the logins and serve on http://127.0.0.1:8000")
    registry_option(p)
    p.add_argument("--bind", default=os.environ.get("BIANHE_BIND", "127.0.0.1:8000"))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-serve", action="store_true", help="set up only, do not serve")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve the platform with gunicorn (static files by "
                       "whitenoise)")
    p.add_argument("--bind", default=os.environ.get("BIANHE_BIND", "127.0.0.1:8000"))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-worker", action="store_true",
                   help="start no job worker (jobs are run by `bianhe worker` elsewhere)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run background jobs (quality runs, exports) until "
                       "stopped; start several, on one machine or many, to share the queue")
    p.add_argument("--batch", action="store_true",
                   help="run the jobs already queued, then stop")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("check", help="check the configuration and the database")
    p.set_defaults(func=cmd_check)

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", metavar="ACTION", required=True)
    p = user.add_parser("add", help="add a user with a role and a scope")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=_RoleNames(), metavar="ROLE",
                   help="one of %(choices)s")
    p.add_argument("--scope", action="append", metavar="CODE",
                   help="org unit code (e.g. CN-XJ, BECZ-XJ-01); repeat for observers")
    p.add_argument("--display-name")
    p.add_argument("--password",
                   help="default: $BIANHE_USER_PASSWORD, else generated and printed once")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("list", help="list users with role and scope")
    p.set_defaults(func=cmd_user_list)
    p = user.add_parser("set-password", help="set a user's password")
    p.add_argument("username")
    p.add_argument("--password",
                   help="default: $BIANHE_USER_PASSWORD, else generated and printed once")
    p.set_defaults(func=cmd_user_password)

    token = sub.add_parser("token", help="personal API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True)
    p = token.add_parser("create", help="create a token for a user and print it once")
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--days", type=int, default=90)
    p.set_defaults(func=cmd_token_create)

    registry = sub.add_parser("registry", help="the zone registry").add_subparsers(
        dest="registry_command", metavar="ACTION", required=True)
    p = registry.add_parser("load", help="bring the registry in line with a CSV file, all "
                            "or nothing (updates units that differ; keeps units not in it)")
    p.add_argument("--file", metavar="FILE", help="default: the file shipped in the package")
    p.set_defaults(func=cmd_registry_load)

    catalog = sub.add_parser("catalog", help="the indicator catalogue").add_subparsers(
        dest="catalog_command", metavar="ACTION", required=True)
    p = catalog.add_parser("load", help="create a year's catalogue from a CSV file")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--file", metavar="FILE", help="default: the catalogue shipped in the package")
    p.set_defaults(func=cmd_catalog_load)

    quality = sub.add_parser("quality", help="data-quality checks").add_subparsers(
        dest="quality_command", metavar="ACTION", required=True)
    p = quality.add_parser("run", help="re-run every active rule and outlier check over a "
                                       "period range (all frequencies)")
    p.add_argument("--from", dest="period_from", metavar="PERIOD",
                   help="first period, e.g. 2024M01 or 2024 (default: January last year)")
    p.add_argument("--to", dest="period_to", metavar="PERIOD",
                   help="last period (default: this month)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_quality_run)

    analytics = sub.add_parser("analytics", help="analytics").add_subparsers(
        dest="analytics_command", metavar="ACTION", required=True)
    p = analytics.add_parser("rebuild", help="rebuild the fact table from the reports (the "
                             "workflow keeps it current; needed only after bulk loads)")
    p.set_defaults(func=cmd_analytics_rebuild)

    from bianhe.evaluation.commands import add_parsers as add_evaluation_parsers

    add_evaluation_parsers(sub)
    sub.choices["evaluation"].set_defaults(func=cmd_evaluation)

    index = sub.add_parser("index", help="composite indices").add_subparsers(
        dest="index_command", metavar="ACTION", required=True)
    p = index.add_parser("build", help="build a composite index from a YAML spec and a data "
                         "CSV; write scores and ranks per unit, and beside them (OUT with the "
                         "suffixes .contributions.csv, .strengths.csv, .missing.csv) each "
                         "node's contribution, each unit's strengths and weaknesses and each "
                         "missing value and what was done with it")
    p.add_argument("--spec", required=True, metavar="SPEC.yaml")
    p.add_argument("--data", required=True, metavar="DATA.csv",
                   help="one row per unit, one column per indicator")
    p.add_argument("--out", required=True, metavar="RESULTS.csv")
    p.add_argument("--audit", metavar="AUDIT.json",
                   help="also write correlations and Cronbach's alpha as JSON")
    p.add_argument("--uncertainty", type=int, metavar="N",
                   help="Monte Carlo runs of an uncertainty analysis (weights ±25 %%); "
                        "writes OUT with the suffix .uncertainty.csv")
    p.add_argument("--seed", type=int, metavar="S", help="random seed for --uncertainty")
    precision = p.add_mutually_exclusive_group()
    precision.add_argument("--decimals", type=int, metavar="D",
                           help="round the scores written half up to D decimals (default: "
                                "the spec's rank_round, else 2)")
    precision.add_argument("--full-precision", action="store_true",
                           help="write the scores as computed, not rounded")
    p.set_defaults(func=cmd_index_build)

    p = sub.add_parser("manage", help="run a Django management command",
                       add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def entry() -> None:
    """The console script: ``bianhe …``."""
    if hasattr(signal, "SIGPIPE"):
        # `bianhe user list | head` should stop quietly, not with a BrokenPipeError.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())


#: Subcommand groups that work on files only: no Django, no database, no BIANHE_HOME, no
#: secret key (and so a start-up of a fraction of a second). Every other subcommand sets up
#: Django first; a new group that needs the database needs nothing added here.
NO_DJANGO = frozenset({"index"})


def _subcommand(argv: list[str]) -> str | None:
    """The first word of the command line that is not an option (None for `bianhe --help`).
    The top-level parser has no option that takes a value, so this is the subcommand."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = _subcommand(argv)
    needs_django = command is not None and command not in NO_DJANGO
    if command == "demo":
        # Before Django reads its settings: every page then carries the demo banner.
        os.environ["BIANHE_DEMO"] = "1"
    if needs_django:
        _setup_django()
    elif command in NO_DJANGO and "numpy" not in sys.modules:
        # The index engine's matrix products are thin (children × units): one BLAS thread
        # does them in less CPU time and, on a small machine, less wall time (BENCHMARKS.md).
        # Set before numpy starts its BLAS; an explicit setting is kept.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = build_parser().parse_args(argv)
    if not needs_django:
        return _run(args)
    from django.utils import translation

    # The command line speaks English (operators' logs); the web UI is Chinese first.
    with translation.override("en"):
        return _run(args)


def _run(args) -> int:
    """Run the subcommand; a command may return its own exit code (verify: 1 when a run
    does not recompute identically)."""
    try:
        code = args.func(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    entry()
