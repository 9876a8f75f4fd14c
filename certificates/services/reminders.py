"""Reminders and alerts sent from Celery beat: certificates about to expire, meetings in
the next 24 hours, instructors' qualifications about to expire (docs/reminders.md).

Every email goes through `send_reminder`, which claims a unique ReminderLog key before
sending, so each reminder is sent at most once however often beat runs.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from smtplib import SMTPRecipientsRefused

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from certificates.models import Certificate, ReminderLog
from clubs.models import Assignment
from kos_portal.roles import Role
from members.age import OWN_LOGIN_AGE, age_on
from members.models import GuardianConsent, Member
from training.models import (
    Enrolment,
    InstructorProfile,
    InstructorQualification,
    Meeting,
    Session,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows read per round: a few queries per batch, never per row
NEXT_SESSIONS = 5  # open sessions listed in an expiry reminder
SESSION_REMINDER_BEFORE = timedelta(hours=24)
# A meeting that starts within the hour gets no "tomorrow" reminder any more: when beat
# was down, a late reminder would only arrive as people set off.
SESSION_REMINDER_TOO_LATE = timedelta(hours=1)
TEMPLATES = "certificates/email"


# --- Sending once -------------------------------------------------------------------------


def send_reminder(
    *,
    key: str,
    recipient: str,
    subject_template: str,
    text_template: str,
    html_template: str,
    context: dict,
    language: str,
    connection=None,
) -> bool:
    """Send one email (text and HTML, in `language`) unless the reminder `key` was already
    sent. True when this call sent it. Safe to run twice, also from two workers at once.

    Call it outside a transaction: the claim must be committed before the email goes out.
    """
    # Claim first, send after. The key is committed in its own transaction before the
    # email leaves, so a second run (beat firing twice, a retried task, another worker)
    # finds it and sends nothing: at most once. If sending fails, the claim is deleted so
    # a retry can send. The one gap is a worker killed between the claim and the send: that
    # reminder is lost rather than doubled, which is the trade we want for reminders.
    with transaction.atomic():
        _log, created = ReminderLog.objects.get_or_create(
            key=key, defaults={"recipient": recipient[:254]}
        )
    if not created:
        return False
    try:
        context = {**context, "footer": settings.KOS_EMAIL_FOOTER, "site_url": settings.SITE_URL}
        with translation.override(language):
            subject = render_to_string(subject_template, context)
            text = render_to_string(text_template, context)
            html = render_to_string(html_template, context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            from_email=settings.KOS_EMAIL_FROM,
            to=[recipient],
            connection=connection,
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except BaseException:
        ReminderLog.objects.filter(key=key).delete()
        raise
    return True


class _Sender:
    """Sends a run's emails over one connection and keeps going past a failed one, so one
    bad address does not hold back everybody else's reminder. `raise_first_error()` then
    lets the task retry; the retry skips what was sent."""

    def __init__(self) -> None:
        self.connection = get_connection()
        self.sent = 0
        self.error: BaseException | None = None

    def send(self, **kwargs) -> None:
        try:
            if send_reminder(connection=self.connection, **kwargs):
                self.sent += 1
        except SMTPRecipientsRefused:
            # Permanent for this address: retrying the task would not help. The claim was
            # released, so tomorrow's run tries again while the reminder is still due.
            logger.warning("Reminder %s refused by the mail server.", kwargs["key"])
        except Exception as error:  # transient (OSError, SMTPException): retry the task
            logger.warning("Reminder %s failed: %s", kwargs["key"], error)
            self.error = self.error or error

    def raise_first_error(self) -> None:
        if self.error is not None:
            raise self.error


# --- Who gets the email -------------------------------------------------------------------


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _member_recipient(member: Member, today: date) -> tuple[str, str, bool] | None:
    """(address, language, is_guardian) for a member's email, or None when there is none.

    Under-16s have no login of their own, so their guardian (current consent, contact that
    is an email address) is written to instead. Needs `guardian_consents` prefetched as
    `current_guardian_consents`.
    """
    if member.is_anonymised:
        return None
    if member.birth_date and age_on(member.birth_date, today) < OWN_LOGIN_AGE:
        for consent in member.current_guardian_consents:
            contact = consent.guardian_contact.strip()
            if _is_email(contact):
                return contact, settings.LANGUAGE_CODE, True
        return None
    user = member.user
    address = member.email or (user.email if user is not None else "")
    if not address:
        return None
    language = (user.language if user is not None else "") or settings.LANGUAGE_CODE
    return address, language, False


def _current_guardians(path: str = "") -> Prefetch:
    """Current guardian consents, newest first, as `member.current_guardian_consents`."""
    return Prefetch(
        f"{path}guardian_consents",
        queryset=GuardianConsent.objects.filter(withdrawn_at__isnull=True).order_by(
            "-consent_date", "-pk"
        ),
        to_attr="current_guardian_consents",
    )


def _user_language(user) -> str:
    return user.language or settings.LANGUAGE_CODE


def _absolute(view_name: str, **kwargs) -> str:
    """SITE_URL + the path, or "" when the page does not exist (yet)."""
    try:
        return f"{settings.SITE_URL}{reverse(view_name, kwargs=kwargs)}"
    except NoReverseMatch:
        return ""


# --- Windows ------------------------------------------------------------------------------


def _windows(days: Iterable[int]) -> list[tuple[int, int]]:
    """(N, lower) pairs, largest first: the reminder for N is due while lower < days left
    <= N. A run missed for a few days still sends the reminder once, and a late run never
    sends an earlier threshold's reminder after a later one."""
    ordered = sorted({int(d) for d in days if int(d) >= 0}, reverse=True)
    return [(n, ordered[i + 1] if i + 1 < len(ordered) else -1) for i, n in enumerate(ordered)]


