"""A member's home page (and a guardian's, per child): their sessions, certificates, what
to do next, and the open sessions of their clubs they can sign up for.

Here because it combines members, training and certificates (STYLE: dashboards stand on
top of every app). Every read starts from `visible_to(user)`: the person's own rows reach a
member through kos_portal.access "own rows", and a guardian through members.Guardianship.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import Certificate
from kos_portal import access
from kos_portal.subqueries import count_per_row
from members.consent_texts import REQUIRED_PURPOSES
from members.models import Member, Membership
from members.services.consents import current_consents, guardian_consent_missing
from training.models import Enrolment, Session
from training.services.enrolment import OPEN_STATUSES, enrolment_refusal

OPEN_SESSIONS_SHOWN = 10
PAST_SESSIONS_SHOWN = 10
EXPIRY_WARNING_DAYS = 60


@dataclass
class Todo:
    text: str
    url: str = ""
    link_text: str = ""


@dataclass
class PersonHome:
    member: Member
    is_self: bool
    data_url: str
    upcoming: list[Enrolment] = field(default_factory=list)
    past: list[Enrolment] = field(default_factory=list)
    open_sessions: list[Session] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    todos: list[Todo] = field(default_factory=list)


def people_for(user) -> list[Member]:
    """The signed-in user's own member record first, then the people they are guardian of
    (erased people are left out)."""
    ids = access.own_member_ids(user)
    if not ids:
        return []
    people = Member.objects.visible_to(user).filter(pk__in=ids, anonymised_at__isnull=True)
    return sorted(people, key=lambda m: ids.index(m.pk))


def _open_sessions(user, member: Member, taken: set[int]) -> list[Session]:
    """Planned sessions of the person's active clubs that have not started, with free
    places and, when the person may not join, why (training's enrolment rules)."""
    clubs = Membership.objects.filter(member=member, status=Membership.Status.ACTIVE).values(
        "club_id"
    )
    sessions = (
        Session.objects.filter(
            club_id__in=clubs,
            status=Session.Status.PLANNED,
            starts_at__gt=timezone.now(),
        )
        .exclude(pk__in=taken)
        .select_related("club", "course", "venue_partner")
        .annotate(
            taken=count_per_row(Enrolment.objects, "session", status=Enrolment.Status.ENROLLED)
        )
        .order_by("starts_at", "pk")[:OPEN_SESSIONS_SHOWN]
    )
    result = list(sessions)
    for session in result:
        session.free_places = max(session.capacity - session.taken, 0)
        session.refusal = enrolment_refusal(session=session, member=member)
    return result


def _todos(person: PersonHome) -> list[Todo]:
    member = person.member
    todos: list[Todo] = []
    latest = current_consents(member)
    missing = [p for p in REQUIRED_PURPOSES if not (latest.get(p) and latest[p].given)]
    if missing:
        todos.append(
            Todo(
                _("The consent to processing membership data is missing: ask your club's leader."),
                person.data_url,
                _("See the consents"),
            )
        )
    if guardian_consent_missing(member):
        todos.append(
            Todo(
                _(
                    "A guardian's consent is needed: bring the form signed by the guardian "
                    "to the club."
                )
            )
        )
    if person.upcoming:
        enrolment = person.upcoming[0]
        session = enrolment.session
        when = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
        text = (
            _("On the waiting list (number %(position)s) for %(course)s, %(when)s.")
            if enrolment.status == Enrolment.Status.WAITLISTED
            else _("Next session: %(course)s, %(when)s.")
        )
        todos.append(
            Todo(
                text
                % {
                    "course": session.course.display_title,
                    "when": when,
                    "position": enrolment.waitlist_position,
                },
                session.get_absolute_url(),
                _("Details"),
            )
        )
    elif any(s.refusal is None for s in person.open_sessions):
        todos.append(Todo(_("Sign up for one of your club's open sessions below.")))
    soon = timezone.localdate() + timedelta(days=EXPIRY_WARNING_DAYS)
    for certificate in person.certificates:
        expires = certificate.expires_on
        if certificate.status == Certificate.Status.VALID and expires and expires <= soon:
            todos.append(
                Todo(
                    _(
                        "Certificate %(number)s (%(course)s) is valid until %(date)s: sign up "
                        "for a refresher."
                    )
                    % {
                        "number": certificate.number,
                        "course": certificate.course_title,
                        "date": expires.isoformat(),
                    },
                    certificate.get_absolute_url(),
                    _("Certificate"),
                )
            )
    return todos


def person_home_for(user, member: Member) -> PersonHome:
    """Everything the home page shows about one person the user may act for."""
    is_self = member.user_id == user.pk
    data_url = (
        reverse("members:my-data")
        if is_self
        else reverse("members:ward-data", kwargs={"member_pk": member.pk})
    )
    person = PersonHome(member=member, is_self=is_self, data_url=data_url)
    enrolments: QuerySet[Enrolment] = (
        Enrolment.objects.visible_to(user)
        .filter(member=member)
        .select_related("session__course", "session__club")
    )
    now = timezone.now()
    person.upcoming = list(
        enrolments.filter(status__in=OPEN_STATUSES, session__ends_at__gte=now).order_by(
            "session__starts_at", "pk"
        )
    )
    person.past = list(
        enrolments.filter(session__ends_at__lt=now)
        .exclude(status=Enrolment.Status.CANCELLED)
        .order_by("-session__starts_at", "-pk")[:PAST_SESSIONS_SHOWN]
    )
    taken = {e.session_id for e in person.upcoming}
    person.open_sessions = _open_sessions(user, member, taken)
    person.certificates = list(
        Certificate.objects.visible_to(user).filter(member=member).order_by("-issued_on", "-pk")
    )
    person.todos = _todos(person)
    return person


def home_people_for(user) -> list[PersonHome]:
    """The home page's sections: the user themselves, then each child they are guardian of.
    Under-16s have no login, so only guardians see their sections."""
    return [person_home_for(user, member) for member in people_for(user)]
