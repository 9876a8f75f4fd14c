from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResilienceConfig(AppConfig):
    """The method's other steps: threats, exercises, reviews, local problem cases, pulse.

    A separate app because none of clubs, members, training or certificates owns them;
    it stands on all of them except certificates.
    """

    name = "resilience"
    verbose_name = _("Resilience cycle")
