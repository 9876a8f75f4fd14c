"""A real Celery worker runs queued tasks against the test database."""

import pytest
from django.db import connection

from kos_portal.tasks import worker_ping_task
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_runs_tasks_on_the_test_database_and_sees_committed_rows(celery_worker_process):
    UserFactory.create_batch(2)

    result = celery_worker_process.result(worker_ping_task.delay())

    assert result == {"database": connection.settings_dict["NAME"], "users": 2}


def test_worker_answers_again_after_a_restart(celery_worker_process):
    celery_worker_process.restart()

    result = celery_worker_process.result(worker_ping_task.delay())

    assert result["database"] == connection.settings_dict["NAME"]
