"""Background work for the members app."""

from smtplib import SMTPException

from celery import shared_task
from django.core.cache import cache

from members.models import Membership, MembershipStatusChange
from members.services.memberships import application_result_email_send

SENT_KEY = "members:application-result-sent:{}"
SENT_KEY_TTL = 30 * 24 * 3600


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def application_result_send_task(status_change_id: int) -> None:
    """Email an applicant the decision on their application.

    Quietly does nothing if the decision is gone, was overtaken by a later change (the
    applicant would get stale news), or was already emailed.
    """
    change = (
        MembershipStatusChange.objects.select_related("membership__member", "membership__club")
        .filter(pk=status_change_id, from_status=Membership.Status.APPLICANT)
        .first()
    )
    if change is None or change.membership.status != change.to_status:
        return
    key = SENT_KEY.format(status_change_id)
    # The key is taken before sending so that a redelivered task sends nothing; a failed
    # send gives it back, so the retry can send.
    if not cache.add(key, True, SENT_KEY_TTL):
        return
    try:
        application_result_email_send(change=change)
    except BaseException:
        cache.delete(key)
        raise


# --- Retention and roster-import files (RODO) ---


@shared_task(acks_late=True, reject_on_worker_lost=True)
def members_retention_task() -> int:
    """Anonymise people who left every club more than MEMBER_RETENTION_YEARS ago (daily).

    Safe to run twice or to stop halfway: anonymised people are no longer candidates.
    """
    from members.services.erasure import members_retention_anonymise

    return members_retention_anonymise()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def roster_import_files_cleanup_task() -> int:
    """Delete staged import files (rosters, partners) and import jobs older than a day."""
    from members.services.roster_import import roster_upload_cleanup

    return roster_upload_cleanup()


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def login_invitation_send_task(invitation_id: int) -> None:
    """Email one login invitation; quietly does nothing if it is gone, used, withdrawn or
    expired."""
    from members.models import LoginInvitation
    from members.services.logins import login_invitation_email_send

    invitation = (
        LoginInvitation.objects.select_related("invited_by", "member", "club")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.state != "pending":
        return
    login_invitation_email_send(invitation=invitation)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def roster_import_task(job_id: int) -> None:
    """Check or import a staged roster for an ImportJob; quietly does nothing if the job
    is gone or finished. All or nothing, and people already in the club are left alone, so
    a redelivered job imports no one twice."""
    from django.core.exceptions import ValidationError

    from clubs.models import Club
    from kos_portal import uploads
    from members.services import roster_import as importer

    job = uploads.job_claim(job_id)
    if job is None:
        return
    options = job.options
    club = Club.objects.filter(pk=options.get("club")).first()
    try:
        if club is None:
            raise ValidationError("The club is gone.")
        roster = importer.roster_upload_load(token=job.token, club=club, user=job.user)
        dry_run = options.get("dry_run", True)
        result = importer.roster_import(
            club=club,
            roster=roster,
            imported_by=job.user,
            mapping={name: int(index) for name, index in options.get("mapping", {}).items()},
            dry_run=dry_run,
            consent_forms_attested=not dry_run,
            progress=uploads.job_progress(job.pk),
        )
    except (ValidationError, importer.RosterFileError) as error:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        uploads.job_finish(job.pk, error=" ".join(messages))
        return
    if result.ok and not dry_run:
        importer.roster_upload_delete(token=job.token, club=club, user=job.user)
    uploads.job_finish(job.pk, result=result.to_json())
