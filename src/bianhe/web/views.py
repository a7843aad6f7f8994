import datetime as dt

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache

from bianhe.reporting.notices import notices_for
from bianhe.roles import Action
from bianhe.targets.notices import notices_for as target_notices
from bianhe.zones.models import OrgUnit


def home(request):
    """What this user's role can reach: its org units, zone counts and the pages it may use."""
    user = request.user
    year = dt.date.today().year
    units = OrgUnit.objects.restrict(user, Action.VIEW)
    zones = units.zones().active_in_year(year).select_related("parent")
    english = (get_language() or "").startswith("en")
    by_province = [
        {"name": (row["parent__name_en"] if english else "") or row["parent__name_zh"],
         "zones": row["zones"]}
        for row in zones.values("parent__code", "parent__name_zh", "parent__name_en")
        .annotate(zones=Count("id"))
        .order_by("parent__code")
    ]
    # Reports first (what is due), then this year's targets.
    notices = notices_for(user) + target_notices(user)
    context = {
        "notices": notices,
        "older_notices": [notice for notice in notices if notice.get("older")],
        "year": year,
        "scope_units": user.scope_units.order_by("path") if user.role else [],
        "zones": zones,
        "zone_count": len(zones),
        "by_province": by_province,
        "chart": {
            "labels": [row["name"] for row in by_province],
            "values": [row["zones"] for row in by_province],
        },
    }
    return render(request, "web/home.html", context)


@login_not_required
@never_cache
def healthz(request):
    """Liveness for a load balancer: the database answers. Reveals no data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request, exception=None):
    return render(request, "web/404.html", status=404)


def server_error(request):
    # Rendered without the request context: the failure may be in the database it needs.
    return HttpResponse(get_template("web/500.html").render(), status=500)
