"""A club's locality is picked from the GUS SIMC register where it holds the club's gmina."""

from django.urls import reverse

from clubs.forms.clubs import ClubForm
from clubs.models import Locality


def _register(world):
    for sym, name in (("0006652", "Złotokłos"), ("0006600", "Piaseczno"), ("0006700", "Złotki")):
        Locality.objects.create(
            sym=sym, parent_sym=sym, municipality=world.municipality, name=name, kind="01"
        )


def _data(club, **changes) -> dict:
    data = {
        "name": club.name,
        "locality": "",
        "address": "",
        "founded_on": "",
        "contact_email": "",
        "contact_phone": "",
        "description": "",
        "pillars": [],
        "latitude": "",
        "longitude": "",
    }
    data.update(changes)
    return data


def test_a_locality_typed_without_polish_letters_is_stored_as_the_register_writes_it(world):
    _register(world)
    form = ClubForm(_data(world.club, locality="zlotoklos"), instance=world.club)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["locality"] == "Złotokłos"


def test_a_locality_the_register_lacks_is_refused_with_close_matches(world):
    _register(world)
    form = ClubForm(_data(world.club, locality="Złotk"), instance=world.club)
    assert not form.is_valid()
    message = form.errors["locality"][0]
    assert "no locality “Złotk”" in message and "Złotki" in message


def test_without_the_register_any_locality_is_accepted(world):
    form = ClubForm(_data(world.club, locality="Nowa Osada"), instance=world.club)
    assert form.is_valid(), form.errors


def test_the_edit_page_suggests_the_gminas_localities(client, world):
    _register(world)
    client.force_login(world.users["leader"])
    page = client.get(reverse("clubs:club-edit", kwargs={"club_pk": world.club.pk}))
    html = page.content.decode()
    assert 'list="locality-register"' in html
    assert '<option value="Złotokłos"></option>' in html
