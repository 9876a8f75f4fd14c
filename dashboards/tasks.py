"""Celery tasks of dashboards: the rollup refresh that beat runs every 15 minutes."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from dashboards import freshness
from dashboards.services.rollups import RollupBusy, rollups_refresh

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    bind=True,
)
def rollups_refresh_task(self, after_change: bool = False) -> int | None:
    """Recompute every rollup table; returns the RollupRun's id, or None when another
    refresh was running. Safe to run twice; never two at once (see rollups_refresh).

    Beat's run skips when another refresh is running (that one's numbers are as fresh). A
    refresh asked for after a change (dashboards.freshness) must read after that change,
    so it waits for the running one instead of skipping."""
    if after_change:
        freshness.pending_cleared()
    try:
        run = rollups_refresh()
    except RollupBusy:
        if after_change:
            raise self.retry(countdown=settings.ROLLUP_DEBOUNCE_SECONDS, max_retries=20) from None
        logger.info("Rollup refresh skipped: another refresh is running.")
        return None
    logger.info("Rollups refreshed in %s ms (as of %s).", run.duration_ms, run.as_of)
    return run.pk
