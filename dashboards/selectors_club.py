"""Reads for a club's dashboard: the club's rollup rows plus three small live lists.

The numbers (members per pillar status, key figures, health signals, the overall
attendance rate) come from ClubStat and ClubPillarStat, written by the data refresh. The
lists (upcoming sessions with the attendance of recent ones, and expiring certificates)
are read live with one LIMITed query each on an indexed path, so a page costs the same
number of queries for a club of ten members or of ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certificates.models import Certificate
from certificates.selectors import EXPIRING_WITHIN_DAYS
from clubs.models import Club, Partner
from dashboards.models import ClubPillarStat, ClubStat, RollupRun
from dashboards.selectors_freshness import latest_run
from kos_portal import access
from kos_portal.subqueries import count_per_row
from members.models import Member
from training.models import Attendance, Enrolment, Session

UPCOMING_LIMIT = 10
EXPIRING_LIMIT = 50
RECENT_SESSIONS_LIMIT = 10
# The columns the page and the exports use (a certificate row has some thirty).
COURSE_FIELDS = ("course__code", "course__title", "course__title_en")
CERTIFICATE_FIELDS = ("number", "holder_name", "expires_on", "member_id", *COURSE_FIELDS)
SESSION_FIELDS = ("status", "starts_at", "venue", "capacity", *COURSE_FIELDS)
# Export tables; every dashboard has "pillars".
TABLES = ("pillars", "sessions", "expiring", "attendance")


def dashboard_club_get_for(user, club_pk: int) -> Club:
    """The club with its rollup row loaded (see `club_stat`); one query.

    404 outside the user's clubs, 403 for roles that may not see the dashboard
    (instructors). ClubStat.visible_to uses the same club scope, so the row loaded with
    the club is the one the user may see.
    """
    club = get_object_or_404(
        Club.objects.visible_to(user).select_related("municipality", "stat"), pk=club_pk
    )
    access.require(user, "dashboards.view_club", club)
    return club


def club_stat(club: Club) -> ClubStat | None:
    """The club's rollup row loaded by dashboard_club_get_for; None before the first
    refresh that included the club. No query."""
    return getattr(club, "stat", None)  # a missing reverse one-to-one raises AttributeError


def club_pillar_rows(stat: ClubStat | None) -> list[ClubPillarStat]:
    """Active members per pillar status, in pillar order; one query (none without a row)."""
    if stat is None:
        return []
    return list(ClubPillarStat.objects.filter(club_stat=stat).select_related("pillar"))


def club_last_run(stat: ClubStat | None) -> RollupRun | None:
    """The newest refresh, asked only when the club has no rollup row yet (to say when the
    numbers were last refreshed); with a row, its own `refreshed_at` says it, for free."""
    if stat is not None:
        return None
    return latest_run()


def club_expiring_certificates(user, club: Club, today: date | None = None) -> list[Certificate]:
    """The club's valid certificates whose last valid day falls within 90 days, soonest
    first, at most EXPIRING_LIMIT; one query.

    Each row has `days_left`, and `member_visible`: whether the user may open the holder's
    page (not for an erased person, nor for someone outside the user's personal-data
    scope). The caller logs the access: the rows name people.
    """
    today = today or timezone.localdate()
    visible_member = Member.objects.visible_to(user).filter(
        pk=OuterRef("member_id"), anonymised_at__isnull=True
    )
    certificates = list(
        Certificate.objects.visible_to(user)
        .filter(
            club=club,
            status=Certificate.Status.VALID,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS),
        )
        .select_related("course")
        .only(*CERTIFICATE_FIELDS)
        .annotate(member_visible=Exists(visible_member))
        .order_by("expires_on", "pk")[:EXPIRING_LIMIT]
    )
    for certificate in certificates:
        certificate.days_left = (certificate.expires_on - today).days
    return certificates


@dataclass
class SessionAttendance:
    session: Session
    recorded: int  # attendance marks (one per person per meeting)
    present: int

    @property
    def rate(self) -> float | None:
        """Percent of marks that say "present"; None when nothing was recorded."""
        return round(100 * self.present / self.recorded, 1) if self.recorded else None


@dataclass
class ClubSessions:
    upcoming: list[Session]  # soonest first, each with `places_taken` and `venue_text`
    attendance: list[SessionAttendance]  # newest first


def club_sessions(user, club: Club, now: datetime | None = None) -> ClubSessions:
    """The club's next planned sessions (at most UPCOMING_LIMIT, with places taken) and its
    last completed ones (at most RECENT_SESSIONS_LIMIT, with attendance marks); one query.

    Both sets are picked by LIMITed subqueries on the (club, status, starts_at) index, and
    the counts are correlated subqueries over those twenty rows only, so the cost does not
    depend on how many sessions, people or marks the club has.
    """
    now = now or timezone.now()
    own = Session.objects.filter(club=club)
    upcoming_ids = own.filter(status=Session.Status.PLANNED, starts_at__gte=now).order_by(
        "starts_at", "pk"
    )[:UPCOMING_LIMIT]
    recent_ids = own.filter(status=Session.Status.COMPLETED, starts_at__isnull=False).order_by(
        "-starts_at", "-pk"
    )[:RECENT_SESSIONS_LIMIT]
    sessions = list(
        Session.objects.visible_to(user)
        .filter(club=club)
        .filter(Q(pk__in=upcoming_ids.values("pk")) | Q(pk__in=recent_ids.values("pk")))
        .select_related("course")
        .only(*SESSION_FIELDS)
        .annotate(
            # A correlated subquery rather than a join: joined, the planner hashes the whole
            # partner table (16,000 rows, ~30 ms) for the twenty sessions.
            venue_partner_name=Subquery(
                Partner.objects.filter(pk=OuterRef("venue_partner_id")).values("name")[:1]
            ),
            places_taken=count_per_row(
                Enrolment.objects.all(), "session", status=Enrolment.Status.ENROLLED
            ),
            marks=count_per_row(Attendance.objects.all(), "meeting__session"),
            marks_present=count_per_row(Attendance.objects.all(), "meeting__session", present=True),
        )
    )
    for session in sessions:
        session.venue_text = ", ".join(filter(None, [session.venue_partner_name, session.venue]))
    upcoming = sorted(
        (s for s in sessions if s.status == Session.Status.PLANNED),
        key=lambda s: (s.starts_at, s.pk),
    )
    completed = sorted(
        (s for s in sessions if s.status == Session.Status.COMPLETED),
        key=lambda s: (s.starts_at, s.pk),
        reverse=True,
    )
    return ClubSessions(
        upcoming=upcoming,
        attendance=[SessionAttendance(s, s.marks, s.marks_present) for s in completed],
    )


def attendance_rate(stat: ClubStat | None) -> float | None:
    """The overall attendance rate over the last 365 days, in percent (from the rollup)."""
    if stat is None or not stat.attendance_recorded:
        return None
    return round(100 * stat.attendance_present / stat.attendance_recorded, 1)


@dataclass(frozen=True)
class HealthSignal:
    key: str
    message: str
    advice: str
    url: str = ""
    link_text: str = ""


def club_health_signals(user, club: Club, stat: ClubStat | None) -> list[HealthSignal]:
    """The rollup's health signals in words, each with what to do about it and, where the
    user may act, a link to the page to do it on. No query."""
    if stat is None:
        return []
    signals = []
    if stat.no_session_90_days:
        if stat.last_session_on:
            message = _(
                "No session has been held in the last 90 days (the last one was on %(date)s)."
            ) % {"date": formats.date_format(stat.last_session_on, "SHORT_DATE_FORMAT")}
        else:
            message = _("No session has been held in the last 90 days.")
        can_schedule = access.can(user, "training.schedule_session", club)
        signals.append(
            HealthSignal(
                key="no_session_90_days",
                message=message,
                advice=_(
                    "Plan the next session: choose a course from the catalogue, an instructor "
                    "and a date, and invite the members."
                ),
                url=reverse("training:session-create", kwargs={"club_pk": club.pk})
                if can_schedule
                else "",
                link_text=_("Schedule a session") if can_schedule else "",
            )
        )
    if stat.leader_lapsing:
        can_manage = access.can(user, "clubs.manage_leaders", club)
        signals.append(
            HealthSignal(
                key="leader_lapsing",
                message=_(
                    "No leader of the club has signed in for 90 days, or the club has no leader."
                ),
                advice=_(
                    "Contact the leader. If they have stepped back, invite a successor or a "
                    "co-leader, so that someone keeps the club going."
                ),
                url=reverse("clubs:club-leaders", kwargs={"club_pk": club.pk})
                if can_manage
                else "",
                link_text=_("Manage the leaders") if can_manage else "",
            )
        )
    if stat.agreements_expiring:
        count = stat.agreements_expiring_90
        if count:
            message = ngettext(
                "%(count)d partner agreement expires within 90 days.",
                "%(count)d partner agreements expire within 90 days.",
                count,
            ) % {"count": count}
        else:
            message = _("Partner agreements expire within 90 days.")
        signals.append(
            HealthSignal(
                key="agreements_expiring",
                message=message,
                advice=_(
                    "Agree a renewal with each partner and record the new agreement and its "
                    "dates on the club's page."
                ),
                url=club.get_absolute_url() + "#expiring-heading",
                link_text=_("See the expiring agreements"),
            )
        )
    return signals


# --- Export tables ------------------------------------------------------------------------


def pillar_table(rows: list[ClubPillarStat]) -> tuple[list[str], list[list]]:
    header = [
        _("Pillar"),
        _("Not started"),
        _("In progress"),
        _("Certified"),
        _("Expiring soon"),
        _("Active members"),
    ]
    body = [
        [
            row.pillar.name,
            row.not_started,
            row.in_progress,
            row.certified,
            row.expiring,
            row.not_started + row.in_progress + row.certified + row.expiring,
        ]
        for row in rows
    ]
    return header, body


def session_table(sessions: list[Session]) -> tuple[list[str], list[list]]:
    header = [
        _("Starts"),
        _("Course code"),
        _("Course"),
        _("Venue"),
        _("Places taken"),
        _("Capacity"),
    ]
    body = [
        [
            s.starts_at,
            s.course.code,
            s.course.display_title,
            s.venue_text,
            s.places_taken,
            s.capacity,
        ]
        for s in sessions
    ]
    return header, body


def expiring_table(certificates: list[Certificate]) -> tuple[list[str], list[list]]:
    header = [_("Holder"), _("Course"), _("Certificate number"), _("Valid until"), _("Days left")]
    body = [
        [
            c.holder_name,
            c.course.display_title,
            c.number,
            c.expires_on,
            c.days_left,
        ]
        for c in certificates
    ]
    return header, body


def attendance_table(
    rows: list[SessionAttendance], stat: ClubStat | None
) -> tuple[list[str], list[list]]:
    header = [
        _("Session"),
        _("Course code"),
        _("Course"),
        _("Attendance marks"),
        _("Present"),
        _("Attendance rate (%)"),
    ]
    body = [
        [
            row.session.starts_at,
            row.session.course.code,
            row.session.course.display_title,
            row.recorded,
            row.present,
            row.rate,
        ]
        for row in rows
    ]
    if stat is not None:
        rate = attendance_rate(stat)
        body.append(
            [
                _("All sessions, last 365 days"),
                "",
                "",
                stat.attendance_recorded,
                stat.attendance_present,
                rate if rate is not None else "",
            ]
        )
    return header, body
