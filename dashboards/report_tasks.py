"""Celery tasks of the gmina's yearly report: rendering it, and the reconciler that
re-queues reports left pending too long (docs/reports.md)."""

from __future__ import annotations

from celery import shared_task

from dashboards.services import reports


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def report_render_task(self, report_id: int) -> None:
    """Render the report's PDF and XLSX. Stops quietly if it is gone or already rendered;
    safe to run twice, even at once (see `reports.report_render_claimed`)."""
    reports.report_render_claimed(report_id=report_id)


@shared_task
def report_reconcile_task() -> int:
    """Re-queue reports pending longer than reports.STALE_AFTER; returns how many. Safe
    to run twice."""
    return reports.report_reconcile()