def _due_threshold(days_left: int, windows: list[tuple[int, int]]) -> int | None:
    for threshold, lower in windows:
        if lower < days_left <= threshold:
            return threshold
    return None


def _batches(queryset: QuerySet, size: int = BATCH_SIZE) -> Iterator[list]:
    """The queryset's rows in pk order, `size` at a time (its prefetches run per batch)."""
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last_pk = batch[-1].pk


def _already_sent(keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    return set(ReminderLog.objects.filter(key__in=keys).values_list("key", flat=True))


# --- Certificates about to expire ---------------------------------------------------------


def _next_open_sessions(certificates: list[Certificate], now: datetime) -> dict[int, list]:
    """For each certificate, up to NEXT_SESSIONS upcoming open sessions of its course: in
    the holder's gmina (or the club's, when unknown) first, then elsewhere in its powiat.
    One query for the whole batch."""
    gminas = {c.pk: (c.member.municipality or c.club.municipality) for c in certificates}
    sessions = (
        Session.objects.public()
        .filter(
            course_id__in={c.course_id for c in certificates},
            club__municipality__powiat_id__in={g.powiat_id for g in gminas.values()},
            starts_at__gt=now,
        )
        .select_related("club__municipality")
        .order_by("starts_at", "pk")
    )
    by_course_powiat = defaultdict(list)
    for session in sessions:
        by_course_powiat[session.course_id, session.club.municipality.powiat_id].append(session)
    result = {}
    for certificate in certificates:
        gmina = gminas[certificate.pk]
        candidates = by_course_powiat[certificate.course_id, gmina.powiat_id]
        ordered = [s for s in candidates if s.club.municipality_id == gmina.pk] + [
            s for s in candidates if s.club.municipality_id != gmina.pk
        ]
        result[certificate.pk] = [
            {
                "session": s,
                "in_gmina": s.club.municipality_id == gmina.pk,
                "url": f"{settings.SITE_URL}{s.get_absolute_url()}",
            }
            for s in ordered[:NEXT_SESSIONS]
        ]
    return result


def certificate_expiry_reminders_send(*, today: date | None = None) -> int:
    """Email holders (or the guardians of under-16s) whose certificates expire within
    CERTIFICATE_REMINDER_DAYS. Returns how many emails were sent. Safe to run twice:
    each (threshold, certificate) reminder goes out at most once."""
    today = today or timezone.localdate()
    now = timezone.now()
    windows = _windows(settings.CERTIFICATE_REMINDER_DAYS)
    if not windows:
        return 0
    # A holder who already passed the course again has a newer certificate: no reminder.
    renewed = Certificate.objects.filter(
        member=OuterRef("member"),
        course=OuterRef("course"),
        status=Certificate.Status.VALID,
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
    due = (
        Certificate.objects.filter(
            status=Certificate.Status.VALID,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=windows[0][0]),
            member__anonymised_at__isnull=True,
        )
        .filter(~Exists(renewed))
        .select_related(
            "member__user",
            "member__municipality",
            "club__municipality",
            "course",
        )
        .prefetch_related(_current_guardians("member__"))
    )
    sender = _Sender()
    for batch in _batches(due):
        keyed = {}
        for certificate in batch:
            threshold = _due_threshold((certificate.expires_on - today).days, windows)
            if threshold is not None:
                keyed[f"cert-expiry:{threshold}:{certificate.pk}"] = (threshold, certificate)
        sent = _already_sent(keyed)
        pending = [(key, *value) for key, value in keyed.items() if key not in sent]
        if not pending:
            continue
        sessions = _next_open_sessions([c for _k, _t, c in pending], now)
        for key, threshold, certificate in pending:
            recipient = _member_recipient(certificate.member, today)
            if recipient is None:
                logger.info("Certificate %s: no address for its expiry reminder.", certificate.pk)
                continue
            address, language, for_guardian = recipient
            sender.send(
                key=key,
                recipient=address,
                subject_template=f"{TEMPLATES}/certificate_expiry_subject.txt",
                text_template=f"{TEMPLATES}/certificate_expiry_message.txt",
                html_template=f"{TEMPLATES}/certificate_expiry_message.html",
                context={
                    "certificate": certificate,
                    "member": certificate.member,
                    "for_guardian": for_guardian,
                    "days_left": (certificate.expires_on - today).days,
                    "threshold": threshold,
                    "sessions": sessions[certificate.pk],
                    "certificate_url": _absolute(
                        "certificates:certificate-detail", certificate_pk=certificate.pk
                    ),
                    "verification_url": _absolute(
                        "certificates:verify", code=certificate.verification_code
                    ),
                },
                language=language,
            )
    sender.raise_first_error()
    return sender.sent


# --- Meetings in the next 24 hours --------------------------------------------------------


def session_reminders_send(*, now: datetime | None = None) -> int:
    """Email enrolled members (guardians of under-16s) and the instructors of every planned
    session's meeting that starts within 24 hours (but not within the hour). Returns how
    many emails were sent. Safe to run twice: one reminder per meeting and person."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    meetings = (
        Meeting.objects.filter(
            starts_at__gt=now + SESSION_REMINDER_TOO_LATE,
            starts_at__lte=now + SESSION_REMINDER_BEFORE,
            session__status=Session.Status.PLANNED,
        )
        .select_related("session__course", "session__club", "session__venue_partner")
        .prefetch_related(
            Prefetch(
                "session__enrolments",
                queryset=Enrolment.objects.filter(
                    status=Enrolment.Status.ENROLLED, member__anonymised_at__isnull=True
                )
                .select_related("member__user")
                .prefetch_related(_current_guardians("member__")),
                to_attr="enrolled",
            ),
            Prefetch(
                "session__instructors",
                queryset=InstructorProfile.objects.filter(user__is_active=True).select_related(
                    "user"
                ),
                to_attr="reminded_instructors",
            ),
        )
    )
    sender = _Sender()
    for batch in _batches(meetings):
        # Keys name the person by id, not address: bounded length, and a changed address
        # does not make the same reminder due again.
        planned = []
        for meeting in batch:
            session = meeting.session
            for enrolment in session.enrolled:
                key = f"meeting-24h:{meeting.pk}:member:{enrolment.member_id}"
                planned.append((key, meeting, enrolment.member, None))
            for profile in session.reminded_instructors:
                key = f"meeting-24h:{meeting.pk}:instructor:{profile.user_id}"
                planned.append((key, meeting, None, profile.user))
        sent = _already_sent(key for key, *_rest in planned)
        for key, meeting, member, instructor in planned:
            if key in sent:
                continue
            if member is not None:
                recipient = _member_recipient(member, today)
                if recipient is None:
                    logger.info("Meeting %s: no address for member %s.", meeting.pk, member.pk)
                    continue
                address, language, for_guardian = recipient
            else:
                address, language, for_guardian = (
                    instructor.email,
                    _user_language(instructor),
                    False,
                )
            session = meeting.session
            sender.send(
                key=key,
                recipient=address,
                subject_template=f"{TEMPLATES}/session_reminder_subject.txt",
                text_template=f"{TEMPLATES}/session_reminder_message.txt",
                html_template=f"{TEMPLATES}/session_reminder_message.html",
                context={
                    "meeting": meeting,
                    "session": session,
                    "member": member,
                    "instructor": instructor,
                    "for_guardian": for_guardian,
                    "session_url": f"{settings.SITE_URL}{session.get_absolute_url()}",
                },
                language=language,
            )
    sender.raise_first_error()
    return sender.sent


# --- Instructors' qualifications about to expire ------------------------------------------


def _coordinators_by_instructor(user_ids: set[int]) -> dict[int, list]:
    """For each instructor (user id): the active coordinators of the gminas of the clubs
    where they hold an active instructor assignment. Two queries."""
    gminas_of = defaultdict(set)
    for user_id, municipality_id in (
        Assignment.objects.active()
        .filter(role=Role.INSTRUCTOR, user_id__in=user_ids, club__isnull=False)
        .values_list("user_id", "club__municipality_id")
    ):
        gminas_of[user_id].add(municipality_id)
    coordinators_in = defaultdict(dict)
    for assignment in (
        Assignment.objects.active()
        .filter(
            role=Role.COORDINATOR,
            municipality_id__in=set().union(*gminas_of.values()),
            user__is_active=True,
        )
        .select_related("user")
        .order_by("pk")
    ):
        coordinators_in[assignment.municipality_id][assignment.user_id] = assignment.user
    result = {}
    for user_id, gminas in gminas_of.items():
        found = {}
        for municipality_id in sorted(gminas):
            found.update(coordinators_in[municipality_id])
        found.pop(user_id, None)  # a coordinator who also teaches gets the instructor's email
        result[user_id] = list(found.values())
    return result


def _is_replaced(qualification: InstructorQualification, others: list) -> bool:
    """Whether the instructor already holds a verified qualification for the same pillar
    or course that lasts longer."""
    return any(
        other.pk != qualification.pk
        and other.pillar_id == qualification.pillar_id
        and other.course_id == qualification.course_id
        and (other.valid_until is None or other.valid_until > qualification.valid_until)
        for other in others
    )


def qualification_expiry_alerts_send(*, today: date | None = None) -> int:
    """Alert instructors, and their gminas' coordinators, to verified qualifications that
    expire within QUALIFICATION_ALERT_DAYS. Returns how many emails were sent. Safe to run
    twice: each (threshold, qualification, person) alert goes out at most once."""
    today = today or timezone.localdate()
    windows = _windows(settings.QUALIFICATION_ALERT_DAYS)
    if not windows:
        return 0
    due = InstructorQualification.objects.filter(
        verified_at__isnull=False,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=windows[0][0]),
        instructor__user__is_active=True,
    ).select_related("instructor__user", "pillar", "course")
    sender = _Sender()
    for batch in _batches(due):
        candidates = []
        for qualification in batch:
            threshold = _due_threshold((qualification.valid_until - today).days, windows)
            if threshold is not None:
                candidates.append((threshold, qualification))
        if not candidates:
            continue
        others = defaultdict(list)
        for other in InstructorQualification.objects.filter(
            instructor_id__in={q.instructor_id for _t, q in candidates}, verified_at__isnull=False
        ):
            others[other.instructor_id].append(other)
        coordinators = _coordinators_by_instructor({q.instructor.user_id for _t, q in candidates})
        planned = []
        for threshold, qualification in candidates:
            if _is_replaced(qualification, others[qualification.instructor_id]):
                continue
            instructor = qualification.instructor.user
            for user in [instructor, *coordinators.get(instructor.pk, [])]:
                key = f"qual-expiry:{threshold}:{qualification.pk}:{user.pk}"
                planned.append((key, qualification, user, user.pk != instructor.pk))
        sent = _already_sent(key for key, *_rest in planned)
        for key, qualification, user, for_coordinator in planned:
            if key in sent:
                continue
            sender.send(
                key=key,
                recipient=user.email,
                subject_template=f"{TEMPLATES}/qualification_expiry_subject.txt",
                text_template=f"{TEMPLATES}/qualification_expiry_message.txt",
                html_template=f"{TEMPLATES}/qualification_expiry_message.html",
                context={
                    "qualification": qualification,
                    "instructor": qualification.instructor,
                    "recipient": user,
                    "for_coordinator": for_coordinator,
                    "days_left": (qualification.valid_until - today).days,
                    "instructor_url": _absolute(
                        "training:instructor-detail", instructor_pk=qualification.instructor_id
                    ),
                    "add_url": _absolute("training:qualification-create"),
                },
                language=_user_language(user),
            )
    sender.raise_first_error()
    return sender.sent
