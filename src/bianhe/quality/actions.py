"""State changes of the quality app, each audited in its own transaction: rules, outlier
settings, explanations and their review, and bulk re-runs."""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import NotInScope, require, require_right
from bianhe.audit.actions import record, snapshot
from bianhe.audit.models import Source
from bianhe.catalog.models import Frequency
from bianhe.jobs.actions import do_start_job
from bianhe.jobs.runner import mark_stalled
from bianhe.periods import PeriodError, RangeOrderError, parse_range
from bianhe.quality.expressions import RuleError, parse_rule
from bianhe.quality.models import (
    Explanation,
    ExplanationStatus,
    JobState,
    MissingPolicy,
    OutlierConfig,
    QualityRun,
    Rule,
    Severity,
)
from bianhe.quality.outliers import METHODS, OutlierSettings
from bianhe.quality.rules import catalogue_members, read_default_rules
from bianhe.roles import Action

RULE_FIELDS = ("code", "name", "expression", "severity", "missing_policy", "tolerance",
               "frequencies", "notes", "is_active")
CONFIG_FIELDS = ("z_threshold", "modified_z_threshold", "yoy_threshold", "yoy_min_change",
                 "minmax_k", "min_points", "seasonal_adjust", "methods", "min_methods",
                 "severity")
MAX_EXPLANATION = 2000
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")


