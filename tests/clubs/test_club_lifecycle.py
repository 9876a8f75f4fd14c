"""A club's life: who founds it where, its statuses and their history, and its leaders."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clubs.models import Assignment, Club, ClubStatusChange, Invitation, PartnerLink, Pillar
from clubs.selectors import club_points
from clubs.services import clubs as services
from kos_portal.roles import Role
from tests import factories

Status = Club.Status


def found(world, who: str = "coordinator", **kwargs) -> Club:
    kwargs.setdefault("municipality", world.municipality)
    kwargs.setdefault("name", "KOS Żółkiewka")
    return services.club_found(founded_by=world.users[who], **kwargs)


def change(
    world, club, to_status, who: str = "coordinator", reason="Decided at the meeting.", **kw
):
    return services.club_status_change(
        club=club, to_status=to_status, changed_by=world.users[who], reason=reason, **kw
    )


def active_leaders(club) -> set:
    return set(
        Assignment.objects.active()
        .filter(club=club, role=Role.LEADER)
        .values_list("user__email", flat=True)
    )


# --- Founding -------------------------------------------------------------------------


def test_coordinator_founds_a_proposed_club_in_their_gmina(world):
    pillars = list(Pillar.objects.all()[:2])
    club = found(world, address="ul. Lipowa 1", pillars=pillars)

    assert club.status == Status.PROPOSED
    assert club.municipality == world.municipality
    assert set(club.pillars.all()) == set(pillars)
    change = club.status_changes.get()
    assert (change.from_status, change.to_status) == ("", Status.PROPOSED)
    assert change.changed_by == world.users["coordinator"]


def test_coordinator_cannot_found_a_club_in_another_gmina(world):
    with pytest.raises(ValidationError):
        found(world, municipality=world.other_municipality)
    assert not Club.objects.filter(name="KOS Żółkiewka").exists()


def test_national_staff_found_a_club_in_any_gmina(world):
    club = found(world, "national", municipality=world.other_municipality)
    assert club.municipality == world.other_municipality


@pytest.mark.parametrize("who", ["leader", "instructor", "member", "outsider"])
def test_other_roles_cannot_found_a_club(world, who):
    with pytest.raises(ValidationError):
        found(world, who)


def test_founding_twice_gives_the_same_club(world):
    assert found(world) == found(world, name="  kos  żółkiewka ")
    assert Club.objects.filter(municipality=world.municipality, status=Status.PROPOSED).count() == 1


def test_a_second_club_of_the_same_name_in_the_gmina_is_refused(world):
    found(world)
    with pytest.raises(ValidationError, match="already has a club"):
        found(world, "national")


# --- Status changes -------------------------------------------------------------------

ALLOWED = [
    (Status.PROPOSED, Status.CLOSED),
    (Status.ACTIVE, Status.SUSPENDED),
    (Status.ACTIVE, Status.CLOSED),
    (Status.SUSPENDED, Status.ACTIVE),
    (Status.SUSPENDED, Status.CLOSED),
]
REFUSED = [
    (Status.ACTIVE, Status.PROPOSED),
    (Status.SUSPENDED, Status.PROPOSED),
    (Status.CLOSED, Status.ACTIVE),
    (Status.CLOSED, Status.SUSPENDED),
    (Status.CLOSED, Status.PROPOSED),
]


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_allowed_transitions_change_the_status(world, from_status, to_status):
    club = factories.ClubFactory(municipality=world.municipality, status=from_status)
    change(world, club, to_status)
    club.refresh_from_db()
    assert club.status == to_status


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_other_transitions_are_refused(world, from_status, to_status):
    club = factories.ClubFactory(municipality=world.municipality, status=from_status)
    with pytest.raises(ValidationError):
        change(world, club, to_status)
    club.refresh_from_db()
    assert club.status == from_status
    assert not club.status_changes.exists()


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_status_change_needs_a_reason(world, reason):
    with pytest.raises(ValidationError, match="reason"):
        change(world, world.club, Status.SUSPENDED, reason=reason)
    world.club.refresh_from_db()
    assert world.club.status == Status.ACTIVE


def test_each_status_change_records_who_when_and_why(world):
    before = timezone.now()
    change(world, world.club, Status.SUSPENDED, reason="No venue this winter.")
    change(world, world.club, Status.ACTIVE, who="national", reason="Back in the fire station.")

    history = list(world.club.status_changes.order_by("changed_at", "pk"))
    assert [(h.from_status, h.to_status) for h in history] == [
        (Status.ACTIVE, Status.SUSPENDED),
        (Status.SUSPENDED, Status.ACTIVE),
    ]
    assert [h.changed_by for h in history] == [world.users["coordinator"], world.users["national"]]
    assert [h.reason for h in history] == ["No venue this winter.", "Back in the fire station."]
    assert all(before <= h.changed_at <= timezone.now() for h in history)
    world.club.refresh_from_db()
    assert world.club.status_changed_at == history[-1].changed_at


def test_asking_for_the_current_status_again_changes_nothing(world):
    change(world, world.club, Status.SUSPENDED)
    change(world, world.club, Status.SUSPENDED)
    assert world.club.status_changes.count() == 1


@pytest.mark.parametrize("who", ["leader", "instructor", "outsider"])
def test_only_coordinators_and_national_staff_change_the_status(world, who):
    with pytest.raises(ValidationError):
        change(world, world.club, Status.SUSPENDED, who=who)


def test_approving_a_club_without_a_leader_needs_a_first_leader(world):
    club = found(world)
    with pytest.raises(ValidationError, match="leader"):
        change(world, club, Status.ACTIVE)
    club.refresh_from_db()
    assert club.status == Status.PROPOSED


def test_approving_with_a_first_leader_email_invites_them_to_lead(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    club = found(world)
    with django_capture_on_commit_callbacks(execute=True):
        change(world, club, Status.ACTIVE, first_leader_email="Nowa.Liderka@kos.example")

    club.refresh_from_db()
    assert club.status == Status.ACTIVE
    invitation = Invitation.objects.get(club=club)
    assert (invitation.email, invitation.role) == ("nowa.liderka@kos.example", Role.LEADER)
    assert invitation.invited_by == world.users["coordinator"]
    assert [message.to for message in mailoutbox] == [["nowa.liderka@kos.example"]]


def test_approving_a_club_that_has_a_leader_needs_no_email(world):
    club = found(world)
    factories.leader_of(club)
    change(world, club, Status.ACTIVE)
    club.refresh_from_db()
    assert club.status == Status.ACTIVE
    assert not Invitation.objects.filter(club=club).exists()


def test_rejecting_a_proposed_club_closes_it(world):
    club = found(world)
    change(world, club, Status.CLOSED, reason="A club already meets in the next village.")
    club.refresh_from_db()
    assert club.status == Status.CLOSED
    assert not club.takes_new_members


def test_closing_a_club_withdraws_its_pending_invitations(world):
    invitation = world.objects["invitation"]
    change(world, world.club, Status.CLOSED)
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


# --- A closed club --------------------------------------------------------------------


@pytest.fixture
def closed_club(world):
    change(world, world.club, Status.CLOSED, reason="The club has dissolved.")
    world.club.refresh_from_db()
    return world.club


def test_closed_club_refuses_new_details(world, closed_club):
    with pytest.raises(ValidationError, match="closed"):
        services.club_update(club=closed_club, changed_by=world.users["national"], name="Nowa")
    closed_club.refresh_from_db()
    assert closed_club.name == "KOS Złotokłos"


def test_closed_club_refuses_leader_changes(world, closed_club):
    with pytest.raises(ValidationError, match="closed"):
        services.leader_remove(
            club=closed_club,
            leader_user=world.users["leader"],
            removed_by=world.users["national"],
            successor="next@kos.example",
        )
    assert active_leaders(closed_club) == {"leader@kos.example"}


def test_closed_club_keeps_its_history(world, closed_club):
    assert closed_club.status_changes.get().to_status == Status.CLOSED


# --- Editing --------------------------------------------------------------------------


def test_leader_updates_the_club_details(world):
    pillar = Pillar.objects.first()
    club = services.club_update(
        club=world.club,
        changed_by=world.users["leader"],
        name="  KOS   Złotokłos Górny ",
        locality="Złotokłos",
        pillars=[pillar],
    )
    club.refresh_from_db()
    assert club.name == "KOS Złotokłos Górny"
    assert list(club.pillars.all()) == [pillar]
    assert club.search_text == "kos zlotoklos gorny zlotoklos piaseczno"  # folded, with the gmina


def test_instructor_cannot_update_the_club(world):
    with pytest.raises(ValidationError):
        services.club_update(club=world.club, changed_by=world.users["instructor"], name="X")


def test_the_gmina_cannot_be_changed_by_an_update(world):
    with pytest.raises(ValidationError):
        services.club_update(
            club=world.club,
            changed_by=world.users["national"],
            municipality=world.other_municipality,
        )


# --- Leaders --------------------------------------------------------------------------


def remove(world, leader, who="coordinator", successor=None):
    return services.leader_remove(
        club=world.club, leader_user=leader, removed_by=world.users[who], successor=successor
    )


def test_the_last_leader_cannot_be_removed_without_a_successor(world):
    with pytest.raises(ValidationError, match="successor"):
        remove(world, world.users["leader"])
    assert active_leaders(world.club) == {"leader@kos.example"}


def test_a_co_leader_can_be_removed_without_a_successor(world):
    co_leader = factories.leader_of(world.club, email="co@kos.example")
    assignment = remove(world, co_leader, who="leader")
    assert assignment.ended_at is not None
    assert active_leaders(world.club) == {"leader@kos.example"}


def test_removing_twice_is_safe(world):
    co_leader = factories.leader_of(world.club, email="co@kos.example")
    first = remove(world, co_leader)
    assert remove(world, co_leader) == first


def test_a_successor_with_an_account_becomes_leader_at_once(world):
    successor = factories.UserFactory(email="next@kos.example")
    remove(world, world.users["leader"], who="leader", successor=successor)
    assert active_leaders(world.club) == {"next@kos.example"}


def test_a_successor_named_by_the_email_of_an_account_becomes_leader_at_once(world):
    factories.UserFactory(email="next@kos.example")
    remove(world, world.users["leader"], successor="NEXT@kos.example ")
    assert active_leaders(world.club) == {"next@kos.example"}
    assert not Invitation.objects.filter(role=Role.LEADER).exists()


def test_a_successor_without_an_account_is_invited(world):
    remove(world, world.users["leader"], who="leader", successor="nowy@kos.example")
    assert active_leaders(world.club) == set()
    invitation = Invitation.objects.get(role=Role.LEADER, club=world.club)
    assert invitation.email == "nowy@kos.example"
    assert invitation.invited_by == world.users["leader"]


def test_a_successor_needs_a_verified_email(world):
    unverified = factories.UserFactory(email="unverified@kos.example")
    unverified.emailaddress_set.update(verified=False)
    with pytest.raises(ValidationError, match="verified"):
        remove(world, world.users["leader"], successor=unverified)
    assert active_leaders(world.club) == {"leader@kos.example"}


def test_the_leader_cannot_be_their_own_successor(world):
    with pytest.raises(ValidationError):
        remove(world, world.users["leader"], successor=world.users["leader"])


@pytest.mark.parametrize("who", ["instructor", "outsider"])
def test_instructors_and_other_clubs_cannot_remove_leaders(world, who):
    co_leader = factories.leader_of(world.club)
    with pytest.raises(ValidationError):
        remove(world, co_leader, who=who)


def test_removing_someone_who_never_led_the_club_is_refused(world):
    with pytest.raises(ValidationError, match="does not lead"):
        remove(world, world.users["instructor"])


# --- Pages ----------------------------------------------------------------------------


def test_coordinator_founds_a_club_through_the_form(client, world):
    client.force_login(world.users["coordinator"])
    response = client.post(
        reverse("clubs:club-create"),
        {
            "municipality": world.municipality.pk,
            "name": "KOS Żółkiewka",
            "pillars": [Pillar.objects.first().pk],
        },
    )
    club = Club.objects.get(name="KOS Żółkiewka")
    assert response.status_code == 302
    assert response["Location"] == club.get_absolute_url()
    assert club.status == Status.PROPOSED


def test_coordinator_is_offered_only_their_own_gminas(client, world):
    client.force_login(world.users["coordinator"])
    response = client.post(
        reverse("clubs:club-create"),
        {"municipality": world.other_municipality.pk, "name": "KOS Sieradz 2"},
    )
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not Club.objects.filter(name="KOS Sieradz 2").exists()


def test_national_staff_pick_the_gmina_by_teryt_code(client, world):
    client.force_login(world.users["national"])
    response = client.post(
        reverse("clubs:club-create"),
        {"municipality": world.other_municipality.code, "name": "KOS Sieradz 2"},
    )
    assert response.status_code == 302
    assert Club.objects.get(name="KOS Sieradz 2").municipality == world.other_municipality


def test_approving_through_the_form_without_a_leader_shows_the_reason(client, world):
    club = found(world)
    client.force_login(world.users["coordinator"])
    url = reverse("clubs:club-status", kwargs={"club_pk": club.pk})
    response = client.post(url, {"to_status": Status.ACTIVE, "reason": "Ready."})
    assert response.status_code == 200
    assert "needs a leader" in response.content.decode()
    club.refresh_from_db()
    assert club.status == Status.PROPOSED


def test_the_status_form_offers_only_allowed_statuses(client, world):
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("clubs:club-status", kwargs={"club_pk": world.club.pk}))
    choices = [value for value, _label in response.context["form"].fields["to_status"].choices]
    assert choices == [Status.SUSPENDED, Status.CLOSED]
    assert "first_leader_email" not in response.context["form"].fields


def test_removing_the_last_leader_through_the_form_asks_for_a_successor(client, world):
    client.force_login(world.users["leader"])
    url = reverse("clubs:club-leaders", kwargs={"club_pk": world.club.pk})
    response = client.post(url, {"leader": world.users["leader"].pk})
    assert response.status_code == 200
    assert "without naming a successor" in response.content.decode()
    assert active_leaders(world.club) == {"leader@kos.example"}


def test_leader_hands_the_club_over_and_goes_home(client, world):
    client.force_login(world.users["leader"])
    url = reverse("clubs:club-leaders", kwargs={"club_pk": world.club.pk})
    response = client.post(
        url, {"leader": world.users["leader"].pk, "successor_email": "nowy@kos.example"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert Invitation.objects.filter(club=world.club, role=Role.LEADER).exists()


def test_club_page_shows_the_history_and_expiring_agreements(client, world):
    partner = world.objects["partner"]
    link = world.club.partner_links.get(partner=partner)
    link.agreement_type = "cooperation"
    link.agreement_expires_on = timezone.localdate() + timedelta(days=30)
    link.save()
    change(world, world.club, Status.SUSPENDED, reason="No venue this winter.")
    client.force_login(world.users["leader"])

    response = client.get(world.club.get_absolute_url())

    assert list(response.context["expiring"]) == [link]
    assert "No venue this winter." in response.content.decode()
    # The leader may manage leaders but not change the status.
    assert reverse("clubs:club-leaders", kwargs={"club_pk": world.club.pk}) in response.text
    assert reverse("clubs:club-status", kwargs={"club_pk": world.club.pk}) not in response.text


def test_gmina_page_lists_the_gminas_clubs_and_expiring_agreements(client, world):
    proposed = found(world)
    link = world.club.partner_links.get()
    link.agreement_expires_on = timezone.localdate() + timedelta(days=10)
    link.save()
    far = factories.PartnerFactory(municipality=world.municipality)
    world.club.partner_links.create(
        partner=far, agreement_expires_on=timezone.localdate() + timedelta(days=365)
    )
    client.force_login(world.users["coordinator"])

    response = client.get(
        reverse("clubs:municipality-detail", kwargs={"municipality_pk": world.municipality.pk})
    )

    clubs = {club.name: club for club in response.context["clubs"]}
    assert set(clubs) == {"KOS Złotokłos", proposed.name}
    assert clubs["KOS Złotokłos"].partners_count == 2
    assert list(response.context["expiring"]) == [link]


def test_national_staff_see_any_gmina_page(client, world):
    client.force_login(world.users["national"])
    url = reverse(
        "clubs:municipality-detail", kwargs={"municipality_pk": world.other_municipality.pk}
    )
    response = client.get(url)
    assert [club.name for club in response.context["clubs"]] == ["KOS Sieradz"]


def test_coordinators_home_links_their_gminas(client, world):
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("home"))
    url = reverse("clubs:municipality-detail", kwargs={"municipality_pk": world.municipality.pk})
    assert f'href="{url}"' in response.text


# --- Query counts ---------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def grow_club(world, club) -> None:
    soon = timezone.localdate() + timedelta(days=20)
    for _ in range(4):
        partner = factories.PartnerFactory(municipality=club.municipality)
        club.partner_links.create(
            partner=partner, agreement_type="venue", agreement_expires_on=soon
        )
        factories.leader_of(club)
        factories.MembershipFactory(club=club)
    club.pillars.set(Pillar.objects.all())
    for status in (Status.SUSPENDED, Status.ACTIVE, Status.SUSPENDED):
        ClubStatusChange.objects.create(
            club=club,
            from_status="",
            to_status=status,
            changed_by=world.users["national"],
            reason="x",
        )


@pytest.mark.parametrize("role", ["national", "coordinator", "leader"])
def test_club_page_query_count_does_not_grow(client, world, role):
    client.force_login(world.users[role])
    url = world.club.get_absolute_url()
    small = queries_for(client, url)
    grow_club(world, world.club)
    assert queries_for(client, url) == small


@pytest.mark.parametrize("role", ["national", "coordinator", "leader"])
def test_gmina_page_query_count_does_not_grow(client, world, role):
    client.force_login(world.users[role])
    url = reverse("clubs:municipality-detail", kwargs={"municipality_pk": world.municipality.pk})
    small = queries_for(client, url)
    grow_club(world, world.club)
    for _ in range(3):
        grow_club(world, factories.ClubFactory(municipality=world.municipality))
    assert queries_for(client, url) == small


def test_leaders_page_query_count_does_not_grow(client, world):
    client.force_login(world.users["coordinator"])
    url = reverse("clubs:club-leaders", kwargs={"club_pk": world.club.pk})
    small = queries_for(client, url)
    grow_club(world, world.club)
    Invitation.objects.create(
        email="a@kos.example", role=Role.LEADER, club=world.club, invited_by=world.users["leader"]
    )
    assert queries_for(client, url) == small


# --- The club's point on the maps -------------------------------------------------------------


def edit_data(club, **overrides) -> dict:
    return {
        "name": club.name,
        "locality": club.locality,
        "address": club.address,
        "founded_on": "",
        "contact_email": "",
        "contact_phone": "",
        "description": "",
        "latitude": "",
        "longitude": "",
        **overrides,
    }


def test_leader_sets_the_clubs_point_on_the_edit_form(client, world):
    client.force_login(world.users["leader"])
    url = reverse("clubs:club-edit", kwargs={"club_pk": world.club.pk})
    assert 'name="latitude"' in client.get(url).content.decode()

    response = client.post(url, edit_data(world.club, latitude="52.076", longitude="20.962"))

    assert response.status_code == 302
    world.club.refresh_from_db()
    assert (str(world.club.latitude), str(world.club.longitude)) == ("52.076000", "20.962000")


@pytest.mark.parametrize(
    ("latitude", "longitude", "message"),
    [
        ("52.076", "", "Give both the latitude and the longitude, or neither."),
        ("20.962", "52.076", "This point is not in Poland."),  # swapped
    ],
)
def test_a_half_or_foreign_point_is_refused_and_nothing_is_saved(
    client, world, latitude, longitude, message
):
    client.force_login(world.users["leader"])
    url = reverse("clubs:club-edit", kwargs={"club_pk": world.club.pk})

    response = client.post(url, edit_data(world.club, latitude=latitude, longitude=longitude))

    assert response.status_code == 200
    assert message in response.content.decode()
    world.club.refresh_from_db()
    assert world.club.latitude is None and world.club.longitude is None


def test_a_club_without_its_own_point_takes_its_venue_partners(world):
    osp = factories.PartnerFactory(
        municipality=world.municipality, latitude="52.1", longitude="21.0", offers_venue=True
    )
    PartnerLink.objects.create(club=world.club, partner=osp)

    [row] = club_points(Club.objects.filter(pk=world.club.pk))
    assert (float(row["lat"]), float(row["lon"])) == (52.1, 21.0)

    world.club.latitude, world.club.longitude = "52.2", "21.1"
    world.club.save()
    [row] = club_points(Club.objects.filter(pk=world.club.pk))
    assert (float(row["lat"]), float(row["lon"])) == (52.2, 21.1)  # its own point first
