"""Site-wide background work, and the one way a save queues a task: `enqueue_on_commit`."""

from __future__ import annotations

import logging
import smtplib
import threading
import time

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction

logger = logging.getLogger(__name__)

# After a failed publish this process stops trying for this many seconds: with the broker
# down (or hung), each attempt would cost a connect timeout, and a save that queues 120
# renders must not wait 120 of them. The work is not lost: the state is in the database and
# the reconcilers (docs/certificates.md) queue it again.
BROKER_DOWN_BACKOFF_SECONDS = 30

_broker_down_until = 0.0
_broker_lock = threading.Lock()


def _broker_marked_down() -> bool:
    return time.monotonic() < _broker_down_until


def _mark_broker_down() -> None:
    global _broker_down_until
    with _broker_lock:
        _broker_down_until = time.monotonic() + BROKER_DOWN_BACKOFF_SECONDS


def broker_backoff_reset() -> None:
    """Forget an earlier publish failure (tests, and a process that knows the broker is back)."""
    global _broker_down_until
    with _broker_lock:
        _broker_down_until = 0.0


def task_publish(task, *args, countdown: float | None = None, **kwargs) -> bool:
    """Queue `task` now, bounded in time and never raising for the broker: True if it was
    published. A failure (broker down, hung, refused) is logged, and later publishes in this
    process are skipped for BROKER_DOWN_BACKOFF_SECONDS; the caller's reconciler catches up.

    With no broker (CELERY_TASK_ALWAYS_EAGER) the task runs inline and its errors propagate,
    as `.delay()` did, so tests and a newcomer's machine see them.

    `countdown`: run it that many seconds later (a debounce); the task itself cannot take
    an argument of that name.
    """
    timing = {} if countdown is None else {"countdown": countdown}
    if task.app.conf.task_always_eager:
        task.apply_async(args=args, kwargs=kwargs)
        return True
    if _broker_marked_down():
        logger.warning("Broker marked down: %s%r not queued; a reconciler will.", task.name, args)
        return False
    try:
        # retry=False: one attempt. The connect and socket timeouts come from
        # CELERY_BROKER_TRANSPORT_OPTIONS (settings), so one attempt is bounded too.
        task.apply_async(args=args, kwargs=kwargs, retry=False, **timing)
    except Exception:  # kombu OperationalError, redis ConnectionError/TimeoutError, OSError
        _mark_broker_down()
        logger.exception("Queueing %s%r failed; a reconciler will queue it again.", task.name, args)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue `task(*args, **kwargs)` once the current transaction commits (at once outside
    one). A rolled-back transaction queues nothing, and a broker that is down never makes
    the caller's save fail or wait: see `task_publish`. Use it for every task a user's save
    queues."""
    transaction.on_commit(lambda: task_publish(task, *args, **kwargs))


@shared_task
def worker_ping_task() -> dict[str, object]:
    """Report which database this worker uses and how many users it sees there."""
    return {
        "database": connection.settings_dict["NAME"],
        "users": get_user_model().objects.count(),
    }


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def account_email_send_task(message: dict) -> None:
    """Send one allauth email (password reset, confirmation) rendered by AccountAdapter."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        alternatives=[tuple(a) for a in message["alternatives"]],
    )
    email.content_subtype = message["content_subtype"]
    email.send()
