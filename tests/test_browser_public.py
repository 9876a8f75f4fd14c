"""The public pages in a real browser: the map, a club page, the contact form (htmx) and
the "start a club" form with its cascading selects; axe passes on each page."""

import pytest
from django.core import mail
from django.core.cache import cache

from clubs.models import Club, ClubContactMessage, Pillar
from tests import factories
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PILLARS = [
    (1, "first-aid", "Pierwsza pomoc i ratownictwo", "First aid and rescue"),
    (3, "drones", "Drony (BSP/UAV)", "Drones (UAV/BSP)"),
]


@pytest.fixture
def gmina(db):
    # Transactional tests flush the tables, so the pillars made by a migration may be gone.
    for number, code, name_pl, name_en in PILLARS:
        Pillar.objects.get_or_create(
            code=code, defaults={"number": number, "name_pl": name_pl, "name_en": name_en}
        )
    cache.clear()  # rate-limit counters
    voivodeship = factories.VoivodeshipFactory(code="14", name="mazowieckie")
    powiat = factories.PowiatFactory(voivodeship=voivodeship, code="1418", name="piaseczyński")
    return factories.MunicipalityFactory(powiat=powiat, code="1418042", name="Piaseczno")


@pytest.fixture
def club(gmina):
    club = factories.ClubFactory(
        name="KOS Złotokłos", municipality=gmina, locality="Złotokłos", contact_email="k@kos.ex"
    )
    club.pillars.add(Pillar.objects.get(code="first-aid"))
    partner = factories.PartnerFactory(name="OSP Złotokłos", municipality=gmina)
    club.partner_links.create(partner=partner)
    factories.leader_of(club, email="lider@kos.example")
    other = factories.MunicipalityFactory(
        powiat=factories.PowiatFactory(
            voivodeship=factories.VoivodeshipFactory(code="12", name="małopolskie"), code="1261"
        ),
        name="Kraków",
    )
    factories.ClubFactory(name="KOS Kraków", municipality=other)
    return club


def test_visitor_finds_a_club_on_the_map_and_writes_to_it(page, live_server, club):
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{live_server.url}/clubs/directory/")
    assert page.get_by_role("link", name="KOS Kraków").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="mazowieckie: 1 club").click()
    page.wait_for_url("**/clubs/directory/?voivodeship=14")
    assert page.get_by_role("link", name="KOS Kraków").count() == 0
    assert_accessible(page)

    page.get_by_role("link", name="KOS Złotokłos").click()
    page.wait_for_url(f"**{club.get_public_url()}")
    assert page.get_by_role("heading", level=1, name="KOS Złotokłos").is_visible()
    assert "lider@kos.example" not in page.content()
    assert_accessible(page)

    page.get_by_label("Your name").fill("Anna Nowak")
    page.get_by_label("Your email").fill("anna@example.org")
    page.get_by_label("Message").fill("Kiedy jest następne spotkanie?")
    page.get_by_role("button", name="Send the message").click()
    page.get_by_role("status").filter(has_text="Your message has been sent").wait_for()

    assert page.url.endswith(club.get_public_url())  # swapped in place by htmx
    assert ClubContactMessage.objects.get().sender_email == "anna@example.org"
    assert sorted(mail.outbox[0].to) == ["k@kos.ex", "lider@kos.example"]
    assert_accessible(page)


def test_visitor_proposes_a_club_choosing_the_gmina_with_the_picker(page, live_server, gmina):
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{live_server.url}/clubs/start/")
    assert_accessible(page)

    page.get_by_label("Your name").fill("Piotr Zieliński")
    page.get_by_label("Your email").fill("piotr@example.org")
    page.get_by_role("combobox", name="Gmina").press_sequentially("piasec", delay=30)
    page.get_by_role("option", name="Piaseczno (rural gm., pow. piaseczyński, mazowieckie)").click()
    page.get_by_label("Locality").fill("Żabia Wola")
    page.get_by_label("Proposed club name").fill("KOS Żabia Wola")
    page.get_by_label("Drones (UAV/BSP)").check()
    page.get_by_label("About the club").fill("Mieszkańcy i OSP chcą założyć klub.")
    assert_accessible(page)
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_url("**/clubs/start/thanks/")

    proposed = Club.objects.get(name="KOS Żabia Wola")
    assert (proposed.status, proposed.municipality) == (Club.Status.PROPOSED, gmina)
    assert [p.code for p in proposed.pillars.all()] == ["drones"]
    assert_accessible(page)


def test_contact_over_the_limit_shows_the_message_in_place(page, live_server, club):
    from django.test import Client

    # The test client and the browser both come from 127.0.0.1: use up the hour's five.
    sender = Client()
    for number in range(5):
        sender.post(
            f"/clubs/directory/{club.pk}/contact/",
            {"sender_name": "A", "sender_email": "a@example.org", "message": f"M{number}"},
        )
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{live_server.url}{club.get_public_url()}")
    page.get_by_label("Your name").fill("Anna Nowak")
    page.get_by_label("Your email").fill("anna@example.org")
    page.get_by_label("Message").fill("Szóste pytanie")
    page.get_by_role("button", name="Send the message").click()

    page.get_by_role("alert").filter(has_text="try again in an hour").wait_for()
    assert ClubContactMessage.objects.count() == 5
    assert_accessible(page)
