"""The pivot page, its XLSX/CSV exports and saved views.

One view serves the page and its htmx fragment (the table, chart and notes). Every query
goes through :func:`parse_query` and :func:`run`, which enforces the user's scope; a query
that cannot run answers 400 with its message and no table, never a 500. Saved views are
looked up through ``SavedView.objects.restrict`` (own views and views shared within the same
scope); any other id answers 404.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bianhe.access import can, get_restricted, scope_paths
from bianhe.analytics import exports, timeaxis
from bianhe.analytics.actions import NAME_MAX, do_delete_view, do_save_view
from bianhe.analytics.models import SavedView
from bianhe.analytics.pivot import chart_data, layout
from bianhe.analytics.queries import run
from bianhe.analytics.query import (
    BASES,
    CHARTS,
    DIMENSION_LABELS,
    GRANULARITY_LABELS,
    LEVELS,
    MEASURES,
    ORIENTATION,
    PERIOD,
    PROVINCE,
    SCALES,
    UNIT,
    ZONE,
    Query,
    QueryError,
    get_list,
    parse_query,
)
from bianhe.audit.actions import request_context
from bianhe.catalog.models import CatalogVersion, Category, Indicator
from bianhe.periods import ANNUAL, MONTHLY, Period, PeriodError, periods_between
from bianhe.roles import Action
from bianhe.zones.models import OrgUnit, Orientation

FORM_ONLY = {"csrfmiddlewaretoken", "name", "is_shared"}
#: How many years back the period pickers offer (a saved view's older period is added).
PICKER_YEARS = 10


def default_query(user, today=None) -> Query:
    """Trade in the last five complete years, by province for the ministry and by zone for
    users with a scope."""
    today = today or timezone.localdate()
    last = today.year - 1
    scoped = scope_paths(user) is not None
    return Query(indicators=("TRADE_TOTAL",), level=ZONE if scoped else PROVINCE,
                 granularity="year", start=str(last - 4), end=str(last),
                 rows=(UNIT,), columns=(PERIOD,), chart="bar")


def _saved_params(request, params):
    """The saved view named by ``view=<id>`` and its parameters; 404 when not reachable."""
    raw = params.get("view", "")
    if not raw:
        return None, params
    try:
        view_id = int(raw)
    except ValueError:
        raise Http404 from None
    view = get_restricted(SavedView.objects.select_related("owner"), request.user, pk=view_id)
    return view, view.query


def _compute(user, params, defaults):
    """(query, result, table, chart) for ``params``; QueryError when it cannot run."""
    query = parse_query(params, defaults=defaults, can_review=can(user, Action.REVIEW))
    result = run(user, query)
    table = layout(result)
    return query, result, table, chart_data(result, table)


def _first(params, name, default):
    values = get_list(params, name)
    return values[0] if values else default


def _form_state(params, defaults: Query) -> dict:
    """What the form shows: the submitted values over the defaults, parsed or not."""
    granularity = _first(params, "granularity", defaults.granularity)
    same = granularity == defaults.granularity
    rows = get_list(params, "rows") or list(defaults.rows)
    columns = get_list(params, "columns") or list(defaults.columns)
    return {
        "indicators": get_list(params, "indicator") or list(defaults.indicators),
        "level": _first(params, "level", defaults.level),
        "units": get_list(params, "unit"),
        "granularity": granularity,
        "start": _first(params, "start", defaults.start if same else ""),
        "end": _first(params, "end", defaults.end if same else ""),
        "measures": get_list(params, "measure") or list(defaults.all_measures),
        "scale": _first(params, "scale", defaults.scale),
        "breakdown": _first(params, "breakdown", "") in ("1", "true", "on", "yes"),
        "basis": _first(params, "basis", defaults.basis),
        "chart": _first(params, "chart", defaults.chart),
        "rows": rows + [""] * max(0, 2 - len(rows)),
        "columns": columns + [""] * max(0, 2 - len(columns)),
    }


def _indicator_groups(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """The newest catalogue's indicators, by category in catalogue order."""
    newest = CatalogVersion.objects.restrict(user).order_by("-year").first()
    if newest is None:
        return []
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, category in (Indicator.objects.restrict(user).filter(version=newest)
                                 .order_by("position", "code")
                                 .values_list("code", "name_zh", "category")):
        groups.setdefault(category, []).append((code, name))
    labels = dict(Category.choices)
    return [(str(labels.get(category, category)), items) for category, items in groups.items()]


#: Above this many zones, zones are typed as codes instead of listed: a select of thousands
#: of options is unusable and costs more to render than the whole query.
UNIT_OPTIONS_MAX = 300


def _unit_options(user) -> tuple[list[tuple[str, str, str]], bool]:
    """(level, code, label) of the org units the user may choose, and whether zones are too
    many to list (then they are typed as codes)."""
    zones = OrgUnit.objects.restrict(user, Action.VIEW).zones()
    many = zones.count() > UNIT_OPTIONS_MAX
    options = [] if many else [(ZONE, code, name) for code, name in
                               zones.order_by("id").values_list("code", "name_zh")]
    provinces = zones.order_by("parent__code").values_list(
        "parent__code", "parent__name_zh").distinct()
    options += [(PROVINCE, code, name) for code, name in provinces if code]
    labels = dict(Orientation.choices)
    groups = sorted(set(zones.exclude(orientation="").values_list("orientation", flat=True)))
    options += [(ORIENTATION, code, str(labels.get(code, code))) for code in groups]
    return options, many


