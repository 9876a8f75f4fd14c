"""Journey of a gmina coordinator (issue #14): signs in with TOTP, founds a club in their
gmina, approves it (the first leader's invitation arrives), sees the club on the gmina's
dashboard at once, and downloads the gmina's yearly report as a PDF."""

import pytest
from django.core import mail

from clubs.models import Club, Invitation
from kos_portal.roles import Role
from tests import factories
from tests.journeys.conftest import click_through, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gmina(db):
    return factories.MunicipalityFactory(name="Żółkiewka")


@pytest.fixture
def coordinator(gmina):
    return factories.coordinator_of(
        gmina, email="koordynator@kos.example", first_name="Anna", language="en"
    )


def test_coordinator_journey(page, live_server, gmina, coordinator):
    sign_in(page, live_server, coordinator)
    nav = page.get_by_role("navigation", name="Main navigation")

    # Founds a club in their gmina.
    click_through(page, nav.get_by_role("link", name="Clubs", exact=True))
    click_through(page, page.get_by_role("link", name="Found a club"))
    page.get_by_label("Gmina").select_option(str(gmina.pk))
    page.get_by_label("Name").fill("KOS Żółkiewka")
    page.get_by_label("Address").fill("ul. Strażacka 1")
    page.locator("input[name=pillars]").first.check()
    click_through(page, page.get_by_role("button", name="Found the club"))
    club = Club.objects.get(name="KOS Żółkiewka")
    assert page.get_by_role("heading", level=1).inner_text() == "KOS Żółkiewka"
    assert page.locator("dl.details .status").inner_text() == "proposed"

    # Approves it; the first leader's invitation arrives by email.
    click_through(page, page.get_by_role("link", name="Approve or reject"))
    page.get_by_label("active").check()
    page.get_by_label("Reason").fill("Zarząd OSP zgodził się prowadzić klub.")
    page.get_by_label("First leader's email address").fill("liderka@kos.example")
    click_through(page, page.get_by_role("button", name="Change the status"))
    assert page.locator("dl.details .status").inner_text() == "active"
    invitation = Invitation.objects.get(club=club, role=Role.LEADER)
    assert invitation.email == "liderka@kos.example"
    invitation_mails = [m for m in mail.outbox if m.to == ["liderka@kos.example"]]
    assert len(invitation_mails) == 1
    assert invitation.token in invitation_mails[0].body

    # The gmina's dashboard counts the new club at once (dashboards/freshness.py).
    click_through(page, nav.get_by_role("link", name="Dashboard"))
    assert gmina.name in page.get_by_role("heading", level=1).inner_text()
    clubs = page.get_by_role("region", name="Clubs and their health")
    assert clubs.get_by_role("link", name="KOS Żółkiewka").is_visible()

    # Asks for the yearly report (rendered inline without a broker) and downloads the PDF.
    click_through(page, page.get_by_role("link", name="Yearly reports of training and exercises"))
    year = page.get_by_label("Year").input_value()
    click_through(page, page.get_by_role("button", name="Prepare the report"))
    pdf_link = page.get_by_role("link", name=f"PDF {year}")
    with page.expect_download() as download_info:
        pdf_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
