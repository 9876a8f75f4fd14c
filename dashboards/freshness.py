"""Rollups that follow the changes people make, so two pages never disagree for long.

Dashboards read rollup tables that beat recomputes every ROLLUP_REFRESH_MINUTES. Between
those runs a coordinator who approves a club or a leader who adds seven members would
see the old numbers on the dashboards while the home page, which counts live, shows the
new ones. So a request that changes what the rollups count asks for a refresh:

- Model signals of the watched models mark the request as "moved" (a context variable
  set by `RollupsFollowChangesMiddleware`; saves outside a request, such as factories,
  imports and seeding, mark nothing: they refresh themselves or wait for beat).
- At the end of such a request, once its transaction has committed, one refresh is
  requested. With tasks inline (`make run`, no broker) it runs at once; with a broker it
  is debounced: one task `ROLLUP_DEBOUNCE_SECONDS` later for any number of changes in that
  window (a cache key marks it pending and the task clears it as it starts reading, so a
  change made during a refresh gets a refresh of its own).
- Publishing never fails the user's request: a broker outage is logged, and beat's next
  refresh catches up.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from kos_portal.tasks import task_publish

logger = logging.getLogger(__name__)

PENDING_KEY = "dashboards:rollups-refresh-pending"
# What the rollups count: clubs and their gminas, people and roles in clubs, sessions and
# enrolments (pillar status), certificates and partner links.
WATCHED_MODELS = (
    "clubs.Municipality",
    "clubs.Club",
    "clubs.Assignment",
    "clubs.PartnerLink",
    "members.Member",
    "members.Membership",
    "training.Session",
    "training.Enrolment",
    "certificates.Certificate",
)

_moved: ContextVar[list | None] = ContextVar("rollups_moved", default=None)


def _mark_moved(sender, **kwargs) -> None:
    moved = _moved.get()
    if moved is not None and not moved:
        moved.append(True)


def connect_signals() -> None:
    """Called once from DashboardsConfig.ready()."""
    for label in WATCHED_MODELS:
        model = apps.get_model(label)
        uid = f"dashboards-freshness-{label}"
        post_save.connect(_mark_moved, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_mark_moved, sender=model, dispatch_uid=uid + "-delete")


def refresh_requested() -> None:
    """Ask for a refresh after the current transaction commits (debounced with a broker)."""
    transaction.on_commit(_refresh_or_schedule)


def _refresh_or_schedule() -> None:
    from dashboards.services.rollups import RollupBusy, rollups_refresh
    from dashboards.tasks import rollups_refresh_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            rollups_refresh()
        except RollupBusy:  # another refresh is running right now; it or beat catches up
            logger.info("Rollup refresh after a change skipped: another one is running.")
        return
    delay = settings.ROLLUP_DEBOUNCE_SECONDS
    # Pending for at most a few windows: a lost task must not block refreshes for long.
    if not cache.add(PENDING_KEY, True, timeout=delay * 6):
        return  # one is already on its way and has not started reading yet
    # Bounded and never raising (kos_portal.tasks): a broker outage is logged, and beat's
    # next refresh catches up.
    if not task_publish(rollups_refresh_task, countdown=delay, after_change=True):
        cache.delete(PENDING_KEY)


def pending_cleared() -> None:
    """The refresh task calls this as it starts: later changes schedule a new one."""
    cache.delete(PENDING_KEY)


class RollupsFollowChangesMiddleware:
    """Marks requests whose writes move the rollups and asks for a refresh after them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _moved.set([])
        try:
            response = self.get_response(request)
            if _moved.get():
                refresh_requested()
            return response
        finally:
            _moved.reset(token)
