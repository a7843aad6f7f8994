"""The analytics dashboard (content by role) and the zone profile pages."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from bianhe.analytics.dashboards import build_dashboard
from bianhe.analytics.profile import build_profile


@require_safe
def dashboard(request):
    """One URL for every role: what the dashboard shows depends on the user's role."""
    return render(request, "analytics/dashboard.html", {"dash": build_dashboard(request.user)})


@require_safe
def zone_profile(request, code):
    """One zone's profile; a zone outside the user's scope answers 404 (NotInScope)."""
    return render(request, "analytics/profile.html",
                  {"profile": build_profile(request.user, code)})
