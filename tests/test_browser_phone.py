"""A phone (390×844): the header folds behind a menu button, and wide tables scroll in
their own box instead of the whole page."""

import pytest
from django.urls import reverse

from tests import factories
from tests.browser import assert_accessible
from tests.test_browser_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def leader(db):
    municipality = factories.MunicipalityFactory(name="Piaseczno")
    club = factories.ClubFactory(name="KOS Złotokłos", municipality=municipality)
    for n in range(3):
        partner = factories.PartnerFactory(
            name=f"Ochotnicza Straż Pożarna w Złotokłosie, jednostka {n}",
            municipality=municipality,
        )
        club.partner_links.create(partner=partner, role="siedziba klubu")
    return factories.leader_of(club, email="lider@kos.example")


def test_the_menu_folds_behind_a_button_on_a_phone(page, live_server, leader):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, leader.email)

    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 120  # the whole menu took 611 px of 844 before
    toggle = page.get_by_role("button", name="Menu")
    assert toggle.get_attribute("aria-expanded") == "false"
    partners = page.get_by_role("navigation").get_by_role("link", name="Partners")
    assert not partners.is_visible()

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    partners.click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("clubs:partner-list"))
    assert_accessible(page)


def test_a_wide_screen_shows_the_menu_without_a_button(page, live_server, leader):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, leader.email)
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("navigation").get_by_role("link", name="Partners").is_visible()


@pytest.mark.parametrize("url_name", ["clubs:partner-list", "clubs:invitation-list"])
def test_tables_scroll_in_their_own_box_not_the_page(page, live_server, leader, url_name):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, leader.email)
    page.goto(live_server.url + reverse(url_name))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
