"""Staff home pages are to-do lists: what waits for a coordinator or a leader, each item
linking to where it is done, counted within their scope only."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from clubs.models import Club, Invitation
from kos_portal.roles import Role
from members.models import Membership
from tests import factories

TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def todos(client, user) -> dict[str, str]:
    client.force_login(user)
    response = client.get(reverse("home"))
    sections = dict(response.context["home_sections"])
    section = sections.get("dashboards/_home_todo.html")
    return None if section is None else {t.text: t.url for t in section["todos"]}


def test_a_leader_sees_applications_certificates_and_agreements_to_act_on(client, world):
    applicant = factories.MemberFactory()
    Membership.objects.create(member=applicant, club=world.club, status="applicant")
    # Another club's applicant is not the leader's business.
    outsider = factories.MemberFactory()
    Membership.objects.create(member=outsider, club=world.other_club, status="applicant")
    factories.CertificateFactory(
        enrolment__session__club=world.club, issued_on=TODAY - timedelta(days=700),
        expires_on=TODAY + timedelta(days=30),
    )  # fmt: skip

    items = todos(client, world.users["leader"])

    assert items["1 application to decide"] == reverse("members:application-list")
    assert items["1 certificate expires within 90 days"].endswith("?expiring=on")
    # world's agreement ends on 2027-01-14: within 90 days of TODAY.
    assert "1 partner agreement ends within 90 days" in items


def test_a_coordinator_is_asked_to_decide_on_proposed_clubs_of_their_gmina(client, world):
    factories.ClubFactory(municipality=world.municipality, status=Club.Status.PROPOSED)
    factories.ClubFactory(municipality=world.other_municipality, status=Club.Status.PROPOSED)

    items = todos(client, world.users["coordinator"])

    assert items["1 proposed club waits for your decision"] == (
        reverse("clubs:club-list") + "?status=proposed"
    )
    assert client.get(reverse("clubs:club-list") + "?status=proposed").status_code == 200


def test_pending_invitations_are_listed_until_accepted(client, world):
    Invitation.objects.filter(club=world.club).delete()
    invitation = Invitation.objects.create(
        email="new@kos.example", role=Role.INSTRUCTOR, club=world.club,
        invited_by=world.users["leader"],
    )  # fmt: skip
    assert "1 invitation not accepted yet" in todos(client, world.users["leader"])
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=invitation.expires_at)
    assert "1 invitation not accepted yet" not in todos(client, world.users["leader"])


def test_the_list_comes_first_and_says_when_nothing_waits(client, world):
    Membership.objects.filter(status="applicant").delete()
    client.force_login(world.users["outsider"])
    response = client.get(reverse("home"))
    templates = [template for template, _section in response.context["home_sections"]]
    assert templates[0] == "dashboards/_home_todo.html"
    assert "Nothing waits for you" in response.content.decode()


@pytest.mark.parametrize("role", ["member", "instructor", "anonymous"])
def test_people_without_a_staff_role_get_no_to_do_list(client, world, role):
    if role == "anonymous":
        assert "To do" not in client.get(reverse("home")).content.decode()
        return
    assert todos(client, world.users[role]) is None


def test_every_link_of_the_list_opens_for_its_reader(client, world):
    Membership.objects.create(member=factories.MemberFactory(), club=world.club, status="applicant")
    factories.ClubFactory(municipality=world.municipality, status=Club.Status.PROPOSED)
    for role in ("coordinator", "leader", "national"):
        for url in todos(client, world.users[role]).values():
            assert client.get(url, follow=True).status_code == 200, (role, url)
