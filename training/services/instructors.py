"""Instructors: the qualification gate, profiles, qualifications, safeguarding checks, iCal."""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import UTC, date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clubs.models import Club, Pillar
from kos_portal import access
from kos_portal.roles import Role
from kos_portal.uploads import JPEG, PDF, PNG, upload_check
from training.models import Course, InstructorProfile, InstructorQualification


def instructor_qualification_problem(
    *,
    instructor: InstructorProfile,
    course: Course,
    on_dates: list[date],
    with_minors: bool,
) -> str | None:
    """Why `instructor` may not teach `course` on every one of `on_dates`, or None.

    A verified qualification must cover the course (its own, or its pillar's unless the
    course needs a course-specific one) on each date; with minors in the group the
    safeguarding checks must also be recorded and verified. Uses the prefetched
    `qualifications` when the caller prefetched them.
    """
    name = str(instructor)
    qualifications = list(instructor.qualifications.all())
    for on in sorted(set(on_dates)):
        if not any(q.covers(course, on) for q in qualifications):
            return _("%(name)s has no verified qualification for %(course)s valid on %(date)s.") % {
                "name": name,
                "course": course.code,
                "date": on.isoformat(),
            }
    if with_minors and not instructor.may_teach_minors:
        return _(
            "%(name)s cannot teach members under 18: the Sex Offenders Register check and the "
            "child-protection statement must be recorded and verified by a coordinator."
        ) % {"name": name}
    return None


# --- Who may act on an instructor -------------------------------------------------------
#
# Instructor profiles belong to no club or gmina, so access.object_in_scope cannot place
# them. The decision is made here, in one place, from the clubs the instructor holds an
# INSTRUCTOR assignment in:
#   - reading (404): views look profiles up through InstructorProfile.objects.visible_to;
#   - acting (403): `instructor_action_allowed(user, perm, profile)` grants `perm` when the
#     user's role for it covers the whole country (national staff) or at least one of the
#     instructor's clubs (a coordinator of its gmina) — the same access.can() the rest of
#     the portal uses, asked per club. Asking per club, rather than "holds the role
#     anywhere", stops a leader here who coordinates another gmina from verifying here.
# The instructor's own profile is handled by the views: they edit their own phone and bio,
# add qualifications and enter their check dates, but never verify anything of their own.


def instructor_clubs(profile: InstructorProfile) -> QuerySet[Club]:
    """Clubs where the profile's user currently holds the instructor role."""
    # access.scope_instructors has no per-role variant, so the assignment link is read
    # here (through Club, one query) rather than widening access.py for this one case.
    return Club.objects.filter(
        assignments__user_id=profile.user_id,
        assignments__role=Role.INSTRUCTOR,
        assignments__ended_at__isnull=True,
    ).distinct()


def instructor_action_allowed(user, perm: str, profile: InstructorProfile) -> bool:
    """Whether `user` may take `perm` on `profile`; see the comment above."""
    if not access.can(user, perm):
        return False
    if access.is_national(user) and Role.NATIONAL in access.RULES.get(perm, ()):
        return True
    return any(access.can(user, perm, club) for club in instructor_clubs(profile))


def is_own_profile(user, profile: InstructorProfile) -> bool:
    return user.is_authenticated and profile.user_id == user.pk


# --- Profiles --------------------------------------------------------------------------


def instructor_profile_of(user) -> InstructorProfile:
    """The user's own profile, unsaved when they have none yet (pages show an empty form)."""
    profile = InstructorProfile.objects.filter(user=user).first()
    return profile or InstructorProfile(user=user)


@transaction.atomic
def instructor_profile_ensure(*, user) -> InstructorProfile:
    """The user's profile, created on first use. Safe to run twice (one per user)."""
    profile, _created = InstructorProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def instructor_profile_update(*, user, phone: str, bio: str) -> InstructorProfile:
    """An instructor's own contact phone and short bio."""
    profile = instructor_profile_ensure(user=user)
    phone = phone.strip()
    if phone and not PHONE_RE.fullmatch(phone):
        raise ValidationError(
            {"phone": _("Enter a phone number of digits, spaces and +, e.g. +48 600 100 200.")}
        )
    profile.phone = phone
    profile.bio = bio.strip()
    profile.save(update_fields=["phone", "bio"])
    return profile


