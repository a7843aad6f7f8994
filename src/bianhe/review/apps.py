from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """The review desk: the entry grid, the workflow transitions with their quality gate and
    fact sync, and the Excel upload with its flags. No models of its own: it works on
    reporting's reports, quality's flags and analytics' facts, and sits above all three."""

    name = "bianhe.review"
    label = "review"
    verbose_name = _("Review desk")
