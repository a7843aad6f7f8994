"""The review history of the demo reports, written set-based through the workflow's rules.

``bianhe demo`` gives some ten thousand reports a history of submissions, returns,
approvals and acceptances. Doing that one transition at a time through
:func:`bianhe.review.actions.do_transition` costs a scope check, a locked read, a
``missing_cells`` query, a quality-gate query, a save, a fact sync and an audit row per
transition — most of the time a newcomer waits for ``make demo``. Here the same rules are
applied to every report at once:

- each planned step is a transition of the workflow table
  (:data:`bianhe.reporting.workflow.TRANSITIONS`): the report's status must be one of its
  sources, it moves to its target, a reason is given where one is needed, and the actor is
  the demo user of the transition's level;
- each actor may act on the report: one scoped query per actor
  (``Report.objects.restrict(actor, LEVEL_ACTION[level])``) instead of one per transition;
- the submission gate holds: every cell of the form is filled (the ``missing_cells`` rule,
  over all reports in one query), no value fails a validation rule, and every warned cell
  is explained — the demo reporters write those explanations before submitting, and the
  reviewers accept them before approving (texts from :mod:`bianhe.demo.quality`);
- the fields each transition changes change as :func:`bianhe.reporting.actions._transition`
  changes them (status, returned reason, times returned), and the times it stamps are the
  plan's historical ones;
- every transition, explanation and acceptance has its audit row, in the order they
  happened, written with ``bulk_create``.

Anything the rules refuse stops the build with :class:`bianhe.demo.users.DemoDataError`.
The fact table is rebuilt once afterwards by the caller (:func:`bianhe.analytics.facts.rebuild`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from bianhe.audit.models import AuditLog, Source
from bianhe.catalog.disaggregations import members
from bianhe.demo.quality import explanation_text
from bianhe.demo.users import DemoDataError
from bianhe.quality.models import Explanation, ExplanationStatus, Flag, Severity
from bianhe.reporting.models import DataValue, Report
from bianhe.reporting.queries import form_indicators
from bianhe.reporting.workflow import LEVEL_ACTION, ROLE_LEVEL, TRANSITIONS

#: The times each transition stamps on the report, read from the workflow table; a
#: submission also stamps ``first_submitted_at`` the first time, as ``_transition`` does.
STAMPS = {name: (("first_submitted_at",) if name == "submit" else ()) + (t.timestamp,)
          for name, t in TRANSITIONS.items() if t.timestamp}
STAMPED = tuple(dict.fromkeys(field for fields in STAMPS.values() for field in fields))
CHUNK = 500


@dataclass
class Plan:
    """One report's planned history: transitions (name, reason) and their historical times."""

    report: Report
    steps: list[tuple[str, str]]
    stamps: dict[str, dt.datetime]
    actors: Mapping[str, object]  # level → user
    audit: list[AuditLog] = field(default_factory=list)


def _chunks(items: Sequence) -> list[Sequence]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


def _in_scope(plans: Sequence[Plan]) -> set[tuple[int, int]]:
    """(user id, report id) pairs where the user may act at its level on the report."""
    wanted: dict[int, tuple[object, set[int]]] = {}
    for plan in plans:
        for name, _reason in plan.steps:
            user = plan.actors[TRANSITIONS[name].level]
            wanted.setdefault(user.pk, (user, set()))[1].add(plan.report.pk)
    allowed = set()
    for user, ids in wanted.values():
        level = ROLE_LEVEL.get(getattr(user, "role", None))
        if level is None:
            continue
        for part in _chunks(sorted(ids)):
            allowed.update((user.pk, pk) for pk in Report.objects.restrict(
                user, LEVEL_ACTION[level]).filter(pk__in=part).values_list("pk", flat=True))
    return allowed


def _incomplete(reports: Sequence[Report]) -> set[int]:
    """Reports with an indicator cell of their form still empty (``missing_cells``, at once)."""
    expected: dict[tuple[int, int], set[tuple[str, str]]] = {}
    for report in reports:
        key = (report.form_id, report.catalog_version_id)
        if key not in expected:
            expected[key] = {(ind.code, member) for ind in form_indicators(
                report.form, report.catalog_version) for member in members(ind.disaggregation)}
    filled: dict[int, set[tuple[str, str]]] = {}
    for part in _chunks([r.pk for r in reports]):
        for pk, code, member in DataValue.objects.filter(
                report_id__in=part, value__isnull=False).values_list(
                "report_id", "indicator_code", "member"):
            filled.setdefault(pk, set()).add((code, member))
    return {r.pk for r in reports
            if expected[(r.form_id, r.catalog_version_id)] - filled.get(r.pk, set())}


def _flags(reports: Sequence[Report]) -> tuple[set[int], dict[int, list[tuple[str, str]]]]:
    """Reports with an error flag, and each report's warned cells (sorted)."""
    errors, warned = set(), {}
    for part in _chunks([r.pk for r in reports]):
        for pk, code, member, severity in Flag.objects.filter(report_id__in=part).values_list(
                "report_id", "indicator_code", "member", "severity"):
            if severity == Severity.ERROR:
                errors.add(pk)
            elif severity == Severity.WARNING:
                warned.setdefault(pk, set()).add((code, member))
    explained = set()
    for part in _chunks([r.pk for r in reports]):
        explained.update(Explanation.objects.filter(report_id__in=part).values_list(
            "report_id", "indicator_code", "member"))
    return errors, {pk: sorted(cell for cell in cells if (pk, *cell) not in explained)
                    for pk, cells in warned.items()}


