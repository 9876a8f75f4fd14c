"""The public side of clubs: contact messages and "start a club" proposals."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clubs.models import (
    Assignment,
    Club,
    ClubContactMessage,
    ClubStatusChange,
    Municipality,
    Pillar,
    search_key,
)
from kos_portal.roles import Role
from kos_portal.tasks import enqueue_on_commit

MESSAGE_MAX_LENGTH = 5000


def _one_line(text: str) -> str:
    """Collapse whitespace: names end up in email headers, where a newline is an attack."""
    return " ".join((text or "").split())


# --- Contact messages ------------------------------------------------------------------


@transaction.atomic
def contact_message_create(
    *, club: Club, sender_name: str, sender_email: str, message: str
) -> ClubContactMessage:
    """Store a message to an active club and queue its delivery.

    Safe to run twice: the same sender sending the same text to the same club again
    (a double click, a resent form) gets the stored message back, not a second email.
    """
    if club.status != Club.Status.ACTIVE:
        raise ValidationError(_("This club does not take messages at the moment."))
    sender_name = _one_line(sender_name)
    sender_email = sender_email.strip()
    message = message.strip()
    if not sender_name or not sender_email or not message:
        raise ValidationError(_("Give your name, your email and a message."))
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ValidationError(_("The message is too long: at most 5,000 characters."))
    existing = ClubContactMessage.objects.filter(
        club=club, sender_email__iexact=sender_email, message=message
    ).first()
    if existing is not None:
        return existing
    contact = ClubContactMessage.objects.create(
        club=club, sender_name=sender_name, sender_email=sender_email, message=message
    )
    from clubs.tasks import contact_message_send_task  # tasks import this module

    pk = contact.pk
    enqueue_on_commit(contact_message_send_task, pk)
    return contact


def _emails(users: Iterable) -> list[str]:
    seen: dict[str, None] = {}
    for email in users:
        if email:
            seen.setdefault(email.lower(), None)
    return list(seen)


def coordinator_emails(municipality: Municipality) -> list[str]:
    """Emails of the gmina's active coordinators; national staff's when it has none."""
    users = get_user_model().objects.filter(is_active=True)
    coordinators = users.filter(
        assignments__in=Assignment.objects.active().filter(
            role=Role.COORDINATOR, municipality=municipality
        )
    )
    emails = _emails(coordinators.values_list("email", flat=True))
    if emails:
        return emails
    national = users.filter(assignments__in=Assignment.objects.active().filter(role=Role.NATIONAL))
    return _emails(national.values_list("email", flat=True))


def contact_recipients(club: Club) -> list[str]:
    """Where a club's messages go: its active leaders and its contact address.

    A club with neither still gets its messages read: they go to the gmina's coordinators
    (or national staff), rather than nowhere.
    """
    leaders = get_user_model().objects.filter(
        is_active=True,
        assignments__in=Assignment.objects.active().filter(role=Role.LEADER, club=club),
    )
    emails = _emails([*leaders.values_list("email", flat=True), club.contact_email])
    return emails or coordinator_emails(club.municipality)


def contact_message_send(*, contact: ClubContactMessage) -> None:
    """Email a stored message to the club, with Reply-To set to the sender.

    The sender never learns the recipients' addresses; the recipients answer the sender
    directly. Records `sent_at`, so the task can tell the work is done.
    """
    club = contact.club
    recipients = contact_recipients(club)
    context = {"contact": contact, "club": club}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("clubs/email/contact_subject.txt", context)
        body = render_to_string("clubs/email/contact_message.txt", context)
    if recipients:
        EmailMessage(
            subject=_one_line(subject),
            body=body,
            to=recipients,
            reply_to=[contact.sender_email],
        ).send()
    ClubContactMessage.objects.filter(pk=contact.pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )


# --- "Start a club" proposals ----------------------------------------------------------


@transaction.atomic
def club_propose(
    *,
    municipality: Municipality,
    name: str,
    locality: str,
    description: str,
    pillars: Iterable[Pillar] = (),
    proposer_name: str,
    proposer_email: str,
    proposer_phone: str = "",
) -> Club:
    """Record a proposed club from the public form, with its first status change, and
    queue an email to the gmina's coordinators (national staff when there are none).

    Safe to run twice: the same person proposing the same club name in the same gmina
    again gets the pending proposal back, and no second email goes out.
    """
    name = _one_line(name)
    proposer_name = _one_line(proposer_name)
    proposer_email = proposer_email.strip()
    if not name or not proposer_name or not proposer_email:
        raise ValidationError(_("Give your name, your email and the club's name."))
    if not municipality.is_current:
        raise ValidationError(_("This gmina is no longer in the TERYT register."))
    # Compared in Python: SQLite's iexact folds only ASCII letters, and the candidates
    # (one proposer's pending proposals in one gmina) are few.
    pending = Club.objects.filter(
        municipality=municipality,
        status=Club.Status.PROPOSED,
        proposer_email__iexact=proposer_email,
    ).order_by("pk")
    for existing in pending:
        if search_key(existing.name) == search_key(name):
            return existing
    club = Club.objects.create(
        name=name,
        municipality=municipality,
        locality=_one_line(locality),
        description=description.strip(),
        status=Club.Status.PROPOSED,
        proposer_name=proposer_name,
        proposer_email=proposer_email,
        proposer_phone=_one_line(proposer_phone),
    )
    club.pillars.set(pillars)
    ClubStatusChange.objects.create(
        club=club,
        from_status="",
        to_status=Club.Status.PROPOSED,
        changed_by=None,
        reason=_("Proposed through the public form"),
    )
    from clubs.tasks import club_proposal_notify_task  # tasks import this module

    pk = club.pk
    enqueue_on_commit(club_proposal_notify_task, pk)
    return club


def club_proposal_notify(*, club: Club) -> None:
    """Email the proposal to each coordinator of its gmina (or national staff), each in
    their own language, in one SMTP connection."""
    recipients = coordinator_emails(club.municipality)
    languages = dict(
        get_user_model().objects.filter(email__in=recipients).values_list("email", "language")
    )
    context = {
        "club": club,
        "pillars": list(club.pillars.all()),
        "club_url": f"{settings.SITE_URL}{club.get_absolute_url()}",
    }
    messages = []
    for email in recipients:
        with translation.override(languages.get(email) or settings.LANGUAGE_CODE):
            subject = render_to_string("clubs/email/proposal_subject.txt", context)
            body = render_to_string("clubs/email/proposal_message.txt", context)
        messages.append(
            EmailMessage(
                subject=_one_line(subject),
                body=body,
                to=[email],
                reply_to=[club.proposer_email] if club.proposer_email else None,
            )
        )
    if messages:
        get_connection().send_messages(messages)
