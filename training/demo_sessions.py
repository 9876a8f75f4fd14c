"""Demo sessions in KOS Złotokłos: one open and upcoming, one full with a waiting list, one
finished with results. Called from kos_portal/demo.py after `training_seed_demo(club)`,
which creates the courses and the demo instructor's profile.

Dates are relative to today, so the demo shows every state whenever it is loaded. Safe to
run twice: each session is found by a marker in its notes, and an upcoming session whose
date has passed moves forward again.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from clubs.models import Club, Partner
from kos_portal.models import User
from members.consent_texts import CONSENT_TEXTS
from members.models import Consent, ConsentMethod, Member, Membership
from training.models import Course, Enrolment, InstructorProfile, Meeting, Session
from training.services.results import results_record

INSTRUCTOR_EMAIL = "instruktor@kos.example"
MEMBER_EMAIL = "czlonek@kos.example"
# Demo people without a login: adults who agreed to the processing of membership data.
EXTRA_MEMBERS = [
    ("Jan", "Nowak", date(1985, 3, 12)),
    ("Agnieszka", "Wiśniewska", date(1992, 11, 2)),
    ("Tomasz", "Wójcik", date(1978, 7, 23)),
    ("Ewa", "Kamińska", date(2001, 1, 30)),
    ("Paweł", "Lewandowski", date(1969, 9, 8)),
]
MARK_OPEN = "demo:open-session"
MARK_FULL = "demo:full-session"
MARK_FINISHED = "demo:finished-session"


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _demo_members(club: Club) -> dict[str, Member]:
    members = {}
    for first, last, born in EXTRA_MEMBERS:
        email = f"{first}.{last}@kos.example".lower().translate(str.maketrans("śńó", "sno"))
        member, _created = Member.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "birth_date": born,
                "municipality": club.municipality,
            },
        )
        Membership.objects.get_or_create(
            member=member,
            club=club,
            defaults={"status": Membership.Status.ACTIVE, "joined_on": date(2025, 10, 1)},
        )
        if not member.consents.filter(purpose="membership_data", given=True).exists():
            Consent.objects.create(
                member=member,
                purpose="membership_data",
                given=True,
                text_version=CONSENT_TEXTS["membership_data"].version,
                method=ConsentMethod.PAPER,
                given_by="staff_paper",  # adults' own signed forms (#13)
            )
        members[last] = member
    return members


def _course(*, code: str, pillar_code: str | None) -> Course:
    """The demo catalogue's course `code` (training/demo.py), else an offered course of the
    pillar (None: cross-pillar), else any offered course."""
    courses = Course.objects.filter(is_active=True).order_by("code")
    kind = (
        courses.filter(pillar__isnull=True)
        if pillar_code is None
        else courses.filter(pillar__code=pillar_code)
    )
    return courses.filter(code=code).first() or kind.first() or courses.first()


def _session(
    *,
    club: Club,
    marker: str,
    course: Course,
    instructor: InstructorProfile,
    capacity: int,
    visibility: str,
    days: list[int],
    venue_partner: Partner | None,
    reschedule: bool,
) -> Session:
    """The demo session with `marker`, its meetings at 17:00–20:00 `days` from today."""
    today = timezone.localdate()
    slots = [(_at(today + timedelta(days=d), 17), _at(today + timedelta(days=d), 20)) for d in days]
    session = Session.objects.filter(club=club, notes=marker).first()
    if session is None:
        session = Session.objects.create(
            club=club,
            course=course,
            capacity=capacity,
            visibility=visibility,
            venue_partner=venue_partner,
            venue="" if venue_partner else "Remiza OSP Złotokłos",
            notes=marker,
        )
        session.instructors.add(instructor)
    elif not reschedule or session.starts_at > timezone.now():
        return session
    # New, or an upcoming demo session whose date has passed: (re)plan its meetings.
    session.meetings.all().delete()
    Meeting.objects.bulk_create(
        Meeting(session=session, club=club, starts_at=start, ends_at=end) for start, end in slots
    )
    session.starts_at, session.ends_at = slots[0][0], slots[-1][1]
    session.save(update_fields=["starts_at", "ends_at"])
    return session


def _enrol(session: Session, member: Member, *, waitlist_position: int | None = None) -> None:
    Enrolment.objects.get_or_create(
        session=session,
        member=member,
        defaults={
            "club": session.club,
            "status": Enrolment.Status.WAITLISTED
            if waitlist_position
            else Enrolment.Status.ENROLLED,
            "waitlist_position": waitlist_position,
        },
    )


@transaction.atomic
def training_seed_demo_sessions(club: Club) -> list[Session]:
    """Create (or find) the three demo sessions in `club` and return them: open and
    upcoming, full with a waiting list, finished with results (passes send
    `course_passed`). Does nothing without the demo instructor or any offered course."""
    instructor_user = User.objects.filter(email=INSTRUCTOR_EMAIL).first()
    if instructor_user is None or not Course.objects.filter(is_active=True).exists():
        return []
    instructor, _ = InstructorProfile.objects.get_or_create(user=instructor_user)
    demo_member = Member.objects.filter(user__email=MEMBER_EMAIL).first()
    people = _demo_members(club)
    venue = club.partner_links.select_related("partner").order_by("pk").first()
    venue_partner = venue.partner if venue else None

    upcoming = _session(
        club=club,
        marker=MARK_OPEN,
        course=_course(code="ZPOS-I", pillar_code=None),
        instructor=instructor,
        capacity=20,
        visibility=Session.Visibility.OPEN,
        days=[30, 37],
        venue_partner=venue_partner,
        reschedule=True,
    )
    for member in [demo_member, people["Lewandowski"]]:
        if member is not None:
            _enrol(upcoming, member)

    full = _session(
        club=club,
        marker=MARK_FULL,
        course=_course(code="CYBER-HIG", pillar_code="cyber"),
        instructor=instructor,
        capacity=2,
        visibility=Session.Visibility.MEMBERS,
        days=[14],
        venue_partner=venue_partner,
        reschedule=True,
    )
    _enrol(full, people["Nowak"])
    _enrol(full, people["Wiśniewska"])
    _enrol(full, people["Wójcik"], waitlist_position=1)

    finished = _session(
        club=club,
        marker=MARK_FINISHED,
        course=_course(code="KPP", pillar_code="first-aid"),
        instructor=instructor,
        capacity=12,
        visibility=Session.Visibility.MEMBERS,
        days=[-21, -14],
        venue_partner=venue_partner,
        reschedule=False,
    )
    participants = [demo_member, people["Nowak"], people["Kamińska"], people["Lewandowski"]]
    for member in participants:
        if member is not None:
            _enrol(finished, member)
    if finished.status != Session.Status.COMPLETED:
        _record_demo_results(finished, instructor_user)
    return [upcoming, full, finished]


def _record_demo_results(session: Session, recorded_by) -> None:
    """Everyone at both meetings passes, except Ewa Kamińska, who came once."""
    meetings = [m.pk for m in session.meetings.order_by("starts_at")]
    assessed = session.course.passing_rule == Course.PassingRule.ASSESSMENT
    mark = session.course.pass_mark or 0
    rows = {}
    for enrolment in session.enrolments.holding_a_place().select_related("member"):
        once = enrolment.member.last_name == "Kamińska"
        rows[enrolment.pk] = {
            "present": set(meetings[:1] if once else meetings),
            "score": (None if once else min(100, mark + 12)) if assessed else None,
        }
    results_record(session=session, rows=rows, recorded_by=recorded_by)
