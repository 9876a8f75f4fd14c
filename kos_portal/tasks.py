"""Site-wide background work."""

import smtplib

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection


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
