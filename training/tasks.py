"""Background work for training: emails about enrolments."""

from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from training.models import Enrolment, Session
from training.services.sessions import session_email_send

RETRY = {
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(**RETRY)
def enrolment_promoted_email_task(enrolment_id: int) -> None:
    """Tell someone they moved up from the waiting list. Safe to run twice: the row is
    locked and marked once the email has gone; does nothing if they are no longer enrolled."""
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("member__user", "session__course", "session__club")
            .filter(pk=enrolment_id)
            .first()
        )
        if (
            enrolment is None
            or enrolment.status != Enrolment.Status.ENROLLED
            or enrolment.promoted_at is None
            or enrolment.promotion_emailed_at is not None
        ):
            return
        # A failed send raises and rolls back, so a retry finds the row still unmarked.
        session_email_send(enrolment=enrolment, kind="promoted")
        Enrolment.objects.filter(pk=enrolment.pk).update(promotion_emailed_at=timezone.now())


@shared_task(**RETRY)
def session_cancelled_email_task(enrolment_id: int) -> None:
    """Tell one enrolled or waiting person that their session was cancelled; does nothing
    if the enrolment is gone or the session is not cancelled."""
    enrolment = (
        Enrolment.objects.select_related("member__user", "session__course", "session__club")
        .filter(pk=enrolment_id)
        .first()
    )
    if enrolment is None or enrolment.session.status != Session.Status.CANCELLED:
        return
    session_email_send(enrolment=enrolment, kind="cancelled")
