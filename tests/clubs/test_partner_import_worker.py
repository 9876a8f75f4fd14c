"""A large partner file is imported by a real Celery worker, with progress in the database."""

from pathlib import Path

import pytest

from clubs.models import Partner
from clubs.services.partner_import import import_upload_store, partner_file_read
from clubs.tasks import partner_import_task
from kos_portal.models import ImportJob
from tests import factories

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
DATA = Path(__file__).parent / "data"


@pytest.fixture
def _shared_media(monkeypatch, settings):
    """The worker process reads the staged file from the test's media folder."""
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))


def test_a_worker_imports_the_osp_export_and_records_the_result(
    _shared_media, celery_worker_process
):
    powiat = factories.PowiatFactory(code="1418", name="piaseczyński")
    powiat.voivodeship.name = "mazowieckie"
    powiat.voivodeship.save()
    for code, name, kind in (("1418043", "Piaseczno", "3"), ("1418052", "Prażmów", "2")):
        factories.MunicipalityFactory(code=code, name=name, kind=kind, powiat=powiat)
    national = factories.national_user()
    lines = (DATA / "osp_register.csv").read_bytes().splitlines(keepends=True)
    data = b"".join(lines[:7])  # the header and the units of powiat piaseczyński
    token = import_upload_store(table=partner_file_read(data), user=national)
    job = ImportJob.objects.create(
        user=national,
        purpose="clubs.partner-import",
        token=token,
        total=4,
        options={"dry_run": False, "mapping": None, "default_kind": "", "only_my_gminas": False},
    )

    celery_worker_process.result(partner_import_task.delay(job.pk))

    job.refresh_from_db()
    assert job.state == "done", job.error
    assert (job.result["created"], job.result["error_count"]) == (4, 0)
    assert Partner.objects.filter(registry_ref__startswith="1418").count() == 4
