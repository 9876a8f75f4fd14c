"""Membership statuses, public applications and the decision emails."""

from smtplib import SMTPException
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from clubs.models import Club
from members.models import Consent, Member, Membership, MembershipStatusChange
from members.services.consents import guardian_consent_record
from members.services.memberships import application_decide, membership_status_change
from members.services.registration import membership_apply
from members.tasks import application_result_send_task
from tests import factories
from tests.members.helpers import ALL_CONSENTS, born_years_ago

Status = Membership.Status


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters and "email sent" marks live in the cache, which outlives a test.
    cache.clear()


def applicant(world, **overrides) -> Membership:
    data = {
        "club": world.club,
        "first_name": "Jan",
        "last_name": "Wiśniewski",
        "birth_date": born_years_ago(30),
        "email": "jan@example.pl",
        "message": "Jestem ratownikiem.",
        "consents": ALL_CONSENTS,
    }
    data.update(overrides)
    return membership_apply(**data)


# --- Statuses -----------------------------------------------------------------------------


def test_a_status_change_is_recorded_with_who_when_and_why(world):
    membership = world.objects["member"].memberships.get()
    leader = world.users["leader"]
    membership_status_change(
        membership=membership, to_status=Status.SUSPENDED, changed_by=leader, reason="Nieobecny"
    )
    membership.refresh_from_db()
    assert (membership.status, membership.status_reason) == (Status.SUSPENDED, "Nieobecny")
    change = membership.status_changes.get()
    assert (change.from_status, change.to_status) == (Status.ACTIVE, Status.SUSPENDED)
    assert change.changed_by == leader
    assert change.reason == "Nieobecny"
    assert change.club == world.club


def test_leaving_sets_the_date_and_coming_back_sets_a_new_joining_date(world):
    membership = world.objects["member"].memberships.get()
    leader = world.users["leader"]
    membership_status_change(membership=membership, to_status=Status.LEFT, changed_by=leader)
    membership.refresh_from_db()
    assert membership.left_on is not None
    membership_status_change(membership=membership, to_status=Status.ACTIVE, changed_by=leader)
    membership.refresh_from_db()
    assert membership.left_on is None
    assert membership.joined_on is not None


def test_the_same_status_twice_changes_nothing(world):
    membership = world.objects["member"].memberships.get()
    for _ in range(2):
        membership_status_change(
            membership=membership,
            to_status=Status.SUSPENDED,
            changed_by=world.users["leader"],
            reason="x",
        )
    assert membership.status_changes.count() == 1


def test_a_suspension_needs_a_reason(world):
    membership = world.objects["member"].memberships.get()
    with pytest.raises(ValidationError, match="reason"):
        membership_status_change(
            membership=membership, to_status=Status.SUSPENDED, changed_by=world.users["leader"]
        )


def test_nobody_goes_back_to_being_an_applicant(world):
    membership = world.objects["member"].memberships.get()
    with pytest.raises(ValidationError, match="cannot go from"):
        membership_status_change(
            membership=membership, to_status=Status.APPLICANT, changed_by=world.users["leader"]
        )


def test_a_minor_cannot_be_activated_without_a_guardian_consent(world):
    minor = factories.MemberFactory(birth_date=born_years_ago(15))
    membership = factories.MembershipFactory(member=minor, club=world.club, status=Status.APPLICANT)
    with pytest.raises(ValidationError, match="guardian's consent"):
        membership_status_change(
            membership=membership, to_status=Status.ACTIVE, changed_by=world.users["leader"]
        )
    membership.refresh_from_db()
    assert membership.status == Status.APPLICANT
    guardian_consent_record(
        member=minor,
        guardian_name="Anna Nowak",
        guardian_contact="600100200",
        consent_date=born_years_ago(0),
        recorded_by=world.users["leader"],
    )
    membership_status_change(
        membership=membership, to_status=Status.ACTIVE, changed_by=world.users["leader"]
    )
    membership.refresh_from_db()
    assert membership.status == Status.ACTIVE


