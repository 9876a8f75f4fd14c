"""Site-wide background work."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import connection


@shared_task
def worker_ping_task() -> dict[str, object]:
    """Report which database this worker uses and how many users it sees there."""
    return {
        "database": connection.settings_dict["NAME"],
        "users": get_user_model().objects.count(),
    }
