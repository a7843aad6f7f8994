"""``bianhe evaluation …``: run, list, publish and verify evaluations from the command line.

The commands act through the same actions as the pages (source "cli", audited); a problem
raises :class:`CommandFailed`, which the CLI prints as one line and exits non-zero. The
parsers import nothing of Django, so that ``bianhe --help`` and the commands that need no
database never set it up; the commands import what they use when they run.
"""

from __future__ import annotations

import argparse

#: The shipped scheme's code (bianhe.evaluation.setup creates it).
DEFAULT_CODE = "border-zones"


class CommandFailed(Exception):
    """One line for stderr."""


def add_parsers(sub) -> None:
    evaluation = sub.add_parser("evaluation", help="the annual comprehensive evaluation") \
        .add_subparsers(dest="evaluation_command", metavar="ACTION", required=True)
    p = evaluation.add_parser("run", help="evaluate one year on accepted data (in the "
                                          "foreground, with progress)")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--scheme", default=DEFAULT_CODE, metavar="CODE[:VERSION]",
                   help=f"the scheme (default: {DEFAULT_CODE}, its newest version)")
    p.add_argument("--replications", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label", default="")
    p.add_argument("--variant", action="store_true", help="a what-if run, never published")
    p.add_argument("--sensitivity", action="store_true", help="also Sobol indices per pillar")
    p.add_argument("--publish", action="store_true", help="publish it when computed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(evaluation=run)
    p = evaluation.add_parser("list", help="list the runs")
    p.set_defaults(evaluation=list_runs)
    p = evaluation.add_parser("publish", help="publish a computed run")
    p.add_argument("run", type=int, metavar="RUN")
    p.set_defaults(evaluation=publish)
    p = evaluation.add_parser("verify", help="recompute a run from its snapshot and compare "
                                             "bit for bit (exit 1 when it differs)")
    p.add_argument("run", type=int, metavar="RUN")
    p.set_defaults(evaluation=verify)


def dispatch(args: argparse.Namespace, say) -> int:
    return args.evaluation(args, say) or 0


def _scheme(ref: str):
    from bianhe.evaluation.models import Scheme

    code, _, version = ref.partition(":")
    schemes = Scheme.objects.filter(code=code)
    if version:
        schemes = schemes.filter(version=int(version)) if version.isdigit() else schemes.none()
    scheme = schemes.order_by("-version").first()
    if scheme is None:
        raise CommandFailed(f"no scheme {ref}")
    return scheme


def _run(pk: int):
    from bianhe.evaluation.models import EvaluationRun

    try:
        return EvaluationRun.objects.select_related("scheme").get(pk=pk)
    except EvaluationRun.DoesNotExist:
        raise CommandFailed(f"no evaluation run {pk}") from None


def _messages(exc) -> str:
    return "; ".join(exc.messages)


def run(args, say) -> None:
    from django.core.exceptions import ValidationError

    from bianhe.audit.models import Source
    from bianhe.evaluation.actions import do_start_run
    from bianhe.jobs.worker import run_with_progress_bar

    scheme = _scheme(args.scheme)
    try:
        started = do_start_run(None, scheme, args.year, label=args.label,
                               variant=args.variant, replications=args.replications,
                               seed=args.seed, sensitivity=args.sensitivity,
                               source=Source.CLI, queue=False)
    except ValidationError as exc:
        raise CommandFailed(_messages(exc)) from None
    try:
        run_with_progress_bar(started.job, title=f"evaluation {started.pk}: {args.year}",
                              quiet=args.quiet)
    except Exception as exc:
        raise CommandFailed(f"evaluation {started.pk} failed: {exc}") from None
    started.refresh_from_db()
    ranked = started.results.filter(rank__isnull=False).select_related("zone") \
        .order_by("rank", "zone__code")
    say(f"evaluation {started.pk}: {args.year}, scheme {scheme.code} v{scheme.version}, "
        f"{started.summary['ranked']} of {started.summary['zones']} zones ranked, "
        f"{started.replications} replications")
    for result in ranked[:5]:
        say(f"  {result.rank:>3}  {result.zone.code:<12} {result.score:7.2f}  "
            f"band {result.rank_p5:g}–{result.rank_p95:g}")
    say(f"fingerprint {started.run_hash}")
    if args.publish:
        publish(argparse.Namespace(run=started.pk), say)


def list_runs(args, say) -> None:
    from bianhe.evaluation.models import EvaluationRun

    for item in EvaluationRun.objects.select_related("scheme").order_by("year", "pk"):
        state = "published" if item.is_published else item.state
        say(f"{item.pk:>5}  {item.year}  {item.scheme.code} v{item.scheme.version:<3} "
            f"{state:<10} {'variant ' if item.is_variant else ''}{item.label}")


def publish(args, say) -> None:
    from django.core.exceptions import ValidationError

    from bianhe.audit.models import Source
    from bianhe.evaluation.actions import do_publish_run

    try:
        done = do_publish_run(None, _run(args.run), source=Source.CLI)
    except ValidationError as exc:
        raise CommandFailed(_messages(exc)) from None
    say(f"evaluation {done.pk} ({done.year}) published")


def verify(args, say) -> int:
    from bianhe.evaluation.verify import verify as recompute

    item = _run(args.run)
    if not item.results_hash:
        raise CommandFailed(f"evaluation {item.pk} has no results to verify ({item.state})")
    check = recompute(item)
    say(f"inputs: {'intact' if check.inputs_intact else 'CHANGED since the run'} "
        f"(SHA-256 {item.input_hash})")
    say(f"engine: {'the same' if check.same_engine else 'changed since the run'}")
    say(f"fingerprint: {'matches' if check.run_hash_ok else 'DIFFERS'} ({item.run_hash})")
    say(f"results: {'identical' if check.results_identical else 'DIFFERENT'}")
    return 0 if check.ok else 1
