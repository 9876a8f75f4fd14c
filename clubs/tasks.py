"""Background work for the clubs app."""

from smtplib import SMTPException

from celery import shared_task

from clubs.models import Club, ClubContactMessage, Invitation
from clubs.services.invitations import invitation_email_send
from clubs.services.public import club_proposal_notify, contact_message_send


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def invitation_send_task(invitation_id: int) -> None:
    """Email one invitation; quietly does nothing if it is gone, used, withdrawn or expired."""
    invitation = Invitation.objects.select_related("invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.state != "pending":
        return
    invitation_email_send(invitation=invitation)


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def contact_message_send_task(message_id: int) -> None:
    """Email one contact message to its club; does nothing if it is gone or already sent."""
    contact = (
        ClubContactMessage.objects.select_related("club__municipality")
        .filter(pk=message_id)
        .first()
    )
    if contact is None or contact.sent_at is not None:
        return
    contact_message_send(contact=contact)


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def club_proposal_notify_task(club_id: int) -> None:
    """Tell the gmina's coordinators about a proposed club; does nothing once it has been
    approved, refused or deleted."""
    club = Club.objects.select_related("municipality").filter(pk=club_id).first()
    if club is None or club.status != Club.Status.PROPOSED:
        return
    club_proposal_notify(club=club)
