"""The gmina picker (kos_portal/gmina_picker.py): its suggestions, the field's answers to
codes, names and labels, and every form that uses it."""

import pytest
from django import forms
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from clubs.filters import ClubFilter
from clubs.models import Club, Municipality, Pillar
from kos_portal import gmina_picker
from kos_portal.gmina_picker import GminaField, gmina_label
from members.models import Member
from tests import factories
from tests.members.helpers import born_years_ago

SUGGEST = reverse("gmina-suggestions")


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def gminas(db):
    mazowieckie = factories.VoivodeshipFactory(code="14", name="MAZOWIECKIE")
    piaseczynski = factories.PowiatFactory(
        voivodeship=mazowieckie, code="1418", name="piaseczyński"
    )
    grodziski = factories.PowiatFactory(voivodeship=mazowieckie, code="1405", name="grodziski")
    return {
        "piaseczno": factories.MunicipalityFactory(
            powiat=piaseczynski, code="1418053", name="Piaseczno", kind="3"
        ),
        "zlotoklos": factories.MunicipalityFactory(
            powiat=piaseczynski, code="1418062", name="Złotokłos", kind="2"
        ),
        "wies_a": factories.MunicipalityFactory(
            powiat=piaseczynski, code="1418072", name="Nowa Wieś", kind="2"
        ),
        "wies_b": factories.MunicipalityFactory(
            powiat=grodziski, code="1405072", name="Nowa Wieś", kind="2"
        ),
        "old": factories.MunicipalityFactory(
            powiat=grodziski, code="1405082", name="Piasecznik", kind="2", is_current=False
        ),
    }


def labels(response) -> list[str]:
    return [row["label"] for row in response.json()["results"]]


# The suggestions endpoint


def test_a_label_says_the_kind_powiat_and_voivodeship_in_polish(gminas):
    with translation.override("pl"):
        label = gmina_label(gminas["piaseczno"])
    assert label == "Piaseczno (gm. miejsko-wiejska, pow. piaseczyński, mazowieckie)"


def test_suggestions_fold_polish_letters_and_case(client, gminas):
    for typed in ("piasecz", "Piasecz", "PIASECZ"):
        assert labels(client.get(SUGGEST, {"q": typed})) == [
            "Piaseczno (urban-rural gm., pow. piaseczyński, mazowieckie)"
        ]
    for typed in ("zlotoklos", "ZLOTOKLOS", "złotokł"):
        assert client.get(SUGGEST, {"q": typed}).json()["results"] == [
            {
                "pk": gminas["zlotoklos"].pk,
                "code": "1418062",
                "label": "Złotokłos (rural gm., pow. piaseczyński, mazowieckie)",
            }
        ]


def test_suggestions_offer_only_current_gminas(client, gminas):
    assert "Piasecznik" not in str(labels(client.get(SUGGEST, {"q": "piasecz"})))


def test_suggestions_show_both_gminas_of_one_name_and_a_code_prefix_works(client, gminas):
    assert labels(client.get(SUGGEST, {"q": "nowa wies"})) == [
        "Nowa Wieś (rural gm., pow. grodziski, mazowieckie)",
        "Nowa Wieś (rural gm., pow. piaseczyński, mazowieckie)",
    ]
    assert labels(client.get(SUGGEST, {"q": "141806"})) == [
        "Złotokłos (rural gm., pow. piaseczyński, mazowieckie)"
    ]


def test_suggestions_are_at_most_twenty_names_starting_so_first(client, db):
    powiat = factories.PowiatFactory(code="0201", name="bolesławiecki")
    for number in range(25):
        factories.MunicipalityFactory(powiat=powiat, name=f"Dąbrowa {number:02d}")
    factories.MunicipalityFactory(powiat=powiat, name="Stara Dąbrowa")
    found = labels(client.get(SUGGEST, {"q": "dabrowa"}))
    assert len(found) == 20
    assert all(label.startswith("Dąbrowa ") for label in found)
    assert labels(client.get(SUGGEST, {"q": "stara dab"}))[0].startswith("Stara Dąbrowa")
    assert labels(client.get(SUGGEST, {"q": ""})) == []


def test_suggestions_see_a_renamed_gmina(client, gminas):
    assert labels(client.get(SUGGEST, {"q": "piasecz"}))
    Municipality.objects.filter(pk=gminas["piaseczno"].pk).update(name="Piaseczna")
    gminas["piaseczno"].refresh_from_db()
    gminas["piaseczno"].save()  # a save rebuilds the folded names
    assert labels(client.get(SUGGEST, {"q": "piaseczna"}))


def test_suggestions_are_rate_limited(client, gminas, monkeypatch):
    monkeypatch.setattr(gmina_picker, "SUGGESTION_RATE", "2/m")
    assert client.get(SUGGEST, {"q": "p"}).status_code == 200
    assert client.get(SUGGEST, {"q": "pi"}).status_code == 200
    assert client.get(SUGGEST, {"q": "pia"}).status_code == 429


# The field


class CodeForm(forms.Form):
    gmina = GminaField(to_field_name="code")


class PkForm(forms.Form):
    gmina = GminaField(required=False)


def test_the_field_renders_a_text_input_for_the_script_with_the_chosen_label(gminas):
    html = str(PkForm(initial={"gmina": gminas["piaseczno"]})["gmina"])
    assert "data-gmina-picker" in html
    assert 'data-key="pk"' in html
    assert f'data-gmina-key="{gminas["piaseczno"].pk}"' in html
    assert 'value="Piaseczno (urban-rural gm., pow. piaseczyński, mazowieckie)"' in html
    assert 'type="text" name="gmina"' in html
    assert f'data-url="{SUGGEST}"' in html
    assert 'data-key="code"' in str(CodeForm()["gmina"])


