from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "bianhe.targets"
    label = "targets"
    verbose_name = _("Annual work targets")

    def ready(self):
        # The audit log shows recorded targets by indicator name (its labels for this app's
        # actions are in bianhe.audit.labels, beside all the others).
        from bianhe.audit.labels import register_value_renderer

        register_value_renderer("targets", targets_for_audit)


def targets_for_audit(value, context: dict) -> str | None:
    """Recorded targets ([{"indicator": "TRADE_TOTAL", "kind": "growth", "value": "8", …}])
    as "进出口总额：增速 8%；…"; None for anything else."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return None
    from bianhe.targets.texts import target_text

    if "catalog_names" not in context:
        from bianhe.catalog.readable import names_in_language

        context["catalog_names"] = names_in_language()
    if "catalog_units" not in context:
        from bianhe.catalog.models import Indicator

        context["catalog_units"] = dict(Indicator.objects.order_by("version__year")
                                        .values_list("code", "unit"))
    return "；".join(target_text(item, context["catalog_names"], context["catalog_units"])
                    for item in value)
