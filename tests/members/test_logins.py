"""Logins for members and guardians: invitations, accepting them, the age rules, the
guardian's scope, the roster's bulk action and the approval of an application."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from members.models import (
    ConsentPurpose,
    Guardianship,
    LoginInvitation,
    Member,
    Membership,
    PersonalDataAccess,
)
from members.services import logins
from members.services.consents import Guardian, consent_record
from members.services.memberships import application_decide
from members.services.registration import membership_apply
from tests import factories
from tests.members.helpers import ALL_CONSENTS, born_years_ago

User = get_user_model()
Kind = LoginInvitation.Kind


def person_in(club, *, years: int | None, email: str = "", **kwargs) -> Member:
    member = factories.MemberFactory(
        birth_date=born_years_ago(years) if years is not None else None, email=email, **kwargs
    )
    factories.MembershipFactory(member=member, club=club)
    return member


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # "already emailed" marks of earlier tests (members.tasks.SENT_KEY)


@pytest.fixture
def adult(world):
    return person_in(world.club, years=30, email="adam@kos.example", first_name="Adam")


@pytest.fixture
def child(world):
    return person_in(world.club, years=12, email="", first_name="Kuba")


@pytest.fixture
def guardian_user(world, child):
    """A parent whose login is the guardian of `child` (accepted an invitation)."""
    invitation = logins.login_invite(
        member=child,
        invited_by=world.users["leader"],
        kind=Kind.GUARDIAN,
        email="rodzic@kos.example",
        send=False,
    )
    return logins.login_invitation_accept_new_user(
        invitation=invitation, first_name="Ewa", last_name="Nowak", password="Dobre-haslo-123"
    )


# --- Inviting -------------------------------------------------------------------------


def test_leader_invites_an_adult_and_the_email_carries_the_set_password_link(
    world, adult, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = logins.login_invite(member=adult, invited_by=world.users["leader"])
    assert (invitation.kind, invitation.email, invitation.club) == (
        Kind.OWN,
        "adam@kos.example",
        world.club,
    )
    [message] = mailoutbox
    assert message.to == ["adam@kos.example"]
    assert reverse("members:login-accept", kwargs={"login_token": invitation.token}) in message.body
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_inviting_twice_sends_the_pending_invitation_again(world, adult):
    first = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    second = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    assert first.pk == second.pk
    assert LoginInvitation.objects.filter(member=adult).count() == 1


def test_under_16s_get_no_own_login_and_are_told_to_invite_the_guardian(world):
    fifteen = person_in(world.club, years=15, email="nastolatek@kos.example")
    with pytest.raises(ValidationError, match="Invite their guardian instead"):
        logins.login_invite(member=fifteen, invited_by=world.users["leader"], send=False)
    assert not LoginInvitation.objects.filter(member=fifteen).exists()


def test_16_year_olds_may_have_their_own_login(world):
    sixteen = person_in(world.club, years=16, email="szesnastka@kos.example")
    invitation = logins.login_invite(member=sixteen, invited_by=world.users["leader"], send=False)
    assert invitation.kind == Kind.OWN


def test_adults_have_no_guardian_login(world, adult):
    with pytest.raises(ValidationError, match="Only people under 18"):
        logins.login_invite(
            member=adult,
            invited_by=world.users["leader"],
            kind=Kind.GUARDIAN,
            email="rodzic@kos.example",
        )


def test_a_person_without_email_is_refused_with_a_reason(world):
    no_email = person_in(world.club, years=40, email="")
    with pytest.raises(ValidationError, match="Add the person's email address first"):
        logins.login_invite(member=no_email, invited_by=world.users["leader"])


def test_a_person_with_a_login_is_not_invited_again(world):
    with pytest.raises(ValidationError, match="already has a login"):
        logins.login_invite(member=world.objects["member"], invited_by=world.users["leader"])


@pytest.mark.parametrize("role", ["instructor", "outsider", "member"])
def test_only_club_staff_may_invite(world, adult, role):
    with pytest.raises(ValidationError, match="You may not invite"):
        logins.login_invite(member=adult, invited_by=world.users[role])
    assert not adult.login_invitations.exists()


def test_coordinator_of_the_gmina_may_invite(world, adult):
    invitation = logins.login_invite(
        member=adult, invited_by=world.users["coordinator"], send=False
    )
    assert invitation.club == world.club


def test_roster_bulk_invites_those_who_may_and_says_why_not_for_the_rest(world, adult, child):
    invited, skipped = logins.login_invite_many(
        members=[adult, child, world.objects["member"]],
        club=world.club,
        invited_by=world.users["leader"],
    )
    assert [i.member for i in invited] == [adult]
    reasons = dict((m, r) for m, r in skipped)
    assert "under 16" in reasons[child]
    assert "already has a login" in reasons[world.objects["member"]]


# --- Accepting ------------------------------------------------------------------------


def test_accepting_creates_the_login_bound_to_the_member(world, adult):
    invitation = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    user = logins.login_invitation_accept_new_user(
        invitation=invitation, first_name="Adam", last_name="Nowy", password="Dobre-haslo-123"
    )
    adult.refresh_from_db()
    invitation.refresh_from_db()
    assert adult.user == user
    assert user.check_password("Dobre-haslo-123")
    assert (invitation.accepted_by, invitation.state) == (user, "accepted")
    assert user.emailaddress_set.get().verified


def test_a_used_invitation_cannot_be_used_again(world, adult):
    invitation = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    user = logins.login_invitation_accept_new_user(
        invitation=invitation, first_name="Adam", last_name="Nowy", password="Dobre-haslo-123"
    )
    with pytest.raises(ValidationError, match="already been used"):
        logins.login_invitation_accept(invitation=invitation, user=user)


def test_an_expired_invitation_is_refused(world, adult):
    invitation = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    with pytest.raises(ValidationError, match="expired"):
        logins.login_invitation_accept_new_user(
            invitation=invitation, first_name="A", last_name="N", password="Dobre-haslo-123"
        )
    assert not User.objects.filter(email="adam@kos.example").exists()


def test_another_account_cannot_accept(world, adult):
    invitation = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    with pytest.raises(ValidationError, match="different email address"):
        logins.login_invitation_accept(invitation=invitation, user=world.users["instructor"])
    adult.refresh_from_db()
    assert adult.user is None


def test_guardian_accepting_gets_a_guardianship_not_the_childs_login(world, child, guardian_user):
    child.refresh_from_db()
    assert child.user is None
    assert Guardianship.objects.filter(user=guardian_user, member=child).exists()


# --- The guardian's scope -------------------------------------------------------------


def test_guardian_sees_only_their_child(world, child, guardian_user):
    other_child = person_in(world.club, years=10, first_name="Ola")
    visible = set(Member.objects.visible_to(guardian_user))
    assert child in visible
    assert other_child not in visible
    assert world.objects["member"] not in visible


def test_guardian_sees_the_childs_sessions_enrolments_and_certificates(world, child, guardian_user):
    from training.models import Enrolment, Session

    session = factories.session_with_meeting(club=world.club)
    enrolment = factories.EnrolmentFactory(session=session, member=child)
    certificate = factories.CertificateFactory(enrolment__member=child)
    assert set(Enrolment.objects.visible_to(guardian_user)) >= {enrolment}
    assert session in Session.objects.visible_to(guardian_user)
    assert set(Certificate.objects.visible_to(guardian_user)) == {certificate}
    assert set(Membership.objects.visible_to(guardian_user)) == set(child.memberships.all())
    # The world member's certificate is someone else's.
    assert world.objects["certificate"] not in Certificate.objects.visible_to(guardian_user)


def test_guardian_pages_answer_404_for_someone_elses_child(client, world, child, guardian_user):
    other_child = person_in(world.club, years=10, first_name="Ola")
    client.force_login(guardian_user)
    for name in ("ward-data", "ward-data-json", "ward-data-html"):
        assert client.get(reverse(f"members:{name}", args=[other_child.pk])).status_code == 404
    url = reverse("members:ward-consent-withdraw", args=[other_child.pk])
    assert client.post(url, {"purpose": "images"}).status_code == 404


def test_guardian_reads_and_exports_the_childs_data_and_it_is_logged(
    client, world, child, guardian_user
):
    client.force_login(guardian_user)
    page = client.get(reverse("members:ward-data", args=[child.pk]))
    assert page.status_code == 200
    assert "Kuba" in page.content.decode()
    export = client.get(reverse("members:ward-data-json", args=[child.pk]))
    assert export.json()["person"]["first_name"] == "Kuba"
    actions = list(
        PersonalDataAccess.objects.filter(user=guardian_user, member=child).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["self_export", "view"]


def test_guardian_withdraws_the_childs_consent(client, world, child, guardian_user):
    consent_record(
        member=child,
        purpose=ConsentPurpose.IMAGES,
        given=True,
        recorded_by=world.users["leader"],
        guardian=Guardian(name="Anna Żółkiewska", relation="matka"),  # under 16 (#13)
    )
    client.force_login(guardian_user)
    url = reverse("members:ward-consent-withdraw", args=[child.pk])
    response = client.post(url, {"purpose": ConsentPurpose.IMAGES})
    assert response.status_code == 302
    latest = child.consents.filter(purpose=ConsentPurpose.IMAGES).order_by("-pk").first()
    assert (latest.given, latest.recorded_by) == (False, guardian_user)


# --- Approving an application -----------------------------------------------------------


def test_approving_an_application_emails_a_set_password_link(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    membership = membership_apply(
        club=world.club,
        first_name="Celina",
        last_name="Wiśniewska",
        birth_date=born_years_ago(25),
        email="celina@kos.example",
        consents=ALL_CONSENTS,
    )
    with django_capture_on_commit_callbacks(execute=True):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    invitation = LoginInvitation.objects.get(member=membership.member)
    [message] = mailoutbox
    assert reverse("members:login-accept", kwargs={"login_token": invitation.token}) in message.body
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_an_approved_under_16_gets_no_link(world, mailoutbox, django_capture_on_commit_callbacks):
    membership = membership_apply(
        club=world.club,
        first_name="Julek",
        last_name="Mały",
        birth_date=born_years_ago(14),
        email="julek@kos.example",
        consents=ALL_CONSENTS,
    )
    membership.member.guardian_consents.create(
        guardian_name="Anna",
        guardian_contact="anna@kos.example",
        consent_date=timezone.localdate(),
        text_version="1",
        method="paper",
    )
    with django_capture_on_commit_callbacks(execute=True):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    assert not LoginInvitation.objects.filter(member=membership.member).exists()
    assert "login-accept" not in mailoutbox[0].body and "/members/login/" not in mailoutbox[0].body


# --- Views ----------------------------------------------------------------------------


def test_member_page_offers_the_invitation(client, world, adult):
    client.force_login(world.users["leader"])
    page = client.get(adult.get_absolute_url()).content.decode()
    assert reverse("members:member-login-invite", args=[adult.pk]) in page
    assert "Invite to log in" in page


def test_under_16_page_explains_and_offers_the_guardian(client, world, child):
    client.force_login(world.users["leader"])
    page = client.get(child.get_absolute_url()).content.decode()
    assert "Invite the guardian to log in" in page
    invite = client.get(reverse("members:member-login-invite", args=[child.pk])).content.decode()
    assert "People under 16 cannot have a login of their own" in invite
    assert "Guardian&#x27;s email address" in invite or "Guardian's email address" in invite


def test_leader_sends_a_guardian_invitation_from_the_page(
    client, world, child, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(world.users["leader"])
    url = reverse("members:member-login-invite", args=[child.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"kind": "guardian", "guardian_email": "mama@kos.example"})
    assert response.status_code == 302
    assert mailoutbox[0].to == ["mama@kos.example"]
    assert LoginInvitation.objects.get(member=child).kind == Kind.GUARDIAN


def test_an_own_login_for_an_under_16_is_not_a_choice(client, world, child):
    client.force_login(world.users["leader"])
    url = reverse("members:member-login-invite", args=[child.pk])
    response = client.post(url, {"kind": "own"})
    assert response.status_code == 200
    assert not child.login_invitations.exists()


def test_roster_bulk_action_reports_sent_and_skipped(client, world, adult, child):
    client.force_login(world.users["leader"])
    url = reverse("members:roster-login-invite", args=[world.club.pk])
    response = client.post(url, {"members": [adult.pk, child.pk]}, follow=True)
    text = response.content.decode()
    assert "1 invitation to log in sent." in text
    assert "Not invited: Kuba" in text
    invited = LoginInvitation.objects.filter(member__in=[adult, child])
    assert list(invited.values_list("member", flat=True)) == [adult.pk]


def test_roster_bulk_action_ignores_people_of_other_clubs(client, world, adult):
    stranger = person_in(world.other_club, years=30, email="obcy@kos.example")
    client.force_login(world.users["leader"])
    url = reverse("members:roster-login-invite", args=[world.club.pk])
    client.post(url, {"members": [stranger.pk]})
    assert not stranger.login_invitations.exists()


def test_the_link_sets_a_password_and_signs_the_member_in(client, world, adult):
    invitation = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    url = reverse("members:login-accept", args=[invitation.token])
    form = client.get(url)
    assert form.status_code == 200
    response = client.post(
        url,
        {
            "first_name": "Adam",
            "last_name": "Nowy",
            "password1": "Dobre-haslo-123",
            "password2": "Dobre-haslo-123",
        },
    )
    assert response.status_code == 302
    home = client.get(reverse("home")).content.decode()
    assert "Your training" in home
    adult.refresh_from_db()
    assert adult.user.email == "adam@kos.example"


def test_a_used_link_answers_410(client, world, adult):
    invitation = logins.login_invite(member=adult, invited_by=world.users["leader"], send=False)
    logins.login_invitation_accept_new_user(
        invitation=invitation, first_name="A", last_name="N", password="Dobre-haslo-123"
    )
    response = client.get(reverse("members:login-accept", args=[invitation.token]))
    assert response.status_code == 410


def test_erasing_a_child_ends_the_guardianship(world, child, guardian_user):
    from members.services.erasure import member_erase

    member_erase(member=child, erased_by=world.users["leader"], reason="wniosek z 1 marca")
    assert not Guardianship.objects.filter(member=child).exists()
    assert child not in Member.objects.visible_to(
        guardian_user.__class__.objects.get(pk=guardian_user.pk)
    )
