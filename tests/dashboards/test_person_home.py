"""The member's home page (and the guardian's, per child): sessions, certificates, what to
do next, and "enrol me" for the open sessions of their clubs."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Guardianship, Member, PersonalDataAccess
from tests import factories
from tests.members.helpers import born_years_ago
from training.models import Enrolment


@pytest.fixture
def member(world):
    return world.objects["member"]


@pytest.fixture
def open_session(world):
    """A planned session of the member's club, a week from now, not yet joined."""
    return factories.session_with_meeting(club=world.club, capacity=1, course__code="KPP-OPEN")


def home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_member_sees_upcoming_sessions_and_certificates_with_download(client, world, member):
    page = home(client, member.user)
    assert "Your training" in page
    assert world.objects["session"].get_absolute_url() in page
    certificate = world.objects["certificate"]
    assert certificate.number in page
    assert reverse("certificates:certificate-download", args=[certificate.pk]) in page


def test_what_to_do_next_names_the_next_session_and_missing_consent(client, world, member):
    page = home(client, member.user)
    assert "Next session:" in page
    assert "The consent to processing membership data is missing" in page


def test_expiring_certificate_is_a_todo(client, world, member):
    certificate = world.objects["certificate"]
    certificate.expires_on = timezone.localdate() + timedelta(days=20)
    certificate.save(update_fields=["expires_on"])
    assert "sign up for a refresher" in home(client, member.user)


def test_open_sessions_of_the_club_offer_enrol_me(client, world, member, open_session):
    page = home(client, member.user)
    assert "KPP-OPEN" in page or open_session.course.display_title in page
    assert reverse("training:session-enrol-self", args=[open_session.pk]) in page
    assert "Enrol me" in page


def test_enrol_me_enrols_and_a_full_session_puts_the_next_on_the_waiting_list(
    client, world, member, open_session
):
    url = reverse("training:session-enrol-self", args=[open_session.pk])
    client.force_login(member.user)
    response = client.post(url, {"next": reverse("home")}, follow=True)
    assert "You are enrolled." in response.content.decode()
    other = factories.member_of(world.club)
    client.force_login(other.user)
    response = client.post(url, {"next": reverse("home")}, follow=True)
    assert "number 1 on the waiting list" in response.content.decode()
    statuses = dict(open_session.enrolments.values_list("member_id", "status"))
    assert statuses == {member.pk: Enrolment.Status.ENROLLED, other.pk: Enrolment.Status.WAITLISTED}


def test_a_session_the_member_may_not_join_says_why_instead_of_a_button(client, world, member):
    session = factories.session_with_meeting(club=world.club, course__minimum_age=18)
    page = home(client, member.user)  # the world's member has no date of birth
    assert "has no date of birth recorded" in page
    assert reverse("training:session-enrol-self", args=[session.pk]) not in page


@pytest.fixture
def guardian(world):
    child = factories.MemberFactory(first_name="Kuba", birth_date=born_years_ago(12))
    factories.MembershipFactory(member=child, club=world.club)
    user = factories.UserFactory(email="rodzic@kos.example")
    Guardianship.objects.create(user=user, member=child)
    return user


def test_guardian_sees_the_childs_section(client, world, guardian):
    page = home(client, guardian)
    assert "Kuba" in page and "(you are the guardian)" in page
    child = Member.objects.get(first_name="Kuba")
    assert reverse("members:ward-data", args=[child.pk]) in page
    log = PersonalDataAccess.objects.get(user=guardian)
    assert (log.member, log.action) == (child, PersonalDataAccess.Action.VIEW)


def test_guardian_enrols_the_child_without_a_guardians_consent_is_refused_clearly(
    client, world, guardian, open_session
):
    child = Member.objects.get(first_name="Kuba")
    client.force_login(guardian)
    url = reverse("training:session-enrol-self", args=[open_session.pk])
    response = client.post(url, {"member": child.pk, "next": reverse("home")}, follow=True)
    assert "no current guardian&#x27;s consent" in response.content.decode()
    assert not open_session.enrolments.exists()


def test_guardian_enrols_the_child(client, world, guardian, open_session):
    child = Member.objects.get(first_name="Kuba")
    child.guardian_consents.create(
        guardian_name="Ewa",
        guardian_contact="rodzic@kos.example",
        consent_date=timezone.localdate(),
        text_version="1",
        method="paper",
    )
    client.force_login(guardian)
    url = reverse("training:session-enrol-self", args=[open_session.pk])
    response = client.post(url, {"member": child.pk, "next": reverse("home")}, follow=True)
    assert "Kuba" in response.content.decode() and "is enrolled." in response.content.decode()
    assert open_session.enrolments.get().member == child


def test_guardian_cannot_enrol_someone_elses_child(client, world, guardian, open_session):
    client.force_login(guardian)
    url = reverse("training:session-enrol-self", args=[open_session.pk])
    stranger = world.objects["member"]
    assert client.post(url, {"member": stranger.pk}).status_code == 404
    assert client.post(url, {"member": "x"}).status_code == 404
    assert not open_session.enrolments.exists()
