from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from bianhe.api import api

urlpatterns = [
    path("", include("bianhe.web.urls")),
    path("accounts/", include("bianhe.accounts.urls")),
    path("zones/", include("bianhe.zones.urls")),
    path("audit/", include("bianhe.audit.urls")),
    path("catalog/", include("bianhe.catalog.urls")),
    path("reporting/", include("bianhe.reporting.urls")),
    path("quality/", include("bianhe.quality.urls")),
    path("analytics/", include("bianhe.analytics.urls")),
    path("jobs/", include("bianhe.jobs.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/v1/", api.urls),
]

handler404 = "bianhe.web.views.not_found"
handler500 = "bianhe.web.views.server_error"