PHONE_RE = re.compile(r"\+?[0-9][0-9 \-]{5,18}")


# --- Qualifications --------------------------------------------------------------------

DOCUMENT_TYPES = {"pdf": PDF, "jpg": JPEG, "jpeg": JPEG, "png": PNG}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def qualification_document_check(file) -> str:
    """Refuse a document of the wrong type or size; return its lower-case extension."""
    try:
        extension = upload_check(
            file,
            signatures=DOCUMENT_TYPES,
            max_bytes=MAX_DOCUMENT_BYTES,
            type_message=_("%(name)s: only PDF, JPG and PNG files are accepted."),
        )
    except ValidationError as error:
        raise ValidationError({"document": error.messages}) from error
    return "jpg" if extension == "jpeg" else extension


@transaction.atomic
def qualification_create(
    *,
    instructor: InstructorProfile,
    issuer: str,
    pillar: Pillar | None = None,
    course: Course | None = None,
    number: str = "",
    valid_until: date | None = None,
    document=None,
) -> InstructorQualification:
    """Record a qualification for a pillar or for one course; it waits for verification.

    Safe to run twice: the same qualification (scope, issuer and number) is refused the
    second time instead of being recorded again.
    """
    if (pillar is None) == (course is None):
        raise ValidationError(_("Choose either a pillar or a course the qualification is for."))
    issuer = issuer.strip()
    number = number.strip()
    if not issuer:
        raise ValidationError({"issuer": _("Say who issued the qualification.")})
    duplicate = InstructorQualification.objects.filter(
        instructor=instructor, pillar=pillar, course=course, issuer__iexact=issuer, number=number
    )
    if duplicate.exists():
        raise ValidationError(_("This qualification is already recorded."))
    qualification = InstructorQualification(
        instructor=instructor,
        pillar=pillar,
        course=course,
        issuer=issuer,
        number=number,
        valid_until=valid_until,
    )
    if document is not None:
        extension = qualification_document_check(document)
        # Unguessable stored name: anything under MEDIA_ROOT might be served by a
        # misconfigured server; downloads go through the scoped view only.
        stored = f"instr{instructor.pk}-{secrets.token_urlsafe(12)}.{extension}"
        qualification.document.save(stored, document, save=False)
    try:
        with transaction.atomic():
            qualification.save()
    except BaseException:
        if qualification.document:
            default_storage.delete(qualification.document.name)
        raise
    return qualification


def qualification_document_name(qualification: InstructorQualification) -> str:
    """A readable download name, e.g. "kwalifikacja-KPP-marek-ratowniczy.pdf"."""
    extension = Path(qualification.document.name).suffix.lower()
    subject = qualification.course.code if qualification.course_id else qualification.pillar.code
    person = slugify(str(qualification.instructor)) or "instructor"
    return f"qualification-{slugify(subject)}-{person}{extension}"


@transaction.atomic
def qualification_verify(
    *, qualification: InstructorQualification, verified_by
) -> InstructorQualification:
    """Mark a qualification verified. Running it twice keeps the first verification."""
    qualification = InstructorQualification.objects.select_for_update(of=("self",)).get(
        pk=qualification.pk
    )
    if qualification.instructor.user_id == verified_by.pk:
        raise ValidationError(_("You cannot verify your own qualification."))
    today = timezone.localdate()
    if qualification.valid_until and qualification.valid_until < today:
        raise ValidationError(
            _("This qualification expired on %(date)s; it cannot be verified.")
            % {"date": qualification.valid_until.isoformat()}
        )
    if qualification.verified_at is None:
        qualification.verified_by = verified_by
        qualification.verified_at = timezone.now()
        qualification.save(update_fields=["verified_by", "verified_at"])
    return qualification


@transaction.atomic
def qualification_unverify(
    *, qualification: InstructorQualification, unverified_by
) -> InstructorQualification:
    """Withdraw a verification (e.g. the document turned out wrong). Safe to run twice."""
    qualification = InstructorQualification.objects.select_for_update(of=("self",)).get(
        pk=qualification.pk
    )
    if qualification.instructor.user_id == unverified_by.pk:
        raise ValidationError(_("You cannot change the verification of your own qualification."))
    if qualification.verified_at is not None:
        qualification.verified_by = None
        qualification.verified_at = None
        qualification.save(update_fields=["verified_by", "verified_at"])
    return qualification


