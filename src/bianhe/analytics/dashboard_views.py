"""The analytics dashboard (content by role) and the zone profile pages.

Both take ``period`` (a year-to-date month from the page's period picker) and ``unit``
(``yi``: amounts in 亿元) as GET parameters; a value that is not a choice gets a message and
the default, never an error page.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from bianhe.analytics.dashboards import build_dashboard
from bianhe.analytics.profile import build_profile


@require_safe
def dashboard(request):
    """One URL for every role: what the dashboard shows depends on the user's role."""
    data = build_dashboard(request.user, period=request.GET.get("period"),
                           unit=request.GET.get("unit"))
    return render(request, "analytics/dashboard.html", {"dash": data})


@require_safe
def zone_profile(request, code):
    """One zone's profile; a zone outside the user's scope answers 404 (NotInScope)."""
    data = build_profile(request.user, code, period=request.GET.get("period"),
                         unit=request.GET.get("unit"))
    return render(request, "analytics/profile.html", {"profile": data})
