from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KosPortalConfig(AppConfig):
    name = "kos_portal"
    verbose_name = _("KOS Portal")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from kos_portal.middleware import start_idle_window

        user_logged_in.connect(start_idle_window, dispatch_uid="kos_start_idle_window")
