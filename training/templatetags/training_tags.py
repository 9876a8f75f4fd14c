"""Template tags that let pages of lower apps show training without importing it: the
public club page ({% club_open_sessions club %}) and a member's own data page
({% my_trainings member %}). Templates are the top floor, so loading these is allowed."""

from django import template
from django.db.models import Count, Q
from django.utils import timezone

from training import selectors_history as history
from training.models import Enrolment, Session

register = template.Library()


def club_open_sessions_list(club) -> list[Session]:
    """The club's upcoming open, planned sessions (Session.objects.public()) with the
    number of free places, in one query."""
    sessions = (
        Session.objects.public()
        .filter(club=club, starts_at__gte=timezone.now())
        .select_related("course", "venue_partner")
        .annotate(taken=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ENROLLED)))
        .order_by("starts_at", "pk")
    )
    result = list(sessions)
    for session in result:
        session.free_places = max(session.capacity - session.taken, 0)
    return result


@register.inclusion_tag("training/_club_open_sessions.html", takes_context=True)
def club_open_sessions(context, club) -> dict:
    return {
        "sessions": club_open_sessions_list(club),
        "user": context.get("user"),
        "club": club,
    }


@register.inclusion_tag("training/_my_trainings.html")
def my_trainings(member) -> dict:
    return {
        "entries": history.member_training_history(member),
        "statuses": history.pillar_status_rows(history.member_pillar_status(member)),
        "member": member,
    }
