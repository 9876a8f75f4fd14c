"""Reads for session and enrolment pages, always starting from `visible_to(user)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clubs.models import Club, Pillar
from kos_portal import access
from kos_portal.roles import Role
from kos_portal.subqueries import count_per_row
from members.models import Member, Membership
from training.models import Course, Enrolment, InstructorProfile, Meeting, Session

SESSION_PAGE_SIZE = 25


@dataclass(frozen=True)
class SessionFilters:
    when: str = "upcoming"  # upcoming | past | all
    course: Course | None = None
    pillar: Pillar | None = None
    status: str = ""


def with_counts(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """The sessions with their club, course, venue and instructors, and `enrolled_count` and
    `waitlist_count`. Lists add these to a page's rows only (kos_portal.pagination `load`)."""
    return (
        sessions.select_related("club__municipality", "course__pillar", "venue_partner")
        .prefetch_related(
            Prefetch("instructors", queryset=InstructorProfile.objects.select_related("user"))
        )
        .annotate(
            enrolled_count=count_per_row(
                Enrolment.objects, "session", status=Enrolment.Status.ENROLLED
            ),
            waitlist_count=count_per_row(
                Enrolment.objects, "session", status=Enrolment.Status.WAITLISTED
            ),
        )
    )


def _filtered(sessions: QuerySet[Session], filters: SessionFilters) -> QuerySet[Session]:
    now = timezone.now()
    if filters.course is not None:
        sessions = sessions.filter(course=filters.course)
    if filters.pillar is not None:
        sessions = sessions.filter(course__pillar=filters.pillar)
    if filters.status:
        sessions = sessions.filter(status=filters.status)
    if filters.when == "upcoming":
        return sessions.filter(ends_at__gte=now).order_by("starts_at", "pk")
    if filters.when == "past":
        return sessions.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return sessions.order_by("-starts_at", "-pk")


def club_for_sessions(user, club_pk: int) -> Club:
    """A club in the user's scope for its session list; Http404 otherwise."""
    return get_object_or_404(
        Club.objects.visible_to(user).select_related("municipality"), pk=club_pk
    )


def session_list_for(user, club: Club, filters: SessionFilters) -> QuerySet[Session]:
    """The club's sessions the user sees (instructors: only those they teach), in the
    list's order; `with_counts` adds what the list shows."""
    sessions = Session.objects.visible_to(user).filter(club=club)
    return _filtered(sessions, filters)


def my_sessions_for(user, filters: SessionFilters) -> QuerySet[Session]:
    """The sessions the user teaches, in any club; `with_counts` adds what the list shows."""
    sessions = Session.objects.visible_to(user).filter(instructors__user=user)
    return _filtered(sessions, filters)


def session_get_for(user, session_pk: int) -> Session:
    """One session the user sees, with its meetings, instructors and counts; Http404
    otherwise."""
    return get_object_or_404(
        with_counts(Session.objects.visible_to(user)).prefetch_related("meetings"),
        pk=session_pk,
    )


def session_participants(session: Session) -> QuerySet[Enrolment]:
    """Everyone enrolled, waiting or cancelled, places first, then the waiting list."""
    order = ["status", "waitlist_position", "member__last_name", "member__first_name", "pk"]
    return session.enrolments.select_related("member").order_by(*order)


def session_member_choices(user, session: Session) -> QuerySet[Member]:
    """Active members of the session's club whom the user sees and who are not enrolled
    or waiting already: the choices in the staff's enrol form."""
    taken = session.enrolments.filter(
        status__in=(Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED)
    ).values("member_id")
    active = Membership.objects.filter(club=session.club, status=Membership.Status.ACTIVE)
    return (
        Member.objects.visible_to(user)
        .filter(pk__in=active.values("member_id"), anonymised_at__isnull=True)
        .exclude(pk__in=taken)
        .order_by("last_name", "first_name", "pk")
    )


def own_enrolment(user, session: Session) -> Enrolment | None:
    """The signed-in person's own enrolment in the session, if any."""
    return Enrolment.objects.filter(session=session, member__user=user).first()


def person_for_self_enrolment(user, member_pk: str | None) -> Member | None:
    """Who "enrol me" enrols: the user's own member record, or with `member_pk` a person
    the user is guardian of (kos_portal.access.own_member_ids). Http404 for anyone else;
    None when the user is no member at all."""
    if not member_pk:
        return getattr(user, "member", None)
    if not str(member_pk).isdigit() or int(member_pk) not in access.own_member_ids(user):
        raise Http404
    return Member.objects.visible_to(user).get(pk=int(member_pk))


def session_for_self_enrolment(user, session_pk: int, member: Member | None = None) -> Session:
    """A planned session the user could join themselves (or enrol `member`, a child they
    are guardian of, in): open ones, members-only ones of clubs the person is an active
    member of, and any they already see; Http404 otherwise."""
    person = (
        Q(club__memberships__member=member) if member else Q(club__memberships__member__user=user)
    )
    reachable = (
        Q(visibility=Session.Visibility.OPEN)
        | (person & Q(club__memberships__status=Membership.Status.ACTIVE))
        | Q(pk__in=Session.objects.visible_to(user).values("pk"))
    )
    sessions = Session.objects.filter(reachable).distinct().select_related("club", "course")
    return get_object_or_404(sessions, pk=session_pk)


def enrolment_get_for(user, enrolment_pk: int) -> Enrolment:
    """One enrolment the user sees (their own, or in sessions they see); Http404 otherwise."""
    return get_object_or_404(
        Enrolment.objects.visible_to(user).select_related("session__club", "member"),
        pk=enrolment_pk,
    )


HOME_DUE_LIMIT = 10


def sessions_due_for(user) -> dict | None:
    """The home page's "to record" section: planned sessions of the user's own clubs (as
    leader or instructor; instructors only those they teach) that meet today or have
    started and still wait for attendance and results. None for people without those
    roles."""
    scope = access.user_scope(user)
    clubs = scope.clubs_for({Role.LEADER, Role.INSTRUCTOR})
    if not clubs:
        return None
    today = timezone.localdate()
    day_start = timezone.make_aware(datetime.combine(today, time.min))
    day_end = day_start + timedelta(days=1)
    meets_today = Meeting.objects.filter(
        session=OuterRef("pk"), starts_at__lt=day_end, ends_at__gte=day_start
    )
    sessions = (
        Session.objects.visible_to(user)
        .filter(club_id__in=clubs, status=Session.Status.PLANNED, starts_at__lt=day_end)
        .annotate(meets_today=Exists(meets_today))
        .select_related("course", "club", "venue_partner")
        .order_by("-meets_today", "starts_at", "pk")
    )
    rows = list(sessions[: HOME_DUE_LIMIT + 1])
    return {"sessions": rows[:HOME_DUE_LIMIT], "more": len(rows) > HOME_DUE_LIMIT}
