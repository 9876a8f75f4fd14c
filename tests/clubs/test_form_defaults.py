"""Small form courtesies from issue #14: the invite form preselects a leader's only club,
and approving a club says that the leader's invitation went out."""

from django.contrib.messages import get_messages
from django.urls import reverse

from clubs.models import Club, Invitation
from kos_portal.roles import Role
from tests import factories
from tests.clubs.test_club_lifecycle import found
from tests.forms import form_values


def test_the_invite_form_preselects_a_leaders_only_club(client, world):
    client.force_login(world.users["leader"])
    html = client.get(reverse("clubs:invitation-create")).content.decode()
    assert form_values(html)["club"] == [str(world.club.pk)]


def test_a_leader_of_two_clubs_chooses_the_club(client, world):
    second = factories.ClubFactory(municipality=world.municipality)
    factories.AssignmentFactory(user=world.users["leader"], role=Role.LEADER, club=second)
    client.force_login(world.users["leader"])
    html = client.get(reverse("clubs:invitation-create")).content.decode()
    assert form_values(html).get("club", [""]) == [""]


def test_approving_a_club_says_the_leaders_invitation_went_out(client, world):
    club = found(world)
    client.force_login(world.users["coordinator"])
    url = reverse("clubs:club-status", kwargs={"club_pk": club.pk})
    response = client.post(
        url,
        {
            "to_status": Club.Status.ACTIVE,
            "reason": "Ready.",
            "first_leader_email": "ala@kos.example",
        },
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The club is approved. An invitation to lead it was sent to ala@kos.example."
    ]
    assert Invitation.objects.filter(club=club, role=Role.LEADER, email="ala@kos.example").exists()
