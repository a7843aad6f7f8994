"""The evaluation pages: runs, schemes, a run's ranking, a zone's scorecard, comparing two
runs. Every object comes through restrict(); what a province, zone or observer sees of a
published run follows the ministry's setting (queries.full_table)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import TemplateDoesNotExist, get_template
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from bianhe.access import NotInScope, can, require_right
from bianhe.audit.actions import request_context
from bianhe.catalog.models import CatalogVersion
from bianhe.evaluation import charts, exports, presenting, scorecards
from bianhe.evaluation.actions import (
    do_publish_run,
    do_save_scheme,
    do_set_visibility,
    do_start_run,
)
from bianhe.evaluation.forms import NewSchemeForm, SchemeForm, StartRunForm, VisibilityForm
from bianhe.evaluation.models import (
    EvaluationRun,
    EvaluationSettings,
    RunState,
    Scheme,
    ZoneResult,
)
from bianhe.evaluation.queries import (
    comparable_runs,
    frozen_scheme_ids,
    full_table,
    is_ministry,
    run_for,
    runs_for,
    scheme_for,
    years_with_accepted_data,
    zone_result_for,
)
from bianhe.form_errors import add_action_errors
from bianhe.jobs.runner import mark_stalled
from bianhe.roles import Action

ACTIVE = (RunState.QUEUED, RunState.RUNNING)


# --- the runs ------------------------------------------------------------------------------
def _start_form(request, data=None) -> StartRunForm:
    return StartRunForm(
        data, schemes=Scheme.objects.restrict(request.user),
        years_with_data=years_with_accepted_data(),
        catalogue_years=CatalogVersion.objects.values_list("year", flat=True))


def _pillar_fields(request, schemes) -> list[dict]:
    """Per scheme, one weight field per pillar (in %), filled with the scheme's own."""
    out = []
    for scheme in schemes:
        parsed = presenting.parsed_or_none(scheme)
        if parsed is None:
            continue
        fields = []
        for pillar in parsed.pillars():
            name = f"weight_{scheme.pk}_{pillar.code}"
            own = presenting.formatting.number((pillar.weight or 0) * 100, 1)
            fields.append({"name": name, "label": pillar.name, "own": own,
                           "value": request.POST.get(name, own)})
        out.append({"scheme": scheme, "fields": fields})
    return out


def _pillar_weights(request, scheme: Scheme) -> dict[str, float] | None:
    """The what-if pillar weights typed for ``scheme``; None when they are its own."""
    parsed = presenting.parsed_or_none(scheme)
    if parsed is None:
        return None
    typed, changed = {}, False
    for pillar in parsed.pillars():
        own = round((pillar.weight or 0) * 100, 1)
        text = (request.POST.get(f"weight_{scheme.pk}_{pillar.code}") or "").strip()
        try:
            value = float(text.replace("%", "")) if text else own
        except ValueError:
            raise ValidationError(_("The weight of “%(pillar)s” is not a number.")
                                  % {"pillar": pillar.name}) from None
        changed = changed or abs(value - own) > 1e-9
        typed[pillar.code] = value
    return typed if changed else None


def _index_context(request, form=None) -> dict:
    user = request.user
    runs = list(runs_for(user)[:100])
    context = {"runs": [(run, presenting.run_title(run)) for run in runs],
               "ministry": is_ministry(user), "can_change": can(user, Action.CHANGE)}
    if context["can_change"]:
        form = form or _start_form(request)
        context["form"] = form
        context["pillar_fields"] = _pillar_fields(request, form.fields["scheme"].queryset)
        context["visibility_form"] = VisibilityForm(
            initial={"visibility": EvaluationSettings.current().visibility})
    if not context["ministry"]:
        latest = next((run for run in runs if run.is_published), None)
        if latest is not None:
            mine = ZoneResult.objects.restrict(user).filter(run=latest).select_related("zone")
            context["latest"] = latest
            context["latest_title"] = presenting.run_title(latest)
            context["my_zones"] = [(r.zone, presenting.rank_text(r.rank)) for r in
                                   mine.order_by("zone__path")]
    return context


