"""A coordinator founds a club and approves it, in a real browser, with axe on every page."""

import re

import pytest
from django.conf import settings
from django.test import Client

from clubs.models import Club, Invitation
from kos_portal.roles import Role
from tests import factories
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(page, live_server, user) -> None:
    """Skip the password and TOTP pages (tested elsewhere): reuse a test client's session."""
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
def gmina(db):
    return factories.MunicipalityFactory(name="Żółkiewka")


@pytest.fixture
def coordinator(gmina):
    # English, so the labels below are the source strings, whatever the .po files say.
    return factories.coordinator_of(
        gmina, email="koordynator@kos.example", first_name="Anna", language="en"
    )


def test_coordinator_founds_and_approves_a_club(page, live_server, gmina, coordinator):
    sign_in_as(page, live_server, coordinator)

    page.goto(f"{live_server.url}/clubs/new/")
    assert_accessible(page)
    page.get_by_label("Gmina").select_option(str(gmina.pk))
    page.get_by_label("Name").fill("KOS Żółkiewka")
    page.get_by_label("Address").fill("ul. Strażacka 1")
    page.locator("input[name=pillars]").first.check()
    page.get_by_role("button", name="Found the club").click()
    page.wait_for_load_state()

    club = Club.objects.get(name="KOS Żółkiewka")
    assert page.url == f"{live_server.url}{club.get_absolute_url()}"
    assert page.get_by_role("heading", level=1).inner_text() == "KOS Żółkiewka"
    assert page.locator("dl.details .status").inner_text() == "proposed"
    assert_accessible(page)

    page.get_by_role("link", name="Approve or reject").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("active").check()
    page.get_by_label("Reason").fill("Zarząd OSP zgodził się prowadzić klub.")
    page.get_by_label("First leader's email address").fill("liderka@kos.example")
    page.get_by_role("button", name="Change the status").click()
    page.wait_for_load_state()

    assert page.url == f"{live_server.url}{club.get_absolute_url()}"
    assert page.locator("dl.details .status").inner_text() == "active"
    history = page.get_by_role("region", name="Status history")
    assert history.locator("tbody tr").count() == 2
    assert history.get_by_text("Zarząd OSP zgodził się prowadzić klub.").is_visible()
    assert Invitation.objects.filter(
        club=club, role=Role.LEADER, email="liderka@kos.example"
    ).exists()
    assert_accessible(page)


def test_club_list_filters_without_a_reload(page, live_server, gmina, coordinator):
    factories.ClubFactory(name="KOS Żółkiewka", municipality=gmina)
    factories.ClubFactory(name="KOS Łęczna", municipality=gmina)
    sign_in_as(page, live_server, coordinator)

    page.goto(f"{live_server.url}/clubs/")
    assert page.locator("#club-table tbody tr").count() == 2
    assert_accessible(page)
    page.evaluate("window.kosSamePage = true")  # gone if the whole page reloads
    # Not "ŻÓŁ": the search also reads the gmina's name, Żółkiewka, so both would match.
    page.get_by_label("Search").fill("ŁĘCZ")
    page.get_by_label("Search").press("Enter")

    page.wait_for_url(re.compile(r"q=%C5%81%C4%98CZ|q=ŁĘCZ"))
    rows = page.locator("#club-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert rows.first.get_by_role("link").inner_text() == "KOS Łęczna"
    assert page.evaluate("window.kosSamePage") is True
    assert_accessible(page)
