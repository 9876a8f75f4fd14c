"""Invitations: who may invite whom, and the life of one invitation from email to role."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clubs.models import Assignment, Invitation
from clubs.services import invitations as services
from kos_portal import access
from kos_portal.models import User
from kos_portal.roles import Role
from tests import factories


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # allauth's rate limits live in the cache, which outlives a single test.
    cache.clear()


def invite(world, inviter: str, role: str, *, club=None, municipality=None, email=None):
    return services.invitation_create(
        invited_by=world.users[inviter],
        email=email or f"{role}.{inviter}@new.example",
        role=role,
        club=club,
        municipality=municipality,
    )


def accept_url(invitation) -> str:
    return reverse("clubs:invitation-accept", kwargs={"token": invitation.token})


# --- Who may invite whom ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.NATIONAL])
def test_national_staff_invite_national_staff_to_the_whole_country(world, role):
    assert invite(world, "national", role).role == role


def test_national_staff_invite_a_coordinator_to_any_gmina(world):
    invitation = invite(world, "national", Role.COORDINATOR, municipality=world.other_municipality)
    assert invitation.municipality == world.other_municipality


@pytest.mark.parametrize("role", [Role.LEADER, Role.INSTRUCTOR])
def test_national_staff_invite_leaders_and_instructors_to_any_club(world, role):
    assert invite(world, "national", role, club=world.other_club).club == world.other_club


@pytest.mark.parametrize("role", [Role.LEADER, Role.INSTRUCTOR])
def test_coordinator_invites_leaders_and_instructors_to_clubs_in_their_gmina(world, role):
    assert invite(world, "coordinator", role, club=world.club).role == role


def test_coordinator_cannot_invite_to_another_gminas_club(world):
    with pytest.raises(ValidationError):
        invite(world, "coordinator", Role.LEADER, club=world.other_club)


@pytest.mark.parametrize(
    ("role", "target"), [(Role.COORDINATOR, "municipality"), (Role.NATIONAL, None)]
)
def test_coordinator_cannot_invite_coordinators_or_national_staff(world, role, target):
    kwargs = {"municipality": world.municipality} if target else {}
    with pytest.raises(ValidationError):
        invite(world, "coordinator", role, **kwargs)


@pytest.mark.parametrize("role", [Role.LEADER, Role.INSTRUCTOR])
def test_leader_invites_co_leaders_and_instructors_to_their_club(world, role):
    assert invite(world, "leader", role, club=world.club).club == world.club


def test_leader_cannot_invite_a_coordinator(world):
    with pytest.raises(ValidationError):
        invite(world, "leader", Role.COORDINATOR, municipality=world.municipality)


def test_leader_cannot_invite_to_another_club_in_the_same_gmina(world):
    neighbour = factories.ClubFactory(municipality=world.municipality)
    with pytest.raises(ValidationError):
        invite(world, "leader", Role.INSTRUCTOR, club=neighbour)


@pytest.mark.parametrize("role", [Role.LEADER, Role.INSTRUCTOR])
def test_instructor_cannot_invite(world, role):
    with pytest.raises(ValidationError):
        invite(world, "instructor", role, club=world.club)


def test_a_scope_that_does_not_fit_the_role_is_refused(world):
    with pytest.raises(ValidationError):
        invite(world, "national", Role.LEADER, municipality=world.municipality)


def test_invitable_roles_match_the_role_table(world):
    users = world.users
    assert access.invitable_roles(users["national"], None) == [Role.NATIONAL]
    assert access.invitable_roles(users["national"], world.municipality) == [Role.COORDINATOR]
    assert access.invitable_roles(users["coordinator"], world.municipality) == []
    assert access.invitable_roles(users["coordinator"], world.club) == [
        Role.LEADER,
        Role.INSTRUCTOR,
    ]
    assert access.invitable_roles(users["leader"], world.other_club) == []
    assert access.invitable_roles(users["instructor"], world.club) == []


def test_inviting_the_same_person_again_resends_instead_of_duplicating(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(world, "leader", Role.INSTRUCTOR, club=world.club, email="a@new.example")
        second = invite(world, "leader", Role.INSTRUCTOR, club=world.club, email="A@new.example")
    assert first.pk == second.pk
    assert Invitation.objects.filter(email="a@new.example").count() == 1
    assert len(mail.outbox) == 2


# --- The email -------------------------------------------------------------------------


def test_the_email_is_sent_after_commit_with_an_absolute_link(
    world, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://kos.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invitation.email]
    link = f"https://kos.example.org{accept_url(invitation)}"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link in html
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_the_email_is_in_the_inviters_language(world, django_capture_on_commit_callbacks):
    leader = world.users["leader"]
    leader.language = "en"
    leader.save()
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    assert "To accept, open this link" in mail.outbox[0].body


def test_no_email_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invite(world, "leader", Role.INSTRUCTOR, club=world.club)
        raise RuntimeError("something later failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not Invitation.objects.filter(email__startswith="instructor.leader").exists()


def test_the_task_sends_nothing_for_a_withdrawn_invitation(world):
    from clubs.tasks import invitation_send_task

    invitation = world.objects["invitation"]
    services.invitation_revoke(invitation=invitation, revoked_by=world.users["leader"])
    invitation_send_task(invitation.pk)
    invitation_send_task(999_999)  # gone
    assert mail.outbox == []


# --- Accepting -------------------------------------------------------------------------


def test_accepting_gives_the_role_and_uses_the_invitation(world):
    invitation = invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    user = factories.UserFactory(email=invitation.email)
    assignment = services.invitation_accept(invitation=invitation, user=user)
    assert (assignment.user, assignment.role, assignment.club) == (
        user,
        Role.INSTRUCTOR,
        world.club,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.state == "accepted"
    assert access.has_role(user, Role.INSTRUCTOR)


def test_an_invitation_can_be_used_only_once(world):
    invitation = invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    user = factories.UserFactory(email=invitation.email)
    services.invitation_accept(invitation=invitation, user=user)
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=user)
    assert Assignment.objects.filter(user=user).count() == 1


def test_accepting_a_role_already_held_does_not_duplicate_it(world):
    leader = world.users["leader"]
    invitation = invite(world, "coordinator", Role.LEADER, club=world.club, email=leader.email)
    services.invitation_accept(invitation=invitation, user=leader)
    assert Assignment.objects.active().filter(user=leader, role=Role.LEADER).count() == 1


def test_an_expired_invitation_is_refused(world):
    invitation = invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invitation.refresh_from_db()
    user = factories.UserFactory(email=invitation.email)
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=user)


def test_invitations_expire_after_the_configured_days(world, settings):
    settings.INVITATION_VALID_DAYS = 3
    invitation = invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    expected = timezone.now() + timedelta(days=3)
    assert abs(invitation.expires_at - expected) < timedelta(minutes=1)


def test_a_revoked_invitation_is_refused(world):
    invitation = invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    services.invitation_revoke(invitation=invitation, revoked_by=world.users["coordinator"])
    user = factories.UserFactory(email=invitation.email)
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=user)


def test_an_instructor_cannot_revoke(world):
    with pytest.raises(ValidationError):
        services.invitation_revoke(
            invitation=world.objects["invitation"], revoked_by=world.users["instructor"]
        )


def test_an_invitation_is_accepted_only_by_the_invited_address(world):
    invitation = invite(world, "leader", Role.INSTRUCTOR, club=world.club)
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=world.users["outsider"])


# --- Pages -----------------------------------------------------------------------------


def test_the_list_shows_invitations_in_scope(client, world):
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("clubs:invitation-list"))
    assert response.status_code == 200
    assert world.objects["invitation"].email in response.content.decode()


def test_the_list_is_refused_to_people_who_invite_nobody(client, world):
    client.force_login(world.users["instructor"])
    assert client.get(reverse("clubs:invitation-list")).status_code == 403


def test_the_list_sends_anonymous_visitors_to_sign_in(client, world):
    response = client.get(reverse("clubs:invitation-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_form_offers_only_the_roles_the_user_may_invite(client, world):
    client.force_login(world.users["leader"])
    response = client.get(reverse("clubs:invitation-create"))
    choices = {value for value, _label in response.context["form"].fields["role"].choices}
    assert choices == {Role.LEADER, Role.INSTRUCTOR}
    assert "municipality" not in response.context["form"].fields
    assert list(response.context["form"].fields["club"].queryset) == [world.club]


def test_the_form_is_refused_to_an_instructor(client, world):
    client.force_login(world.users["instructor"])
    assert client.get(reverse("clubs:invitation-create")).status_code == 403


def test_national_staff_invite_a_coordinator_by_teryt_code(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.users["national"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("clubs:invitation-create"),
            {
                "email": "coord@new.example",
                "role": Role.COORDINATOR,
                "municipality": world.other_municipality.code,
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="coord@new.example")
    assert invitation.municipality == world.other_municipality
    assert len(mail.outbox) == 1


def test_posting_a_club_outside_the_users_scope_is_a_form_error(client, world):
    client.force_login(world.users["coordinator"])
    response = client.post(
        reverse("clubs:invitation-create"),
        {"email": "x@new.example", "role": Role.LEADER, "club": world.other_club.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["club"]
    assert not Invitation.objects.filter(email="x@new.example").exists()


def test_revoking_through_the_page(client, world):
    invitation = world.objects["invitation"]
    client.force_login(world.users["leader"])
    url = reverse("clubs:invitation-revoke", kwargs={"invitation_pk": invitation.pk})
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


def test_revoking_an_invitation_outside_the_scope_is_not_found(client, world):
    client.force_login(world.users["outsider"])
    url = reverse(
        "clubs:invitation-revoke", kwargs={"invitation_pk": world.objects["invitation"].pk}
    )
    assert client.post(url).status_code == 404


def test_a_coordinator_sees_but_cannot_revoke_a_coordinator_invitation(client, world):
    invitation = invite(world, "national", Role.COORDINATOR, municipality=world.municipality)
    client.force_login(world.users["coordinator"])
    url = reverse("clubs:invitation-revoke", kwargs={"invitation_pk": invitation.pk})
    assert client.post(url).status_code == 403


def test_an_unknown_token_is_not_found(client, db):
    url = reverse("clubs:invitation-accept", kwargs={"token": "nope"})
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("state", ["expired", "revoked", "accepted"])
def test_an_unusable_invitation_says_so(client, world, state):
    invitation = world.objects["invitation"]
    now = timezone.now()
    field = {"expired": "expires_at", "revoked": "revoked_at", "accepted": "accepted_at"}[state]
    Invitation.objects.filter(pk=invitation.pk).update(**{field: now - timedelta(seconds=1)})
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    response = client.post(accept_url(invitation), {"first_name": "A"})
    assert response.status_code == 410


def test_a_new_person_creates_an_account_and_is_signed_in(client, world):
    invitation = world.objects["invitation"]
    assert client.get(accept_url(invitation)).status_code == 200
    response = client.post(
        accept_url(invitation),
        {
            "first_name": "Anna",
            "last_name": "Nowak",
            "password1": "wiosna-nad-wisla-2025",
            "password2": "wiosna-nad-wisla-2025",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(email=invitation.email)
    assert user.first_name == "Anna"
    assert user.check_password("wiosna-nad-wisla-2025")
    address = EmailAddress.objects.get(user=user)
    assert address.verified and address.primary
    assert Assignment.objects.filter(user=user, role=Role.INSTRUCTOR, club=world.club).exists()
    assert int(client.session["_auth_user_id"]) == user.pk
    invitation.refresh_from_db()
    assert invitation.state == "accepted"


def test_a_weak_password_is_refused(client, world):
    invitation = world.objects["invitation"]
    response = client.post(
        accept_url(invitation),
        {"first_name": "Anna", "last_name": "Nowak", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(email=invitation.email).exists()


def test_an_existing_account_is_asked_to_sign_in_first(client, world):
    user = factories.UserFactory(email=world.objects["invitation"].email)
    response = client.get(accept_url(world.objects["invitation"]))
    assert response.status_code == 200
    assert reverse("account_login") in response.content.decode()
    client.post(accept_url(world.objects["invitation"]))  # not signed in: nothing happens
    assert not Assignment.objects.filter(user=user).exists()


def test_an_existing_account_accepts_after_signing_in(client, world):
    invitation = world.objects["invitation"]
    user = factories.UserFactory(email=invitation.email)
    client.force_login(user)
    assert client.get(accept_url(invitation)).status_code == 200
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert Assignment.objects.filter(user=user, role=Role.INSTRUCTOR, club=world.club).exists()


def test_signed_in_as_someone_else_is_refused(client, world):
    invitation = world.objects["invitation"]
    factories.UserFactory(email=invitation.email)
    client.force_login(world.users["outsider"])
    response = client.post(accept_url(invitation))
    assert response.status_code == 403
    assert invitation.email in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "pending"
