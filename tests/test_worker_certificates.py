"""Certificates rendered by a real Celery worker on Redis and PostgreSQL: end to end, and
a worker killed in the middle of a render."""

import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from certificates.models import Certificate
from certificates.services.rendering import TEST_DELAY_VARIABLE, certificate_render_reconcile
from tests import factories
from tests.certificates.test_rendering import pdf_text, qr_codes
from training.services.results import results_record

# The worker is another process: it sees only committed rows. (The pillars a flush
# removes are put back by conftest's _data_from_migrations.)
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NAMES = [("Zażółć", "Gęślą-Jaźń"), ("Łucja", "Źdźbło"), ("Ćwikła", "Śmiałowska")]


@pytest.fixture(autouse=True)
def _worker_shares_media(_media_in_tmp, settings, monkeypatch):
    # The worker is started from os.environ: it must store PDFs where this test reads them.
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    monkeypatch.delenv(TEST_DELAY_VARIABLE, raising=False)


def wait_until(predicate, *, timeout: float = 60, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(
        f"timed out after {timeout}s" + (f"; worker log:\n{worker.log()}" if worker else "")
    )


def all_rendered(certificates) -> bool:
    return not Certificate.objects.filter(
        pk__in=[c.pk for c in certificates], render_status=Certificate.RenderStatus.PENDING
    ).exists()


def stored_pdfs() -> list[str]:
    folder = f"certificates/{timezone.now():%Y}"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def passed_session(names=NAMES):
    """A finished session whose participants are recorded as passed through training's
    own results service, which sends course_passed after commit."""
    instructor = factories.InstructorProfileFactory(
        user=factories.UserFactory(first_name="Anna", last_name="Nowak")
    )
    session = factories.session_with_meeting(instructor=instructor, starts_in_days=-2)
    meeting = session.meetings.get()
    enrolments = [
        factories.EnrolmentFactory(
            session=session, member=factories.MemberFactory(first_name=first, last_name=last)
        )
        for first, last in names
    ]
    results_record(
        session=session,
        rows={e.pk: {"present": {meeting.pk}, "score": None} for e in enrolments},
        recorded_by=factories.UserFactory(),
    )
    return enrolments


def test_a_worker_renders_verifiable_certificates_for_a_passed_session(
    celery_worker_process, client
):
    enrolments = passed_session()
    certificates = list(Certificate.objects.filter(enrolment__in=enrolments))
    assert len(certificates) == len(NAMES)  # issued by the course_passed receiver

    wait_until(lambda: all_rendered(certificates), worker=celery_worker_process)

    for certificate in certificates:
        certificate.refresh_from_db()
        assert certificate.render_status == Certificate.RenderStatus.DONE, certificate.render_error
        with certificate.pdf.open("rb") as pdf:
            content = pdf.read()
        assert certificate.holder_name in pdf_text(content)
        url = certificate.get_verification_url()
        assert url == f"{settings.SITE_URL}/verify/{certificate.verification_code}/"
        assert qr_codes(content) == [url]

        page = client.get(urlsplit(url).path)
        assert page.status_code == 200
        assert "This certificate is valid" in page.content.decode()
        assert certificate.holder_name in page.content.decode()
    assert "Zażółć Gęślą-Jaźń" in {c.holder_name for c in certificates}
    assert len(stored_pdfs()) == len(NAMES)


def test_a_certificate_still_comes_out_when_the_worker_dies_mid_render(celery_worker_process):
    worker = celery_worker_process
    worker.env[TEST_DELAY_VARIABLE] = "5"  # keep the render busy long enough to kill it
    worker.restart()
    (enrolment,) = passed_session(names=NAMES[:1])
    certificate = Certificate.objects.get(enrolment=enrolment)

    wait_until(lambda: f"Rendering certificate {certificate.number}" in worker.log(), worker=worker)
    time.sleep(1)  # inside the render (it sleeps 5 s before storing the file)
    worker.kill_pool_child()  # as the OOM killer would
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.PENDING
    assert stored_pdfs() == []

    # reject_on_worker_lost puts the message back; a restarted worker finishes the job.
    worker.env.pop(TEST_DELAY_VARIABLE)
    worker.restart()
    wait_until(lambda: all_rendered([certificate]), worker=worker)

    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.DONE
    assert certificate.render_attempts == 1  # the killed attempt left nothing behind
    assert stored_pdfs() == [certificate.number.replace("/", "-") + ".pdf"]
    with certificate.pdf.open("rb") as pdf:
        assert "Zażółć Gęślą-Jaźń" in pdf_text(pdf.read())


def test_the_reconciler_rescues_a_render_lost_with_the_whole_worker(
    celery_worker_process, settings
):
    worker = celery_worker_process
    worker.env[TEST_DELAY_VARIABLE] = "5"
    worker.restart()
    (enrolment,) = passed_session(names=NAMES[:1])
    certificate = Certificate.objects.get(enrolment=enrolment)
    wait_until(lambda: f"Rendering certificate {certificate.number}" in worker.log(), worker=worker)
    # The whole worker dies: its unacknowledged message would come back from Redis only
    # after the visibility timeout (an hour). The database still says "pending".
    worker.kill()
    worker.env.pop(TEST_DELAY_VARIABLE)
    worker.start()

    settings.CERTIFICATE_RENDER_STALE_SECONDS = 0  # as if five minutes had passed
    assert certificate_render_reconcile() == 1
    wait_until(lambda: all_rendered([certificate]), worker=worker)

    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.DONE
    assert stored_pdfs() == [certificate.number.replace("/", "-") + ".pdf"]