@pytest.mark.parametrize(
    "typed", ["1418053", "piaseczno", " PIASECZNO ", "Piaseczno (urban-rural gm., pow. x, y)"]
)
def test_a_code_or_a_unique_name_is_accepted(gminas, typed):
    form = CodeForm({"gmina": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["gmina"] == gminas["piaseczno"]


def test_a_pk_is_accepted_where_the_form_expects_one(gminas):
    form = PkForm({"gmina": str(gminas["zlotoklos"].pk)})
    assert form.is_valid()
    assert form.cleaned_data["gmina"] == gminas["zlotoklos"]
    assert PkForm({"gmina": ""}).is_valid()


def test_a_label_from_the_list_tells_two_gminas_of_one_name_apart(gminas):
    form = CodeForm({"gmina": "Nowa Wieś (rural gm., pow. grodziski, mazowieckie)"})
    assert form.is_valid()
    assert form.cleaned_data["gmina"] == gminas["wies_b"]


def test_an_ambiguous_name_is_refused_in_polish_with_the_choices(gminas, settings):
    settings.LANGUAGE_CODE = "pl"
    with translation.override("pl"):
        form = CodeForm({"gmina": "nowa wies"})
        assert not form.is_valid()
        error = form.errors["gmina"][0]
    assert error.startswith("Kilka gmin nazywa się „nowa wies”")
    assert "Nowa Wieś (gm. wiejska, pow. grodziski, mazowieckie) [1405072]" in error
    assert "Nowa Wieś (gm. wiejska, pow. piaseczyński, mazowieckie) [1418072]" in error


def test_an_unknown_name_is_refused_in_polish_with_close_matches(gminas):
    with translation.override("pl"):
        form = CodeForm({"gmina": "Piasecz"})
        assert not form.is_valid()
        assert form.errors["gmina"] == [
            "Żadna gmina nie nazywa się „Piasecz”. Czy chodzi o: "
            "Piaseczno (gm. miejsko-wiejska, pow. piaseczyński, mazowieckie) [1418053]?"
        ]
        form = CodeForm({"gmina": "Atlantyda"})
        assert not form.is_valid()
        assert "wpisz jej 7-cyfrowy kod TERYT" in form.errors["gmina"][0]
        form = CodeForm({"gmina": "9999999"})
        assert not form.is_valid()
        assert form.errors["gmina"] == ["Żadna gmina nie ma takiego kodu TERYT."]


def test_a_gmina_outside_the_fields_queryset_is_refused(gminas):
    class CurrentOnly(forms.Form):
        gmina = GminaField(queryset=Municipality.objects.filter(is_current=True))

    assert not CurrentOnly({"gmina": "Piasecznik"}).is_valid()
    assert not CurrentOnly({"gmina": "1405082"}).is_valid()


# The forms that use it


def person(**overrides) -> dict:
    return {
        "first_name": "Zofia",
        "last_name": "Żółkiewska",
        "birth_date": born_years_ago(30).isoformat(),
        "email": "zofia@example.pl",
        "phone": "",
        "consent_membership_data": "on",
        "method": "paper",
        **overrides,
    }


@pytest.mark.parametrize("how", ["pk", "code", "name"])
def test_a_leader_registers_a_member_with_a_gmina_by_pk_code_or_name(client, world, how):
    gmina = world.municipality
    typed = {"pk": str(gmina.pk), "code": gmina.code, "name": "piaseczno"}[how]
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, person(municipality=typed))
    assert response.status_code == 302
    assert Member.objects.get(email="zofia@example.pl").municipality == gmina


def test_registration_with_an_unknown_gmina_writes_nothing(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, person(municipality="Atlantyda"))
    assert response.status_code == 200
    assert "No gmina is called “Atlantyda”" in response.content.decode()
    assert not Member.objects.filter(email="zofia@example.pl").exists()


def test_a_public_application_takes_the_gmina_by_name(client, world):
    world.club.status = Club.Status.ACTIVE
    world.club.save()
    url = reverse("members:club-apply", kwargs={"club_pk": world.club.pk})
    response = client.post(url, person(municipality="Sieradz", website=""))
    assert response.status_code == 200
    assert Member.objects.get(email="zofia@example.pl").municipality == world.other_municipality


def test_the_national_club_filter_takes_a_gmina_name_and_a_code(world):
    national = world.users["national"]
    for typed in ("piaseczno", world.municipality.code):
        clubs = ClubFilter({"gmina": typed}, queryset=Club.objects.all(), user=national).qs
        assert list(clubs) == [world.club]
    broken = ClubFilter({"gmina": "Atlantyda"}, queryset=Club.objects.all(), user=national)
    assert not broken.is_valid()


def test_national_staff_found_a_club_in_a_gmina_given_by_name(client, world):
    client.force_login(world.users["national"])
    response = client.post(
        reverse("clubs:club-create"),
        {
            "municipality": "Sieradz",
            "name": "KOS Nowy",
            "locality": "Sieradz",
            "pillars": [Pillar.objects.first().pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Club.objects.get(name="KOS Nowy").municipality == world.other_municipality


def test_a_club_proposal_takes_the_gmina_by_name(client, world):
    response = client.post(
        reverse("clubs:club-propose"),
        {
            "proposer_name": "Piotr Zieliński",
            "proposer_email": "piotr@example.org",
            "municipality": "Piaseczno",
            "name": "KOS Żabia Wola",
            "locality": "Żabia Wola",
            "description": "Grupa mieszkańców.",
            "website": "",
        },
    )
    assert response.status_code == 302
    assert Club.objects.get(name="KOS Żabia Wola").municipality == world.municipality