def clean_tolerance(value) -> float | None:
    """An absolute tolerance: None (empty: derived from rounding) or a finite amount ≥ 0.

    Raises ValueError for text, a negative or a non-finite amount."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, str):
        value = value.strip().translate(_FULL_WIDTH_DIGITS)
    amount = float(value)  # TypeError/ValueError for anything else
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(value)
    return amount


def clean_rule_fields(data: dict) -> dict:
    """Check and normalise a rule's fields; ValidationError names every bad field.

    The expression is parsed against the catalogue: an unknown indicator, a syntax error,
    a constant division by zero, a too long or too deeply nested expression are refused
    here, so a rule that cannot run is never saved.
    """
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    cleaned["code"] = str(data.get("code", "")).strip().upper()
    if not cleaned["code"] or len(cleaned["code"]) > 32:
        errors.setdefault("code", []).append(_("Give a code of at most 32 characters."))
    cleaned["name"] = str(data.get("name", "")).strip()
    if not cleaned["name"]:
        errors.setdefault("name", []).append(_("Give the rule a name."))
    try:
        parsed = parse_rule(str(data.get("expression", "")), indicators=catalogue_members())
    except RuleError as exc:
        errors.setdefault("expression", []).append(f"{exc.message}\n{exc.pointer()}")
    else:
        cleaned["expression"] = parsed.text
    if data.get("severity") not in Severity.values:
        errors.setdefault("severity", []).append(_("Choose error or warning."))
    if data.get("missing_policy", MissingPolicy.SKIP_IF_ANY) not in MissingPolicy.values:
        errors.setdefault("missing_policy", []).append(_("Choose a missing-value policy."))
    cleaned.setdefault("missing_policy", MissingPolicy.SKIP_IF_ANY)
    try:
        cleaned["tolerance"] = clean_tolerance(data.get("tolerance"))
    except (TypeError, ValueError):
        errors.setdefault("tolerance", []).append(
            _("The tolerance is an amount of at least 0 in the unit of the figures, e.g. "
              "0.15; leave it empty to derive it from the rounding of the figures."))
    frequencies = data.get("frequencies") or []
    if isinstance(frequencies, str):
        frequencies = [f for f in frequencies.replace(";", " ").split() if f]
    if any(f not in Frequency.values for f in frequencies):
        errors.setdefault("frequencies", []).append(
            _("Period types are monthly, quarterly or annual."))
    cleaned["frequencies"] = sorted(set(frequencies))
    cleaned["notes"] = str(data.get("notes", "")).strip()
    cleaned["is_active"] = bool(data.get("is_active", True))
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def do_save_rule(actor, data: dict, *, rule: Rule | None = None, scope_units=None,
                 source: str = Source.WEB, ip_address: str | None = None) -> Rule:
    """Create or change a rule; nothing is saved unless every field is valid."""
    require_right(actor, Action.CHANGE)
    cleaned = clean_rule_fields(data)
    clash = Rule.objects.filter(code=cleaned["code"])
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise ValidationError({"code": [_("Another rule has this code.")]})
    before = None
    if rule is None:
        rule = Rule()
    else:
        before = {**snapshot(rule, RULE_FIELDS),
                  "scope": sorted(rule.scope_units.values_list("code", flat=True))}
    for name in RULE_FIELDS:
        setattr(rule, name, cleaned[name])
    rule.save()
    if scope_units is not None:
        rule.scope_units.set(scope_units)
    after = {**snapshot(rule, RULE_FIELDS),
             "scope": sorted(rule.scope_units.values_list("code", flat=True))}
    record(actor=actor, action="quality.rule." + ("create" if before is None else "change"),
           obj=rule, before=before, after=after, source=source, ip_address=ip_address)
    return rule


@transaction.atomic
def ensure_default_rules(*, source: str = Source.CLI) -> list[str]:
    """Add the shipped rules whose code does not exist yet (edits made since are kept).

    A default rule naming an indicator the catalogue lacks is skipped, not half-loaded.
    """
    existing = set(Rule.objects.values_list("code", flat=True))
    created = []
    for row in read_default_rules():
        if row["code"] in existing:
            continue
        data = {**row, "notes": row["basis"], "is_active": True}
        try:
            do_save_rule(None, data, source=source)
        except ValidationError:
            continue
        created.append(row["code"])
    return created


@transaction.atomic
def do_save_outlier_config(actor, data: dict, *, source: str = Source.WEB,
                           ip_address: str | None = None) -> OutlierConfig:
    require_right(actor, Action.CHANGE)
    config = OutlierConfig.current()
    before = snapshot(config, CONFIG_FIELDS)
    methods = [m for m in data.get("methods", list(METHODS))]
    try:
        settings = OutlierSettings(
            z_threshold=float(data["z_threshold"]),
            modified_z_threshold=float(data["modified_z_threshold"]),
            yoy_threshold=float(data["yoy_threshold"]),
            yoy_min_change=float(data["yoy_min_change"]),
            minmax_k=float(data["minmax_k"]),
            min_points=int(data["min_points"]),
            seasonal_adjust=bool(data.get("seasonal_adjust")),
            methods=tuple(methods))
        settings.validate()
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(_("The outlier settings are not valid: %(reason)s")
                              % {"reason": exc}) from None
    if data.get("severity", Severity.WARNING) not in Severity.values:
        raise ValidationError(_("Choose error or warning."))
    try:
        min_methods = int(data.get("min_methods") or 1)
    except (TypeError, ValueError):
        min_methods = 0
    if not 1 <= min_methods <= max(1, len(settings.methods)):
        raise ValidationError(_("The number of methods that must agree is between 1 and the "
                                "number of methods chosen."))
    for name in CONFIG_FIELDS:
        if name == "min_methods":
            config.min_methods = min_methods
        elif name == "methods":
            config.methods = list(settings.methods)
        elif name == "severity":
            config.severity = data.get("severity", Severity.WARNING)
        else:
            setattr(config, name, getattr(settings, name))
    config.save()
    record(actor=actor, action="quality.outliers.change", obj=config, before=before,
           after=snapshot(config, CONFIG_FIELDS), source=source, ip_address=ip_address)
    return config


@transaction.atomic
def do_explain(actor, report, indicator_code: str, member: str, text: str, *,
               source: str = Source.WEB, ip_address: str | None = None) -> Explanation | None:
    """The reporter writes (or clears, with empty text) the explanation of a cell.

    Only while the zone may change the report: an explanation is part of what it submits.
    """
    require(type(report).objects, actor, Action.REPORT, report)
    report = type(report).objects.select_for_update().get(pk=report.pk)
    if not report.is_editable:
        raise ValidationError(_("This report is locked; explanations can no longer change."))
    if indicator_code not in report.form.indicator_codes:
        raise NotInScope
    text = text.strip()
    if len(text) > MAX_EXPLANATION:
        raise ValidationError(_("An explanation has at most %(n)d characters.")
                              % {"n": MAX_EXPLANATION})
    existing = Explanation.objects.filter(report=report, indicator_code=indicator_code,
                                          member=member).first()
    before = {"text": existing.text, "status": existing.status} if existing else None
    if not text:
        if existing is None:
            return None
        # The row is kept for the record when a reviewer has seen it; otherwise removed.
        existing.delete()
        record(actor=actor, action="quality.explanation.delete", obj=report,
               object_repr=f"{report} {indicator_code}{'/' + member if member else ''}",
               before=before, source=source, ip_address=ip_address)
        return None
    explanation = existing or Explanation(report=report, indicator_code=indicator_code,
                                          member=member)
    explanation.text = text
    explanation.author = actor if actor is not None and actor.is_authenticated else None
    explanation.author_name = actor.get_username() if explanation.author else "system"
    explanation.written_at = timezone.now()
    explanation.status = ExplanationStatus.PENDING
    explanation.reviewed_by, explanation.reviewed_at = None, None
    explanation.superseded_at = None
    explanation.save()
    record(actor=actor, action="quality.explanation.write", obj=report,
           object_repr=f"{report} {indicator_code}{'/' + member if member else ''}",
           before=before, after={"text": text, "status": explanation.status},
           source=source, ip_address=ip_address)
    return explanation


def supersede_explanations(cells, *, actor, source: str) -> int:
    """Mark the explanations of cells whose value just changed as superseded.

    ``cells`` are (report id, indicator, member, old value, new value). Called by the
    value write itself (web, Excel, API, import), inside its transaction; an explanation
    of a value that no longer exists is never offered to a reviewer for acceptance. Each
    one superseded gets its audit row. Returns how many were superseded.
    """
    # A cell that had no value has nothing explained (new values are most of a big import).
    changed = {(pk, code, member) for pk, code, member, old, new in cells
               if old is not None and _as_decimal(old) != _as_decimal(new)}
    if not changed:
        return 0
    reports = sorted({pk for pk, _c, _m in changed})
    found = [e for start in range(0, len(reports), 10_000)
             for e in Explanation.objects.select_related("report").filter(
                 report_id__in=reports[start:start + 10_000])
             .exclude(status=ExplanationStatus.SUPERSEDED)
             if (e.report_id, e.indicator_code, e.member) in changed]
    now = timezone.now()
    for explanation in found:
        before = {"status": explanation.status, "text": explanation.text}
        explanation.status = ExplanationStatus.SUPERSEDED
        explanation.superseded_at = now
        explanation.save(update_fields=["status", "superseded_at"])
        record(actor=actor, action="quality.explanation.supersede", obj=explanation.report,
               object_repr=f"{explanation.report} {explanation.indicator_code}"
                           f"{'/' + explanation.member if explanation.member else ''}",
               before=before, after={"status": explanation.status},
               source=source)
    return len(found)


def _as_decimal(value):
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


@transaction.atomic
def do_accept_explanation(actor, explanation: Explanation, *, source: str = Source.WEB,
                          ip_address: str | None = None) -> Explanation:
    """The province (or the ministry) accepts a reporter's explanation."""
    report = explanation.report
    require(type(report).objects, actor, Action.REVIEW, report)
    explanation = Explanation.objects.select_for_update().get(pk=explanation.pk)
    if explanation.status == ExplanationStatus.SUPERSEDED:
        raise ValidationError(_("This explanation was written for a value that has since "
                                "been changed; there is nothing to accept."))
    before = explanation.status
    explanation.status = ExplanationStatus.ACCEPTED
    explanation.reviewed_by = actor if actor is not None and actor.is_authenticated else None
    explanation.reviewed_at = timezone.now()
    explanation.save()
    record(actor=actor, action="quality.explanation.accept", obj=report,
           object_repr=f"{report} {explanation.indicator_code}"
                       f"{'/' + explanation.member if explanation.member else ''}",
           before={"status": before},
           after={"status": explanation.status, "text": explanation.text},
           source=source, ip_address=ip_address)
    return explanation


