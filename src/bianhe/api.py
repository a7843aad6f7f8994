"""The JSON API under /api/v1/: one NinjaAPI, routers from each app, uniform errors."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from bianhe import __version__
from bianhe.accounts.api import ApiTokenAuth, BrowserSession
from bianhe.accounts.api import router as accounts_router
from bianhe.analytics.api import router as analytics_router
from bianhe.api_errors import describe
from bianhe.evaluation.api import router as evaluation_router
from bianhe.quality.api import router as quality_router
from bianhe.reporting.api import router as reporting_router
from bianhe.review.api import router as review_router
from bianhe.targets.api import router as targets_router
from bianhe.zones.api import router as zones_router

api = NinjaAPI(
    title="Bianhe API",
    version=f"1 ({__version__})",
    description=(
        "Scoped access to the Bianhe platform. Authenticate with a personal token "
        "(`Authorization: Bearer bh_…`, created on the API tokens page or with "
        "`bianhe token create`) or with a logged-in browser session."
    ),
    auth=[ApiTokenAuth(), BrowserSession()],
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("/", accounts_router)
api.add_router("/", zones_router)
api.add_router("/", reporting_router)
api.add_router("/", review_router)
api.add_router("/", quality_router)
api.add_router("/", analytics_router)
api.add_router("/", targets_router)
api.add_router("/", evaluation_router)


@api.exception_handler(Http404)
def not_found(request, exc):
    # Outside the scope and absent look the same, on purpose.
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    message = str(exc.message) if exc.message != "Unauthorized" else _(
        "Log in, or send a valid API token as 'Authorization: Bearer <token>'."
    )
    return api.create_response(request, {"detail": message}, status=401)


@api.exception_handler(ValidationError)
def invalid_input(request, exc):
    return api.create_response(request, {"detail": describe(exc.errors)}, status=422)