def context_form_periods(params, defaults: Query) -> list[str]:
    """The period codes the form has chosen, so that the pickers always offer them."""
    state = _form_state(params, defaults)
    return [code for code in (state["start"], state["end"]) if code]


def period_options(chosen=(), today=None) -> list[tuple[str, str, str, int]]:
    """(granularity, code, label, year) of every period the pickers offer: the last
    :data:`PICKER_YEARS` years (and the year of any chosen period), each granularity's
    periods labelled as people read them (2025年二季度, 2025年1—6月), oldest first.
    The values stay period codes; the labels are all the user sees."""
    today = today or timezone.localdate()
    years = set(range(today.year - PICKER_YEARS + 1, today.year + 1))
    for code in chosen:
        with contextlib.suppress(PeriodError):
            years.add(Period.parse(code).year)
    options = []
    for granularity in GRANULARITY_LABELS:
        frequency = timeaxis.CODE_FREQUENCY[granularity]
        for year in sorted(years):
            last = {ANNUAL: 1, MONTHLY: 12}.get(frequency, 4)
            for period in periods_between(Period(frequency, year, 1),
                                          Period(frequency, year, last)):
                options.append((granularity, period.code, timeaxis.label(period, granularity),
                                year))
    return options


def _pairs(query: Query) -> list[tuple[str, str]]:
    pairs = []
    for name, value in query.as_params().items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return pairs


def _render(request, params, *, saved=None, save_error="", save_name="", status=200):
    user = request.user
    defaults = default_query(user)
    context = {"saved": saved, "save_error": save_error,
               "save_name": save_name or (saved.name if saved else ""),
               "name_max": NAME_MAX}
    try:
        query, result, table, chart = _compute(user, params, defaults)
    except QueryError as exc:
        context["error"] = str(exc)
        status = 400
    else:
        link = urlencode(query.as_params(), doseq=True)
        export = reverse("analytics:pivot_export")
        context.update({
            "query": query, "result": result, "table": table, "chart": chart,
            "demo_note": result.footnotes[0] if result.is_demo and result.footnotes else "",
            "notes": result.footnotes[1:] if result.is_demo else result.footnotes,
            "xlsx_url": f"{export}?{link}&format=xlsx", "csv_url": f"{export}?{link}&format=csv",
            "permalink": f"{reverse('analytics:pivot')}?{link}", "save_params": _pairs(query),
        })
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "analytics/pivot_table.html", context, status=status)
    can_review = can(user, Action.REVIEW)
    unit_options, many_zones = _unit_options(user)
    context.update({
        "form": _form_state(params, defaults),
        "indicator_groups": _indicator_groups(user),
        "unit_options": unit_options, "many_zones": many_zones,
        "levels": LEVELS.items(), "granularities": GRANULARITY_LABELS.items(),
        "measures": MEASURES.items(), "charts": CHARTS.items(), "scales": SCALES.items(),
        "period_options": period_options(context_form_periods(params, defaults)),
        "bases": BASES.items() if can_review else (),
        "dimensions": DIMENSION_LABELS.items(),
        "saved_views": SavedView.objects.restrict(user).select_related("owner"),
    })
    return render(request, "analytics/pivot.html", context, status=status)


@require_GET
def pivot(request):
    """The pivot page (or, for htmx, its result fragment); ``?view=<id>`` opens a saved view."""
    saved, params = _saved_params(request, request.GET)
    return _render(request, params, saved=saved)


@require_GET
def pivot_export(request):
    """The pivot as ``format=xlsx`` (default) or ``format=csv``; 400 text on a bad query."""
    _saved, params = _saved_params(request, request.GET)
    kind = request.GET.get("format", "xlsx")
    if kind not in ("xlsx", "csv"):
        return HttpResponse(_("Unknown format %(format)s; choose xlsx or csv.")
                            % {"format": kind}, status=400,
                            content_type="text/plain; charset=utf-8")
    try:
        _query, result, table, _chart = _compute(request.user, params,
                                                 default_query(request.user))
    except QueryError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    if kind == "xlsx":
        response = HttpResponse(exports.to_xlsx(result, table), content_type=exports.XLSX_TYPE)
    else:
        response = HttpResponse(exports.to_csv(result, table).encode("utf-8"),
                                content_type=exports.CSV_TYPE)
    response["Content-Disposition"] = \
        f'attachment; filename="{exports.filename(result, kind)}"'
    return response


@require_POST
def view_save(request):
    """Save the posted pivot parameters under a name; a query that cannot run saves
    nothing and the page shows why."""
    params = request.POST.copy()
    for name in FORM_ONLY | {"view"}:
        params.pop(name, None)
    name = request.POST.get("name", "")
    user = request.user
    try:
        query, _result, _table, _chart = _compute(user, params, default_query(user))
    except QueryError:
        return _render(request, params, save_name=name)
    try:
        view = do_save_view(user, name, query, request.POST.get("is_shared") in ("1", "on"),
                            **request_context(request))
    except ValidationError as exc:
        return _render(request, params, save_error=" ".join(exc.messages), save_name=name,
                       status=400)
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return redirect(f"{reverse('analytics:pivot')}?{urlencode({'view': view.pk})}")


@require_POST
def view_delete(request, view_id):
    """Delete one of the user's own saved views (another's answers 404)."""
    view = get_restricted(SavedView.objects, request.user, pk=view_id)
    do_delete_view(request.user, view, **request_context(request))
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect("analytics:pivot")