@transaction.atomic
def do_queue_run(actor, first: str, last: str, *, source: str = Source.WEB,
                 ip_address: str | None = None, queue: bool = True,
                 rerun_of=None) -> QualityRun:
    """Record a bulk re-run of every rule and outlier check over a period range, and its job
    (``run.job``); ``queue``: a worker runs it (False: the caller runs it in the foreground)."""
    require_right(actor, Action.CHANGE)
    try:
        start, end = parse_range(first, last)
    except RangeOrderError:
        raise ValidationError(_("The range ends before it starts.")) from None
    except PeriodError:
        raise ValidationError(_("Not a period: use 2024, 2024Q2 or 2024M06.")) from None
    mark_stalled()
    if QualityRun.objects.filter(state__in=(JobState.QUEUED, JobState.RUNNING)).exists():
        raise ValidationError(_("A quality run is already in progress; wait for it to end."))
    user = actor if actor is not None and actor.is_authenticated else None
    run = QualityRun.objects.create(period_from=start.code, period_to=end.code,
                                    started_by=user,
                                    actor_name=user.get_username() if user else "system",
                                    source=source)
    record(actor=actor, action="quality.run.start", obj=run,
           after={"from": start.code, "to": end.code}, source=source, ip_address=ip_address)
    run.job = do_start_job(actor, "quality.run",
                           {"run": run.pk, "from": start.code, "to": end.code},
                           source=source, ip_address=ip_address, queue=queue,
                           rerun_of=rerun_of)
    return run
