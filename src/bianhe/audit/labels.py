"""What an audit row says, in words: the label of every action name recorded anywhere in the
platform, of every object type, and its changes as "字段：旧值 → 新值".

An action name is recorded by code (``record(action="zones.orgunit.update", …)``); its label
lives here, beside all the others, so the audit page, the zone change history and the CSV
export read the same. ``tests/test_audit_labels.py`` fails when a ``record(`` call names an
action missing here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bianhe.audit.actions import SYSTEM_ACTOR
from bianhe.formatting import date_zh, period_label

#: Every action name passed to ``record()``, with its label.
ACTION_LABELS = {
    "accounts.login": gettext_lazy("Signed in"),
    "accounts.logout": gettext_lazy("Signed out"),
    "accounts.login_failed": gettext_lazy("Failed sign-in"),
    "accounts.user.create": gettext_lazy("User created"),
    "accounts.user.update": gettext_lazy("User changed"),
    "accounts.user.set_password": gettext_lazy("Password set"),
    "accounts.token.create": gettext_lazy("API token created"),
    "accounts.token.revoke": gettext_lazy("API token revoked"),
    "zones.orgunit.create": gettext_lazy("Org unit created"),
    "zones.orgunit.update": gettext_lazy("Org unit changed"),
    "catalog.version.create": gettext_lazy("Catalogue version created"),
    "catalog.indicator.update": gettext_lazy("Indicator changed"),
    "reporting.form.create": gettext_lazy("Report form created"),
    "reporting.window.set": gettext_lazy("Entry window set"),
    "reporting.values.import": gettext_lazy("Values imported"),
    "reporting.demo.build": gettext_lazy("Demo data built"),
    "reporting.report.submit": gettext_lazy("Report submitted"),
    "reporting.report.withdraw": gettext_lazy("Submission withdrawn"),
    "reporting.report.approve": gettext_lazy("Report approved"),
    "reporting.report.return": gettext_lazy("Report returned by the province"),
    "reporting.report.unapprove": gettext_lazy("Approval undone"),
    "reporting.report.accept": gettext_lazy("Report accepted"),
    "reporting.report.ministry_return": gettext_lazy("Report returned by the ministry"),
    "reporting.report.reopen": gettext_lazy("Accepted report reopened"),
    "quality.rule.create": gettext_lazy("Validation rule created"),
    "quality.rule.change": gettext_lazy("Validation rule changed"),
    "quality.outliers.change": gettext_lazy("Outlier settings changed"),
    "quality.explanation.write": gettext_lazy("Explanation written"),
    "quality.explanation.delete": gettext_lazy("Explanation removed"),
    "quality.explanation.accept": gettext_lazy("Explanation accepted"),
    "quality.explanation.supersede": gettext_lazy("Explanation superseded by a new value"),
    "quality.run.start": gettext_lazy("Quality checks started"),
    "quality.run.finish": gettext_lazy("Quality checks finished"),
    "analytics.view.save": gettext_lazy("Saved view stored"),
    "analytics.view.delete": gettext_lazy("Saved view deleted"),
    "jobs.job.start": gettext_lazy("Background job started"),
    "targets.target.save": gettext_lazy("Targets saved"),
    "targets.target.delete": gettext_lazy("Target removed"),
    "targets.set.submit": gettext_lazy("Targets submitted"),
    "targets.set.approve": gettext_lazy("Targets approved"),
    "targets.set.return": gettext_lazy("Targets returned to the zone"),
    "targets.set.reopen": gettext_lazy("Approved targets reopened"),
    "targets.demo.build": gettext_lazy("Demo targets built"),
    "evaluation.scheme.create": gettext_lazy("Evaluation scheme created"),
    "evaluation.scheme.update": gettext_lazy("Evaluation scheme changed"),
    "evaluation.run.start": gettext_lazy("Evaluation started"),
    "evaluation.run.finish": gettext_lazy("Evaluation computed"),
    "evaluation.run.publish": gettext_lazy("Evaluation published"),
    "evaluation.settings.update": gettext_lazy("Evaluation visibility changed"),
}

#: Every object type rows are recorded under (a model's ``label_lower``).
OBJECT_TYPES = ("accounts.user", "accounts.apitoken", "zones.orgunit",
                "catalog.catalogversion", "catalog.indicator", "reporting.reportform",
                "reporting.report", "quality.rule", "quality.outlierconfig",
                "quality.qualityrun", "analytics.savedview", "jobs.job",
                "targets.targetset", "evaluation.scheme", "evaluation.evaluationrun",
                "evaluation.evaluationsettings")

#: Object types whose model's own name would read the same as another's.
OBJECT_TYPE_LABELS = {"reporting.reportform": gettext_lazy("report form layout")}

#: Actions whose before/after describe another model than the object they are filed under
#: (explanations are filed under their report).
ACTION_MODELS = {"quality.explanation.write": "quality.explanation",
                 "quality.explanation.delete": "quality.explanation",
                 "quality.explanation.accept": "quality.explanation",
                 "quality.explanation.supersede": "quality.explanation"}

#: Keys holding period codes, shown as 2026年11月.
PERIOD_KEYS = frozenset({"period", "from", "to", "period_from", "period_to"})

#: Keys holding a {choice: count} dict, with the model and field whose choices name the keys.
NESTED_CHOICES = {"statuses": ("reporting.report", "status"),
                  "by_check": ("quality.flag", "kind")}

#: Keys holding a list of choices, with the model and field whose choices name them.
LIST_CHOICES = {"frequencies": ("catalog.indicator", "frequency")}

#: Renderers for values written in a language of their own (a rule's expression), which
#: the app that owns that language registers in its ``AppConfig.ready`` — so the audit
#: app, which every app imports, imports none of them. Each takes (value, context): the
#: context is one dict per page, where a renderer keeps what it looked up once.
VALUE_RENDERERS: dict[str, Callable[[object, dict], str]] = {}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def register_value_renderer(key: str, renderer: Callable[[object, dict], str]) -> None:
    VALUE_RENDERERS[key] = renderer


#: Keys of before/after that are not fields of the object's model.
EXTRA_FIELDS = {
    "from": gettext_lazy("from"),
    "to": gettext_lazy("to"),
    "seed": gettext_lazy("random seed"),
    "years": gettext_lazy("years covered"),
    "planted": gettext_lazy("implausible values planted"),
    "statuses": gettext_lazy("reports by status"),
    "late": gettext_lazy("late submissions"),
    "transitions": gettext_lazy("status changes"),
    "scope": gettext_lazy("scope"),
    "reason": gettext_lazy("reason"),
    "period": gettext_lazy("period"),
    "is_open": gettext_lazy("window open"),
    "indicators": gettext_lazy("indicators"),
    "zones": gettext_lazy("zones"),
    "user": gettext_lazy("user"),
    "created": gettext_lazy("values added"),
    "updated": gettext_lazy("values changed"),
    "unchanged": gettext_lazy("values unchanged"),
    "reports_created": gettext_lazy("reports created"),
    "reports": gettext_lazy("reports"),
    "flags": gettext_lazy("flags"),
    "by_check": gettext_lazy("flags by check"),
    "broken_rules": gettext_lazy("rules that could not run"),
    "text": gettext_lazy("explanation"),
    "window_days": gettext_lazy("entry window (days)"),
    "values": gettext_lazy("values"),
    "params": gettext_lazy("parameters"),
    "zone": gettext_lazy("zone"),
    "run": gettext_lazy("quality run"),
    "targets": gettext_lazy("targets"),
    "evaluation_run": gettext_lazy("evaluation run"),
    "variant": gettext_lazy("variant"),
    "pillar_weights": gettext_lazy("pillar weights"),
    "run_hash": gettext_lazy("fingerprint of inputs, scheme and engine (SHA-256)"),
    "missing_cells": gettext_lazy("missing figures"),
    "from_version": gettext_lazy("based on version"),
    "from_run": gettext_lazy("repeats run"),
}

EMPTY = "—"


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_type_label(object_type: str) -> str:
    if object_type in OBJECT_TYPE_LABELS:
        return str(OBJECT_TYPE_LABELS[object_type])
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def actor_label(name: str) -> str:
    """The operator as shown: the platform itself is 系统."""
    return _("system") if name == SYSTEM_ACTOR else name


def action_choices() -> list[tuple[str, str]]:
    return [(name, str(label)) for name, label in ACTION_LABELS.items()]


def object_type_choices() -> list[tuple[str, str]]:
    return [(name, object_type_label(name)) for name in OBJECT_TYPES]


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}：{self.old} → {self.new}"


def changes(object_type: str, before: dict | None, after: dict | None,
            action: str = "", context: dict | None = None) -> list[Change]:
    """Each key whose value differs, in the order the row names them, as readable text.

    A creation lists its values with "—" as the old one; a removal its old values with "—"
    as the new one."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    model = _model(ACTION_MODELS.get(action, object_type))
    context = {} if context is None else context
    keys = [*after, *(key for key in before if key not in after)]
    return [Change(field_label(model, key), value_text(model, key, before.get(key), context),
                   value_text(model, key, after.get(key), context))
            for key in keys if key not in before or before.get(key) != after.get(key)]


