"""Data-quality pages: the reviewer's worklist, follow-up, completeness and timeliness,
quality scores, the rules and outlier settings, and bulk re-runs. The two htmx actions of
the entry grid (explain a flagged cell, accept an explanation) are the review desk's, under
quality's URLs (``bianhe.review``). Every lookup starts from ``restrict()``."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bianhe.access import NotInScope, can, require_right
from bianhe.audit.actions import request_context
from bianhe.catalog.models import Frequency
from bianhe.catalog.readable import (
    OUTLIER_METHODS,
    expression_in_words,
    frequency_labels,
    indicator_label,
    indicator_names,
    months_between,
)
from bianhe.jobs.runner import mark_stalled
from bianhe.periods import Period
from bianhe.quality.actions import (
    CONFIG_FIELDS,
    do_queue_run,
    do_save_outlier_config,
    do_save_rule,
)
from bianhe.quality.describe import flag_text
from bianhe.quality.describe import indicator_names as names_for_messages
from bianhe.quality.expressions import RuleError, parse_rule
from bianhe.quality.models import (
    MissingPolicy,
    OutlierConfig,
    QualityRun,
    Rule,
    Severity,
)
from bianhe.quality.outliers import METHODS
from bianhe.quality.queries import (
    completeness,
    followup_rows,
    periods_of_year,
    quality_scores,
    risk_rows,
    yearly_completeness,
)
from bianhe.quality.rules import catalogue_members
from bianhe.quality.tolerance import derived_tolerance, rounding_units
from bianhe.reporting.models import Report, ReportForm
from bianhe.reporting.views import default_form
from bianhe.reporting.workflow import BULK, INBOX, PROVINCE, REVIEW_LEVELS, TRANSITIONS, level_of
from bianhe.roles import Action, Level
from bianhe.zones.models import OrgUnit


def _today():
    return timezone.localdate()


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return _today().year
    return year if 2000 <= year <= 2100 else _today().year


def worklist(request):
    """Reports waiting for this reviewer's level, riskiest first."""
    level = level_of(request.user)
    # Those who do not review see what waits for the province.
    waiting = INBOX[level] if level in REVIEW_LEVELS else INBOX[PROVINCE]
    reports = Report.objects.restrict(request.user).filter(status=waiting)
    approve, send_back = BULK.get(level, (None, None))
    rows = risk_rows(reports)
    reviewer = approve is not None and can(request.user, Action.REVIEW)
    return render(request, "quality/worklist.html", {
        "rows": rows[:500], "total": len(rows), "waiting": waiting,
        "bulk": TRANSITIONS[approve] if reviewer else None,
        "bulk_return": TRANSITIONS[send_back] if reviewer else None})


def followup(request):
    """Flagged values and their explanations, per province, open ones first."""
    provinces = OrgUnit.objects.restrict(request.user).provinces()
    province = request.GET.get("province", "")
    if province and not provinces.filter(code=province).exists():
        province = ""
    show_all = request.GET.get("all") == "1"
    rows = followup_rows(request.user, province=province, only_open=not show_all)
    names, message_names = indicator_names(), names_for_messages()
    for row in rows:
        row["texts"] = [flag_text(flag, message_names) for flag in row["flags"]]
        row["label"] = indicator_label(row["indicator"], row["member"], names)
    return render(request, "quality/followup.html", {
        "rows": rows, "provinces": provinces, "province": province, "show_all": show_all})


# --- completeness, timeliness and scores ---------------------------------------------------

def _form_and_year(request):
    forms = list(ReportForm.objects.filter(is_active=True))
    form = default_form(forms, request.GET.get("form"))
    if form is None:
        raise NotInScope
    return forms, form, _year(request)


def completeness_page(request):
    forms, form, year = _form_and_year(request)
    periods = periods_of_year(form, year)
    data = completeness(request.user, form, periods, _today())
    trend = {"periods": [p.label() for p in periods],
             "on_time": [data["totals"][p.code]["on_time_share"] for p in periods],
             "received": [data["totals"][p.code]["received"] for p in periods],
             "expected": [data["totals"][p.code]["expected"] for p in periods]}
    return render(request, "quality/completeness.html", {
        "forms": forms, "form": form, "year": year, "periods": periods, "trend": trend,
        "total_rows": [(p, data["totals"][p.code]) for p in periods],
        "yearly": yearly_completeness(request.user, form,
                                      range(max(2019, year - 5), year + 1), _today()),
        "years": range(_today().year, 2018, -1), **data})


def completeness_export(request):
    _forms, form, year = _form_and_year(request)
    periods = periods_of_year(form, year)
    data = completeness(request.user, form, periods, _today())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="bianhe-completeness-{form.code}-{year}.csv"')
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["zone", "zone_name", "province", "form", "period", "state", "deadline",
                     "first_submitted", "status"])
    for row in data["matrix"]:
        zone = row["zone"]
        for cell in row["cells"]:
            if cell is None:
                continue
            report = cell["report"]
            writer.writerow([
                zone.code, zone.name_zh, zone.parent.code if zone.parent else "", form.code,
                cell["period"].code, cell["state"],
                (report.deadline if report else
                 cell["period"].deadline(form.deadline_days)).isoformat(),
                timezone.localtime(report.first_submitted_at).isoformat()
                if report and report.first_submitted_at else "",
                report.status if report else ""])
    return response


