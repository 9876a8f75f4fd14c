"""Reads behind the catalogue, instructor and calendar pages.

Courses are public information: anyone may browse the active ones, national staff see the
retired ones too. Instructor reads start from `InstructorProfile.objects.visible_to(user)`;
calendar reads from `Session.objects.visible_to(user)`.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kos_portal import access
from training.models import Course, InstructorProfile, InstructorQualification, Meeting, Session

# The value of the pillar filter that picks courses without a pillar (ZPOS modules).
CROSS_PILLAR = "zpos"
# How far back the iCal feed reaches, so a calendar keeps the recent past.
ICAL_PAST_DAYS = 90


def courses_visible_to(user) -> QuerySet[Course]:
    """Active courses for everyone (signed in or not); every course for national staff."""
    courses = Course.objects.all()
    if not access.is_national(user):
        courses = courses.filter(is_active=True)
    return courses


def course_list(user, *, pillar: str = "", text: str = "", offered: str = "") -> QuerySet[Course]:
    """The catalogue, filtered by pillar code (or CROSS_PILLAR) and a text in code or titles."""
    courses = courses_visible_to(user).select_related("pillar")
    if pillar == CROSS_PILLAR:
        courses = courses.filter(pillar__isnull=True)
    elif pillar:
        courses = courses.filter(pillar__code=pillar)
    text = text.strip()
    if text:
        courses = courses.filter(
            Q(code__icontains=text)
            | Q(title__icontains=text)
            | Q(title_en__icontains=text)
            | Q(description__icontains=text)
        )
    if offered == "yes":
        courses = courses.filter(is_active=True)
    elif offered == "no":
        courses = courses.filter(is_active=False)
    return courses.order_by("pillar__number", "code")


def course_detail(user, course_pk: int) -> Course:
    """One course with its pillar and prerequisites; Http404 when it is not visible."""
    from django.shortcuts import get_object_or_404

    courses = courses_visible_to(user).select_related("pillar")
    prerequisites = Course.objects.select_related("pillar").order_by("code")
    course = get_object_or_404(
        courses.prefetch_related(
            Prefetch("prerequisites", queryset=prerequisites),
            Prefetch("leads_to", queryset=courses_visible_to(user).order_by("code")),
        ),
        pk=course_pk,
    )
    return course


# --- Instructors -----------------------------------------------------------------------


class QualificationState:
    VERIFIED = "verified"
    PENDING = "pending"
    EXPIRED = "expired"


def qualification_state(qualification: InstructorQualification, today: date | None = None) -> str:
    """verified / pending (not verified yet) / expired (past its valid_until date)."""
    today = today or timezone.localdate()
    if qualification.valid_until and qualification.valid_until < today:
        return QualificationState.EXPIRED
    if qualification.verified_at is None:
        return QualificationState.PENDING
    return QualificationState.VERIFIED


def _qualifications() -> QuerySet[InstructorQualification]:
    return InstructorQualification.objects.select_related("pillar", "course", "verified_by")


def instructor_list(user, *, text: str = "") -> QuerySet[InstructorProfile]:
    """Instructors in the user's scope, with their qualifications prefetched."""
    profiles = InstructorProfile.objects.visible_to(user).select_related("user")
    text = text.strip()
    if text:
        profiles = profiles.filter(
            Q(user__first_name__icontains=text)
            | Q(user__last_name__icontains=text)
            | Q(user__email__icontains=text)
        )
    return profiles.prefetch_related(
        Prefetch("qualifications", queryset=_qualifications())
    ).order_by("user__last_name", "user__first_name", "pk")


def with_qualification_states(profiles) -> list[InstructorProfile]:
    """Attach `state` to each prefetched qualification and counts per state to each profile."""
    today = timezone.localdate()
    result = list(profiles)
    for profile in result:
        counts = {"verified": 0, "pending": 0, "expired": 0}
        for qualification in profile.qualifications.all():
            qualification.state = qualification_state(qualification, today)
            counts[qualification.state] += 1
        profile.state_counts = counts
    return result


def instructor_detail(user, instructor_pk: int) -> InstructorProfile:
    """One instructor in the user's scope, qualifications with their state; else Http404."""
    from django.shortcuts import get_object_or_404

    profile = get_object_or_404(
        InstructorProfile.objects.visible_to(user)
        .select_related("user", "safeguarding_verified_by")
        .prefetch_related(Prefetch("qualifications", queryset=_qualifications())),
        pk=instructor_pk,
    )
    return with_qualification_states([profile])[0]


# --- Calendar and iCal -----------------------------------------------------------------


def _meetings_taught_by(user) -> QuerySet[Meeting]:
    taught = Session.objects.visible_to(user).filter(instructors__user=user)
    return Meeting.objects.filter(session__in=taught.values("pk")).select_related(
        "session__course", "session__club", "session__venue_partner"
    )


def calendar_meetings(user, *, limit: int = 200) -> list[Meeting]:
    """The user's upcoming meetings as an instructor (not in cancelled sessions), soonest first."""
    return list(
        _meetings_taught_by(user)
        .filter(ends_at__gte=timezone.now())
        .exclude(session__status=Session.Status.CANCELLED)
        .order_by("starts_at", "pk")[:limit]
    )


def ical_meetings(profile: InstructorProfile) -> QuerySet[Meeting]:
    """Meetings of the sessions `profile` teaches, from ICAL_PAST_DAYS ago on.

    The feed has no signed-in user; the secret token stands for the profile's user, whose
    scope applies (an instructor who lost the role or the account gets an empty feed).
    Cancelled sessions stay in (marked cancelled in the feed) so that subscribed calendars
    drop the events instead of keeping stale copies.
    """
    since = timezone.now() - timedelta(days=ICAL_PAST_DAYS)
    return _meetings_taught_by(profile.user).filter(ends_at__gte=since).order_by("starts_at", "pk")
