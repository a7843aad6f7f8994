from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from bianhe.api import api
from bianhe.quality import urls as quality_urls
from bianhe.reporting import urls as reporting_urls
from bianhe.review import urls as review_urls

# The review desk (bianhe.review) serves pages under reporting's and quality's URLs and
# names; each namespace is its app's routes followed by the desk's.
reporting = (reporting_urls.urlpatterns + review_urls.reporting_patterns, "reporting")
quality = (quality_urls.urlpatterns + review_urls.quality_patterns, "quality")

urlpatterns = [
    path("", include("bianhe.web.urls")),
    path("accounts/", include("bianhe.accounts.urls")),
    path("zones/", include("bianhe.zones.urls")),
    path("audit/", include("bianhe.audit.urls")),
    path("catalog/", include("bianhe.catalog.urls")),
    path("reporting/", include(reporting)),
    path("quality/", include(quality)),
    path("analytics/", include("bianhe.analytics.urls")),
    path("targets/", include("bianhe.targets.urls")),
    path("jobs/", include("bianhe.jobs.urls")),
    path("evaluation/", include("bianhe.evaluation.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/v1/", api.urls),
]

handler404 = "bianhe.web.views.not_found"
handler500 = "bianhe.web.views.server_error"
