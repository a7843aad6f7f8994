"""Open-data downloads as SDMX: the structure, SDMX-ML 2.1 Generic data and SDMX-CSV 2.0.

All three answer for the user's own reach (:mod:`bianhe.analytics.open_data`); the
parameters are ``granularity`` (``year`` or ``ytd``), ``start`` and ``end``.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.analytics import open_data, sdmx, timeaxis
from bianhe.analytics.open_data import FREQ
from bianhe.analytics.views import period_options
from bianhe.periods import PeriodError

GRANULARITIES = (timeaxis.YEAR, timeaxis.YTD)


def _params(request) -> dict:
    """granularity, start and end from the request, defaulting to the last five years."""
    last = timezone.localdate().year - 1
    granularity = request.GET.get("granularity", timeaxis.YEAR)
    if granularity not in GRANULARITIES:
        raise ValueError(_("Open data is published by year or year to date."))
    default_start = str(last - 4) if granularity == timeaxis.YEAR else f"{last}M01"
    default_end = str(last) if granularity == timeaxis.YEAR else f"{last}M12"
    start = request.GET.get("start", default_start).strip().upper()
    end = request.GET.get("end", default_end).strip().upper()
    try:
        periods = timeaxis.period_range(start, end, granularity)
    except PeriodError:
        raise ValueError(_("Give a first and a last period of this granularity, in order "
                           "(2021 to 2025, or 2025M01 to 2025M06).")) from None
    if len(periods) > 24:
        raise ValueError(_("Download at most 24 periods at a time."))
    return {"granularity": granularity, "start": start, "end": end}


def _download(request, kind: str) -> HttpResponse:
    try:
        params = _params(request)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    table, lists = open_data.observations(request.user, **params)
    prepared = timezone.now()
    if kind == "structure":
        body, content_type, name = (sdmx.structure_message(lists, prepared=prepared,
                                                           observations=table),
                                    "application/xml", "structure.xml")
    elif kind == "generic":
        body, content_type, name = (sdmx.generic_data_message(table, prepared=prepared,
                                                              codelists=lists),
                                    "application/xml", "data.xml")
    else:
        body, content_type, name = (sdmx.csv_message(table, codelists=lists),
                                    "text/csv; charset=utf-8", "data.csv")
    response = HttpResponse(body, content_type=content_type)
    stem = f"bianhe-{sdmx.DSD_ID}-{params['start']}-{params['end']}"
    response["Content-Disposition"] = f'attachment; filename="{stem}-{name}"'
    return response


def sdmx_index(request):
    """What is published and the three download links."""
    try:
        params = _params(request)
        error = None
    except ValueError as exc:
        params, error = {"granularity": timeaxis.YEAR, "start": "", "end": ""}, str(exc)
    options = [option for option in period_options([params["start"], params["end"]])
               if option[0] in FREQ]
    return render(request, "analytics/sdmx.html", {
        "params": params, "error": error, "structure_id": sdmx.STRUCTURE_ID,
        "period_options": options,
    }, status=400 if error else 200)


def sdmx_structure(request):
    return _download(request, "structure")


def sdmx_generic(request):
    return _download(request, "generic")


def sdmx_csv(request):
    return _download(request, "csv")
