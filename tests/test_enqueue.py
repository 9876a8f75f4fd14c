"""kos_portal.tasks.enqueue_on_commit: a save never waits on, or fails with, the broker."""

import time

import pytest

from certificates.models import Certificate
from kos_portal import tasks
from kos_portal.tasks import enqueue_on_commit, worker_ping_task
from tests import factories
from tests.worker import broker_unreachable


def test_a_broker_that_is_down_is_logged_and_then_skipped_quickly(caplog):
    with broker_unreachable():
        started = time.monotonic()
        assert tasks.task_publish(worker_ping_task) is False
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(100):  # a save that queues 100 renders
            assert tasks.task_publish(worker_ping_task) is False
        rest = time.monotonic() - started
    assert first < 3
    assert rest < 0.5  # marked down: no more connection attempts for a while
    assert "Queueing kos_portal.tasks.worker_ping_task" in caplog.text


@pytest.mark.django_db
def test_nothing_is_published_when_the_transaction_rolls_back(monkeypatch):
    from django.db import transaction

    published = []
    monkeypatch.setattr(tasks, "task_publish", lambda task, *a, **k: published.append(a))
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(worker_ping_task, 1)
        raise RuntimeError("rolled back")
    assert published == []


@pytest.mark.django_db
def test_saving_results_with_the_broker_down_answers_normally(
    client, world, django_capture_on_commit_callbacks
):
    from tests.training.test_results import past_world_session, results_url

    session = past_world_session(world)
    meeting = session.meetings.get()
    newcomer = factories.EnrolmentFactory(session=session)
    client.force_login(world.users["instructor"])
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(results_url(session), {f"present_{newcomer.pk}_{meeting.pk}": "on"})
    assert response.status_code == 302
    certificate = Certificate.objects.get(enrolment=newcomer)  # issued in the database
    assert certificate.render_status == Certificate.RenderStatus.PENDING  # render: later


def test_every_publish_after_a_save_goes_through_enqueue_on_commit():
    """No app publishes a task straight from a save (grep for .delay( and apply_async)."""
    import re
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR).glob("*/**/*.py"):
        if path.parts[len(Path(settings.BASE_DIR).parts)] in {"tests", ".venv", "bench"}:
            continue
        if path.name == "tasks.py" and "kos_portal" in path.parts:
            continue  # the helper itself
        if re.search(r"\.delay\(|\.delay\b\)|delay_on_commit|\.apply_async\(", path.read_text()):
            offenders.append(str(path))
    assert offenders == []
