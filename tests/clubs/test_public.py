"""The public side of clubs: the directory and its map, club pages, the contact form and
the "start a club" form."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clubs import map as club_map
from clubs import public_selectors
from clubs.models import Club, ClubContactMessage, ClubStatusChange, Pillar
from clubs.services import public as services
from clubs.tasks import contact_message_send_task
from tests import factories

DIRECTORY = reverse("clubs:directory")
PROPOSE = reverse("clubs:club-propose")


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # Rate-limit counters live in the cache, which outlives a single test.
    cache.clear()


def gmina_in(voivodeship_code: str, name: str = "Gmina", powiat_code: str | None = None):
    voivodeship = factories.VoivodeshipFactory(
        code=voivodeship_code, name=club_map.VOIVODESHIPS[voivodeship_code]
    )
    powiat = factories.PowiatFactory(
        voivodeship=voivodeship, code=powiat_code or f"{voivodeship_code}01"
    )
    return factories.MunicipalityFactory(powiat=powiat, name=name)


def contact_url(club) -> str:
    return reverse("clubs:public-contact", kwargs={"club_pk": club.pk})


def contact_data(**overrides) -> dict:
    return {
        "sender_name": "Anna Nowak",
        "sender_email": "anna@example.org",
        "message": "Dzień dobry, kiedy jest następne spotkanie?",
        "website": "",
        **overrides,
    }


def proposal_data(gmina, /, **overrides) -> dict:
    return {
        "proposer_name": "Piotr Zieliński",
        "proposer_email": "piotr@example.org",
        "proposer_phone": "+48 600 100 200",
        "municipality": gmina.code,
        "name": "KOS Żabia Wola",
        "locality": "Żabia Wola",
        "pillars": [Pillar.objects.get(code="first-aid").pk],
        "description": "Grupa mieszkańców i OSP chce założyć klub.",
        "website": "",
        **overrides,
    }


def names_in(response) -> list[str]:
    return [club.name for club in response.context["page"]]


# --- Directory -----------------------------------------------------------------------


@pytest.mark.django_db
def test_directory_shows_only_active_clubs(client):
    gmina = gmina_in("14")
    factories.ClubFactory(name="Aktywny", municipality=gmina)
    for status in ("proposed", "suspended", "closed"):
        factories.ClubFactory(name=f"Klub {status}", municipality=gmina, status=status)

    response = client.get(DIRECTORY)

    assert response.status_code == 200
    assert names_in(response) == ["Aktywny"]
    assert "Klub proposed" not in response.content.decode()


@pytest.mark.django_db
def test_directory_is_sorted_by_name(client):
    gmina = gmina_in("14")
    for name in ("Cedry", "Adamów", "Bobrowniki"):
        factories.ClubFactory(name=name, municipality=gmina)

    assert names_in(client.get(DIRECTORY)) == ["Adamów", "Bobrowniki", "Cedry"]


@pytest.mark.django_db
def test_directory_filters_by_voivodeship_powiat_and_gmina(client):
    piaseczno = gmina_in("14", "Piaseczno", powiat_code="1418")
    lesznowola = factories.MunicipalityFactory(powiat=piaseczno.powiat, name="Lesznowola")
    radom = gmina_in("14", "Radom", powiat_code="1465")
    krakow = gmina_in("12", "Kraków", powiat_code="1261")
    factories.ClubFactory(name="KOS Piaseczno", municipality=piaseczno)
    factories.ClubFactory(name="KOS Lesznowola", municipality=lesznowola)
    factories.ClubFactory(name="KOS Radom", municipality=radom)
    factories.ClubFactory(name="KOS Kraków", municipality=krakow)

    by_voivodeship = client.get(DIRECTORY, {"voivodeship": "14"})
    by_powiat = client.get(DIRECTORY, {"voivodeship": "14", "powiat": "1418"})
    by_gmina = client.get(DIRECTORY, {"gmina": lesznowola.code})

    assert names_in(by_voivodeship) == ["KOS Lesznowola", "KOS Piaseczno", "KOS Radom"]
    assert names_in(by_powiat) == ["KOS Lesznowola", "KOS Piaseczno"]
    assert names_in(by_gmina) == ["KOS Lesznowola"]


@pytest.mark.django_db
def test_directory_offers_only_the_powiats_of_the_chosen_voivodeship(client):
    gmina_in("14", powiat_code="1418")
    gmina_in("12", powiat_code="1261")

    response = client.get(DIRECTORY, {"voivodeship": "14"})

    powiats = [p.code for p in response.context["filter"].form.fields["powiat"].queryset]
    assert powiats == ["1418"]


@pytest.mark.django_db
def test_directory_filters_by_pillar(client):
    gmina = gmina_in("14")
    drones = Pillar.objects.get(code="drones")
    factories.ClubFactory(name="Z dronami", municipality=gmina).pillars.add(drones)
    factories.ClubFactory(name="Bez dronów", municipality=gmina)

    assert names_in(client.get(DIRECTORY, {"pillar": "drones"})) == ["Z dronami"]


@pytest.mark.django_db
def test_directory_search_folds_polish_letters(client):
    gmina = gmina_in("14")
    factories.ClubFactory(name="KOS Żółkiewka", municipality=gmina)
    factories.ClubFactory(name="KOS Sieradz", municipality=gmina, locality="Łask")

    assert names_in(client.get(DIRECTORY, {"q": "ŻÓŁK"})) == ["KOS Żółkiewka"]
    assert names_in(client.get(DIRECTORY, {"q": "łask"})) == ["KOS Sieradz"]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["zlotoklos", "ZLOTOKLOS", "Złotokłos", "kos zlotok"])
def test_directory_search_finds_polish_names_typed_without_polish_letters(client, typed):
    gmina = gmina_in("14")
    factories.ClubFactory(name="KOS Złotokłos", municipality=gmina)
    factories.ClubFactory(name="KOS Sieradz", municipality=gmina)

    assert names_in(client.get(DIRECTORY, {"q": typed})) == ["KOS Złotokłos"]


@pytest.mark.django_db
def test_directory_search_looks_at_the_gmina(client):
    piaseczno = factories.MunicipalityFactory(name="Piaseczno")
    factories.ClubFactory(name="KOS Złotokłos", municipality=piaseczno)
    factories.ClubFactory(name="KOS Sieradz", municipality=gmina_in("14"))

    assert names_in(client.get(DIRECTORY, {"q": "Piaseczno"})) == ["KOS Złotokłos"]


@pytest.mark.django_db
def test_directory_is_paginated(client):
    gmina = gmina_in("14")
    for number in range(30):
        factories.ClubFactory(name=f"Klub {number:02d}", municipality=gmina)

    first = client.get(DIRECTORY)
    second = client.get(DIRECTORY, {"page": 2})

    assert len(names_in(first)) == 25
    assert names_in(second) == [f"Klub {n}" for n in range(25, 30)]


# --- Map -----------------------------------------------------------------------------


def map_links(html: str) -> dict[str, str]:
    """aria-label -> href of every tile link in the SVG map."""
    svg = html[html.index("<svg") : html.index("</svg>")]
    return dict(
        (label, href) for href, label in re.findall(r'<a href="([^"]+)" aria-label="([^"]+)"', svg)
    )


@pytest.mark.django_db
def test_map_counts_active_clubs_per_voivodeship_and_links_each_tile(client):
    mazowieckie = gmina_in("14")
    malopolskie = gmina_in("12")
    factories.ClubFactory.create_batch(3, municipality=mazowieckie)
    factories.ClubFactory(municipality=malopolskie)
    factories.ClubFactory(municipality=malopolskie, status=Club.Status.PROPOSED)

    links = map_links(client.get(DIRECTORY).content.decode())

    assert len(links) == 16
    assert links["mazowieckie: 3 clubs"] == f"{DIRECTORY}?voivodeship=14"
    assert links["małopolskie: 1 club"] == f"{DIRECTORY}?voivodeship=12"
    assert links["podlaskie: 0 clubs"] == f"{DIRECTORY}?voivodeship=20"


@pytest.mark.django_db
def test_map_tile_link_leads_to_that_voivodeships_clubs(client):
    factories.ClubFactory(name="Mazowiecki", municipality=gmina_in("14"))
    factories.ClubFactory(name="Małopolski", municipality=gmina_in("12"))
    href = map_links(client.get(DIRECTORY).content.decode())["mazowieckie: 1 club"]

    assert names_in(client.get(href)) == ["Mazowiecki"]


@pytest.mark.django_db
def test_map_table_repeats_the_numbers(client):
    factories.ClubFactory.create_batch(2, municipality=gmina_in("30"))

    html = client.get(DIRECTORY).content.decode()
    table = html[html.index("</svg>") :]

    assert re.search(r"wielkopolskie</a></th><td class=\"num\">2</td>", table)
    assert re.search(r"<tfoot>.*<td class=\"num\">2</td>", table, re.S)


@pytest.mark.django_db
def test_map_counts_come_from_one_aggregate_query(django_assert_num_queries):
    factories.ClubFactory.create_batch(2, municipality=gmina_in("14"))
    factories.ClubFactory(municipality=gmina_in("02"))

    with django_assert_num_queries(1):
        counts = public_selectors.voivodeship_club_counts()

    assert counts == {"14": 2, "02": 1}


def test_map_shades_tiles_relative_to_the_busiest_voivodeship():
    tiles = {tile.code: tile for tile in club_map.tile_map({"14": 8, "12": 1, "02": 4}).tiles}

    assert (tiles["14"].level, tiles["02"].level, tiles["12"].level) == (4, 2, 1)
    assert tiles["20"].level == 0
    assert {tile.code for tile in tiles.values()} == set(club_map.VOIVODESHIPS)


# --- Public club page ----------------------------------------------------------------


@pytest.mark.django_db
def test_public_club_page_shows_the_club(client, world):
    world.club.pillars.add(Pillar.objects.get(code="cyber"))
    world.club.description = "Spotykamy się w remizie."
    world.club.save()

    response = client.get(world.club.get_public_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert "KOS Złotokłos" in html
    assert "Piaseczno" in html
    assert "Spotykamy się w remizie." in html
    assert "OSP Złotokłos" in html
    assert str(Pillar.objects.get(code="cyber").name) in html
    assert 'id="contact-form"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["proposed", "suspended", "closed"])
def test_public_club_page_is_404_unless_the_club_is_active(client, world, status):
    world.club.status = status
    world.club.save()

    assert client.get(world.club.get_public_url()).status_code == 404
    assert client.get(contact_url(world.club)).status_code == 404
    assert client.post(contact_url(world.club), contact_data()).status_code == 404
    assert not ClubContactMessage.objects.exists()


@pytest.mark.django_db
def test_public_club_page_shows_no_email_address_or_phone(client, world):
    world.club.contact_email = "klub.zlotoklos@kos.example"
    world.club.contact_phone = "+48 22 111 22 33"
    world.club.save()
    partner = world.objects["partner"]
    partner.contact_email = "osp@kos.example"
    partner.contact_phone = "+48 22 999 88 77"
    partner.save()

    html = client.get(world.club.get_public_url()).content.decode()

    for secret in (
        "klub.zlotoklos@kos.example",
        "+48 22 111 22 33",
        "osp@kos.example",
        "+48 22 999 88 77",
        world.users["leader"].email,
        world.users["instructor"].email,
    ):
        assert secret not in html
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", html)


# --- Contact form --------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_message_is_stored_and_emailed_to_leaders_with_reply_to_the_sender(
    client, world, django_capture_on_commit_callbacks
):
    world.club.contact_email = "klub@kos.example"
    world.club.save()
    second_leader = factories.leader_of(world.club, email="leader2@kos.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(contact_url(world.club), contact_data())

    assert response.status_code == 302
    assert response["Location"] == world.club.get_public_url()
    contact = ClubContactMessage.objects.get()
    assert (contact.club, contact.sender_email) == (world.club, "anna@example.org")
    assert contact.sent_at is not None
    [email] = mail.outbox
    assert sorted(email.to) == sorted(
        ["leader@kos.example", second_leader.email, "klub@kos.example"]
    )
    assert email.reply_to == ["anna@example.org"]
    assert "kiedy jest następne spotkanie?" in email.body
    assert "Anna Nowak" in email.subject
    page = client.get(response["Location"]).content.decode()
    assert "leader@kos.example" not in page
    assert "Thank you" in page


@pytest.mark.django_db
def test_contact_message_skips_ended_leaders(client, world, django_capture_on_commit_callbacks):
    ended = factories.leader_of(world.club, email="former@kos.example")
    ended.assignments.update(ended_at="2024-01-01T00:00:00Z")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(contact_url(world.club), contact_data())

    assert mail.outbox[0].to == ["leader@kos.example"]


@pytest.mark.django_db
def test_contact_through_htmx_swaps_in_a_thank_you(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            contact_url(world.club), contact_data(), headers={"HX-Request": "true"}
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="contact-form"' in html
    assert "Thank you" in html
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_contact_form_errors_are_shown_and_nothing_is_stored(client, world):
    response = client.post(
        contact_url(world.club), contact_data(sender_email="not-an-email", message="x" * 5001)
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"sender_email", "message"}
    assert "5000" in str(errors["message"])
    assert not ClubContactMessage.objects.exists()


@pytest.mark.django_db
def test_contact_honeypot_stores_and_sends_nothing(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(contact_url(world.club), contact_data(website="http://spam"))

    assert response.status_code == 302  # the bot is told nothing
    assert not ClubContactMessage.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_contact_over_the_rate_limit_gets_429(client, world):
    for number in range(5):
        response = client.post(contact_url(world.club), contact_data(message=f"Pytanie {number}"))
        assert response.status_code == 302

    response = client.post(contact_url(world.club), contact_data(message="Pytanie 6"))

    assert response.status_code == 429
    assert "try again in an hour" in response.content.decode()
    assert ClubContactMessage.objects.count() == 5


@pytest.mark.django_db
def test_contact_rate_limit_answers_htmx_with_a_fragment(client, world):
    for number in range(5):
        client.post(contact_url(world.club), contact_data(message=f"Pytanie {number}"))

    response = client.post(
        contact_url(world.club), contact_data(message="Pytanie 6"), headers={"HX-Request": "true"}
    )

    assert response.status_code == 429
    assert 'role="alert"' in response.content.decode()
    assert "<html" not in response.content.decode()


@pytest.mark.django_db
def test_invalid_contact_submissions_do_not_count_towards_the_limit(client, world):
    for _ in range(6):
        client.post(contact_url(world.club), contact_data(sender_email="typo"))

    assert client.post(contact_url(world.club), contact_data()).status_code == 302


@pytest.mark.django_db
def test_contact_task_sends_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.contact_message_create(
            club=world.club,
            sender_name="Anna",
            sender_email="anna@example.org",
            message="Pytanie",
        )
    contact_message_send_task(contact.pk)
    contact_message_send_task(contact.pk + 1000)  # gone: nothing to do

    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_contact_sent_twice_is_stored_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            services.contact_message_create(
                club=world.club, sender_name="Anna", sender_email="anna@example.org", message="Hej"
            )

    assert ClubContactMessage.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_contact_sender_name_cannot_inject_headers(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.contact_message_create(
            club=world.club,
            sender_name="Anna\r\nBcc: victim@example.org",
            sender_email="anna@example.org",
            message="Hej",
        )

    [email] = mail.outbox
    assert "\n" not in email.subject
    assert "victim@example.org" not in email.recipients()


@pytest.mark.django_db
def test_club_without_leaders_or_address_gets_messages_through_its_coordinator(
    world, django_capture_on_commit_callbacks
):
    club = factories.ClubFactory(municipality=world.municipality)

    with django_capture_on_commit_callbacks(execute=True):
        services.contact_message_create(
            club=club, sender_name="Anna", sender_email="anna@example.org", message="Hej"
        )

    assert mail.outbox[0].to == ["coordinator@kos.example"]


# --- Start a club --------------------------------------------------------------------


@pytest.mark.django_db
def test_proposal_creates_a_proposed_club_with_history_and_emails_the_coordinator(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PROPOSE, proposal_data(world.municipality))

    assert response.status_code == 302
    assert response["Location"] == reverse("clubs:club-propose-done")
    club = Club.objects.get(name="KOS Żabia Wola")
    assert club.status == Club.Status.PROPOSED
    assert club.municipality == world.municipality
    assert (club.proposer_name, club.proposer_email, club.proposer_phone) == (
        "Piotr Zieliński",
        "piotr@example.org",
        "+48 600 100 200",
    )
    assert [p.code for p in club.pillars.all()] == ["first-aid"]
    change = ClubStatusChange.objects.get(club=club)
    assert (change.from_status, change.to_status, change.changed_by) == ("", "proposed", None)
    assert change.reason == "Proposed through the public form"
    [email] = mail.outbox
    assert email.to == ["coordinator@kos.example"]
    assert email.reply_to == ["piotr@example.org"]
    assert "KOS Żabia Wola" in email.subject
    assert club.get_absolute_url() in email.body


@pytest.mark.django_db
def test_proposal_in_a_gmina_without_coordinator_goes_to_national_staff(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROPOSE, proposal_data(world.other_municipality))

    assert [email.to for email in mail.outbox] == [["national@kos.example"]]


@pytest.mark.django_db
def test_proposal_with_the_gmina_given_by_its_name(client, world):
    gmina = world.municipality
    response = client.post(PROPOSE, proposal_data(gmina, municipality="piaseczno"))

    assert response.status_code == 302
    assert Club.objects.get(name="KOS Żabia Wola").municipality == gmina


@pytest.mark.django_db
def test_proposal_with_an_unknown_teryt_code_creates_nothing(client, world):
    response = client.post(PROPOSE, proposal_data(world.municipality, municipality="9999999"))

    assert response.status_code == 200
    assert response.context["form"].errors["municipality"] == ["No gmina has this TERYT code."]
    assert not Club.objects.filter(status=Club.Status.PROPOSED).exists()
    assert not ClubStatusChange.objects.exists()


@pytest.mark.django_db
def test_proposal_with_missing_fields_says_what_is_missing_and_creates_nothing(client, world):
    response = client.post(PROPOSE, {"proposer_email": "piotr@example.org"})

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert {"proposer_name", "name", "locality", "description", "municipality"} <= set(errors)
    assert errors["municipality"] == ["This field is required."]
    assert not Club.objects.filter(status=Club.Status.PROPOSED).exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_proposal_with_a_gmina_name_two_gminas_share_is_refused_with_both(client, world):
    namesake = factories.MunicipalityFactory(name="Piaseczno")
    response = client.post(PROPOSE, proposal_data(world.municipality, municipality="Piaseczno"))

    assert response.status_code == 200
    [error] = response.context["form"].errors["municipality"]
    assert error.startswith("Several gminas are called “Piaseczno”")
    assert f"[{world.municipality.code}]" in error and f"[{namesake.code}]" in error
    assert not Club.objects.filter(status=Club.Status.PROPOSED).exists()


@pytest.mark.django_db
def test_proposal_with_a_bad_phone_is_refused(client, world):
    response = client.post(PROPOSE, proposal_data(world.municipality, proposer_phone="call me"))

    assert "proposer_phone" in response.context["form"].errors
    assert not Club.objects.filter(status=Club.Status.PROPOSED).exists()


@pytest.mark.django_db
def test_proposal_honeypot_creates_nothing(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PROPOSE, proposal_data(world.municipality, website="spam"))

    assert response.status_code == 302
    assert not Club.objects.filter(status=Club.Status.PROPOSED).exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_proposal_over_the_rate_limit_gets_429(client, world):
    for number in range(3):
        data = proposal_data(world.municipality, name=f"Klub {number}")
        assert client.post(PROPOSE, data).status_code == 302

    response = client.post(PROPOSE, proposal_data(world.municipality, name="Klub 4"))

    assert response.status_code == 429
    assert "try again in an hour" in response.content.decode()
    assert Club.objects.filter(status=Club.Status.PROPOSED).count() == 3


@pytest.mark.django_db
def test_proposing_the_same_club_twice_creates_one(world, django_capture_on_commit_callbacks):
    kwargs = {
        "municipality": world.municipality,
        "name": "KOS Żabia Wola",
        "locality": "Żabia Wola",
        "description": "Opis",
        "proposer_name": "Piotr",
        "proposer_email": "piotr@example.org",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = services.club_propose(**kwargs)
        second = services.club_propose(**{**kwargs, "name": "kos żabia  wola"})

    assert first == second
    assert ClubStatusChange.objects.filter(club=first).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_proposal_for_a_gmina_no_longer_in_the_register_is_refused(world):
    world.municipality.is_current = False
    world.municipality.save()

    with pytest.raises(services.ValidationError, match="no longer in the TERYT register"):
        services.club_propose(
            municipality=world.municipality,
            name="KOS",
            locality="X",
            description="Opis",
            proposer_name="Piotr",
            proposer_email="piotr@example.org",
        )
    assert not Club.objects.filter(status=Club.Status.PROPOSED).exists()


@pytest.mark.django_db
def test_public_home_page_links_to_the_directory_and_the_start_form(client):
    html = client.get("/").content.decode()

    assert f'href="{DIRECTORY}"' in html
    assert f'href="{PROPOSE}"' in html


# --- Query counts --------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?voivodeship=14", "?voivodeship=14&powiat=1418"])
def test_directory_query_count_does_not_grow_with_the_data(client, query):
    gmina = gmina_in("14", powiat_code="1418")
    factories.ClubFactory(municipality=gmina).pillars.add(*Pillar.objects.all()[:2])
    small = queries_for(client, DIRECTORY + query)

    for code in ("12", "02", "30"):
        other = gmina_in(code)
        for _ in range(3):
            club = factories.ClubFactory(municipality=other)
            club.pillars.add(*Pillar.objects.all())
    for _ in range(5):
        factories.ClubFactory(municipality=gmina).pillars.add(*Pillar.objects.all())

    assert queries_for(client, DIRECTORY + query) == small


@pytest.mark.django_db
def test_public_club_page_query_count_does_not_grow_with_the_data(client, world):
    url = world.club.get_public_url()
    small = queries_for(client, url)

    world.club.pillars.add(*Pillar.objects.all())
    for _ in range(5):
        partner = factories.PartnerFactory(municipality=world.municipality)
        world.club.partner_links.create(partner=partner)
        factories.leader_of(world.club)

    assert queries_for(client, url) == small
