from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "bianhe.evaluation"
    verbose_name = _("Comprehensive evaluation")

    def ready(self):
        # The job kind registers itself on import.
        from bianhe.evaluation import jobs  # noqa: F401
