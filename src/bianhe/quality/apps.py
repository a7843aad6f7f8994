from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "bianhe.quality"
    verbose_name = _("Data quality")

    def ready(self):
        # A rule's expression is written in indicator codes; the audit log shows it with
        # indicator names and function words, as the rules page does.
        from bianhe.audit.labels import register_value_renderer

        register_value_renderer("expression", expression_for_audit)
        # A changed value supersedes its explanation, in the write's own transaction.
        from bianhe.reporting.signals import values_written

        values_written.connect(supersede_on_write, dispatch_uid="quality.supersede")
        # The bulk re-run is a background job (bianhe.jobs): register its kind.
        from bianhe.quality import jobs  # noqa: F401


def supersede_on_write(sender, changes, actor, source, **kwargs) -> None:
    from bianhe.quality.actions import supersede_explanations

    supersede_explanations(changes, actor=actor, source=source)


def expression_for_audit(expression: str, context: dict) -> str:
    from bianhe.catalog.readable import expression_in_words, indicator_names

    if "indicator_names" not in context:
        context["indicator_names"] = indicator_names()
    return expression_in_words(expression, context["indicator_names"])
