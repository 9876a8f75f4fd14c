"""Navigation that fits the signed-in user's roles."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kos_portal import access
from kos_portal.roles import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    scope = access.user_scope(user)
    items = [(reverse("home"), _("Home"))]
    # National staff, coordinators and leaders: their own dashboard (cached scope, no query).
    if access.can(user, "dashboards.view_club"):
        items.append((reverse("dashboards:index"), _("Dashboard")))
    if scope.roles:
        items.append((reverse("clubs:club-list"), _("Clubs")))
        items.append((reverse("clubs:partner-list"), _("Partners")))
        items.append((reverse("training:course-list"), _("Courses")))
    if scope.roles & access.PERSONAL_DATA_ROLES:
        items.append((reverse("certificates:certificate-list"), _("Certificates")))
    if access.can(user, "training.view_instructor"):  # from the cached scope: no query
        items.append((reverse("training:instructor-list"), _("Instructors")))
    if Role.INSTRUCTOR in scope.roles:
        items.append((reverse("training:my-calendar"), _("My calendar")))
    # Sessions, from the cached scope (no query): a leader of one club goes straight to its
    # sessions, of several to the club list; an instructor to the sessions they teach.
    led_clubs = scope.clubs_for({Role.LEADER})
    if led_clubs:
        target = (
            reverse("training:session-list", kwargs={"club_pk": next(iter(led_clubs))})
            if len(led_clubs) == 1
            else reverse("clubs:club-list")
        )
        items.append((target, _("Sessions")))
    if Role.INSTRUCTOR in scope.roles:
        label = _("Sessions I teach") if led_clubs else _("Sessions")
        items.append((reverse("training:my-sessions"), label))
    if access.can(user, "dashboards.search"):  # from the cached scope: no query
        items.append((reverse("dashboards:search"), _("Search")))
    if scope.roles:  # the five steps of the method: threats, exercises, reviews (issue 8)
        items.append((reverse("resilience:hub"), _("Resilience")))
    if scope.roles & access.INVITING_ROLES:
        items.append((reverse("clubs:invitation-list"), _("Invitations")))
    if access.can(user, "clubs.manage_starter_pack"):
        items.append((reverse("clubs:starter-document-list"), _("Starter pack")))
    # Answered from the cached scope: no query.
    if access.can(user, "members.change_membership"):
        items.append((reverse("members:application-list"), _("Applications")))
    if access.can(user, "members.view_access_log"):
        items.append((reverse("members:access-log"), _("Access log")))
    if scope.national:
        items.append((reverse("admin:index"), _("Administration")))
    roles = [label for value, label in Role.choices if value in scope.roles]
    if hasattr(user, "member"):  # one query; staff who are members see their own data too
        roles.append(_("Member"))
        items.append((reverse("members:my-data"), _("My data")))
    return {"nav_items": items, "user_roles": roles}
