from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from django.db.models import Exists, OuterRef

        from kos_portal import access
        from training.models import Enrolment

        def enrolled_in_sessions_they_teach(user):
            """Instructors see the people enrolled in the sessions they teach."""
            return Exists(
                Enrolment.objects.filter(member=OuterRef("pk"), session__instructors__user=user)
            )

        if enrolled_in_sessions_they_teach not in access.INSTRUCTOR_MEMBER_VISIBILITY:
            access.INSTRUCTOR_MEMBER_VISIBILITY.append(enrolled_in_sessions_they_teach)

        # The member's own-data export gets a "trainings" section (members never imports us).
        from members.services.self_service import export_section_register
        from training.selectors_history import member_instructor_export, member_trainings_export

        export_section_register(
            "trainings",
            member_trainings_export,
            models=("training.Enrolment", "training.Attendance"),
        )
        export_section_register(
            "instructor_profile",
            member_instructor_export,
            models=("training.InstructorProfile", "training.InstructorQualification"),
        )

        # The home page lists the sessions to record (the ground floor never imports us).
        from kos_portal.selectors import home_section_register
        from training.selectors_sessions import sessions_due_for

        home_section_register("training/_home_sessions_due.html", sessions_due_for)
