"""Enrolment into sessions: the checks, capacity under concurrency, the waiting list and
moving people up from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kos_portal.tasks import enqueue_on_commit
from members import age
from members.models import GuardianConsent, Member, Membership
from training.models import Enrolment, Session
from training.services.instructors import instructor_qualification_problem

OPEN_STATUSES = (Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED)


def _first_day(session: Session) -> date:
    return timezone.localdate(session.starts_at)


def _meeting_dates(session: Session) -> list[date]:
    return sorted({timezone.localdate(m.starts_at) for m in session.meetings.all()})


def _has_guardian_consent(member: Member) -> bool:
    return GuardianConsent.objects.filter(member=member, withdrawn_at__isnull=True).exists()


def _person_problem(*, session: Session, member: Member) -> str | None:
    """What about the person stops them taking part: age, a guardian's consent, and, for a
    minor, instructors cleared to teach minors. Re-checked when moving up from the list."""
    on = _first_day(session)
    course = session.course
    name = member.display_name
    if member.is_anonymised:
        return _("This person's data has been erased; they cannot be enrolled.")
    if not age.meets_minimum_age(member.birth_date, course.minimum_age, on):
        if member.birth_date is None:
            return _(
                "%(course)s is for people aged %(age)s or over, and %(name)s has no date of "
                "birth recorded."
            ) % {"course": course.code, "age": course.minimum_age, "name": name}
        return _("%(name)s will be under %(age)s on %(date)s; %(course)s has that minimum age.") % {
            "name": name,
            "age": course.minimum_age,
            "date": on.isoformat(),
            "course": course.code,
        }
    if age.is_minor(member.birth_date, on):
        if not _has_guardian_consent(member):
            return _("%(name)s is under 18 and has no current guardian's consent on record.") % {
                "name": name
            }
        dates = _meeting_dates(session)
        for instructor in session.instructors.select_related("user").prefetch_related(
            "qualifications"
        ):
            problem = instructor_qualification_problem(
                instructor=instructor, course=course, on_dates=dates, with_minors=True
            )
            if problem:
                return _("%(name)s is under 18, and an instructor cannot teach minors: %(why)s") % {
                    "name": name,
                    "why": problem,
                }
    return None


def enrolment_refusal(*, session: Session, member: Member, by_staff: bool = False) -> str | None:
    """Why `member` may not join `session` now, or None. Capacity is not a refusal: a full
    session puts people on its waiting list. Staff may still enrol people in a session
    recorded after it took place."""
    if session.status != Session.Status.PLANNED:
        return _("This session is not open for enrolment: it is %(status)s.") % {
            "status": session.get_status_display()
        }
    late_ok = by_staff and session.recorded_afterwards
    if session.starts_at is None or (session.starts_at <= timezone.now() and not late_ok):
        return _("This session has already started; enrolment is closed.")
    if not session.club.takes_new_members:
        return _("%(club)s is not active, so it takes no enrolments.") % {"club": session.club.name}
    if session.visibility == Session.Visibility.MEMBERS:
        active = Membership.objects.filter(
            member=member, club=session.club, status=Membership.Status.ACTIVE
        ).exists()
        if not active:
            return _(
                "This session is for members of %(club)s; %(name)s has no active membership there."
            ) % {"club": session.club.name, "name": member.display_name}
    problem = _person_problem(session=session, member=member)
    if problem:
        return problem
    for prerequisite in session.course.prerequisites.all():
        passed = Enrolment.objects.filter(
            member=member, session__course=prerequisite, result=Enrolment.Result.PASSED
        ).exists()
        if not passed:
            return _("%(name)s must first pass %(course)s.") % {
                "name": member.display_name,
                "course": f"{prerequisite.code} {prerequisite.display_title}",
            }
    return None


def _next_waitlist_position(session: Session) -> int:
    highest = session.enrolments.aggregate(top=Max("waitlist_position"))["top"]
    return (highest or 0) + 1


@transaction.atomic
def enrolment_create(*, session: Session, member: Member, enrolled_by) -> Enrolment:
    """Enrol `member` in `session`, or put them on its waiting list when it is full.

    The session row is locked while the places are counted, so two people enrolling at
    the same moment never both get the last place (PostgreSQL; SQLite serialises writers
    anyway). Someone already enrolled or waiting is refused; a cancelled enrolment is
    reopened rather than duplicated.
    """
    session = (
        # Lock the session row only, not its club and course (other sessions share those).
        Session.objects.select_for_update(of=("self",))
        .select_related("club", "course")
        .get(pk=session.pk)
    )
    by_staff = enrolled_by is not None and enrolled_by.pk != member.user_id
    refusal = enrolment_refusal(session=session, member=member, by_staff=by_staff)
    if refusal:
        raise ValidationError(refusal)
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(session=session, member=member)
        .first()
    )
    if enrolment is not None and enrolment.status in OPEN_STATUSES:
        if enrolment.status == Enrolment.Status.WAITLISTED:
            raise ValidationError(
                _("%(name)s is already on the waiting list.") % {"name": member.display_name}
            )
        raise ValidationError(
            _("%(name)s is already enrolled in this session.") % {"name": member.display_name}
        )
    if session.enrolments.holding_a_place().count() < session.capacity:
        status, position = Enrolment.Status.ENROLLED, None
    else:
        status, position = Enrolment.Status.WAITLISTED, _next_waitlist_position(session)
    if enrolment is None:
        enrolment = Enrolment(session=session, club=session.club, member=member)
    enrolment.status = status
    enrolment.waitlist_position = position
    enrolment.enrolled_at = timezone.now()
    enrolment.enrolled_by = enrolled_by if getattr(enrolled_by, "pk", None) else None
    enrolment.cancelled_at = None
    enrolment.promoted_at = None
    enrolment.promotion_emailed_at = None
    enrolment.result = Enrolment.Result.PENDING
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError:  # the same person submitted twice at the same moment
        raise ValidationError(
            _("%(name)s is already enrolled in this session.") % {"name": member.display_name}
        ) from None
    return enrolment


@dataclass(frozen=True)
class EnrolOutcome:
    """What happened to one person of a group enrolment: an enrolment (a place or the
    waiting list), or the reason they were refused."""

    member: Member
    enrolment: Enrolment | None = None
    refusal: str = ""


@transaction.atomic
def enrolment_create_many(*, session: Session, members: list[Member], enrolled_by) -> list:
    """Enrol several people at once, in the given order: places while any are free, then
    the waiting list. Someone who cannot be enrolled is refused with the reason and the
    others still go ahead (each person is one savepoint). One outcome per person."""
    outcomes: list[EnrolOutcome] = []
    for member in members:
        try:
            enrolment = enrolment_create(session=session, member=member, enrolled_by=enrolled_by)
        except ValidationError as error:
            outcomes.append(EnrolOutcome(member=member, refusal=" ".join(error.messages)))
        else:
            outcomes.append(EnrolOutcome(member=member, enrolment=enrolment))
    return outcomes


def waitlist_promote(*, session: Session) -> list[Enrolment]:
    """Move people up from the waiting list, lowest position first, while places are free.

    Call inside a transaction holding the session's lock. People who no longer qualify
    (age, a withdrawn guardian's consent) are passed over and stay on the list. Each
    promoted person is emailed after commit.
    """
    started = session.starts_at is None or session.starts_at <= timezone.now()
    if session.status != Session.Status.PLANNED or started:
        return []
    free = session.capacity - session.enrolments.holding_a_place().count()
    promoted: list[Enrolment] = []
    if free <= 0:
        return promoted
    waiting = (
        session.enrolments.filter(status=Enrolment.Status.WAITLISTED)
        .select_related("member")
        .order_by("waitlist_position", "enrolled_at", "pk")
    )
    for enrolment in waiting:
        if len(promoted) >= free:
            break
        if _person_problem(session=session, member=enrolment.member):
            continue
        enrolment.status = Enrolment.Status.ENROLLED
        enrolment.waitlist_position = None
        enrolment.promoted_at = timezone.now()
        enrolment.save(update_fields=["status", "waitlist_position", "promoted_at"])
        promoted.append(enrolment)
    from training.tasks import enrolment_promoted_email_task

    for enrolment in promoted:
        enqueue_on_commit(enrolment_promoted_email_task, enrolment.pk)
    return promoted


@transaction.atomic
def enrolment_cancel(*, enrolment: Enrolment, cancelled_by) -> Enrolment:
    """Cancel an enrolment or a place on the waiting list; a freed place goes to the first
    person waiting who still qualifies, in the same transaction. Safe to run twice."""
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("club", "course")
        .get(pk=enrolment.session_id)
    )
    enrolment = Enrolment.objects.select_for_update(of=("self",)).get(pk=enrolment.pk)
    if enrolment.status == Enrolment.Status.CANCELLED:
        return enrolment
    if session.status != Session.Status.PLANNED:
        raise ValidationError(_("This session is over; its enrolments can no longer change."))
    enrolment.status = Enrolment.Status.CANCELLED
    enrolment.waitlist_position = None
    enrolment.cancelled_at = timezone.now()
    enrolment.save(update_fields=["status", "waitlist_position", "cancelled_at"])
    waitlist_promote(session=session)
    return enrolment
