"""The main pages in a real browser: they work, they pass axe, and the keyboard gets around."""

import pytest
from django.contrib.auth import get_user_model

from clubs.models import Club
from tests import factories
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def club(db) -> Club:
    municipality = factories.MunicipalityFactory(name="Piaseczno")
    club = factories.ClubFactory(
        name="KOS Złotokłos", municipality=municipality, address="ul. Strażacka 2"
    )
    partner = factories.PartnerFactory(name="OSP Złotokłos", municipality=municipality)
    club.partner_links.create(partner=partner, role="siedziba klubu")
    factories.member_of(club)
    return club


@pytest.fixture
def leader(club):
    return factories.leader_of(club, email="lider@kos.example", first_name="Katarzyna")


def sign_in(page, live_server, email: str, password: str = factories.PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if "/accounts/2fa/authenticate/" in page.url:  # leaders have TOTP since the MFA rule
        from tests.journeys.conftest import totp_code

        page.fill("#id_code", totp_code(get_user_model().objects.get(email=email)))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()


def test_leader_signs_in_through_the_form_and_sees_their_club(page, live_server, leader, club):
    sign_in(page, live_server, leader.email)

    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", level=1).inner_text().endswith("Katarzyna")
    assert page.locator("main .card").get_by_role("link", name=club.name).is_visible()
    assert_accessible(page)


def test_public_home_page_passes_axe_in_polish(page, live_server, settings):
    settings.LANGUAGE_CODE = "pl"  # the real default (the suite runs in English)
    page.set_extra_http_headers({"Accept-Language": "pl-PL,pl;q=0.9"})
    page.goto(f"{live_server.url}/")

    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.locator("main h3").count() == 5  # the five pillars
    assert_accessible(page)


def test_public_home_page_passes_axe_in_english(page, live_server, settings):
    settings.LANGUAGE_CODE = "pl"
    page.set_extra_http_headers({"Accept-Language": "pl-PL,pl;q=0.9"})
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "pl"
    page.locator("#language-select").select_option("en")
    page.locator(".header-tools form button").first.click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Five pillars of resilience").is_visible()
    assert_accessible(page)


def test_login_page_passes_axe(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")

    assert page.locator("label[for=id_login]").is_visible()
    assert_accessible(page)


def test_login_error_is_announced_and_passes_axe(page, live_server, leader):
    sign_in(page, live_server, leader.email, password="wrong-password-123")

    assert page.locator("main .errorlist").is_visible()
    assert_accessible(page)


def test_club_list_passes_axe(page, live_server, leader, club):
    sign_in(page, live_server, leader.email)
    page.goto(f"{live_server.url}/clubs/")

    assert page.get_by_role("link", name=club.name).is_visible()
    assert page.locator("nav a[aria-current=page]").get_attribute("href") == "/clubs/"
    assert_accessible(page)


def test_a_club_in_the_list_opens_its_own_page(page, live_server, leader, club):
    """The list's table is an htmx region; a club link must still load a whole page."""
    sign_in(page, live_server, leader.email)
    page.goto(f"{live_server.url}/clubs/")
    page.locator("#club-table").get_by_role("link", name=club.name).click()
    page.wait_for_url(f"{live_server.url}{club.get_absolute_url()}")

    assert page.locator("header.site-header").count() == 1  # not a page inside a page
    assert page.get_by_role("heading", level=1, name=club.name).is_visible()


def test_club_list_passes_axe_on_a_phone(page, live_server, leader, club):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, leader.email)
    page.goto(f"{live_server.url}/clubs/")

    # The table scrolls inside its wrapper, not the whole page.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390
    assert_accessible(page)


def test_club_detail_passes_axe(page, live_server, leader, club):
    sign_in(page, live_server, leader.email)
    page.goto(f"{live_server.url}{club.get_absolute_url()}")

    assert page.get_by_role("heading", level=1, name=club.name).is_visible()
    assert page.get_by_text("OSP Złotokłos").is_visible()
    assert_accessible(page)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_server):
    page.goto(f"{live_server.url}/")

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()  # shown while focused

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_error_page_passes_axe(page, live_server, leader):
    sign_in(page, live_server, leader.email)
    response = page.goto(f"{live_server.url}/clubs/999999/")

    assert response.status == 404
    assert_accessible(page)
