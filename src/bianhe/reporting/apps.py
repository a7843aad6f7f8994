from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "bianhe.reporting"
    label = "reporting"
    verbose_name = _("Statistical reporting")

    def ready(self):
        # A new zone reports the default forms; the registry announces it, reporting acts.
        from bianhe.zones.signals import zone_created

        zone_created.connect(assign_default_forms_to_new_zone,
                             dispatch_uid="reporting.assign_default_forms")
        # The value-history export is a background job (bianhe.jobs): register its kind.
        from bianhe.reporting import history_export  # noqa: F401


def assign_default_forms_to_new_zone(sender, unit, **kwargs) -> None:
    from bianhe.reporting.setup import assign_default_forms

    assign_default_forms(unit)
