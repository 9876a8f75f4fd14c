"""The signed-in home page's sections from the top floor (kos_portal.selectors'
home_section_register; the ground floor never imports this):

- the to-do list of staff (national staff, coordinators, leaders): what waits for them,
  each with a link to the page where it is done;
- members' and guardians' own part: their sessions, certificates and next steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from certificates.models import Certificate
from clubs.models import Club, Invitation, PartnerLink
from dashboards.selectors_person import home_people_for
from kos_portal import access
from members.models import Membership, PersonalDataAccess
from members.services.access_log import personal_data_access_log
from resilience.selectors_threats import action_list_for

EXPIRING_DAYS = 90


@dataclass(frozen=True)
class Todo:
    count: int
    text: str
    url: str


def staff_todo_for(user) -> dict | None:
    """What waits for a coordinator, a leader or national staff, largest matters first.
    None for people without those roles (instructors have "Sessions to record")."""
    scope = access.user_scope(user)
    if not scope.roles & access.STAFF_ROLES:
        return None
    today = timezone.localdate()
    todos: list[Todo] = []

    def add(count: int, singular: str, plural: str, url: str) -> None:
        if count:
            todos.append(Todo(count, ngettext(singular, plural, count) % {"n": count}, url))

    if access.can(user, "clubs.change_status"):
        proposed = Club.objects.visible_to(user).filter(status=Club.Status.PROPOSED).count()
        add(
            proposed,
            "%(n)s proposed club waits for your decision",
            "%(n)s proposed clubs wait for your decision",
            reverse("clubs:club-list") + "?status=proposed",
        )
    # National staff see the whole country's numbers on the dashboards; the lists below
    # are the work of the people in a gmina or a club.
    if not scope.national:
        if access.can(user, "members.change_membership"):
            applications = (
                Membership.objects.visible_to(user)
                .filter(status=Membership.Status.APPLICANT)
                .count()
            )
            add(
                applications,
                "%(n)s application to decide",
                "%(n)s applications to decide",
                reverse("members:application-list"),
            )
        expiring = (
            Certificate.objects.visible_to(user)
            .filter(
                status=Certificate.Status.VALID,
                expires_on__gte=today,
                expires_on__lte=today + timedelta(days=EXPIRING_DAYS),
            )
            .count()
        )
        add(
            expiring,
            "%(n)s certificate expires within 90 days",
            "%(n)s certificates expire within 90 days",
            reverse("certificates:certificate-list") + "?expiring=on",
        )
        agreements = (
            PartnerLink.objects.visible_to(user).expiring(EXPIRING_DAYS).count()
            if access.can(user, "clubs.view_agreement")
            else 0
        )
        add(
            agreements,
            "%(n)s partner agreement ends within 90 days",
            "%(n)s partner agreements end within 90 days",
            reverse("dashboards:index"),
        )
        overdue = action_list_for(user, open_only=True).filter(due_on__lt=today).count()
        add(
            overdue,
            "%(n)s corrective action is overdue",
            "%(n)s corrective actions are overdue",
            reverse("resilience:action-list"),
        )
    if scope.roles & access.INVITING_ROLES:
        pending = Invitation.objects.visible_to(user).usable().count()
        add(
            pending,
            "%(n)s invitation not accepted yet",
            "%(n)s invitations not accepted yet",
            reverse("clubs:invitation-list"),
        )
    return {"todos": todos}


def people_home_for(user) -> dict | None:
    """Members' and guardians' part of the home page; None for people who are neither.
    A guardian reading a child's data is logged as staff reading it would be."""
    if not access.own_member_ids(user):
        return None
    people = home_people_for(user)
    for person in people:
        if not person.is_self:
            personal_data_access_log(
                user=user,
                action=PersonalDataAccess.Action.VIEW,
                member=person.member,
                detail="guardian: home",
            )
    return {"people": people} if people else None


def register() -> None:
    """Called from DashboardsConfig.ready()."""
    from kos_portal.selectors import home_section_register

    home_section_register("dashboards/_home_todo.html", staff_todo_for, first=True)
    home_section_register("dashboards/_home_people.html", people_home_for)
