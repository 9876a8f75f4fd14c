"""The partner import in a real browser: the OSP register export as published, checked and
imported by the worker path (the job page), with axe on each page."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from clubs.models import Partner
from tests import factories
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DATA = Path(__file__).parent / "clubs" / "data"


def test_a_national_file_goes_through_the_job_page_and_is_imported(page, live_server, monkeypatch):
    from kos_portal import uploads

    monkeypatch.setattr(uploads, "INLINE_ROWS", 3)  # the 6-row excerpt counts as large
    powiat = factories.PowiatFactory(code="1418", name="piaseczyński")
    powiat.voivodeship.name = "mazowieckie"
    powiat.voivodeship.save()
    factories.MunicipalityFactory(code="1418043", name="Piaseczno", kind="3", powiat=powiat)
    factories.MunicipalityFactory(code="1418052", name="Prażmów", kind="2", powiat=powiat)
    national = factories.national_user(language="en")
    client = Client()
    client.force_login(national)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    lines = (DATA / "osp_register.csv").read_bytes().splitlines(keepends=True)
    page.goto(f"{live_server.url}/clubs/partners/import/")
    assert_accessible(page)
    page.get_by_label("CSV or XLSX file").set_input_files(
        files=[{"name": "osp.csv", "mimeType": "text/csv", "buffer": b"".join(lines[:7])}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    assert "/clubs/partners/import/jobs/" in page.url
    assert page.get_by_text("The file was read as the OSP register (KSRG) export.").is_visible()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Import now").click()
    assert page.url.endswith("/clubs/partners/")
    assert page.get_by_text("Partners imported: 4 created").is_visible()
    assert Partner.objects.filter(registry_ref__startswith="1418").count() == 4
