"""What resilience holds about one person, for their own-data export (#13)."""

from django.utils import timezone

from members.models import Member
from resilience.models import ExerciseParticipation


def member_exercises_export(member: Member) -> list[dict]:
    """The own-data export section "exercises": every exercise the person was put down
    for, with their role and whether they took part."""
    rows = (
        ExerciseParticipation.objects.filter(member=member)
        .select_related("exercise__club", "exercise__municipality")
        .order_by("exercise__starts_at", "pk")
    )
    return [
        {
            "exercise": p.exercise.title,
            "starts_at": timezone.localtime(p.exercise.starts_at).isoformat(),
            "club": p.exercise.club.name if p.exercise.club_id else None,
            "gmina": p.exercise.municipality.name,
            "role": p.role,
            "took_part": p.attended,
        }
        for p in rows
    ]
