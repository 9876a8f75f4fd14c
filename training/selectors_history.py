"""Each person's training history and their status in every pillar.

Later pages (rosters, dashboards, certificates) read the status through
`pillar_status_for_members`, which answers for any number of people in two queries.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clubs.models import Pillar
from members.models import Member
from training.models import Enrolment, Session

# The cross-pillar course (ZPOS Module I, courses without a pillar) gets a line of its own.
CROSS_PILLAR = "zpos"
# A certification whose latest valid pass ends within this many days is "expiring".
EXPIRING_WITHIN_DAYS = 90


class PillarStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    CERTIFIED = "certified"
    EXPIRING = "expiring"

    LABELS = {
        NOT_STARTED: _("not started"),
        IN_PROGRESS: _("in progress"),
        CERTIFIED: _("certified"),
        EXPIRING: _("expiring soon"),
    }


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; the 31st becomes the month's last day when needed."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(completed_on: date | None, validity_months: int | None) -> date | None:
    """The last day a pass is valid, or None for a pass without expiry (or no pass)."""
    if completed_on is None or validity_months is None:
        return None
    return add_months(completed_on, validity_months) - timedelta(days=1)


@dataclass
class HistoryEntry:
    enrolment: Enrolment
    session: Session
    starts_at: datetime | None
    ends_at: datetime | None
    expires_on: date | None  # the last valid day of a pass with a validity period
    expired: bool


def member_training_history(member: Member, user=None, today: date | None = None) -> list:
    """The person's enrolments, newest session first, with course, dates, result and the
    pass's last valid day (`expires_on`; None without expiry).

    With `user`, only enrolments that user may see (Enrolment.objects.visible_to): an
    instructor sees the sessions they teach, a leader their clubs' sessions. Three queries.
    """
    today = today or timezone.localdate()
    enrolments = Enrolment.objects.filter(member=member)
    if user is not None:
        enrolments = Enrolment.objects.visible_to(user).filter(member=member)
    enrolments = enrolments.select_related(
        "session__course__pillar", "session__club", "session__venue_partner"
    ).order_by("-session__starts_at", "-pk")
    entries = []
    for enrolment in enrolments:
        session = enrolment.session
        expires_on = None
        if enrolment.result == Enrolment.Result.PASSED:
            expires_on = valid_until(enrolment.completed_on, session.course.validity_months)
        entries.append(
            HistoryEntry(
                enrolment=enrolment,
                session=session,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                expires_on=expires_on,
                expired=expires_on is not None and expires_on < today,
            )
        )
    return entries


def pillar_keys() -> list[tuple[str, str]]:
    """(key, label) for every pillar in order, then the cross-pillar course. One query."""
    keys = [(p.code, p.name) for p in Pillar.objects.order_by("number")]
    return [*keys, (CROSS_PILLAR, str(_("Cross-pillar course (ZPOS Module I)")))]


def _status(rows: list[dict], today: date) -> str:
    """The status from one person's enrolments in one pillar (see the module's doc)."""
    latest_valid: date | None = None
    certified = False
    busy = False
    for row in rows:
        if row["result"] == Enrolment.Result.PASSED and row["completed_on"]:
            last_day = valid_until(row["completed_on"], row["session__course__validity_months"])
            if last_day is None:
                return PillarStatus.CERTIFIED  # a pass without expiry never runs out
            if last_day >= today:
                certified = True
                latest_valid = max(latest_valid or last_day, last_day)
                continue
        if row["session__status"] == Session.Status.PLANNED:
            busy = True  # enrolled or on the waiting list
        elif row["status"] == Enrolment.Status.ENROLLED:
            busy = True  # took part without a (still valid) pass: a fail or an expired pass
    if certified:
        if latest_valid <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
            return PillarStatus.EXPIRING
        return PillarStatus.CERTIFIED
    return PillarStatus.IN_PROGRESS if busy else PillarStatus.NOT_STARTED


def pillar_status_for_members(member_ids, today: date | None = None) -> dict[int, dict[str, str]]:
    """member id -> {pillar code (and "zpos") -> status} for many people, in two queries
    whatever their number.

    Statuses: "certified" (a passed course of the pillar still valid), "expiring" (certified,
    but the latest valid pass ends within 90 days), "in_progress" (enrolled or waitlisted
    in a planned session, or took part in a session without a valid pass: a fail or an
    expired pass), "not_started" otherwise. Cancelled enrolments and sessions don't count.
    """
    today = today or timezone.localdate()
    member_ids = list(member_ids)
    keys = [key for key, _label in pillar_keys()]
    rows = (
        Enrolment.objects.filter(member_id__in=member_ids)
        .exclude(status=Enrolment.Status.CANCELLED)
        .exclude(session__status=Session.Status.CANCELLED)
        .values(
            "member_id",
            "status",
            "result",
            "completed_on",
            "session__status",
            "session__course__validity_months",
            "session__course__pillar__code",
        )
    )
    grouped: dict[int, dict[str, list[dict]]] = {}
    for row in rows:
        key = row["session__course__pillar__code"] or CROSS_PILLAR
        grouped.setdefault(row["member_id"], {}).setdefault(key, []).append(row)
    return {
        member_id: {key: _status(grouped.get(member_id, {}).get(key, []), today) for key in keys}
        for member_id in member_ids
    }


def member_pillar_status(member: Member, today: date | None = None) -> dict[str, str]:
    """{pillar code (and "zpos") -> status} for one person; see pillar_status_for_members."""
    return pillar_status_for_members([member.pk], today=today)[member.pk]


def pillar_status_rows(statuses: dict[str, str]) -> list[dict]:
    """The statuses as rows for a page: key, label, status and its label, in pillar order."""
    return [
        {
            "key": key,
            "label": label,
            "status": statuses.get(key, PillarStatus.NOT_STARTED),
            "status_label": PillarStatus.LABELS[statuses.get(key, PillarStatus.NOT_STARTED)],
        }
        for key, label in pillar_keys()
    ]


def history_member_get(user, member_pk: int) -> Member:
    """A person whose training history the user may open: anyone in Member.visible_to
    (staff of their clubs, instructors of their sessions, the person themselves); 404
    otherwise."""
    return get_object_or_404(
        Member.objects.visible_to(user).filter(anonymised_at__isnull=True), pk=member_pk
    )


def member_trainings_export(member: Member) -> list[dict]:
    """The person's own-data export section "trainings" (registered in TrainingConfig.ready):
    every enrolment with course, club, dates, result, validity and attendance per meeting."""
    enrolments = (
        Enrolment.objects.filter(member=member)
        .select_related("session__course__pillar", "session__club")
        .prefetch_related("attendances__meeting")
        .order_by("session__starts_at", "pk")
    )
    rows = []
    for enrolment in enrolments:
        session, course = enrolment.session, enrolment.session.course
        passed = enrolment.result == Enrolment.Result.PASSED
        last_day = valid_until(enrolment.completed_on, course.validity_months) if passed else None
        rows.append(
            {
                "course_code": course.code,
                "course_title": course.title,
                "pillar": course.pillar.code if course.pillar_id else CROSS_PILLAR,
                "club": session.club.name,
                "session_starts_at": _iso(session.starts_at),
                "session_ends_at": _iso(session.ends_at),
                "session_status": session.status,
                "enrolment_status": enrolment.status,
                "enrolled_at": _iso(enrolment.enrolled_at),
                "cancelled_at": _iso(enrolment.cancelled_at),
                "result": enrolment.result,
                "score": enrolment.score,
                "completed_on": _iso(enrolment.completed_on),
                "valid_until": _iso(last_day),
                "attendance": [
                    {"meeting_starts_at": _iso(a.meeting.starts_at), "present": a.present}
                    for a in sorted(enrolment.attendances.all(), key=lambda a: a.meeting.starts_at)
                ],
            }
        )
    return rows


def member_instructor_export(member: Member) -> list[dict]:
    """The own-data export section "instructor_profile": the person's instructor profile
    and qualifications, when their login has one (the iCal token is left out: a secret)."""
    from training.models import InstructorProfile

    if not member.user_id:
        return []
    profile = InstructorProfile.objects.filter(user_id=member.user_id).first()
    if profile is None:
        return []
    return [
        {
            "phone": profile.phone,
            "bio": profile.bio,
            "offender_register_checked_on": _iso(profile.offender_register_checked_on),
            "child_protection_statement_on": _iso(profile.child_protection_statement_on),
            "safeguarding_verified_at": _iso(profile.safeguarding_verified_at),
            "qualifications": [
                {"issuer": q.issuer, "number": q.number, "valid_until": _iso(q.valid_until)}
                for q in profile.qualifications.order_by("pk")
            ],
        }
    ]


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()
