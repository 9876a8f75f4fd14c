"""Beat's reminder jobs (see CELERY_BEAT_SCHEDULE and docs/reminders.md).

Each job is safe to run twice: ReminderLog keys make every email go out at most once, so a
retry after a transient mail failure only sends what is still missing.
"""

from smtplib import SMTPException

from celery import shared_task

from certificates.services.reminders import (
    certificate_expiry_reminders_send,
    qualification_expiry_alerts_send,
    session_reminders_send,
)

RETRY = {
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(**RETRY)
def certificate_expiry_reminders_task() -> int:
    """Send the due certificate expiry reminders; returns how many were sent."""
    return certificate_expiry_reminders_send()


@shared_task(**RETRY)
def session_reminders_task() -> int:
    """Send the reminders for meetings in the next 24 hours; returns how many were sent."""
    return session_reminders_send()


@shared_task(**RETRY)
def qualification_expiry_alerts_task() -> int:
    """Send the due qualification expiry alerts; returns how many were sent."""
    return qualification_expiry_alerts_send()
