"""The gmina's yearly report rendered by a real Celery worker on Redis and PostgreSQL: end
to end, and a worker killed in the middle of a render."""

import io
import time
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from certificates.services.rendering import TEST_DELAY_VARIABLE
from dashboards.models import GminaReport
from dashboards.services import reports
from dashboards.services.reports import report_request
from tests import factories
from tests.dashboards.test_reports import YEAR, busy_gmina, pdftotext

# The worker is another process: it sees only committed rows. (The pillars a flush
# removes are put back by conftest's _data_from_migrations.)
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _worker_shares_media(_media_in_tmp, settings, monkeypatch):
    # The worker is started from os.environ: it must store files where this test reads them.
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


def finished(report) -> bool:
    return GminaReport.objects.filter(pk=report.pk).exclude(status="pending").exists()


def test_a_worker_renders_the_yearly_report_end_to_end(celery_worker_process):
    gmina = busy_gmina("Zażółć Gęślą", "KOS")
    busy_gmina("Sieradz", "OBCY")
    coordinator = factories.coordinator_of(gmina, language="pl")
    report = report_request(municipality=gmina, year=YEAR, requested_by=coordinator)

    wait_until(lambda: finished(report), worker=celery_worker_process)

    report.refresh_from_db()
    assert report.status == GminaReport.Status.DONE, report.error
    assert report.attempts == 1
    with report.pdf.open("rb") as pdf:
        text = pdftotext(pdf.read())
    assert "Zażółć Gęślą" in text
    assert "KOS Łęczyca-Ślęża" in text
    assert "Pierwsza pomoc i ratownictwo" in text  # the coordinator reads Polish
    assert "OBCY" not in text
    with report.xlsx.open("rb") as xlsx:
        workbook = load_workbook(io.BytesIO(xlsx.read()))
    assert len(workbook.sheetnames) == 11


def test_a_report_still_comes_out_when_the_worker_dies_mid_render(celery_worker_process):
    worker = celery_worker_process
    worker.env[TEST_DELAY_VARIABLE] = "5"  # keep the render busy long enough to kill it
    worker.restart()
    gmina = busy_gmina("Łódź Bałuty", "KOS")
    report = report_request(
        municipality=gmina, year=YEAR, requested_by=factories.coordinator_of(gmina)
    )

    wait_until(lambda: f"Rendering report {report.pk} " in worker.log(), worker=worker)
    time.sleep(1)  # inside the render (it sleeps 5 s before storing the files)
    worker.kill_pool_child()  # as the OOM killer would
    report.refresh_from_db()
    assert report.status == GminaReport.Status.PENDING
    assert not report.pdf

    # reject_on_worker_lost puts the message back; a restarted worker finishes the job.
    worker.env.pop(TEST_DELAY_VARIABLE)
    worker.restart()
    wait_until(lambda: finished(report), worker=worker)
    report.refresh_from_db()
    assert report.status == GminaReport.Status.DONE
    assert report.attempts == 1  # the killed attempt left nothing behind
    with report.pdf.open("rb") as pdf:
        assert "Łódź Bałuty" in pdftotext(pdf.read())


def test_the_reconciler_rescues_a_report_lost_with_the_whole_worker(
    celery_worker_process, monkeypatch
):
    worker = celery_worker_process
    worker.env[TEST_DELAY_VARIABLE] = "5"
    worker.restart()
    gmina = busy_gmina("Źródła", "KOS")
    report = report_request(
        municipality=gmina, year=YEAR, requested_by=factories.coordinator_of(gmina)
    )
    wait_until(lambda: f"Rendering report {report.pk} " in worker.log(), worker=worker)
    # The whole worker dies: its unacknowledged message would come back from Redis only
    # after the visibility timeout (an hour). The database still says "pending".
    worker.kill()
    worker.env.pop(TEST_DELAY_VARIABLE)
    worker.start()

    monkeypatch.setattr(reports, "STALE_AFTER", timedelta(0))  # as if ten minutes had passed
    assert reports.report_reconcile() == 1
    wait_until(lambda: finished(report), worker=worker)
    report.refresh_from_db()
    assert report.status == GminaReport.Status.DONE
    with report.pdf.open("rb") as pdf:
        assert "Źródła" in pdftotext(pdf.read())
