"""Celery tasks of certificates: rendering PDFs, the "ready" email, and the reconcilers that
finish whatever a crash left undone (docs/certificates.md)."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from certificates.services import pipeline, rendering

# A render takes ~30 ms (docs/performance.md); a minute means something is wrong. The soft
# limit raises SoftTimeLimitExceeded inside the render, which rolls back and retries; the
# hard limit kills the pool child, and the row, still pending, is re-queued by the
# reconciler. Either way the certificate is rendered later, never lost.
RENDER_SOFT_TIME_LIMIT = settings.CERTIFICATE_RENDER_SOFT_TIME_LIMIT
RENDER_TIME_LIMIT = settings.CERTIFICATE_RENDER_TIME_LIMIT


@shared_task(
    bind=True,
    autoretry_for=(OSError, SoftTimeLimitExceeded),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    time_limit=RENDER_TIME_LIMIT,
)
def certificate_render_task(self, certificate_id: int) -> None:
    """Render the certificate's PDF. Stops quietly if it is gone or already rendered;
    safe to run twice, even at once (see `rendering.certificate_render_claimed`)."""
    rendering.certificate_render_claimed(certificate_id=certificate_id)


@shared_task(soft_time_limit=120, time_limit=150)
def certificate_render_reconcile_task() -> int:
    """Re-queue certificates whose PDF has been pending longer than
    CERTIFICATE_RENDER_STALE_SECONDS; returns how many. Safe to run twice."""
    return rendering.certificate_render_reconcile()


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=60,
    time_limit=90,
)
def certificate_ready_email_task(certificate_id: int) -> bool:
    """Tell the holder (or guardian) that the certificate is ready; once per certificate."""
    return pipeline.certificate_ready_email_send(certificate_id=certificate_id)


@shared_task(soft_time_limit=240, time_limit=300)
def certificate_issue_reconcile_task() -> dict[str, int]:
    """Issue the certificates of passes that have none, and send the "ready" emails still
    due; returns how many of each. Safe to run twice, also beside the web's fast path."""
    return {
        "issued": pipeline.certificates_issue_missing(),
        "emailed": pipeline.certificate_ready_emails_send_missing(),
    }
