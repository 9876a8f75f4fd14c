"""Celery tasks of certificates: rendering PDFs, and the reconciler that re-queues those
left pending too long."""

from __future__ import annotations

from celery import shared_task

from certificates.services import rendering


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def certificate_render_task(self, certificate_id: int) -> None:
    """Render the certificate's PDF. Stops quietly if it is gone or already rendered;
    safe to run twice, even at once (see `rendering.certificate_render_claimed`)."""
    rendering.certificate_render_claimed(certificate_id=certificate_id)


@shared_task
def certificate_render_reconcile_task() -> int:
    """Re-queue certificates whose PDF has been pending longer than
    CERTIFICATE_RENDER_STALE_SECONDS; returns how many. Safe to run twice."""
    return rendering.certificate_render_reconcile()
