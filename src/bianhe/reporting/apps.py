from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "bianhe.reporting"
    label = "reporting"
    verbose_name = _("Statistical reporting")

    def ready(self):
        # The value-history export is a background job (bianhe.jobs): register its kind.
        from bianhe.reporting import history_export  # noqa: F401
