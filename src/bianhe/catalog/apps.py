from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "bianhe.catalog"
    label = "catalog"
    verbose_name = _("Indicator catalogue")

    def ready(self):
        # Audit rows list indicators by code; the audit log shows their names.
        from bianhe.audit.labels import register_value_renderer

        register_value_renderer("indicators", indicator_names_for_audit)


def indicator_names_for_audit(codes, context: dict) -> str:
    """["GDP", "EXPORT"] → "地区生产总值、出口总额" (a code nobody knows stays a code)."""
    from bianhe.catalog.models import Indicator

    if "catalog_names" not in context:
        names: dict[str, str] = {}
        # Older years first, so that the newest name of a code wins.
        for code, name in Indicator.objects.order_by("version__year").values_list(
                "code", "name_zh"):
            names[code] = name
        context["catalog_names"] = names
    codes = [codes] if isinstance(codes, str) else codes
    return "、".join(context["catalog_names"].get(code, code) for code in codes)
