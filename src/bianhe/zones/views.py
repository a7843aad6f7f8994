import csv
import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from bianhe.access import NotInScope, can, get_restricted
from bianhe.audit.actions import request_context
from bianhe.audit.labels import readable
from bianhe.audit.models import AuditLog
from bianhe.form_errors import add_action_errors
from bianhe.roles import Action, Level
from bianhe.zones.actions import do_create_org_unit, do_update_org_unit
from bianhe.zones.forms import NewZoneForm, ZoneFilterForm, ZoneForm
from bianhe.zones.models import OrgUnit
from bianhe.zones.queries import EXPORT_COLUMNS, export_row, zones_for
from bianhe.zones.sources import split_sources


def _filtered(request):
    form = ZoneFilterForm(request.GET or None, user=request.user)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {
            "year": form.cleaned_data["year"],
            "province": form.cleaned_data["province"].code if form.cleaned_data["province"]
            else None,
            "kind": form.cleaned_data["kind"] or None,
            "q": form.cleaned_data["q"] or None,
        }
    year = filters.get("year") or dt.date.today().year
    return form, year, zones_for(request.user, **{**filters, "year": year})


def zone_list(request):
    """The registry as of a year; the htmx filter asks the same view for the table only."""
    form, year, zones = _filtered(request)
    context = {"form": form, "year": year, "zones": zones}
    template = "zones/_table.html" if request.htmx else "zones/list.html"
    return render(request, template, context)


def zone_export(request):
    """The filtered registry as CSV (UTF-8 with BOM, so that Excel shows the Chinese)."""
    _form, year, zones = _filtered(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bianhe-zones-{year}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for zone in zones:
        writer.writerow(export_row(zone))
    return response


def zone_detail(request, code):
    zone = get_restricted(OrgUnit.objects.select_related("parent"), request.user, code=code)
    context: dict = {}
    history = [readable(entry, context) for entry in
               AuditLog.objects.restrict(request.user)
               .filter(object_type="zones.orgunit", object_id=str(zone.pk))[:20]]
    official, reference = split_sources(zone.sources)
    return render(request, "zones/detail.html", {
        "zone": zone, "official_sources": official, "reference_sources": reference,
        # Who may complete an empty fact: zones are edited by the ministry only.
        "missing": _("to be completed (the ministry administrator may edit)"),
        "can_edit": can(request.user, Action.CHANGE),
        "history": history,
    })


def zone_edit(request, code):
    # The form is a zone's; provinces and the ministry change only through the data file.
    zone = get_restricted(OrgUnit.objects.select_related("parent"), request.user,
                          Action.CHANGE, code=code, level=Level.ZONE)
    form = ZoneForm(request.POST or None, instance=zone)
    if request.method == "POST" and form.is_valid():
        try:
            changed = do_update_org_unit(request.user, zone, form.changes(),
                                         **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("zones:detail", code=zone.code)
    return render(request, "zones/form.html", {"form": form, "zone": zone})


def zone_create(request):
    if not OrgUnit.objects.restrict(request.user, Action.CHANGE).filter(
            level=Level.PROVINCE).exists():
        raise NotInScope
    form = NewZoneForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {"code": form.cleaned_data["code"], "level": Level.ZONE,
                      "parent": form.cleaned_data["parent"], **form.changes()}
            zone = do_create_org_unit(request.user, fields, **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("Zone added to the registry."))
            return redirect("zones:detail", code=zone.code)
    return render(request, "zones/form.html", {"form": form, "zone": None})