# --- Safeguarding checks (needed to teach minors) --------------------------------------


@transaction.atomic
def safeguarding_record(
    *,
    profile: InstructorProfile,
    offender_register_checked_on: date | None,
    child_protection_statement_on: date | None,
    recorded_by,
    verify: bool | None = None,
) -> InstructorProfile:
    """Record the dates of the two checks; a coordinator may also verify them.

    `verify`: True verifies, False withdraws a verification, None leaves it (an instructor
    entering their own dates passes None). Changing either date clears an earlier
    verification, since it vouched for the old dates. Running it twice changes nothing more.
    """
    profile = InstructorProfile.objects.select_for_update(of=("self",)).get(pk=profile.pk)
    today = timezone.localdate()
    errors = {}
    if offender_register_checked_on and offender_register_checked_on > today:
        errors["offender_register_checked_on"] = _("The check cannot be dated in the future.")
    if child_protection_statement_on and child_protection_statement_on > today:
        errors["child_protection_statement_on"] = _("The statement cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    changed = (
        profile.offender_register_checked_on != offender_register_checked_on
        or profile.child_protection_statement_on != child_protection_statement_on
    )
    profile.offender_register_checked_on = offender_register_checked_on
    profile.child_protection_statement_on = child_protection_statement_on
    if changed or verify is False:
        profile.safeguarding_verified_by = None
        profile.safeguarding_verified_at = None
    if verify:
        if profile.user_id == recorded_by.pk:
            raise ValidationError(_("You cannot verify your own checks."))
        if not (offender_register_checked_on and child_protection_statement_on):
            raise ValidationError(
                _("Both dates must be recorded before the checks can be verified.")
            )
        if profile.safeguarding_verified_at is None:
            profile.safeguarding_verified_by = recorded_by
            profile.safeguarding_verified_at = timezone.now()
    profile.save(
        update_fields=[
            "offender_register_checked_on",
            "child_protection_statement_on",
            "safeguarding_verified_by",
            "safeguarding_verified_at",
        ]
    )
    return profile


# --- iCal feed (RFC 5545, written by hand) --------------------------------------------

ICAL_UID_DOMAIN = "kos-portal.training"


@transaction.atomic
def ical_token_regenerate(*, user) -> InstructorProfile:
    """A new secret feed URL for the user's own profile; the old URL stops working."""
    profile = instructor_profile_ensure(user=user)
    profile.ical_token = _new_ical_token()
    profile.save(update_fields=["ical_token"])
    return profile


def _new_ical_token() -> str:
    return secrets.token_urlsafe(24)


def ical_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newlines."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ical_fold(line: str) -> str:
    """Fold a content line into parts of at most 75 octets (RFC 5545 3.1).

    Continuation lines start with one space; a UTF-8 character is never split.
    """
    parts: list[str] = []
    current, size, limit = [], 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space takes one octet
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _ical_time(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical_calendar(*, profile: InstructorProfile, meetings, base_url: str = "") -> str:
    """The instructor's meetings as an iCalendar document (CRLF line ends, folded)."""
    now = _ical_time(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//KOS Portal//Training calendar//PL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + ical_escape(_("KOS training – %(name)s") % {"name": str(profile)}),
    ]
    for meeting in meetings:
        session = meeting.session
        summary = f"{session.course.display_title} – {session.club.name}"
        cancelled = session.status == session.Status.CANCELLED
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.pk}@{ICAL_UID_DOMAIN}",
            f"DTSTAMP:{now}",
            f"DTSTART:{_ical_time(meeting.starts_at)}",
            f"DTEND:{_ical_time(meeting.ends_at)}",
            "SUMMARY:" + ical_escape(summary),
            "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
        ]
        if session.venue_label:
            lines.append("LOCATION:" + ical_escape(session.venue_label))
        lines.append("DESCRIPTION:" + ical_escape(f"{session.course.code}: {session.course.title}"))
        if base_url:
            # The sessions pages are another part of the app; without them, no URL.
            with contextlib.suppress(NoReverseMatch):
                lines.append(f"URL:{base_url}{session.get_absolute_url()}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)
