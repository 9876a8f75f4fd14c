"""Reads for the site-wide pages, always scoped to the user."""

from django.db.models import Count, Q

from clubs.models import Club, Municipality
from kos_portal import access
from kos_portal.roles import Role


def home_for(user) -> dict:
    """What the home page shows each role: their scope at a glance."""
    scope = access.user_scope(user)
    context: dict = {"scope": scope, "is_national": scope.national}
    if scope.national:
        context["club_counts"] = dict(
            Club.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        context["gmina_count"] = Municipality.objects.filter(is_current=True).count()
        context["gminas_with_active_club"] = (
            Municipality.objects.filter(clubs__status=Club.Status.ACTIVE).distinct().count()
        )
    if Role.COORDINATOR in scope.roles:
        context["coordinated_gminas"] = (
            Municipality.objects.visible_to(user, {Role.COORDINATOR})
            .filter(pk__in=scope.gminas_for({Role.COORDINATOR}))
            .select_related("powiat__voivodeship")
            .annotate(
                active_clubs=Count("clubs", filter=Q(clubs__status=Club.Status.ACTIVE)),
                proposed_clubs=Count("clubs", filter=Q(clubs__status=Club.Status.PROPOSED)),
            )
        )
    if scope.roles & {Role.LEADER, Role.INSTRUCTOR}:
        context["my_clubs"] = (
            Club.objects.filter(pk__in=scope.clubs_for({Role.LEADER, Role.INSTRUCTOR}))
            .select_related("municipality")
            .annotate(
                active_members=Count(
                    "memberships", filter=Q(memberships__status="active"), distinct=True
                )
            )
        )
        context["led_club_ids"] = scope.clubs_for({Role.LEADER})
    # Members and guardians: their sessions, certificates and to-dos ({% person_home %}).
    context["has_people"] = bool(access.own_member_ids(user))
    member = getattr(user, "member", None) if hasattr(user, "member") else None
    if member is not None:
        context["member"] = member
        context["my_memberships"] = member.memberships.select_related("club__municipality")
    return context
