"""The staff club list: filters, search, sorting, pages, htmx fragments and exports."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from clubs.models import Club, Pillar
from tests import factories

LIST = reverse("clubs:club-list")
EXPORT = reverse("clubs:club-export")


def names(response) -> list[str]:
    assert response.status_code == 200
    return [club.name for club in response.context["page"]]


@pytest.fixture
def country(world):
    """Clubs in two voivodeships, three powiats and four gminas, seen by national staff.

    The codes are odd because the factories make only even ones: no accidental matches.
    """
    mazowieckie = factories.VoivodeshipFactory(code="97", name="mazowieckie")
    lubelskie = factories.VoivodeshipFactory(code="95", name="lubelskie")
    piaseczynski = factories.PowiatFactory(code="9718", voivodeship=mazowieckie)
    otwocki = factories.PowiatFactory(code="9717", voivodeship=mazowieckie)
    krasnostawski = factories.PowiatFactory(code="9507", voivodeship=lubelskie)
    gminas = {
        "prazmow": factories.MunicipalityFactory(code="9718062", powiat=piaseczynski),
        "tarczyn": factories.MunicipalityFactory(code="9718072", powiat=piaseczynski),
        "karczew": factories.MunicipalityFactory(code="9717033", powiat=otwocki),
        "zolkiewka": factories.MunicipalityFactory(code="9507082", powiat=krasnostawski),
    }
    first, second = Pillar.objects.order_by("number")[:2]
    clubs = {
        "Prażmów": factories.ClubFactory(name="KOS Prażmów", municipality=gminas["prazmow"]),
        "Tarczyn": factories.ClubFactory(
            name="KOS Tarczyn", municipality=gminas["tarczyn"], status=Club.Status.SUSPENDED
        ),
        "Karczew": factories.ClubFactory(
            name="KOS Karczew",
            municipality=gminas["karczew"],
            status=Club.Status.PROPOSED,
            founded_on=date(2025, 3, 1),
        ),
        "Żółkiewka": factories.ClubFactory(
            name="KOS Żółkiewka", municipality=gminas["zolkiewka"], founded_on=date(2024, 9, 1)
        ),
    }
    clubs["Prażmów"].pillars.add(first)
    clubs["Żółkiewka"].pillars.add(first, second)
    return {"gminas": gminas, "clubs": clubs, "pillars": (first, second)}


@pytest.fixture
def national(client, world):
    client.force_login(world.users["national"])
    return client


# --- Filters --------------------------------------------------------------------------


def test_voivodeship_filter(national, country):
    assert names(national.get(LIST, {"voivodeship": "95"})) == ["KOS Żółkiewka"]


def test_powiat_filter(national, country):
    assert names(national.get(LIST, {"powiat": "9718"})) == ["KOS Prażmów", "KOS Tarczyn"]


def test_gmina_filter_by_teryt_code(national, country):
    assert names(national.get(LIST, {"gmina": "9717033"})) == ["KOS Karczew"]


def test_status_filter(national, country):
    assert names(national.get(LIST, {"status": "suspended"})) == ["KOS Tarczyn"]


def test_pillar_filter(national, country):
    _first, second = country["pillars"]
    assert names(national.get(LIST, {"pillar": second.code})) == ["KOS Żółkiewka"]


def test_filters_combine(national, country):
    first, _second = country["pillars"]
    response = national.get(LIST, {"voivodeship": "97", "pillar": first.code})
    assert names(response) == ["KOS Prażmów"]


@pytest.mark.parametrize("query", ["ŻÓŁ", "żółk", "  kos   żółkiewka "])
def test_polish_text_search_folds_case(national, country, query):
    assert names(national.get(LIST, {"q": query})) == ["KOS Żółkiewka"]


def test_an_invalid_filter_shows_nothing_and_says_why(national, country):
    response = national.get(LIST, {"gmina": "9999999"})
    assert names(response) == []
    assert "No gmina has this TERYT code." in response.text


def test_coordinator_cannot_filter_their_way_into_another_gmina(client, world, country):
    client.force_login(world.users["coordinator"])
    assert names(client.get(LIST)) == ["KOS Złotokłos"]
    assert names(client.get(LIST, {"gmina": world.other_municipality.code})) == []


def test_coordinator_is_offered_only_their_gminas(client, world, country):
    client.force_login(world.users["coordinator"])
    response = client.get(LIST)
    offered = list(response.context["filter"].form.fields["gmina"].queryset)
    assert offered == [world.municipality]


# --- Sorting and pages ----------------------------------------------------------------


def test_default_order_is_by_name(national, country):
    assert names(national.get(LIST))[:3] == ["KOS Karczew", "KOS Prażmów", "KOS Sieradz"]


def test_sort_by_name_descending(national, country):
    assert names(national.get(LIST, {"sort": "-name"}))[0] == "KOS Żółkiewka"


def test_sort_by_status(national, country):
    statuses = [club.status for club in national.get(LIST, {"sort": "status"}).context["page"]]
    assert statuses == sorted(statuses)
    assert statuses[0] == "active" and statuses[-1] == "suspended"


def test_sort_by_founding_date(national, country):
    response = national.get(LIST, {"sort": "-founded", "voivodeship": "97"})
    assert names(response)[0] in {"KOS Prażmów", "KOS Tarczyn", "KOS Karczew"}
    founded = [c.name for c in national.get(LIST, {"sort": "founded"}).context["page"]]
    dated = [name for name in founded if name in {"KOS Karczew", "KOS Żółkiewka"}]
    assert dated == ["KOS Żółkiewka", "KOS Karczew"]


def test_sort_by_gmina(national, country):
    gminas = [c.municipality.name for c in national.get(LIST, {"sort": "gmina"}).context["page"]]
    assert gminas == sorted(gminas)


def test_unknown_sort_keys_are_refused(national, country):
    response = national.get(LIST, {"sort": "proposer_email"})
    assert names(response) == []
    assert response.context["filter"].errors


def test_sort_headers_mark_the_current_order(national, country):
    response = national.get(LIST, {"sort": "-gmina"})
    assert 'aria-sort="descending"' in response.text
    assert "?sort=gmina" in response.text


def test_the_list_has_fifty_clubs_a_page(national, world):
    for n in range(60):
        factories.ClubFactory(name=f"Klub {n:02d}", municipality=world.municipality)
    first = national.get(LIST, {"status": "active"})
    second = national.get(LIST, {"status": "active", "page": 2})
    assert len(names(first)) == 50
    assert len(names(second)) == 62 - 50
    assert set(names(first)).isdisjoint(names(second))


# --- htmx -----------------------------------------------------------------------------


def test_htmx_filtering_returns_just_the_table(national, country):
    response = national.get(LIST, {"status": "proposed"}, headers={"HX-Request": "true"})
    assert names(response) == ["KOS Karczew"]
    assert "<html" not in response.text
    assert "<table>" in response.text
    assert "HX-Request" in response["Vary"]


def test_a_full_page_load_has_the_filter_form(national, country):
    response = national.get(LIST)
    assert "<html" in response.text
    assert 'hx-push-url="true"' in response.text


# --- Exports --------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_csv_export_holds_the_filtered_rows(national, country):
    rows = csv_rows(national.get(EXPORT, {"format": "csv", "powiat": "9718", "sort": "-name"}))
    assert rows[0][:3] == ["Club", "TERYT code", "Gmina"]
    assert [row[0] for row in rows[1:]] == ["KOS Tarczyn", "KOS Prażmów"]


def test_xlsx_export_holds_the_filtered_rows(national, country):
    rows = xlsx_rows(national.get(EXPORT, {"format": "xlsx", "q": "ŻÓŁ"}))
    assert [row[0] for row in rows[1:]] == ["KOS Żółkiewka"]
    assert rows[1][1] == "9507082"


def test_export_holds_only_what_the_user_may_see(client, world, country):
    client.force_login(world.users["coordinator"])
    rows = csv_rows(client.get(EXPORT, {"format": "csv"}))
    assert [row[0] for row in rows[1:]] == ["KOS Złotokłos"]
    rows = xlsx_rows(client.get(EXPORT, {"format": "xlsx", "gmina": world.other_municipality.code}))
    assert rows[1:] == []


def test_exports_neutralise_formulas(national, world):
    factories.ClubFactory(
        name='=HYPERLINK("http://evil.example","x")',
        address="+48 123",
        municipality=world.municipality,
    )
    csv_row = csv_rows(national.get(EXPORT, {"format": "csv", "q": "hyperlink"}))[1]
    xlsx_row = xlsx_rows(national.get(EXPORT, {"format": "xlsx", "q": "hyperlink"}))[1]
    for row in (csv_row, xlsx_row):
        assert row[0] == '\'=HYPERLINK("http://evil.example","x")'
        assert row[8] == "'+48 123"


def test_unknown_export_format_is_not_found(national, country):
    assert national.get(EXPORT, {"format": "pdf"}).status_code == 404


def test_member_cannot_export(client, world):
    client.force_login(world.users["member"])
    assert client.get(EXPORT).status_code == 403


# --- Query counts ---------------------------------------------------------------------


def queries_for(client, url: str, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("role", ["national", "coordinator", "leader"])
@pytest.mark.parametrize("params", [{}, {"q": "kos", "sort": "-gmina", "status": "active"}])
def test_list_query_count_does_not_grow(client, world, role, params):
    client.force_login(world.users[role])
    small = queries_for(client, LIST, params)
    for _ in range(6):
        club = factories.ClubFactory(name="KOS extra", municipality=world.municipality)
        club.pillars.set(Pillar.objects.all())
        factories.MembershipFactory(club=club)
        factories.AssignmentFactory(user=world.users["leader"], role="leader", club=club)
    assert queries_for(client, LIST, params) == small
