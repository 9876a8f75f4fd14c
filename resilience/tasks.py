"""Beat's resilience jobs (see CELERY_BEAT_SCHEDULE and docs/resilience.md)."""

from smtplib import SMTPException

from celery import shared_task

from resilience.services.exercises import corrective_action_reminders_send


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def corrective_action_reminders_task() -> int:
    """Remind owners of overdue corrective actions, once per action and due date; returns
    how many were sent. A retry after a mail failure sends only what is still missing."""
    return corrective_action_reminders_send()