def field_label(model, key: str) -> str:
    field = _field(model, key)
    if field is not None:
        return str(field.verbose_name)
    label = EXTRA_FIELDS.get(key)
    return str(label) if label is not None else key


def value_text(model, key: str, value, context: dict | None = None) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if key in VALUE_RENDERERS and isinstance(value, str | list):
        shown = VALUE_RENDERERS[key](value, {} if context is None else context)
        if shown is not None:  # None: not the renderer's kind of value
            return shown
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        return _datetime_text(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in PERIOD_KEYS and isinstance(value, str):
        try:
            return period_label(value)
        except (ValueError, KeyError):
            return value
    if key in NESTED_CHOICES and isinstance(value, dict):
        nested_model, name = NESTED_CHOICES[key]
        choices = dict(_field(_model(nested_model), name).flatchoices)
        return "；".join(f"{choices.get(k, k)}：{v}" for k, v in value.items())
    if key in LIST_CHOICES and isinstance(value, list):
        choice_model, name = LIST_CHOICES[key]
        choices = dict(_field(_model(choice_model), name).flatchoices)
        return "、".join(str(choices.get(item, item)) for item in value)
    field = _field(model, key)
    if field is not None and field.choices and not isinstance(value, list | dict):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        return "、".join(value_text(model, key, item) for item in value)
    if isinstance(value, dict):
        return "；".join(f"{field_label(None, k)}：{value_text(None, k, v, context)}"
                        for k, v in value.items())
    return str(value)


def _datetime_text(value: str) -> str:
    """An ISO timestamp as recorded → "2027年3月7日 13:36" in the platform's time zone."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{date_zh(moment.date())} {moment:%H:%M}"


def readable(entry, context: dict | None = None):
    """Attach to an AuditLog row the words the pages show: labels and the changes.

    Pass one ``context`` dict for all the rows of a page, so that a renderer looks up what
    it needs (indicator names) once per page, not once per row."""
    entry.actor_label = actor_label(entry.actor_name)
    entry.action_label = action_label(entry.action)
    entry.object_type_label = object_type_label(entry.object_type)
    describe = VALUE_RENDERERS.get("object_repr")
    entry.object_label = describe(entry.object_repr, context if context is not None else {}) \
        if describe and entry.object_repr else entry.object_repr
    entry.changes = changes(entry.object_type, entry.before, entry.after, entry.action,
                            context)
    return entry


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, key: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return field if hasattr(field, "verbose_name") else None
