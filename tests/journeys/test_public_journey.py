"""Journey of a member of the public (issue #14): finds the pilot club by typing
"zlotoklos", opens it, writes to it, and checks a certificate from its QR code."""

import pytest
from django.core import mail

from clubs.models import ClubContactMessage
from tests import factories
from tests.journeys.conftest import assert_no_axe_violations, click_through

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pilot_club(db):
    gmina = factories.MunicipalityFactory(name="Tarczyn")
    club = factories.ClubFactory(
        name="KOS Złotokłos", municipality=gmina, locality="Złotokłos", contact_email="k@kos.ex"
    )
    factories.ClubFactory(name="KOS Sieradz", municipality=factories.MunicipalityFactory())
    factories.leader_of(club, email="lider@kos.example")
    return club


@pytest.fixture
def certificate(pilot_club):
    member = factories.MemberFactory(first_name="Zofia", last_name="Wrona")
    factories.MembershipFactory(member=member, club=pilot_club)
    session = factories.session_with_meeting(club=pilot_club, course__title="Pierwsza pomoc")
    enrolment = factories.EnrolmentFactory(session=session, member=member)
    return factories.CertificateFactory(enrolment=enrolment, render_status="done")


def test_public_journey(page, live_server, pilot_club, certificate):
    page.goto(f"{live_server.url}/")
    assert_no_axe_violations(page)

    click_through(page, page.get_by_role("link", name="Find a club near you"))
    page.get_by_label("Search by name or locality").fill("zlotoklos")
    click_through(page, page.get_by_role("button", name="Show clubs"))
    results = page.locator(".directory-results h3")
    assert results.all_inner_texts() == ["KOS Złotokłos"]

    click_through(page, results.get_by_role("link", name="KOS Złotokłos"))
    assert page.get_by_role("heading", level=1, name="KOS Złotokłos").is_visible()
    assert "lider@kos.example" not in page.content()

    page.get_by_label("Your name").fill("Anna Nowak")
    page.get_by_label("Your email").fill("anna@example.org")
    page.get_by_label("Message").fill("Kiedy jest następne spotkanie?")
    page.get_by_role("button", name="Send the message").click()
    page.get_by_role("status").filter(has_text="Your message has been sent").wait_for()
    assert_no_axe_violations(page)
    message = ClubContactMessage.objects.get()
    assert (message.club, message.sender_email) == (pilot_club, "anna@example.org")
    assert sorted(mail.outbox[0].to) == ["k@kos.ex", "lider@kos.example"]

    # The QR code on the paper holds the certificate's verification URL: a phone opens it.
    page.goto(certificate.get_verification_url())
    assert_no_axe_violations(page)
    assert page.get_by_role("heading", level=2).inner_text() == "This certificate is valid"
    details = page.locator("dl.details")
    assert certificate.number in details.inner_text()
    assert "Zofia Wrona" in details.inner_text()
    assert "Pierwsza pomoc" in details.inner_text()
