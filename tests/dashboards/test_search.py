"""The staff's one search box: folded matching, scoped exactly like the list pages,
personal data logged without the typed text, and a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import PersonalDataAccess
from tests import factories

URL = reverse("dashboards:search")


def found(client, user, typed: str) -> dict[str, list[str]]:
    client.force_login(user)
    response = client.get(URL, {"q": typed})
    assert response.status_code == 200
    return {g.key: [str(row) for row in g.rows] for g in response.context["groups"]}


@pytest.fixture
def zofia(world):
    member = factories.MemberFactory(first_name="Zofia", last_name="Źdźbłowska", email="")
    factories.MembershipFactory(member=member, club=world.club)
    return member


def test_a_leader_finds_a_member_of_their_club_typed_without_polish_letters(client, world, zofia):
    results = found(client, world.users["leader"], "zdzblowska")
    assert results["members"] == [str(zofia)]


def test_the_outsider_finds_nobody_of_another_club(client, world, zofia):
    results = found(client, world.users["outsider"], "zdzblowska")
    assert results["members"] == []
    assert found(client, world.users["outsider"], "Złotokłos")["clubs"] == []


def test_clubs_partners_and_sessions_are_found_by_name(client, world):
    results = found(client, world.users["coordinator"], "zlotoklos")
    assert results["clubs"] == ["KOS Złotokłos"]
    assert results["partners"] == ["OSP Złotokłos"]
    session = world.objects["session"]
    assert str(session) in found(client, world.users["leader"], session.course.code)["sessions"]


def test_certificates_are_found_by_number(client, world):
    certificate = world.objects["certificate"]
    results = found(client, world.users["leader"], certificate.number)
    assert results["certificates"] == [str(certificate)]


@pytest.mark.parametrize("role", ["instructor", "member"])
def test_people_without_a_staff_role_may_not_search(client, world, role):
    client.force_login(world.users[role])
    assert client.get(URL, {"q": "kos"}).status_code == 403


def test_a_search_that_shows_people_is_logged_without_what_was_typed(client, world, zofia):
    found(client, world.users["leader"], "zdzblowska")
    entry = PersonalDataAccess.objects.filter(action=PersonalDataAccess.Action.LIST).latest("pk")
    assert entry.user == world.users["leader"]
    assert entry.member_count == 1
    assert "zdzblowska" not in entry.detail.lower()


def test_one_letter_is_too_short_and_searches_nothing(client, world):
    client.force_login(world.users["leader"])
    response = client.get(URL, {"q": "k"})
    assert response.context["groups"] == []
    assert "Type at least two letters." in response.content.decode()


def test_queries_do_not_grow_with_the_results(client, world):
    client.force_login(world.users["national"])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(URL, {"q": "kos"})
        return len(captured.captured_queries)

    small = count()
    for n in range(15):
        club = factories.ClubFactory(name=f"KOS Nowy {n}", municipality=world.municipality)
        factories.PartnerFactory(name=f"KOS partner {n}", municipality=world.municipality)
        member = factories.MemberFactory(last_name=f"Koslowski{n}")
        factories.MembershipFactory(member=member, club=club)
    assert count() == small


def test_staff_reach_the_search_from_the_menu(client, world):
    client.force_login(world.users["coordinator"])
    items = dict((str(label), url) for url, label in client.get("/").context["nav_items"])
    assert items["Search"] == URL
