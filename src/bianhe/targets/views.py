"""The targets pages: the sets of a year, one zone's set (edit, submit, decide), tracking
and the year-end completion, with their XLSX exports. Every lookup starts from
``restrict()``; a zone outside the reader's scope answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bianhe.access import NotInScope, get_restricted
from bianhe.audit.actions import request_context
from bianhe.catalog.models import CatalogVersion
from bianhe.form_errors import add_action_errors
from bianhe.roles import Action, Level
from bianhe.targets import completion as year_end
from bianhe.targets import exports
from bianhe.targets.actions import do_delete_target, do_save_targets, do_transition
from bianhe.targets.forms import (
    MEASURES,
    SEASONAL,
    ReasonForm,
    TargetForm,
    TrackingFilterForm,
    YearForm,
)
from bianhe.targets.models import SetStatus, TargetSet
from bianhe.targets.notes import completion_notes, tracking_notes
from bianhe.targets.progress import STATUSES
from bianhe.targets.texts import STATUS_LABELS, percent, plan_words, target_words
from bianhe.targets.tracking import BASIS, current_year, default_as_of, tolerance, track
from bianhe.targets.validation import indicator_name
from bianhe.targets.workflow import (
    LEVEL_ACTION,
    PROVINCE,
    TRANSITIONS,
    ZONE,
    available,
    level_of,
)
from bianhe.zones.models import OrgUnit


def catalogue_years() -> list[int]:
    """The years targets can be set for: those with a catalogue, newest first."""
    return list(CatalogVersion.objects.order_by("-year").values_list("year", flat=True))


def _chosen_year(request, years: list[int], default: int) -> int:
    form = YearForm(request.GET or None, years=years)
    if form.is_bound and form.is_valid():
        return form.cleaned_data["year"]
    return default if default in years or not years else years[0]


# --- the sets of a year ------------------------------------------------------------------
@require_safe
def target_list(request):
    """Every zone of the reader's scope with its set for the year: status, count, dates."""
    user = request.user
    years = catalogue_years()
    year = _chosen_year(request, years, current_year())
    zones = OrgUnit.objects.restrict(user).zones().active_in_year(year) \
        .select_related("parent").order_by("path")
    sets = {s.zone_id: s for s in TargetSet.objects.restrict(user).filter(year=year)
            .annotate(count=Count("targets"))}
    rows = [{"zone": zone, "set": sets.get(zone.pk)} for zone in zones]
    level = level_of(user)
    waiting_status = {ZONE: SetStatus.RETURNED, PROVINCE: SetStatus.SUBMITTED}.get(level)
    waiting = [row for row in rows if row["set"] and row["set"].status == waiting_status]
    return render(request, "targets/list.html", {
        "year": year, "years": years, "rows": rows, "waiting": waiting, "level": level,
        "counts": {status: sum(1 for row in rows if row["set"] and row["set"].status == status)
                   for status in SetStatus.values},
        "missing": sum(1 for row in rows if row["set"] is None),
        "is_demo": any(s.is_demo for s in sets.values()),
    })


# --- one zone's set --------------------------------------------------------------------------
def _zone(request, code, action=Action.VIEW) -> OrgUnit:
    return get_restricted(OrgUnit.objects.select_related("parent"), request.user, action,
                          code=code, level=Level.ZONE)


def _indicators(year: int):
    version = CatalogVersion.objects.filter(year=year).first()
    if version is None:
        raise NotInScope
    return list(version.indicators.all())


def _set_context(request, zone, year, *, form=None, reason_form=None) -> dict:
    user = request.user
    indicators = _indicators(year)
    target_set = TargetSet.objects.filter(zone=zone, year=year).first()
    can_edit = (level_of(user) == ZONE
                and OrgUnit.objects.restrict(user, Action.REPORT).filter(pk=zone.pk).exists()
                and (target_set is None or target_set.is_editable))
    moves = []
    if target_set is not None:
        moves = [t for t in available(user, target_set)
                 if TargetSet.objects.restrict(user, LEVEL_ACTION[t.level])
                 .filter(pk=target_set.pk).exists()]
    targets = list(target_set.targets.all()) if target_set else []
    by_code = {i.code: i for i in indicators}
    editing = request.GET.get("indicator", "")
    if form is None and can_edit:
        current = next((t for t in targets if t.indicator_code == editing), None)
        initial = {"indicator": editing} if editing else {}
        if current is not None:
            initial.update(kind=current.kind, value=_plain(current.value), unit=current.unit,
                           fyp_2025_value=_plain(current.fyp_2025_value),
                           fyp_2025_kind=current.fyp_2025_kind, note=current.note)
        form = TargetForm(initial=initial, indicators=indicators)
    tracked = track(TargetSet.objects.filter(pk=target_set.pk), year,
                    statuses=SetStatus.values) if target_set is not None else None
    figures = {r.indicator_code: r for r in tracked.rows()} if tracked else {}
    approved = target_set is not None and target_set.status == SetStatus.APPROVED
    return {
        "zone": zone, "year": year, "years": catalogue_years(), "target_set": target_set,
        "targets": [_target_item(t, by_code.get(t.indicator_code),
                                 figures.get(t.indicator_code)) for t in targets],
        "can_edit": can_edit, "form": form, "moves": moves,
        "reason_form": reason_form or ReasonForm(),
        "tracked": tracked if approved else None,
        "rows": list(figures.values()) if approved else [],
    }


