from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "bianhe.accounts"
    label = "accounts"
    verbose_name = _("People and access")

    def ready(self) -> None:
        from bianhe.accounts import signals  # noqa: F401  (login audit receivers)
