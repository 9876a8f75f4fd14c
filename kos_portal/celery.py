"""Celery application: `celery -A kos_portal worker` and `celery -A kos_portal beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kos_portal.settings")

app = Celery("kos_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# certificates/reminder_tasks.py: reminders and alerts run from beat (docs/reminders.md).
app.autodiscover_tasks(related_name="reminder_tasks")
# dashboards/report_tasks.py: the gmina's yearly report (docs/reports.md).
app.autodiscover_tasks(related_name="report_tasks")
