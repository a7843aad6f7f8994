from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "bianhe.jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        # The audit log names a job's kind in words.
        from bianhe.audit.labels import register_value_renderer

        register_value_renderer("kind", job_kind_for_audit)


def job_kind_for_audit(code, context: dict) -> str | None:
    """A registered job kind's name; None for any other "kind" (a flag's), left to the
    field's own choices."""
    from bianhe.jobs.registry import KINDS

    return str(KINDS[code].label) if isinstance(code, str) and code in KINDS else None
