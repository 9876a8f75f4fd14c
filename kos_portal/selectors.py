"""Reads for the site-wide pages, always scoped to the user."""

from collections.abc import Callable

from django.db.models import Count, Q

from clubs.models import Club, Municipality
from kos_portal import access
from kos_portal.roles import Role

# Sections that higher floors add to the signed-in home page (the ground floor never imports
# them): a template and a function of the user giving its context, or None to leave it out.
HOME_SECTIONS: list[tuple[str, Callable]] = []


def home_section_register(template: str, build: Callable, *, first: bool = False) -> None:
    """Add a section to every signed-in home page (from an app's ready()); safe to run twice.
    `first`: above the sections registered before (the to-do list of staff)."""
    if (template, build) in HOME_SECTIONS:
        return
    if first:
        HOME_SECTIONS.insert(0, (template, build))
    else:
        HOME_SECTIONS.append((template, build))


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
    member = getattr(user, "member", None) if hasattr(user, "member") else None
    if member is not None:
        context["member"] = member
        context["my_memberships"] = member.memberships.select_related("club__municipality")
    sections = ((template, build(user)) for template, build in HOME_SECTIONS)
    context["home_sections"] = [(template, data) for template, data in sections if data]
    return context