def _target_item(target, indicator, figures) -> dict:
    """A target as the set's page lists it, with last year's figure and the level a growth
    target comes to (``figures``: its tracking row, None when the catalogue lacks it)."""
    unit = indicator.unit if indicator else target.unit
    decimals = indicator.decimals if indicator else 2
    return {"target": target, "indicator": indicator, "figures": figures,
            "name": indicator_name(indicator) if indicator else target.indicator_code,
            "target_text": target_words(target.kind, target.value, unit, decimals),
            "plan_text": plan_words(target.fyp_2025_kind, target.fyp_2025_value, unit,
                                    decimals)}


def _plain(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


@require_safe
def target_set(request, year, code):
    zone = _zone(request, code)
    return render(request, "targets/set.html", _set_context(request, zone, year))


def _rows_errors(form, error: ValidationError) -> None:
    """An action's errors keyed ``targets.0.<field>`` onto the one-target form's fields."""
    if hasattr(error, "error_dict"):
        error = ValidationError({key.split(".")[-1] if key.startswith("targets.") else key:
                                 messages_ for key, messages_ in error.message_dict.items()})
    add_action_errors(form, error)


@require_POST
def save_target(request, year, code):
    zone = _zone(request, code, Action.REPORT)
    form = TargetForm(request.POST, indicators=_indicators(year))
    if form.is_valid():
        try:
            do_save_targets(request.user, zone, year, [form.row()],
                            **request_context(request))
        except ValidationError as exc:
            _rows_errors(form, exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect("targets:set", year=year, code=zone.code)
    return render(request, "targets/set.html", _set_context(request, zone, year, form=form),
                  status=422)


@require_POST
def delete_target(request, year, code):
    zone = _zone(request, code, Action.REPORT)
    target_set_ = get_object_or_404(TargetSet, zone=zone, year=year)
    try:
        do_delete_target(request.user, target_set_, request.POST.get("indicator", ""),
                         **request_context(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Target removed."))
    return redirect("targets:set", year=year, code=zone.code)


@require_POST
def move(request, year, code, name):
    zone = _zone(request, code)
    target_set_ = get_object_or_404(TargetSet, zone=zone, year=year)
    if name not in TRANSITIONS:
        raise NotInScope
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        do_transition(request.user, target_set_, name, reason=reason,
                      **request_context(request))
    except ValidationError as exc:
        add_action_errors(form, exc)
        messages.error(request, " ".join(exc.messages))
        return render(request, "targets/set.html",
                      _set_context(request, zone, year, reason_form=form), status=422)
    messages.success(request, _("%(action)s: done.") % {"action": TRANSITIONS[name].label})
    return redirect("targets:set", year=year, code=zone.code)


# --- tracking ---------------------------------------------------------------------------------
def _scope_choices(user, year):
    zones = list(OrgUnit.objects.restrict(user).zones().active_in_year(year)
                 .select_related("parent").order_by("path"))
    provinces = {z.parent.code: z.parent for z in zones if z.parent_id}
    return [provinces[c] for c in sorted(provinces)], zones


def tracking_query(request) -> dict:
    """The tracking filters from the query string (invalid ones fall back to defaults) and
    the tracked targets they select, within the reader's scope."""
    user = request.user
    years = catalogue_years()
    year = _chosen_year(request, years, current_year())
    provinces, zones = _scope_choices(user, year)
    filters = TrackingFilterForm(request.GET or None, years=years, provinces=provinces,
                                 zones=zones, year=year, initial={"year": year})
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    sets = TargetSet.objects.restrict(user)
    if data.get("province"):
        sets = sets.filter(zone__parent__code=data["province"])
    if data.get("zone"):
        sets = sets.filter(zone__code=data["zone"])
    as_of = data.get("as_of") or default_as_of(year)
    tracked = track(sets, year, as_of)
    rows = tracked.rows()
    measure = data.get("measure") or SEASONAL
    status = data.get("status") or ""
    summary = [{"status": s, "label": STATUS_LABELS[s],
                "seasonal": sum(1 for r in rows if r.status_seasonal == s),
                "linear": sum(1 for r in rows if r.status_linear == s)} for s in STATUSES]
    if status:
        rows = [r for r in rows if getattr(r, f"status_{measure}") == status]
    context = {"filters": filters, "year": year, "tracked": tracked, "rows": rows,
               "measure": measure, "measure_label": MEASURES[measure], "status": status,
               "summary": summary,
               "tolerance": round(tolerance() * 100, 1), "basis": BASIS,
               "query": request.GET.urlencode()}
    context["notes"] = tracking_notes(context)
    return context


@require_safe
def tracking(request):
    return render(request, "targets/tracking.html", tracking_query(request))


@require_safe
def tracking_export(request):
    context = tracking_query(request)
    return _xlsx(exports.tracking_xlsx(context), f"targets-tracking-{context['year']}.xlsx")


# --- year-end completion ----------------------------------------------------------------------
def completion_query(request) -> dict:
    years = catalogue_years()
    year = _chosen_year(request, years, current_year() - 1)
    tracked = year_end.year_end(TargetSet.objects.restrict(request.user), year)
    context = {"year": year, "years": years, "tracked": tracked, "rows": tracked.rows(),
               "zones": _summary_rows(year_end.by_zone(tracked)),
               "provinces": _summary_rows(year_end.by_province(tracked))}
    context["notes"] = completion_notes(context)
    return context


def _summary_rows(table) -> list[dict]:
    rows = table.to_dict("records")
    for row in rows:
        row["completion_text"] = percent(row["completion"])
    return rows


@require_safe
def completion(request):
    return render(request, "targets/completion.html", completion_query(request))


@require_safe
def completion_export(request):
    context = completion_query(request)
    return _xlsx(exports.completion_xlsx(context), f"targets-completion-{context['year']}.xlsx")


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def set_url(year: int, code: str) -> str:
    return reverse("targets:set", kwargs={"year": year, "code": code})