def index(request):
    return render(request, "evaluation/index.html", _index_context(request))


@require_POST
def start_run(request):
    require_right(request.user, Action.CHANGE)
    form = _start_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            weights = _pillar_weights(request, data["scheme"])
            run = do_start_run(request.user, data["scheme"], data["year"],
                               label=data["label"], variant=data["variant"],
                               pillar_weights=weights, replications=data["replications"],
                               sensitivity=data["sensitivity"], **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            return redirect("evaluation:run", run_id=run.pk)
    return render(request, "evaluation/index.html", _index_context(request, form), status=400)


@require_POST
def set_visibility(request):
    require_right(request.user, Action.CHANGE)
    form = VisibilityForm(request.POST)
    if form.is_valid():
        try:
            do_set_visibility(request.user, form.cleaned_data["visibility"],
                              **request_context(request))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose what provinces and zones see."))
    return redirect("evaluation:index")


def mine(request):
    """A zone's own scorecard in the newest published run; anyone reaching several zones
    (or none with a published result) goes to the list of runs."""
    latest = (EvaluationRun.objects.restrict(request.user)
              .filter(published_at__isnull=False).order_by("-year").first())
    results = list(ZoneResult.objects.restrict(request.user).filter(run=latest)
                   .select_related("zone")[:2]) if latest and not is_ministry(request.user) \
        else []
    if len(results) != 1:
        if latest is None:
            messages.info(request, _("No evaluation has been published yet."))
        return redirect("evaluation:index")
    return redirect("evaluation:scorecard", run_id=latest.pk, code=results[0].zone.code)


# --- schemes -------------------------------------------------------------------------------
def scheme_list(request):
    schemes = list(Scheme.objects.restrict(request.user))
    frozen = frozen_scheme_ids()
    rows = [(scheme, scheme.pk in frozen, presenting.is_proposal(scheme)) for scheme in schemes]
    return render(request, "evaluation/schemes.html", {
        "rows": rows, "can_change": can(request.user, Action.CHANGE)})


def scheme_detail(request, scheme_id: int):
    scheme = scheme_for(request.user, scheme_id)
    parsed, rows = presenting.scheme_tree(scheme)
    freezer = (EvaluationRun.objects.filter(scheme=scheme, published_at__isnull=False)
               .order_by("published_at").first())
    versions = Scheme.objects.restrict(request.user).filter(code=scheme.code)
    return render(request, "evaluation/scheme.html", {
        "scheme": scheme, "rows": rows, "parsed": parsed, "freezer": freezer,
        "freezer_title": presenting.run_title(freezer) if freezer else "",
        "proposal": presenting.is_proposal(scheme), "versions": versions,
        "can_change": can(request.user, Action.CHANGE)})


def scheme_edit(request, scheme_id: int):
    scheme = scheme_for(request.user, scheme_id, Action.CHANGE)
    frozen = scheme.is_frozen
    form = SchemeForm(request.POST or None, initial={"text": scheme.text})
    if request.method == "POST" and form.is_valid():
        new_version = frozen or "new_version" in request.POST
        try:
            saved = do_save_scheme(request.user, form.cleaned_data["text"], base=scheme,
                                   new_version=new_version, **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("Saved as version %(version)d.")
                             % {"version": saved.version} if saved.pk != scheme.pk
                             else _("Saved."))
            return redirect("evaluation:scheme", scheme_id=saved.pk)
    return render(request, "evaluation/scheme_form.html", {
        "form": form, "scheme": scheme, "frozen": frozen},
        status=400 if form.errors else 200)


def scheme_new(request):
    require_right(request.user, Action.CHANGE)
    form = NewSchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = do_save_scheme(request.user, form.cleaned_data["text"],
                                   code=form.cleaned_data["code"], **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("evaluation:scheme", scheme_id=saved.pk)
    return render(request, "evaluation/scheme_form.html", {"form": form, "scheme": None},
                  status=400 if form.errors else 200)


# --- one run ---------------------------------------------------------------------------------
def run_page(request, run_id: int):
    run = run_for(request.user, run_id)
    if run.state in ACTIVE:
        mark_stalled()  # a dead worker's job fails, and with it the run
        run = run_for(request.user, run_id)
    if request.htmx:
        if run.state in ACTIVE:
            return render(request, "evaluation/_progress.html", {
                "run": run, "step": presenting.progress_words(run.job.message if run.job
                                                               else "")})
        return HttpResponseClientRefresh()
    context = {"run": run, "title": presenting.run_title(run),
               "ministry": is_ministry(request.user),
               "can_publish": (can(request.user, Action.CHANGE) and run.state == RunState.DONE
                               and not run.is_variant and not run.is_published)}
    if run.state in ACTIVE:
        context["step"] = presenting.progress_words(run.job.message if run.job else "")
    elif run.state == RunState.FAILED:
        context["error"] = presenting.error_words(run)
    else:
        names = presenting.run_names(run)
        ranking = presenting.ranking(request.user, run, names)
        context.update(ranking=ranking, audit=presenting.audit(run, names, ranking),
                       bands=charts.bands(ranking), bands_height=60 + 22 * len(ranking.rows),
                       rows=[(row, ranking.pillar_cells(row)) for row in ranking.rows],
                       method=presenting.method_note(run))
    return render(request, "evaluation/run.html", context)


@require_POST
def publish(request, run_id: int):
    run = run_for(request.user, run_id, Action.CHANGE)
    try:
        do_publish_run(request.user, run, **request_context(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Published: provinces, zones and observers now see this "
                                    "evaluation, and its scheme is frozen."))
    return redirect("evaluation:run", run_id=run.pk)


def ranking_xlsx(request, run_id: int):
    run = run_for(request.user, run_id)
    if run.state != RunState.DONE:
        raise NotInScope
    ranking = presenting.ranking(request.user, run)
    response = HttpResponse(exports.ranking_xlsx(ranking), content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(run)}"'
    return response


def _zone_targets(zone, year: int) -> str:
    """The targets app's table of the zone's targets of the year, when that app is
    installed (this page works without it)."""
    try:
        template = get_template("targets/_zone_targets.html")
    except TemplateDoesNotExist:
        return ""
    try:
        from bianhe.targets.tracking import zone_targets
    except ImportError:
        return ""
    rows = zone_targets(zone, year)
    return template.render({"zone": zone, "year": year, "rows": rows})


def scorecard(request, run_id: int, code: str):
    run = run_for(request.user, run_id)
    if run.state != RunState.DONE:
        raise NotInScope
    result = zone_result_for(request.user, run, code)
    names = presenting.run_names(run)
    card = scorecards.scorecard(run, result, names)
    return render(request, "evaluation/scorecard.html", {
        "run": run, "title": presenting.run_title(run), "result": result, "card": card,
        "row": presenting.Row(result), "full": full_table(request.user),
        "radar": charts.radar(card), "contributions": charts.contributions(card),
        "contributions_height": 40 + 26 * len(card.contributions),
        "targets": _zone_targets(result.zone, run.year)})


def compare(request):
    if not is_ministry(request.user):
        raise NotInScope
    runs = list(comparable_runs(request.user)[:100])
    by_id = {run.pk: run for run in runs}
    a, b = _pick(request.GET.get("a"), by_id), _pick(request.GET.get("b"), by_id)
    if a is None and b is None and runs:
        a = next((run for run in runs if run.is_published), runs[0])
        b = next((run for run in runs if run.pk != a.pk and run.year == a.year), None)
    context = {"runs": [(run, presenting.run_title(run)) for run in runs], "a": a, "b": b}
    if a is not None and b is not None:
        comparison = scorecards.comparison(request.user, a, b)
        context.update(comparison=comparison, slope=charts.slope(comparison),
                       slope_height=80 + 24 * len(comparison.rows),
                       a_title=presenting.run_title(a), b_title=presenting.run_title(b))
    return render(request, "evaluation/compare.html", context)


def _pick(value, by_id):
    try:
        return by_id.get(int(value))
    except (TypeError, ValueError):
        return None
