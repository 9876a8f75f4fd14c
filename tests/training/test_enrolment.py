"""Enrolment: the checks, the waiting list, moving up with an email, double submits, and
who may enrol or cancel."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clubs.models import Club
from members.models import GuardianConsent, Membership
from tests import factories
from training.models import Enrolment, Session
from training.services.enrolment import enrolment_cancel, enrolment_create
from training.tasks import enrolment_promoted_email_task


def years_ago(years: int) -> date:
    return date.today() - timedelta(days=int(365.25 * years))


def club_member(world, **kwargs):
    return factories.MembershipFactory(
        club=world.club, member__birth_date=years_ago(30), **kwargs
    ).member


def enrol(world, member, session=None) -> Enrolment:
    return enrolment_create(
        session=session or world.objects["session"],
        member=member,
        enrolled_by=world.users["leader"],
    )


def clear_for_minors(profile) -> None:
    profile.offender_register_checked_on = date.today()
    profile.child_protection_statement_on = date.today()
    profile.safeguarding_verified_at = timezone.now()
    profile.save()


def guardian_consent(member) -> GuardianConsent:
    return GuardianConsent.objects.create(
        member=member,
        guardian_name="Anna Nowak",
        guardian_contact="+48600100200",
        consent_date=date.today(),
        text_version="1",
        method="paper",
    )


# --- Places and the waiting list --------------------------------------------------------


def test_a_member_takes_a_free_place(world):
    enrolment = enrol(world, club_member(world))
    assert enrolment.status == Enrolment.Status.ENROLLED
    assert enrolment.waitlist_position is None


def test_a_full_session_puts_people_on_the_waiting_list_in_order(world):
    Session.objects.filter(pk=world.objects["session"].pk).update(capacity=1)
    first, second = enrol(world, club_member(world)), enrol(world, club_member(world))
    assert (first.status, first.waitlist_position) == (Enrolment.Status.WAITLISTED, 1)
    assert (second.status, second.waitlist_position) == (Enrolment.Status.WAITLISTED, 2)


def test_someone_already_enrolled_is_refused(world):
    with pytest.raises(ValidationError, match="already enrolled"):
        enrol(world, world.objects["member"])
    assert Enrolment.objects.filter(member=world.objects["member"]).count() == 1


def test_a_double_submitted_self_enrolment_gives_one_place(client, world):
    member = club_member(world, member__user=factories.UserFactory())
    client.force_login(member.user)
    url = reverse("training:session-enrol-self", kwargs={"session_pk": world.objects["session"].pk})
    first = client.post(url)
    second = client.post(url, follow=True)
    assert first.status_code == 302
    assert Enrolment.objects.filter(member=member).count() == 1
    assert "already enrolled" in second.content.decode()


def test_a_cancelled_enrolment_can_be_reopened(world):
    member = club_member(world)
    enrolment = enrol(world, member)
    enrolment_cancel(enrolment=enrolment, cancelled_by=world.users["leader"])
    again = enrol(world, member)
    assert again.pk == enrolment.pk
    assert again.status == Enrolment.Status.ENROLLED


# --- The checks -------------------------------------------------------------------------


def test_the_minimum_age_is_checked_on_the_first_meeting_day(world):
    course = world.objects["course"]
    course.minimum_age = 16
    course.save()
    young = club_member(world)
    young.birth_date = years_ago(14)
    young.save()
    with pytest.raises(ValidationError, match="will be under 16"):
        enrol(world, young)
    unknown = club_member(world)
    unknown.birth_date = None
    unknown.save()
    with pytest.raises(ValidationError, match="no date of birth"):
        enrol(world, unknown)


def test_a_minor_needs_a_current_guardian_consent(world):
    clear_for_minors(world.objects["instructor_profile"])
    minor = club_member(world)
    minor.birth_date = years_ago(15)
    minor.save()
    with pytest.raises(ValidationError, match="guardian's consent"):
        enrol(world, minor)
    consent = guardian_consent(minor)
    consent.withdrawn_at = timezone.now()
    consent.save()
    with pytest.raises(ValidationError, match="guardian's consent"):
        enrol(world, minor)
    guardian_consent(minor)
    assert enrol(world, minor).status == Enrolment.Status.ENROLLED


def test_a_minor_is_refused_when_the_instructors_cannot_teach_minors(world):
    minor = club_member(world)
    minor.birth_date = years_ago(15)
    minor.save()
    guardian_consent(minor)
    with pytest.raises(ValidationError) as error:
        enrol(world, minor)
    assert "cannot teach minors" in error.value.messages[0]
    assert "Sex Offenders Register" in error.value.messages[0]


def test_prerequisites_must_be_passed_first(world):
    session = world.objects["session"]
    basic = factories.CourseFactory(code="KPP-BASIC")
    session.course.prerequisites.add(basic)
    member = club_member(world)
    with pytest.raises(ValidationError, match="must first pass KPP-BASIC"):
        enrol(world, member)
    earlier = factories.session_with_meeting(club=world.club, course=basic, starts_in_days=-30)
    factories.EnrolmentFactory(session=earlier, member=member, result=Enrolment.Result.PASSED)
    assert enrol(world, member).status == Enrolment.Status.ENROLLED


def test_members_only_sessions_need_an_active_membership_in_the_club(world):
    outsider = factories.MembershipFactory(club=world.other_club).member
    with pytest.raises(ValidationError, match="no active membership"):
        enrol(world, outsider)
    suspended = club_member(world, status=Membership.Status.SUSPENDED)
    with pytest.raises(ValidationError, match="no active membership"):
        enrol(world, suspended)


def test_an_open_session_takes_members_of_other_clubs(client, world):
    session = world.objects["session"]
    Session.objects.filter(pk=session.pk).update(visibility=Session.Visibility.OPEN)
    other = factories.member_of(world.other_club)
    client.force_login(other.user)
    url = reverse("training:session-enrol-self", kwargs={"session_pk": session.pk})
    assert client.post(url).status_code == 302
    assert Enrolment.objects.get(member=other).status == Enrolment.Status.ENROLLED


def test_a_members_only_session_of_another_club_is_not_found_for_self_enrolment(client, world):
    other = factories.member_of(world.other_club)
    client.force_login(other.user)
    url = reverse("training:session-enrol-self", kwargs={"session_pk": world.objects["session"].pk})
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("change", ["started", "cancelled", "club_suspended"])
def test_no_enrolment_once_a_session_started_was_cancelled_or_its_club_stopped(world, change):
    session = world.objects["session"]
    if change == "started":
        Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    elif change == "cancelled":
        Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    else:
        Club.objects.filter(pk=world.club.pk).update(status=Club.Status.SUSPENDED)
    with pytest.raises(ValidationError):
        enrol(world, club_member(world))
    assert Enrolment.objects.count() == 1


# --- Cancelling and moving up -----------------------------------------------------------


def test_cancelling_a_place_moves_the_first_person_up_and_emails_them_once(
    world, django_capture_on_commit_callbacks
):
    session = world.objects["session"]
    Session.objects.filter(pk=session.pk).update(capacity=1)
    first, second = enrol(world, club_member(world)), enrol(world, club_member(world))
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_cancel(enrolment=world.objects["enrolment"], cancelled_by=world.users["leader"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Enrolment.Status.ENROLLED and first.promoted_at is not None
    assert second.status == Enrolment.Status.WAITLISTED
    assert [message.to for message in mail.outbox] == [[first.member.email]]
    assert "moved up from the waiting list" in mail.outbox[0].body
    enrolment_promoted_email_task(first.pk)  # run twice: no second email
    assert len(mail.outbox) == 1


def test_cancelling_twice_is_safe(world, django_capture_on_commit_callbacks):
    enrolment = world.objects["enrolment"]
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_cancel(enrolment=enrolment, cancelled_by=world.users["leader"])
        enrolment_cancel(enrolment=enrolment, cancelled_by=world.users["leader"])
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED
    assert mail.outbox == []


def test_moving_up_passes_over_someone_who_no_longer_qualifies(
    world, django_capture_on_commit_callbacks
):
    clear_for_minors(world.objects["instructor_profile"])
    session = world.objects["session"]
    Session.objects.filter(pk=session.pk).update(capacity=1)
    minor = club_member(world)
    minor.birth_date = years_ago(15)
    minor.save()
    consent = guardian_consent(minor)
    waiting_minor = enrol(world, minor)
    adult = enrol(world, club_member(world))
    consent.withdrawn_at = timezone.now()
    consent.save()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_cancel(enrolment=world.objects["enrolment"], cancelled_by=world.users["leader"])
    waiting_minor.refresh_from_db()
    adult.refresh_from_db()
    assert waiting_minor.status == Enrolment.Status.WAITLISTED
    assert adult.status == Enrolment.Status.ENROLLED


def test_the_promotion_email_is_not_sent_to_someone_no_longer_enrolled(world):
    enrolment = world.objects["enrolment"]
    Enrolment.objects.filter(pk=enrolment.pk).update(
        status=Enrolment.Status.CANCELLED, promoted_at=timezone.now()
    )
    enrolment_promoted_email_task(enrolment.pk)
    assert mail.outbox == []


# --- Who may do what (pages) ------------------------------------------------------------


def test_a_leader_enrols_a_club_member_from_the_session_page(client, world):
    member = club_member(world)
    client.force_login(world.users["leader"])
    session = world.objects["session"]
    page = client.get(session.get_absolute_url()).content.decode()
    assert f'value="{member.pk}"' in page
    url = reverse("training:session-enrol", kwargs={"session_pk": session.pk})
    assert client.post(url, {"members": [member.pk]}).status_code == 302
    assert Enrolment.objects.get(member=member).status == Enrolment.Status.ENROLLED


def test_an_instructor_cannot_enrol_or_cancel_others(client, world):
    client.force_login(world.users["instructor"])
    session = world.objects["session"]
    enrol_url = reverse("training:session-enrol", kwargs={"session_pk": session.pk})
    cancel_url = reverse(
        "training:enrolment-cancel", kwargs={"enrolment_pk": world.objects["enrolment"].pk}
    )
    assert client.post(enrol_url, {"members": [club_member(world).pk]}).status_code == 403
    assert client.post(cancel_url).status_code == 403


def test_a_member_cancels_their_own_place(client, world):
    client.force_login(world.users["member"])
    enrolment = world.objects["enrolment"]
    url = reverse("training:enrolment-cancel", kwargs={"enrolment_pk": enrolment.pk})
    assert client.post(url).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED


def test_a_member_cannot_cancel_someone_elses_place(client, world):
    other = enrol(world, club_member(world))
    client.force_login(world.users["member"])
    url = reverse("training:enrolment-cancel", kwargs={"enrolment_pk": other.pk})
    assert client.post(url).status_code == 404


def test_a_user_without_a_member_record_cannot_enrol_themselves(client, world):
    client.force_login(world.users["leader"])
    url = reverse("training:session-enrol-self", kwargs={"session_pk": world.objects["session"].pk})
    assert client.post(url).status_code == 403
