"""Scheduling sessions: meetings, venue, capacity, instructors, the qualification gate and
clash checks; editing and cancelling them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clubs.models import Assignment, Club, Partner
from kos_portal.roles import Role
from kos_portal.tasks import enqueue_on_commit
from members import age
from training.models import Course, Enrolment, InstructorProfile, Meeting, Session
from training.services.instructors import instructor_qualification_problem

OPEN_STATUSES = (Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED)


@dataclass(frozen=True)
class MeetingSlot:
    """One meeting as the scheduler asked for it; `pk` names an existing meeting on edit."""

    starts_at: datetime
    ends_at: datetime
    pk: int | None = None


def _when(value: datetime) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _local_dates(slots: list[MeetingSlot]) -> list[date]:
    return sorted({timezone.localdate(slot.starts_at) for slot in slots})


def club_instructors(club: Club):
    """Instructor profiles of people holding an active instructor role in `club`."""
    holders = Assignment.objects.active().filter(role=Role.INSTRUCTOR, club=club)
    return (
        InstructorProfile.objects.filter(user_id__in=holders.values("user_id"))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def venue_partners(club: Club):
    """Partners linked to `club` that lend a venue."""
    return Partner.objects.filter(links__club=club, offers_venue=True).order_by("name")


def _check_meetings(
    slots: list[MeetingSlot], *, existing: dict[int, Meeting], afterwards: bool = False
) -> None:
    if not slots:
        raise ValidationError(_("A session needs at least one meeting."))
    now = timezone.now()
    for slot in slots:
        if slot.ends_at <= slot.starts_at:
            raise ValidationError(
                _("The meeting on %(when)s must end after it starts.")
                % {"when": _when(slot.starts_at)}
            )
        old = existing.get(slot.pk) if slot.pk else None
        same_times = old is not None and (old.starts_at, old.ends_at) == (
            slot.starts_at,
            slot.ends_at,
        )
        if afterwards:  # a training entered after it took place: every meeting is over
            if slot.ends_at > now:
                raise ValidationError(
                    _(
                        "A training recorded after it took place must be over: the meeting "
                        "on %(when)s has not ended yet."
                    )
                    % {"when": _when(slot.starts_at)}
                )
            continue
        # A meeting already held stays as it was; every new or moved one must lie ahead.
        if slot.starts_at <= now and not same_times:
            raise ValidationError(
                _("The meeting on %(when)s is in the past; new meetings must be in the future.")
                % {"when": _when(slot.starts_at)}
            )
    ordered = sorted(slots, key=lambda s: s.starts_at)
    for earlier, later in pairwise(ordered):
        if later.starts_at < earlier.ends_at:
            raise ValidationError(
                _("The meetings on %(first)s and %(second)s overlap.")
                % {"first": _when(earlier.starts_at), "second": _when(later.starts_at)}
            )


def _overlapping(slots: list[MeetingSlot]) -> Q:
    condition = Q(pk__in=[])
    for slot in slots:
        condition |= Q(starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at)
    return condition


def _clash_message(meeting: Meeting, template: str, **names) -> str:
    return template % {
        **names,
        "session": f"{meeting.session.course.code} ({meeting.session.club.name})",
        "when": f"{_when(meeting.starts_at)}–{timezone.localtime(meeting.ends_at):%H:%M}",
    }


def _check_clashes(
    *,
    club: Club,
    slots: list[MeetingSlot],
    instructors: list[InstructorProfile],
    venue_partner: Partner | None,
    venue: str,
    session: Session | None,
) -> None:
    """Refuse an instructor or a venue booked by another planned session at the same time."""
    others = (
        Meeting.objects.filter(_overlapping(slots), session__status=Session.Status.PLANNED)
        .select_related("session__course", "session__club")
        .order_by("starts_at", "pk")
    )
    if session is not None:
        others = others.exclude(session=session)
    for instructor in instructors:
        clash = others.filter(session__instructors=instructor).first()
        if clash is not None:
            raise ValidationError(
                {
                    "instructors": _clash_message(
                        clash,
                        _("%(name)s already teaches %(session)s on %(when)s."),
                        name=str(instructor),
                    )
                }
            )
    same_venue = Q(pk__in=[])
    if venue_partner is not None:
        same_venue |= Q(session__venue_partner=venue_partner)
    if venue:
        same_venue |= Q(session__club=club, session__venue__iexact=venue)
    clash = others.filter(same_venue).first()
    if clash is not None:
        message = _("The venue is already booked for %(session)s on %(when)s.")
        field = "venue_partner" if venue_partner is not None else "venue"
        raise ValidationError({field: _clash_message(clash, message)})


def _with_minors(session: Session | None, on: date) -> bool:
    """Whether anyone enrolled or waiting is under 18 on the session's first day."""
    if session is None:
        return False
    births = Enrolment.objects.filter(session=session, status__in=OPEN_STATUSES).values_list(
        "member__birth_date", flat=True
    )
    return any(age.is_minor(birth, on) for birth in births)


