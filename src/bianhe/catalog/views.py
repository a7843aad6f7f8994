from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bianhe.access import NotInScope, can, get_restricted, require_right
from bianhe.audit.actions import request_context
from bianhe.catalog.actions import do_copy_version, do_update_indicator
from bianhe.catalog.disaggregations import DISAGGREGATIONS
from bianhe.catalog.forms import IndicatorForm
from bianhe.catalog.models import CatalogVersion, Indicator
from bianhe.form_errors import add_action_errors
from bianhe.roles import Action


def indicator_list(request):
    versions = list(CatalogVersion.objects.restrict(request.user))
    if not versions:
        raise NotInScope
    chosen = request.GET.get("year")
    version = next((v for v in versions if str(v.year) == chosen), versions[0])
    return render(request, "catalog/list.html", {
        "versions": versions, "version": version,
        "indicators": version.indicators.all(),
        "disaggregations": DISAGGREGATIONS,
        "can_change": can(request.user, Action.CHANGE),
    })


def indicator_detail(request, year, indicator):
    indicator = get_restricted(Indicator.objects.select_related("version"), request.user,
                               version__year=year, code=indicator)
    return render(request, "catalog/detail.html", {
        "indicator": indicator, "can_change": can(request.user, Action.CHANGE)})


def indicator_edit(request, year, indicator):
    code = indicator
    indicator = get_restricted(Indicator.objects.select_related("version"), request.user,
                               Action.CHANGE, version__year=year, code=code)
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        try:
            changed = do_update_indicator(request.user, indicator, form.changes(),
                                          **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("catalog:detail", year=year, indicator=code)
    return render(request, "catalog/form.html", {"form": form, "indicator": indicator})


@require_POST
def copy_version(request):
    require_right(request.user, Action.CHANGE)
    try:
        source, target = int(request.POST["from_year"]), int(request.POST["to_year"])
        version = do_copy_version(request.user, source, target, **request_context(request))
    except (KeyError, ValueError):
        messages.error(request, _("Give two years."))
        return redirect("catalog:list")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("catalog:list")
    messages.success(request, _("The catalogue for %(year)s was created.") % {"year": version.year})
    return redirect(f"{request.path.rsplit('copy/', 1)[0]}?year={version.year}")