def test_a_suspended_club_takes_no_one_in(world):
    membership = applicant(world)
    Club.objects.filter(pk=world.club.pk).update(status=Club.Status.SUSPENDED)
    with pytest.raises(ValidationError, match="not taking new members"):
        membership_status_change(
            membership=membership, to_status=Status.ACTIVE, changed_by=world.users["leader"]
        )


def test_the_status_page_refuses_activation_of_a_minor_with_a_clear_message(client, world):
    minor = factories.MemberFactory(birth_date=born_years_ago(15))
    membership = factories.MembershipFactory(member=minor, club=world.club, status=Status.APPLICANT)
    client.force_login(world.users["leader"])
    url = reverse("members:membership-status", kwargs={"membership_pk": membership.pk})
    response = client.post(url, {"to_status": "active", "reason": ""})
    assert response.status_code == 200
    assert "record their guardian" in response.content.decode()


def test_the_status_page_changes_the_status(client, world):
    membership = world.objects["member"].memberships.get()
    client.force_login(world.users["coordinator"])
    url = reverse("members:membership-status", kwargs={"membership_pk": membership.pk})
    response = client.post(url, {"to_status": "left", "reason": "Przeprowadzka"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Status.LEFT
    assert membership.status_changes.get().changed_by == world.users["coordinator"]


# --- Applications -------------------------------------------------------------------------


def test_an_application_waits_as_an_applicant_with_its_message_and_online_consents(world):
    membership = applicant(world)
    assert membership.status == Status.APPLICANT
    assert membership.application_message == "Jestem ratownikiem."
    assert membership.applied_on is not None
    consent = membership.member.consents.get(purpose="membership_data")
    assert (consent.method, consent.recorded_by) == ("online", None)


def test_applying_twice_gives_one_application(world):
    first = applicant(world)
    assert applicant(world).pk == first.pk
    assert Member.objects.filter(email="jan@example.pl").count() == 1


def test_an_application_never_attaches_to_someone_else_by_email_alone(world):
    existing = world.objects["member"]
    membership = applicant(world, email=existing.email, club=world.other_club)
    assert membership.member != existing


def test_approving_an_application_activates_and_emails_the_applicant(
    world, django_capture_on_commit_callbacks
):
    membership = applicant(world)
    with django_capture_on_commit_callbacks(execute=True):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    membership.refresh_from_db()
    assert membership.status == Status.ACTIVE
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jan@example.pl"]
    assert world.club.name in mail.outbox[0].subject


def test_rejecting_needs_a_reason_and_tells_the_applicant_why(
    world, django_capture_on_commit_callbacks
):
    membership = applicant(world)
    with pytest.raises(ValidationError, match="reason"):
        application_decide(membership=membership, approve=False, decided_by=world.users["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        application_decide(
            membership=membership,
            approve=False,
            decided_by=world.users["leader"],
            reason="Brak miejsc",
        )
    membership.refresh_from_db()
    assert membership.status == Status.LEFT
    assert len(mail.outbox) == 1
    assert "Brak miejsc" in mail.outbox[0].body


def test_deciding_twice_sends_one_email(world, django_capture_on_commit_callbacks):
    membership = applicant(world)
    with django_capture_on_commit_callbacks(execute=True):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    assert len(mail.outbox) == 1


def test_the_email_task_is_safe_to_run_twice(world, django_capture_on_commit_callbacks):
    membership = applicant(world)
    with django_capture_on_commit_callbacks(execute=False):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    change = MembershipStatusChange.objects.filter(to_status=Status.ACTIVE).get()
    application_result_send_task(change.pk)
    application_result_send_task(change.pk)
    assert len(mail.outbox) == 1


def test_a_failed_send_can_be_retried(world, django_capture_on_commit_callbacks):
    membership = applicant(world)
    with django_capture_on_commit_callbacks(execute=False):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    change = MembershipStatusChange.objects.filter(to_status=Status.ACTIVE).get()
    failing = mock.patch("django.core.mail.EmailMessage.send", side_effect=SMTPException)
    with failing, pytest.raises(SMTPException):
        application_result_send_task.run(change.pk)
    application_result_send_task(change.pk)
    assert len(mail.outbox) == 1


def test_the_task_sends_nothing_once_the_decision_is_overtaken(
    world, django_capture_on_commit_callbacks
):
    membership = applicant(world)
    with django_capture_on_commit_callbacks(execute=False):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    membership_status_change(
        membership=membership, to_status=Status.LEFT, changed_by=world.users["leader"]
    )
    change = MembershipStatusChange.objects.filter(to_status=Status.ACTIVE).get()
    application_result_send_task(change.pk)
    assert mail.outbox == []


def test_the_task_is_configured_for_reliable_delivery():
    task = application_result_send_task
    assert task.acks_late and task.reject_on_worker_lost
    assert set(task.autoretry_for) == {OSError, SMTPException}


def test_a_minors_application_cannot_be_approved_before_the_guardian_consent(world):
    membership = applicant(world, birth_date=born_years_ago(15))
    with pytest.raises(ValidationError, match="guardian's consent"):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])


# --- Public form and the application list -------------------------------------------------


def apply_data(**overrides):
    data = {
        "first_name": "Jan",
        "last_name": "Wiśniewski",
        "birth_date": born_years_ago(30).isoformat(),
        "email": "Jan@Example.pl",
        "phone": "600 700 800",
        "message": "Chcę pomagać.",
        "consent_membership_data": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def test_a_citizen_applies_through_the_public_form(client, world):
    url = reverse("members:club-apply", kwargs={"club_pk": world.club.pk})
    response = client.post(url, apply_data())
    assert response.status_code == 200
    assert "Application sent" in response.content.decode()
    membership = Membership.objects.get(member__email="jan@example.pl")
    assert membership.status == Status.APPLICANT
    assert membership.member.phone == "+48600700800"


def test_the_public_form_needs_an_email(client, world):
    url = reverse("members:club-apply", kwargs={"club_pk": world.club.pk})
    response = client.post(url, apply_data(email=""))
    assert response.status_code == 200
    assert not Member.objects.filter(last_name="Wiśniewski").exists()


def test_the_honeypot_stores_nothing_and_says_thanks(client, world):
    url = reverse("members:club-apply", kwargs={"club_pk": world.club.pk})
    response = client.post(url, apply_data(website="http://spam.example"))
    assert "Application sent" in response.content.decode()
    assert not Member.objects.filter(last_name="Wiśniewski").exists()
    assert not Consent.objects.filter(member__last_name="Wiśniewski").exists()


def test_the_public_form_is_rate_limited(client, world):
    url = reverse("members:club-apply", kwargs={"club_pk": world.club.pk})
    codes = [client.post(url, apply_data(email=f"jan{n}@example.pl")).status_code for n in range(6)]
    assert codes == [200, 200, 200, 200, 200, 429]
    assert Member.objects.filter(last_name="Wiśniewski").count() == 5


@pytest.mark.parametrize(
    "status", [Club.Status.PROPOSED, Club.Status.SUSPENDED, Club.Status.CLOSED]
)
def test_only_active_clubs_take_applications(client, world, status):
    world.club.status = status
    world.club.save()
    url = reverse("members:club-apply", kwargs={"club_pk": world.club.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, apply_data()).status_code == 404


def test_the_application_list_shows_pending_applications_of_the_leaders_clubs_only(client, world):
    applicant(world)
    applicant(world, club=world.other_club, email="other@example.pl", last_name="Obcy")
    client.force_login(world.users["leader"])
    page = client.get(reverse("members:application-list")).content.decode()
    assert "Wiśniewski" in page
    assert "Obcy" not in page


def test_approving_from_the_list_emails_the_applicant(
    client, world, django_capture_on_commit_callbacks
):
    membership = applicant(world)
    client.force_login(world.users["leader"])
    url = reverse("members:application-decide", kwargs={"membership_pk": membership.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Status.ACTIVE
    assert len(mail.outbox) == 1


def test_an_outsider_cannot_decide_another_clubs_application(client, world):
    membership = applicant(world)
    client.force_login(world.users["outsider"])
    url = reverse("members:application-decide", kwargs={"membership_pk": membership.pk})
    assert client.post(url, {"decision": "approve"}).status_code == 404
    membership.refresh_from_db()
    assert membership.status == Status.APPLICANT
