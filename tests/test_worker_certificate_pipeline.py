"""Certificates are never lost, whatever crashes (issue 13): a real Celery worker on Redis
and PostgreSQL, one test per failure mode. Each ends with one certificate per pass, one
PDF per certificate and one "certificate ready" email per certificate, and a second
reconciler run that does nothing more."""

import contextlib
import email
import time
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse

from certificates.models import Certificate
from certificates.services.pipeline import (
    certificate_ready_emails_send_missing,
    certificates_issue_missing,
)
from certificates.services.rendering import TEST_DELAY_VARIABLE, certificate_render_reconcile
from certificates.tasks import certificate_issue_reconcile_task
from tests import factories
from tests.test_worker_certificates import stored_pdfs, wait_until
from tests.worker import broker_unreachable
from training.services.results import results_record

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _worker_shares_media_and_mail(_media_in_tmp, settings, monkeypatch, tmp_path):
    # The worker is started from os.environ: it stores PDFs where this test reads them, and
    # writes its emails to files this test counts.
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    monkeypatch.setenv("EMAIL_URL", f"file:///{tmp_path / 'mail'}")
    monkeypatch.delenv(TEST_DELAY_VARIABLE, raising=False)


def sent_emails(tmp_path: Path) -> list[email.message.Message]:
    """Every email the worker wrote (the file backend: messages separated by a dashed line)."""
    folder = tmp_path / "mail"
    messages = []
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip()))
    return messages


def finished_session(count: int):
    """A finished session with `count` participants and its instructor (a login)."""
    club = factories.ClubFactory()
    user = factories.instructor_of(club)
    profile = factories.InstructorProfileFactory(user=user)
    session = factories.session_with_meeting(instructor=profile, club=club, starts_in_days=-2)
    enrolments = [
        factories.EnrolmentFactory(session=session, club=club, member=factories.MemberFactory())
        for _ in range(count)
    ]
    return session, enrolments, user


def record_passes(session, enrolments):
    meeting = session.meetings.get()
    results_record(
        session=session,
        rows={e.pk: {"present": {meeting.pk}, "score": None} for e in enrolments},
        recorded_by=factories.UserFactory(),
    )


def assert_one_of_everything(enrolments, tmp_path, worker):
    """One certificate per pass, one PDF per certificate, one email per certificate."""
    certificates = list(Certificate.objects.filter(enrolment__in=enrolments))
    assert len(certificates) == len(enrolments)
    wait_until(
        lambda: not Certificate.objects.filter(render_status="pending").exists(), worker=worker
    )
    wait_until(lambda: len(sent_emails(tmp_path)) >= len(certificates), worker=worker)
    time.sleep(1)  # anything doubled would arrive now
    assert Certificate.objects.count() == len(enrolments)
    assert len({c.number for c in certificates}) == len(enrolments)
    assert set(Certificate.objects.values_list("render_status", flat=True)) == {"done"}
    assert len(stored_pdfs()) == len(certificates)
    recipients = sorted(message["To"] for message in sent_emails(tmp_path))
    assert recipients == sorted(e.member.email for e in enrolments)  # one each
    for message in sent_emails(tmp_path):
        certificate = Certificate.objects.get(member__email=message["To"])
        body = message.get_payload(0).get_payload(decode=True).decode()
        assert certificate.get_verification_url() in body

    # The reconcilers, run again as beat would: nothing more to do.
    assert certificates_issue_missing() == 0
    assert certificate_ready_emails_send_missing() == 0
    assert certificate_render_reconcile() == 0


def test_a_web_process_killed_between_the_commit_and_the_issue(celery_worker_process, tmp_path):
    worker = celery_worker_process
    session, enrolments, _instructor = finished_session(4)
    # The results commit; the web process dies before course_passed's receiver issues.
    with (
        mock.patch(
            "certificates.services.issuing.certificate_issue", side_effect=SystemExit("killed")
        ),
        contextlib.suppress(SystemExit),
    ):
        record_passes(session, enrolments)
    assert not Certificate.objects.exists()

    # Beat's reconciler, on the worker.
    result = worker.result(certificate_issue_reconcile_task.delay(), timeout=60)
    assert result["issued"] == len(enrolments)

    assert_one_of_everything(enrolments, tmp_path, worker)


