"""The gmina picker in a real browser: a leader registers a member and picks the gmina
by typing part of its name and choosing from the list with the keyboard. axe passes with
the list open."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from members.models import Member
from tests import factories
from tests.browser import assert_accessible
from tests.members.helpers import born_years_ago
from tests.test_browser_members import MEMBERSHIP_TEXT, click_and_wait, fill_person, sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gminas(db):
    cache.clear()  # rate-limit counters of earlier tests
    mazowieckie = factories.VoivodeshipFactory(code="14", name="MAZOWIECKIE")
    lubuskie = factories.VoivodeshipFactory(code="08", name="LUBUSKIE")
    return {
        "ours": factories.MunicipalityFactory(
            powiat=factories.PowiatFactory(
                voivodeship=mazowieckie, code="1418", name="piaseczyński"
            ),
            code="1418053",
            name="Piaseczno",
            kind="3",
        ),
        "namesake": factories.MunicipalityFactory(
            powiat=factories.PowiatFactory(voivodeship=lubuskie, code="0801", name="gorzowski"),
            code="0801012",
            name="Piaseczno",
            kind="2",
        ),
    }


def test_leader_picks_the_gmina_by_typing_part_of_its_name_and_using_the_keyboard(
    page, live_server, gminas
):
    club = factories.ClubFactory(name="KOS Złotokłos", municipality=gminas["ours"])
    leader = factories.leader_of(club, email="lider@kos.example", language="en")
    sign_in_as(page, live_server, leader)
    page.goto(f"{live_server.url}{reverse('members:member-create', kwargs={'club_pk': club.pk})}")
    fill_person(
        page,
        first_name="Jan",
        last_name="Wiśniewski",
        birth_date=born_years_ago(30),
        email="jan@example.pl",
    )
    page.get_by_label(MEMBERSHIP_TEXT).check()

    gmina = page.get_by_role("combobox", name="Gmina of residence")
    gmina.press_sequentially("Piasecz", delay=30)
    listbox = page.get_by_role("listbox", name="Matching gminas")
    options = listbox.get_by_role("option")
    options.first.wait_for()
    assert gmina.get_attribute("aria-expanded") == "true"
    assert options.all_inner_texts() == [
        "Piaseczno (rural gm., pow. gorzowski, lubuskie)",
        "Piaseczno (urban-rural gm., pow. piaseczyński, mazowieckie)",
    ]
    assert_accessible(page)

    # Escape closes the list; Down opens it again and moves through the options.
    gmina.press("Escape")
    assert listbox.is_hidden()
    gmina.press("ArrowDown")
    gmina.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert gmina.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    gmina.press("Enter")  # picks the option; it does not send the form
    assert listbox.is_hidden()
    assert gmina.input_value() == "Piaseczno (urban-rural gm., pow. piaseczyński, mazowieckie)"
    assert page.locator("input[type=hidden][name=municipality]").input_value() == str(
        gminas["ours"].pk
    )
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("button", name="Register"))
    member = Member.objects.get(email="jan@example.pl")
    assert page.url == f"{live_server.url}{member.get_absolute_url()}"
    assert member.municipality == gminas["ours"]
