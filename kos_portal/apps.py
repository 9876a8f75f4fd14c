from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KosPortalConfig(AppConfig):
    name = "kos_portal"
    verbose_name = _("KOS Portal")