def scores_page(request):
    year = _year(request)
    rows = quality_scores(request.user, year, _today())
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="bianhe-quality-{year}.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(["zone", "zone_name", "province", "year", "reports_due",
                         "reports_sent", "late", "returned", "values", "flagged_values",
                         "on_time_share", "flagged_share", "returned_share", "score"])
        for row in rows:
            zone = row["zone"]
            writer.writerow([zone.code, zone.name_zh, zone.parent.code if zone.parent else "",
                             year, row["due"], row["sent"], row["late"], row["returned"],
                             row["values"], row["flagged"], _blank(row["on_time_share"]),
                             _blank(row["flagged_share"]), _blank(row["returned_share"]),
                             _blank(row["score"])])
        return response
    return render(request, "quality/scores.html", {
        "rows": rows, "year": year, "years": range(_today().year, 2018, -1)})


def _blank(value):
    return "" if value is None else value


# --- rules, outlier settings and runs (the ministry changes them; everyone reads) --------

def rules_page(request):
    mark_stalled()
    names = indicator_names()
    rules = list(Rule.objects.prefetch_related("scope_units"))
    for rule in rules:
        rule.expression_words = expression_in_words(rule.expression, names)
        rule.frequency_words = frequency_labels(rule.frequencies)
    first, last = _default_range()
    return render(request, "quality/rules.html", {
        "rules": rules,
        "months": months_between(Period.parse(f"{int(first[:4]) - 2}M01"), Period.parse(last)),
        "config": OutlierConfig.current(), "runs": QualityRun.objects.all()[:10],
        "can_change": can(request.user, Action.CHANGE),
        "default_range": _default_range()})


def _default_range() -> tuple[str, str]:
    today = _today()
    return f"{today.year - 1}M01", Period.containing(today, "monthly").code


def rule_edit(request, rule_code=None):
    rule = get_object_or_404(Rule, code=rule_code) if rule_code else None
    can_change = can(request.user, Action.CHANGE)
    errors = {}
    data = {}
    if request.method == "POST":
        require_right(request.user, Action.CHANGE)
        data = {name: request.POST.get(name, "") for name in
                ("code", "name", "expression", "severity", "missing_policy", "tolerance",
                 "notes")}
        data["frequencies"] = request.POST.getlist("frequencies")
        data["is_active"] = request.POST.get("is_active") == "1"
        codes = [c for c in request.POST.get("scope", "").replace("，", ",").replace(
            " ", ",").split(",") if c]
        units = list(OrgUnit.objects.filter(code__in=codes,
                                            level__in=(Level.PROVINCE, Level.ZONE)))
        unknown = sorted(set(codes) - {u.code for u in units})
        try:
            if unknown:
                raise ValidationError({"scope": [_("Unknown province or zone: %(codes)s.")
                                                 % {"codes": ", ".join(unknown)}]})
            rule = do_save_rule(request.user, data, rule=rule, scope_units=units,
                                **request_context(request))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {
                "__all__": exc.messages}
        else:
            messages.success(request, _("The rule was saved. Re-run the checks to apply it "
                                        "to reports already checked."))
            return redirect("quality:rules")
    elif rule is not None:
        data = {"code": rule.code, "name": rule.name, "expression": rule.expression,
                "severity": rule.severity, "missing_policy": rule.missing_policy,
                "tolerance": rule.tolerance, "notes": rule.notes,
                "frequencies": rule.frequencies, "is_active": rule.is_active,
                "scope": ",".join(rule.scope_units.values_list("code", flat=True))}
    else:
        data = {"severity": Severity.WARNING, "missing_policy": MissingPolicy.SKIP_IF_ANY,
                "tolerance": None, "frequencies": [], "is_active": True}
    if request.method == "POST":
        data["scope"] = request.POST.get("scope", "")
    return render(request, "quality/rule_edit.html", {
        "rule": rule, "data": data, "errors": errors, "can_change": can_change,
        "derived": _derived_tolerance(rule),
        "severities": Severity.choices, "policies": MissingPolicy.choices,
        "frequencies": Frequency.choices})


def _derived_tolerance(rule) -> str | None:
    """The tolerance the rounding of a saved rule's figures gives, as text (12 digits at most,
    no float noise), or None for a new or unparsable rule."""
    if rule is None:
        return None
    known = catalogue_members()
    try:
        parsed = parse_rule(rule.expression, indicators=known)
    except RuleError:
        return None
    return f"{derived_tolerance(parsed, rounding_units(), known):.12g}"


def outlier_settings_page(request):
    config = OutlierConfig.current()
    if request.method == "POST":
        require_right(request.user, Action.CHANGE)
        data = {name: request.POST.get(name, "") for name in CONFIG_FIELDS}
        data["methods"] = request.POST.getlist("methods")
        data["seasonal_adjust"] = request.POST.get("seasonal_adjust") == "1"
        try:
            do_save_outlier_config(request.user, data, **request_context(request))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The outlier settings were saved."))
        return redirect("quality:rules")
    return render(request, "quality/outliers.html", {
        "config": config, "methods": [(m, OUTLIER_METHODS.get(m, m)) for m in METHODS],
        "severities": Severity.choices,
        "can_change": can(request.user, Action.CHANGE)})


@require_POST
def run_start(request):
    try:
        do_queue_run(request.user, request.POST.get("period_from", ""),
                     request.POST.get("period_to", ""), **request_context(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The checks are running; the progress is shown below."))
    return redirect("quality:rules")


def runs_fragment(request):
    """htmx: the recent runs with their progress (polled while one is running)."""
    mark_stalled()
    return render(request, "quality/_runs.html", {"runs": QualityRun.objects.all()[:10]})

