from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    name = "bianhe.zones"
    label = "zones"
    verbose_name = _("Zone registry")