# Errors about one input name the form field it belongs to (shown at that field); errors
# about the meetings or the club as a whole stay general.
def _check_session(
    *,
    club: Club,
    course: Course,
    capacity: int,
    instructors: list[InstructorProfile],
    slots: list[MeetingSlot],
    venue_partner: Partner | None,
    venue: str,
    session: Session | None,
    afterwards: bool = False,
) -> None:
    if not club.takes_new_members:
        raise ValidationError(
            _("%(club)s is not active, so it cannot schedule sessions.") % {"club": club.name}
        )
    if not course.is_active and (session is None or session.course_id != course.pk):
        raise ValidationError(
            {"course": _("%(course)s is no longer offered.") % {"course": course.code}}
        )
    if capacity < 1:
        raise ValidationError({"capacity": _("A session needs at least one place.")})
    if venue_partner is None and not venue:
        raise ValidationError(
            {"venue": _("Choose a partner's venue or describe where the session takes place.")}
        )
    if venue_partner is not None and not venue_partners(club).filter(pk=venue_partner.pk).exists():
        raise ValidationError(
            {
                "venue_partner": _("%(partner)s is not a partner of this club that lends a venue.")
                % {"partner": venue_partner.name}
            }
        )
    if not instructors:
        raise ValidationError({"instructors": _("A session needs at least one instructor.")})
    allowed = set(club_instructors(club).values_list("pk", flat=True))
    for instructor in instructors:
        if instructor.pk not in allowed:
            raise ValidationError(
                {
                    "instructors": _("%(name)s is not an instructor of this club.")
                    % {"name": str(instructor)}
                }
            )
    existing = {m.pk: m for m in session.meetings.all()} if session is not None else {}
    unknown = [slot.pk for slot in slots if slot.pk and slot.pk not in existing]
    if unknown:
        raise ValidationError(_("A meeting in the form does not belong to this session."))
    _check_meetings(slots, existing=existing, afterwards=afterwards)
    dates = _local_dates(slots)
    with_minors = _with_minors(session, dates[0])
    for instructor in instructors:
        problem = instructor_qualification_problem(
            instructor=instructor, course=course, on_dates=dates, with_minors=with_minors
        )
        if problem:
            raise ValidationError({"instructors": problem})
    _check_clashes(
        club=club,
        slots=slots,
        instructors=instructors,
        venue_partner=venue_partner,
        venue=venue,
        session=session,
    )


def _with_qualifications(instructors) -> list[InstructorProfile]:
    pks = [instructor.pk for instructor in instructors]
    return list(
        InstructorProfile.objects.filter(pk__in=pks)
        .select_related("user")
        .prefetch_related("qualifications")
        .order_by("pk")
    )


def _save_meetings(session: Session, slots: list[MeetingSlot]) -> None:
    keep = {slot.pk for slot in slots if slot.pk}
    removed = session.meetings.exclude(pk__in=keep)
    if removed.filter(attendances__isnull=False).exists():
        raise ValidationError(
            _("A meeting with recorded attendance cannot be removed from the session.")
        )
    removed.delete()
    for slot in slots:
        if slot.pk:
            Meeting.objects.filter(pk=slot.pk, session=session).update(
                starts_at=slot.starts_at, ends_at=slot.ends_at
            )
        else:
            Meeting.objects.create(
                session=session, club=session.club, starts_at=slot.starts_at, ends_at=slot.ends_at
            )
    session.starts_at = min(slot.starts_at for slot in slots)
    session.ends_at = max(slot.ends_at for slot in slots)


