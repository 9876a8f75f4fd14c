"""Background work for the clubs app."""

from smtplib import SMTPException

from celery import shared_task

from clubs.models import Invitation
from clubs.services.invitations import invitation_email_send


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
