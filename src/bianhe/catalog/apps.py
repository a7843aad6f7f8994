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
        register_value_renderer("object_repr", text_with_indicator_names)


def _names(context: dict) -> dict[str, str]:
    """Indicator names in the reader's language, looked up once per page."""
    if "catalog_names" not in context:
        from bianhe.catalog.readable import names_in_language

        context["catalog_names"] = names_in_language()
    return context["catalog_names"]


def text_with_indicator_names(text, context: dict) -> str:
    """An object's description as recorded ("… 2026年11月 BORDER_SMALL_TRADE"), with each
    indicator code replaced by the indicator's name."""
    from bianhe.catalog.readable import CODE

    names = _names(context)
    return CODE.sub(lambda m: names.get(m.group(0), m.group(0)), str(text))


def indicator_names_for_audit(codes, context: dict) -> str:
    """["GDP", "EXPORT"] → "地区生产总值、出口总额" (a code nobody knows stays a code)."""
    names = _names(context)
    codes = [codes] if isinstance(codes, str) else codes
    return "、".join(names.get(code, code) for code in codes)