def _audit(actor, action: str, report: Report, repr_: str, before, after) -> AuditLog:
    """The row :func:`bianhe.audit.actions.record` writes for ``obj=report``, unsaved."""
    return AuditLog(actor=actor, actor_name=actor.get_username(), action=action,
                    object_type=Report._meta.label_lower, object_id=str(report.pk),
                    object_repr=repr_[:200], before=before, after=after,
                    source=Source.SYSTEM)


def replay(plans: Sequence[Plan], *, now: dt.datetime | None = None) -> int:
    """Apply every plan through the workflow's rules, in order; returns the transitions made.

    ``plans`` are walked in the given order (which is the order of the audit rows). The
    reports must be freshly checked (``quality_checked_at`` set by one ``check_reports``).
    """
    now = now or timezone.now()  # when explanations are written and accepted (as ever: now)
    reports = [plan.report for plan in plans if plan.steps]
    allowed = _in_scope(plans)
    incomplete = _incomplete([p.report for p in plans if any(n == "submit" for n, _ in p.steps)])
    errors, warned = _flags(reports)
    explanations: list[Explanation] = []
    audit: list[AuditLog] = []
    changed: list[Report] = []
    transitions = 0
    for plan in plans:
        if not plan.steps:
            continue
        report, label = plan.report, str(plan.report)
        written: list[Explanation] = []
        stamped: set[str] = set()
        for name, reason in plan.steps:
            transition = TRANSITIONS[name]
            actor = plan.actors[transition.level]
            where = f"{label} ({report.pk}) {name}"
            if ROLE_LEVEL.get(getattr(actor, "role", None)) != transition.level \
                    or (actor.pk, report.pk) not in allowed:
                raise DemoDataError(f"{where}: {actor.get_username()} may not do this")
            if report.status not in transition.sources:
                raise DemoDataError(f"{where}: not possible from {report.status}")
            reason = reason.strip()
            if transition.needs_reason and not reason:
                raise DemoDataError(f"{where}: a reason is needed")
            if name == "submit":
                if report.pk in incomplete:
                    raise DemoDataError(f"{where}: cells are missing")
                if report.pk in errors:
                    raise DemoDataError(f"{where}: a value fails a validation rule")
                # The reporter explains each warned cell before the first submission.
                for code, member in warned.pop(report.pk, []):
                    text = explanation_text(report.pk, code, member)
                    written.append(Explanation(
                        report=report, indicator_code=code, member=member, text=text,
                        author=actor, author_name=actor.get_username(), written_at=now,
                        status=ExplanationStatus.PENDING))
                    audit.append(_audit(actor, "quality.explanation.write", report,
                                        f"{label} {code}{'/' + member if member else ''}",
                                        None, {"text": text,
                                               "status": str(ExplanationStatus.PENDING)}))
            elif name == "approve":
                for explanation in written:
                    if explanation.status != ExplanationStatus.PENDING:
                        continue
                    explanation.status = ExplanationStatus.ACCEPTED
                    explanation.reviewed_by, explanation.reviewed_at = actor, now
                    cell = explanation.indicator_code + (
                        "/" + explanation.member if explanation.member else "")
                    audit.append(_audit(actor, "quality.explanation.accept", report,
                                        f"{label} {cell}",
                                        {"status": str(ExplanationStatus.PENDING)},
                                        {"status": str(ExplanationStatus.ACCEPTED),
                                         "text": explanation.text}))
            before = report.status
            report.status = transition.target
            if name == "submit":
                report.returned_reason = ""
            elif name in ("return", "ministry_return"):
                report.returned_reason = reason
                report.return_count += 1
            stamped.update(STAMPS.get(name, ()))
            after = {"status": str(report.status), **({"reason": reason} if reason else {})}
            audit.append(_audit(actor, f"reporting.report.{name}", report, str(report),
                                {"status": str(before)}, after))
            transitions += 1
        if set(plan.stamps) != stamped:
            raise DemoDataError(f"{label} ({report.pk}): planned times "
                                f"{sorted(plan.stamps)} but the transitions stamp "
                                f"{sorted(stamped)}")
        for name in STAMPED:
            setattr(report, name, plan.stamps.get(name))
        report.updated_at = now
        explanations += written
        changed.append(report)
    Explanation.objects.bulk_create(explanations, batch_size=CHUNK)
    AuditLog.objects.bulk_create(audit, batch_size=CHUNK)
    _update(changed, ["status", "returned_reason", "return_count", *STAMPED, "updated_at"])
    return transitions


def _update(reports: Sequence[Report], names: Sequence[str]) -> None:
    """``UPDATE … WHERE id = %s`` once per report, in one ``executemany``.

    ``bulk_update`` builds a ``CASE WHEN`` per field and row, which costs more than the
    rest of the history together for some thousands of reports.
    """
    fields = [Report._meta.get_field(name) for name in names]
    q = connection.ops.quote_name
    sql = (f"UPDATE {q(Report._meta.db_table)} SET "
           + ", ".join(f"{q(f.column)} = %s" for f in fields) + f" WHERE {q('id')} = %s")
    rows = [[f.get_db_prep_save(getattr(report, f.attname), connection) for f in fields]
            + [report.pk] for report in reports]
    with connection.cursor() as cursor:
        for part in _chunks(rows):
            cursor.executemany(sql, part)

