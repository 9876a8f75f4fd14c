from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResilienceConfig(AppConfig):
    """The method's other steps: threats, exercises, reviews, local problem cases, pulse.

    A separate app because none of clubs, members, training or certificates owns them;
    it stands on all of them except certificates.
    """

    name = "resilience"
    verbose_name = _("Resilience cycle")

    def ready(self) -> None:
        # The member's own-data export gets an "exercises" section (#13).
        from members.services.self_service import export_section_register
        from resilience.selectors_members import member_exercises_export

        export_section_register(
            "exercises", member_exercises_export, models=("resilience.ExerciseParticipation",)
        )
