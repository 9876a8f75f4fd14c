"""Reads for the members pages. Every one starts from `visible_to(user)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clubs.models import Club
from kos_portal import access
from kos_portal.text import search_words
from members import age
from members.models import (
    Consent,
    GuardianConsent,
    Member,
    Membership,
    MembershipStatusChange,
    PersonalDataAccess,
)

Status = Membership.Status


def minor_birth_date_cutoff(today: date | None = None) -> date:
    """People born after this date are minors today (members.age.is_minor, as a bound a
    query can use). Born on 29 February: the bound falls on 28 February in common years."""
    today = today or timezone.localdate()
    year = today.year - age.ADULT_AGE
    try:
        return today.replace(year=year)
    except ValueError:  # today is 29 February and that year had none
        return date(year, 2, 28)


def club_for_members(user, club_pk: int, perm: str = "members.view_member") -> Club:
    """A club in the user's scope (404 otherwise) whose members the user may see or manage
    (403 otherwise: instructors see participants of their sessions only)."""
    club = get_object_or_404(
        Club.objects.visible_to(user).select_related("municipality"), pk=club_pk
    )
    access.require(user, perm, club)
    return club


def _staff_memberships(user, perm: str) -> QuerySet[Membership]:
    """Memberships in clubs where the user holds `perm`; never the user's own as a member."""
    return access.scope_club_objects(Membership.objects.all(), user, access.RULES[perm])


@dataclass
class RosterFilters:
    status: str = ""
    skill: object = None
    minors: str = ""  # "yes", "no" or "" for everyone
    q: str = ""


def roster_for(user, club: Club, filters: RosterFilters | None = None) -> QuerySet[Membership]:
    """The club's memberships the user may see, filtered, with each person's gmina and
    skills loaded in a fixed number of queries."""
    filters = filters or RosterFilters()
    memberships = (
        Membership.objects.visible_to(user)
        .filter(club=club)
        .select_related("member__municipality")
        .prefetch_related("member__skills")
        .order_by("member__last_name", "member__first_name", "pk")
    )
    if filters.status:
        memberships = memberships.filter(status=filters.status)
    if filters.skill is not None:
        memberships = memberships.filter(member__skills=filters.skill)
    if filters.minors:
        cutoff = minor_birth_date_cutoff()
        minors = Q(member__birth_date__gt=cutoff)
        memberships = (
            memberships.filter(minors) if filters.minors == "yes" else memberships.exclude(minors)
        )
    if filters.q:
        memberships = search_words(memberships, "member__search_text", filters.q)
    return memberships


def roster_status_counts(user, club: Club) -> dict[str, int]:
    """How many of the club's memberships are in each status (one query)."""
    rows = (
        Membership.objects.visible_to(user)
        .filter(club=club)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    counts = {status: 0 for status in Status.values}
    counts.update(dict(rows))
    return counts


def member_get_for(user, member_pk: int) -> Member:
    """One person whose data the user may see as staff: 404 outside their scope, 403 for
    someone who only sees their own record (their page is elsewhere)."""
    member = get_object_or_404(
        Member.objects.visible_to(user).select_related("municipality", "user"), pk=member_pk
    )
    access.require(user, "members.view_member")
    return member


def member_memberships_for(user, member: Member) -> list[Membership]:
    """The person's memberships in clubs the user can see; other clubs stay hidden."""
    return list(
        Membership.objects.visible_to(user)
        .filter(member=member)
        .select_related("club__municipality")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=MembershipStatusChange.objects.select_related("changed_by"),
            )
        )
        .order_by("club__name")
    )


def member_may(user, perm: str, memberships: list[Membership]) -> bool:
    """Whether `perm` is allowed in at least one of the person's (visible) clubs."""
    return any(access.can(user, perm, membership) for membership in memberships)


def member_erase_club(user, memberships: list[Membership]) -> Club | None:
    """A club among the person's (visible) memberships in which the user may erase them,
    or None. The rule is services.erasure.member_erase_allowed's, "one of the person's
    clubs is enough", applied to the memberships the page already loaded: no query."""
    return next((m.club for m in memberships if access.can(user, "members.erase_member", m)), None)


def member_consents(member: Member) -> list[Consent]:
    """The whole consent history, newest first."""
    return list(member.consents.select_related("recorded_by"))


def member_guardian_consents(member: Member) -> list[GuardianConsent]:
    """Every guardian's consent, current and withdrawn."""
    return list(member.guardian_consents.select_related("recorded_by"))


def applications_for(user) -> QuerySet[Membership]:
    """Pending applications in the clubs where the user decides on memberships."""
    return (
        _staff_memberships(user, "members.change_membership")
        .filter(status=Status.APPLICANT)
        .select_related("member__municipality", "club")
        .prefetch_related("member__guardian_consents")
        .order_by("applied_on", "pk")
    )


def membership_get_for(user, membership_pk: int, perm: str) -> Membership:
    """One membership in the user's scope (404), on which the user may take `perm` (403)."""
    membership = get_object_or_404(
        Membership.objects.visible_to(user).select_related("member", "club"), pk=membership_pk
    )
    access.require(user, perm, membership)
    return membership


@dataclass
class AccessLogFilters:
    user_email: str = ""
    member: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def access_log_for(user, filters: AccessLogFilters | None = None) -> QuerySet[PersonalDataAccess]:
    """The personal-data access log, newest first (national staff only: empty otherwise)."""
    filters = filters or AccessLogFilters()
    rows = PersonalDataAccess.objects.visible_to(user).select_related("member", "club")
    if filters.user_email:
        rows = rows.filter(user_email__icontains=filters.user_email.strip())
    if filters.member:
        rows = search_words(rows, "member__search_text", filters.member)
    if filters.action:
        rows = rows.filter(action=filters.action)
    zone = timezone.get_current_timezone()
    if filters.date_from:
        rows = rows.filter(at__gte=datetime.combine(filters.date_from, time.min, tzinfo=zone))
    if filters.date_to:
        rows = rows.filter(at__lte=datetime.combine(filters.date_to, time.max, tzinfo=zone))
    return rows