@transaction.atomic
def session_create(
    *,
    club: Club,
    course: Course,
    capacity: int,
    visibility: str,
    instructors: list[InstructorProfile],
    meetings: list[MeetingSlot],
    venue_partner: Partner | None = None,
    venue: str = "",
    notes: str = "",
    recorded_afterwards: bool = False,
    created_by,
) -> Session:
    """Schedule a session with its meetings, after every check passes (nothing is written
    otherwise): club active, course offered, venue, instructors of the club qualified on
    every meeting date, no instructor or venue clash, meetings in the future; or, with
    `recorded_afterwards`, a training already held: every meeting over."""
    instructors = _with_qualifications(instructors)
    venue = venue.strip()
    _check_session(
        club=club,
        course=course,
        capacity=capacity,
        instructors=instructors,
        slots=meetings,
        venue_partner=venue_partner,
        venue=venue,
        session=None,
        afterwards=recorded_afterwards,
    )
    session = Session(
        club=club,
        course=course,
        capacity=capacity,
        visibility=visibility,
        venue_partner=venue_partner,
        venue=venue,
        notes=notes,
        recorded_afterwards=recorded_afterwards,
        created_by=created_by,
    )
    session.starts_at = min(slot.starts_at for slot in meetings)
    session.ends_at = max(slot.ends_at for slot in meetings)
    session.save()
    session.instructors.set(instructors)
    _save_meetings(session, meetings)
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    course: Course,
    capacity: int,
    visibility: str,
    instructors: list[InstructorProfile],
    meetings: list[MeetingSlot],
    venue_partner: Partner | None = None,
    venue: str = "",
    notes: str = "",
    updated_by,
) -> Session:
    """Change a planned session under the same rules as scheduling (its own meetings are
    not clashes). A larger capacity moves people up from the waiting list."""
    session = (
        Session.objects.select_for_update(of=("self",)).select_related("club").get(pk=session.pk)
    )
    if session.status != Session.Status.PLANNED:
        raise ValidationError(_("Only a planned session can be changed."))
    instructors = _with_qualifications(instructors)
    venue = venue.strip()
    _check_session(
        club=session.club,
        course=course,
        capacity=capacity,
        instructors=instructors,
        slots=meetings,
        venue_partner=venue_partner,
        venue=venue,
        session=session,
        afterwards=session.recorded_afterwards,
    )
    enrolled = session.enrolments.holding_a_place().count()
    if capacity < enrolled:
        raise ValidationError(
            {
                "capacity": _(
                    "%(count)s people are already enrolled; the capacity cannot be lower."
                )
                % {"count": enrolled}
            }
        )
    session.course = course
    session.capacity = capacity
    session.visibility = visibility
    session.venue_partner = venue_partner
    session.venue = venue
    session.notes = notes
    _save_meetings(session, meetings)
    session.save()
    session.instructors.set(instructors)
    from training.services.enrolment import waitlist_promote  # enrolment builds on sessions

    waitlist_promote(session=session)
    return session


@transaction.atomic
def session_cancel(*, session: Session, reason: str, cancelled_by) -> Session:
    """Cancel a planned session and email everyone enrolled or waiting, after commit.

    Safe to run twice: a cancelled session stays as it is and nobody is emailed again.
    """
    session = Session.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if session.status == Session.Status.CANCELLED:
        return session
    if session.status != Session.Status.PLANNED:
        raise ValidationError(_("A completed session cannot be cancelled."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason: it is sent to the people enrolled."))
    session.status = Session.Status.CANCELLED
    session.cancelled_at = timezone.now()
    session.cancellation_reason = reason[:500]
    session.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
    from training.tasks import session_cancelled_email_task

    for pk in session.enrolments.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True):
        enqueue_on_commit(session_cancelled_email_task, pk)
    return session


def session_cancel_many(*, sessions: list[Session], reason: str, cancelled_by) -> list:
    """Cancel each planned session of `sessions` (the session list's bulk action): one
    (session, refusal or "") per session; each is its own transaction, as with
    session_cancel, so one refusal (a completed session) leaves the others cancelled."""
    outcomes = []
    for session in sessions:
        try:
            session_cancel(session=session, reason=reason, cancelled_by=cancelled_by)
        except ValidationError as error:
            outcomes.append((session, " ".join(error.messages)))
        else:
            outcomes.append((session, ""))
    return outcomes


def _member_language(enrolment: Enrolment) -> str:
    user = enrolment.member.user
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def session_email_send(*, enrolment: Enrolment, kind: str) -> bool:
    """Email the enrolled person about their session (`kind`: "cancelled" or "promoted"),
    in their language. False when there is no address to write to."""
    member = enrolment.member
    if not member.email or member.is_anonymised:
        return False
    session = enrolment.session
    context = {
        "enrolment": enrolment,
        "member": member,
        "session": session,
        "meetings": list(session.meetings.all()),
        "session_url": f"{settings.SITE_URL}{session.get_absolute_url()}",
    }
    with translation.override(_member_language(enrolment)):
        subject = render_to_string(f"training/email/session_{kind}_subject.txt", context)
        body = render_to_string(f"training/email/session_{kind}_message.txt", context)
    EmailMessage(subject=" ".join(subject.split()), body=body, to=[member.email]).send()
    return True
