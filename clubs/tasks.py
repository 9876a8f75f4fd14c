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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def partner_import_task(job_id: int) -> None:
    """Check or import a staged partner file for an ImportJob, reporting progress; quietly
    does nothing if the job is gone or finished. The service is all or nothing, so a
    retried job never imports twice: the second run finds every partner unchanged."""
    from django.core.exceptions import ValidationError

    from clubs.services import partner_import as importer
    from kos_portal import uploads

    job = uploads.job_claim(job_id)
    if job is None:
        return
    options = job.options
    try:
        table = importer.import_upload_load(token=job.token, user=job.user)
        result = importer.partner_import(
            table=table,
            user=job.user,
            mapping=options.get("mapping"),
            default_kind=options.get("default_kind", ""),
            only_my_gminas=options.get("only_my_gminas", False),
            dry_run=options.get("dry_run", True),
            progress=uploads.job_progress(job.pk),
        )
    except (ValidationError, importer.PartnerImportError) as error:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        uploads.job_finish(job.pk, error=" ".join(messages))
        return
    if result.ok and not result.dry_run:
        importer.import_upload_discard(token=job.token, user=job.user)
    uploads.job_finish(job.pk, result=result.to_json())
