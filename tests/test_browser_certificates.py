"""A member's certificate in a real browser: "being prepared" turns into a download link
by htmx polling once the PDF is rendered; then anyone verifies it by its QR link and by
number and surname. axe passes on every page."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate
from certificates.services.rendering import certificate_render
from tests import factories
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(page, live_server, user) -> None:
    """Skip the password page (tested elsewhere): reuse a test client's session."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def certificate(db):
    cache.clear()  # rate-limit counters of earlier tests
    club = factories.ClubFactory(name="KOS Złotokłos")
    member = factories.member_of(
        club, email="zofia@kos.example", first_name="Zofia", last_name="Żółkiewska"
    )
    member.last_name = "Żółkiewska"
    member.save()
    enrolment = factories.EnrolmentFactory(
        session=factories.session_with_meeting(club=club, starts_in_days=-7),
        member=member,
        result="passed",
        completed_on=date.today(),
    )
    return factories.CertificateFactory(
        enrolment=enrolment,
        number="KOS/2026/000123",
        holder_name="Zofia Żółkiewska",
        expires_on=date.today() + timedelta(days=365),
        render_status=Certificate.RenderStatus.PENDING,
    )


def test_a_member_gets_their_certificate_and_anyone_verifies_it(
    page, live_server, certificate, tmp_path
):
    sign_in_as(page, live_server, certificate.member.user)
    page.goto(f"{live_server.url}{certificate.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == "Certificate KOS/2026/000123"
    assert page.get_by_text("The PDF is being prepared").is_visible()
    assert_accessible(page)

    # The worker's job, done from the test thread while the page is open and polling.
    certificate_render(certificate=Certificate.objects.get(pk=certificate.pk))
    download_link = page.get_by_role("link", name="Download the PDF")
    download_link.wait_for(timeout=10_000)
    assert not page.get_by_text("The PDF is being prepared").is_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == "KOS-2026-000123.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    # Anyone: a fresh browser context without the member's session.
    visitor = page.context.browser.new_context()
    public = visitor.new_page()
    verify_path = reverse("certificates:verify", kwargs={"code": certificate.verification_code})
    public.goto(f"{live_server.url}{verify_path}")
    assert public.get_by_role("heading", name="This certificate is valid").is_visible()
    assert public.get_by_text("Zofia Żółkiewska").is_visible()
    assert_accessible(public)

    public.goto(f"{live_server.url}{reverse('certificates:verify-form')}")
    assert_accessible(public)
    public.get_by_label("Certificate number").fill("KOS/2026/000123")
    public.get_by_label("Holder's surname").fill("ŻÓŁKIEWSKA")
    with public.expect_navigation():
        public.get_by_role("button", name="Check").click()
    assert public.get_by_role("heading", name="This certificate is valid").is_visible()
    assert_accessible(public)

    public.get_by_label("Holder's surname").fill("Kowalska")
    with public.expect_navigation():
        public.get_by_role("button", name="Check").click()
    assert public.get_by_role("heading", name="No match").is_visible()
    assert_accessible(public)
    visitor.close()