def test_the_broker_down_during_the_save(celery_worker_process, client, settings, tmp_path):
    worker = celery_worker_process
    session, enrolments, instructor = finished_session(4)
    meeting = session.meetings.get()
    client.force_login(instructor)
    url = reverse("training:session-results", kwargs={"session_pk": session.pk})
    with broker_unreachable():
        started = time.monotonic()
        response = client.post(url, {f"present_{e.pk}_{meeting.pk}": "on" for e in enrolments})
        took = time.monotonic() - started
    assert response.status_code == 302  # the save went through; no 500
    assert took < 10
    # Issued in the database; no render could be queued.
    assert Certificate.objects.filter(enrolment__in=enrolments).count() == len(enrolments)
    assert set(Certificate.objects.values_list("render_status", flat=True)) == {"pending"}
    page = client.get(url).content.decode()
    assert "PDF being prepared" in page

    # The broker is back; beat's render reconciler finds the renders nobody queued.
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 0  # as if five minutes had passed
    assert certificate_render_reconcile() == len(enrolments)
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 300
    assert_one_of_everything(enrolments, tmp_path, worker)


def test_the_worker_killed_mid_render(celery_worker_process, settings, tmp_path):
    worker = celery_worker_process
    worker.env[TEST_DELAY_VARIABLE] = "5"  # keep the render busy long enough to kill it
    worker.restart()
    session, enrolments, _instructor = finished_session(2)
    record_passes(session, enrolments)  # issued at once; renders queued
    first = Certificate.objects.order_by("pk").first()
    wait_until(lambda: f"Rendering certificate {first.number}" in worker.log(), worker=worker)
    # The whole worker dies mid-render: its message would come back only after Redis's
    # visibility timeout (an hour). The database still says "pending".
    worker.kill()
    assert sent_emails(tmp_path) == []
    worker.env.pop(TEST_DELAY_VARIABLE)
    worker.start()

    settings.CERTIFICATE_RENDER_STALE_SECONDS = 0
    assert certificate_render_reconcile() >= 1
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 300
    assert_one_of_everything(enrolments, tmp_path, worker)


def test_a_render_that_runs_out_of_time_is_retried_not_lost(
    celery_worker_process, settings, tmp_path
):
    from certificates.tasks import certificate_render_task

    worker = celery_worker_process
    # The limits travel with the message: the publisher's (this process) and the worker's.
    # (_exec_options: Celery caches a task's publish options on its first publish.)
    short_limits = mock.patch.multiple(
        certificate_render_task, soft_time_limit=1, time_limit=3, _exec_options=None
    )
    short_limits.start()
    worker.env.update(
        {
            TEST_DELAY_VARIABLE: "5",  # every render now takes longer than its limits
            "CERTIFICATE_RENDER_SOFT_TIME_LIMIT": "1",
            "CERTIFICATE_RENDER_TIME_LIMIT": "3",
        }
    )
    worker.restart()
    session, enrolments, _instructor = finished_session(1)
    record_passes(session, enrolments)
    wait_until(lambda: "SoftTimeLimitExceeded" in worker.log(), worker=worker)
    certificate = Certificate.objects.get()
    assert certificate.render_status == "pending"  # not "failed": the attempt rolled back
    assert stored_pdfs() == []

    # Renders are fast again (the template was fixed, the disk came back).
    for name in (TEST_DELAY_VARIABLE, "CERTIFICATE_RENDER_SOFT_TIME_LIMIT"):
        worker.env.pop(name)
    worker.env.pop("CERTIFICATE_RENDER_TIME_LIMIT")
    short_limits.stop()
    certificate_render_task._exec_options = None
    worker.restart()
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 0
    certificate_render_reconcile()  # the retry may already be on it: 0 or 1
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 300
    assert_one_of_everything(enrolments, tmp_path, worker)
