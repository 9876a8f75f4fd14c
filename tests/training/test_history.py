"""Training history, pillar statuses, the public open sessions, own data and the demo."""

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clubs.models import Club
from members.models import PersonalDataAccess
from tests import factories
from training import selectors_history as history
from training.demo_sessions import training_seed_demo_sessions
from training.models import Enrolment, Session
from training.selectors_history import PillarStatus as S

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)


def passed(member, *, completed_on=TODAY - timedelta(days=30), **course):
    session = factories.SessionFactory(course=factories.CourseFactory(**course))
    session.status = Session.Status.COMPLETED
    session.save()
    return factories.EnrolmentFactory(
        session=session, member=member, result="passed", completed_on=completed_on
    )


def status(member, key="first-aid"):
    return history.member_pillar_status(member, today=TODAY)[key]


# --- Pillar statuses --------------------------------------------------------------------


def test_no_enrolment_is_not_started():
    member = factories.MemberFactory()
    statuses = history.member_pillar_status(member, today=TODAY)
    assert set(statuses) == {"first-aid", "shooting", "drones", "cyber", "communication", "zpos"}
    assert set(statuses.values()) == {S.NOT_STARTED}


@pytest.mark.parametrize("enrolment_status", ["enrolled", "waitlisted"])
def test_a_place_in_a_planned_session_is_in_progress(enrolment_status):
    enrolment = factories.EnrolmentFactory(status=enrolment_status)
    assert status(enrolment.member) == S.IN_PROGRESS


def test_a_cancelled_enrolment_does_not_count():
    enrolment = factories.EnrolmentFactory(status="cancelled")
    assert status(enrolment.member) == S.NOT_STARTED


def test_a_completed_session_without_a_pass_is_in_progress():
    enrolment = passed(factories.MemberFactory())
    Enrolment.objects.filter(pk=enrolment.pk).update(result="failed", completed_on=None)
    assert status(enrolment.member) == S.IN_PROGRESS


def test_a_valid_pass_is_certified():
    enrolment = passed(factories.MemberFactory(), validity_months=36)
    assert status(enrolment.member) == S.CERTIFIED


@pytest.mark.parametrize(
    ("days_left", "expected"), [(89, S.EXPIRING), (90, S.EXPIRING), (91, S.CERTIFIED)]
)
def test_a_pass_ending_within_90_days_is_expiring(days_left, expected):
    # 12 months from completed_on, the last valid day is the day before.
    last_day = TODAY + timedelta(days=days_left)
    completed_on = history.add_months(last_day + timedelta(days=1), -12)
    assert history.valid_until(completed_on, 12) == last_day
    enrolment = passed(factories.MemberFactory(), validity_months=12, completed_on=completed_on)
    assert status(enrolment.member) == expected


def test_an_expired_pass_counts_as_in_progress():
    enrolment = passed(
        factories.MemberFactory(), validity_months=12, completed_on=TODAY - timedelta(days=400)
    )
    assert status(enrolment.member) == S.IN_PROGRESS


def test_the_latest_valid_pass_decides_expiring():
    member = factories.MemberFactory()
    passed(member, validity_months=12, completed_on=TODAY - timedelta(days=330))  # ends soon
    passed(member, validity_months=36, completed_on=TODAY - timedelta(days=10))
    assert status(member) == S.CERTIFIED


def test_a_pass_without_expiry_stays_certified():
    enrolment = passed(
        factories.MemberFactory(), validity_months=None, completed_on=date(2000, 1, 1)
    )
    assert status(enrolment.member) == S.CERTIFIED


def test_the_cross_pillar_course_has_its_own_line():
    enrolment = passed(factories.MemberFactory(), pillar=None, validity_months=None)
    statuses = history.member_pillar_status(enrolment.member, today=TODAY)
    assert statuses["zpos"] == S.CERTIFIED
    assert statuses["first-aid"] == S.NOT_STARTED


def test_the_bulk_statuses_take_the_same_queries_for_many_people(django_assert_num_queries):
    few = [factories.EnrolmentFactory().member_id for _ in range(2)]
    many = [passed(factories.MemberFactory()).member_id for _ in range(12)] + few
    with CaptureQueriesContext(connection) as small:
        history.pillar_status_for_members(few, today=TODAY)
    with django_assert_num_queries(len(small.captured_queries)):
        result = history.pillar_status_for_members(many, today=TODAY)
    assert result[many[0]]["first-aid"] == S.CERTIFIED
    assert result[few[0]]["first-aid"] == S.IN_PROGRESS


def test_add_months_keeps_the_end_of_the_month():
    assert history.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert history.add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


# --- History --------------------------------------------------------------------------------


def test_history_lists_each_enrolment_with_its_expiry():
    enrolment = passed(
        factories.MemberFactory(), validity_months=24, completed_on=date(2025, 6, 10)
    )
    [entry] = history.member_training_history(enrolment.member, today=TODAY)
    assert entry.enrolment == enrolment
    assert entry.expires_on == date(2027, 6, 9)
    assert not entry.expired


def history_url(member):
    return reverse("training:member-history", kwargs={"member_pk": member.pk})


def test_member_sees_their_own_history(client, world):
    member = world.objects["member"]
    client.force_login(world.users["member"])
    response = client.get(history_url(member))
    assert response.status_code == 200
    assert world.objects["course"].code in response.content.decode()
    assert not PersonalDataAccess.objects.filter(member=member).exists()


def test_instructor_sees_only_the_sessions_they_teach(client, world):
    member = world.objects["member"]
    elsewhere = factories.session_with_meeting(club=world.club, course__code="CYBER-ELSEWHERE")
    factories.EnrolmentFactory(session=elsewhere, member=member)
    client.force_login(world.users["instructor"])
    page = client.get(history_url(member)).content.decode()
    assert "KPP-WORLD" in page and "CYBER-ELSEWHERE" not in page
    client.force_login(world.users["leader"])
    assert "CYBER-ELSEWHERE" in client.get(history_url(member)).content.decode()


def test_staff_viewing_a_history_is_logged(client, world):
    client.force_login(world.users["leader"])
    client.get(history_url(world.objects["member"]))
    log = PersonalDataAccess.objects.get(member=world.objects["member"])
    assert (log.user, log.action) == (world.users["leader"], PersonalDataAccess.Action.VIEW)


def test_instructor_of_another_session_cannot_open_the_history(client, world):
    client.force_login(factories.instructor_of(world.club))
    assert client.get(history_url(world.objects["member"])).status_code == 404


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_history_page_query_count_does_not_grow(client, world):
    member = world.objects["member"]
    client.force_login(world.users["leader"])
    small = queries(client, history_url(member))
    for _ in range(5):
        factories.EnrolmentFactory(
            member=member, session=factories.session_with_meeting(club=world.club)
        )
    passed(member)
    assert queries(client, history_url(member)) == small


# --- The member's own data ---------------------------------------------------------------


def test_own_data_page_and_export_show_the_trainings(client, world):
    client.force_login(world.users["member"])
    assert "KPP-WORLD" in client.get(reverse("members:my-data")).content.decode()
    data = json.loads(client.get(reverse("members:my-data-json")).content)
    [training] = data["trainings"]
    assert training["course_code"] == "KPP-WORLD"
    assert training["enrolment_status"] == "enrolled"


# --- Open sessions on the public club page ---------------------------------------------


def public_url(club):
    return reverse("clubs:public-club", kwargs={"club_pk": club.pk})


def test_public_page_lists_only_upcoming_open_planned_sessions(client, world):
    club = world.club
    Club.objects.filter(pk=club.pk).update(status=Club.Status.ACTIVE)
    shown = factories.session_with_meeting(
        club=club, visibility="open", capacity=3, course__title_en="Open First Aid"
    )
    factories.EnrolmentFactory(session=shown)
    factories.session_with_meeting(
        club=club, visibility="open", course__title_en="Kurs Zamknięty XX"
    )
    Session.objects.filter(course__title_en="Kurs Zamknięty XX").update(status="cancelled")
    factories.session_with_meeting(
        club=club, visibility="members", course__title_en="Tylko Członkowie"
    )
    factories.session_with_meeting(
        club=club, visibility="open", starts_in_days=-3, course__title_en="Już Było"
    )
    page = client.get(public_url(club)).content.decode()
    assert "Open First Aid" in page
    assert "2 places free" in page or "2 miejsca" in page
    for hidden in ("Kurs Zamknięty XX", "Tylko Członkowie", "Już Było", "KPP-WORLD"):
        assert hidden not in page


def test_public_page_hides_sessions_of_a_suspended_club(client, world):
    factories.session_with_meeting(club=world.club, visibility="open", course__title_en="Ukryty")
    Club.objects.filter(pk=world.club.pk).update(status=Club.Status.SUSPENDED)
    response = client.get(public_url(world.club))
    assert "Ukryty" not in response.content.decode()


def test_public_page_query_count_does_not_grow_with_sessions(client, world):
    Club.objects.filter(pk=world.club.pk).update(status=Club.Status.ACTIVE)
    factories.session_with_meeting(club=world.club, visibility="open")
    small = queries(client, public_url(world.club))
    for _ in range(4):
        session = factories.session_with_meeting(club=world.club, visibility="open")
        factories.EnrolmentFactory(session=session)
    assert queries(client, public_url(world.club)) == small


# --- Demo ---------------------------------------------------------------------------------


def test_demo_sessions_show_every_state_and_seed_twice(
    passes_received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True)
    club = Club.objects.get(name="KOS Złotokłos")
    upcoming, full, finished = training_seed_demo_sessions(club)
    now = timezone.now()
    assert upcoming.visibility == "open" and upcoming.starts_at > now
    assert upcoming.enrolments.filter(member__user__email="czlonek@kos.example").exists()
    assert full.enrolments.filter(status="enrolled").count() == full.capacity == 2
    assert full.enrolments.filter(status="waitlisted").count() == 1
    assert finished.status == Session.Status.COMPLETED and finished.ends_at < now
    assert set(finished.enrolments.values_list("result", flat=True)) == {"passed", "failed"}
    # The passes went through the results service, so certificates will hear of them.
    passed_ids = set(finished.enrolments.filter(result="passed").values_list("pk", flat=True))
    assert len(passed_ids) >= 2 and set(passes_received) == passed_ids

    counts = Session.objects.count(), Enrolment.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True)
    assert (Session.objects.count(), Enrolment.objects.count()) == counts
    assert len(passes_received) == len(passed_ids)


def test_demo_moves_a_stale_upcoming_session_forward():
    call_command("seed_demo", force=True)
    club = Club.objects.get(name="KOS Złotokłos")
    upcoming, _full, _finished = training_seed_demo_sessions(club)
    upcoming.meetings.update(starts_at=timezone.now() - timedelta(days=40))
    Session.objects.filter(pk=upcoming.pk).update(starts_at=timezone.now() - timedelta(days=40))
    again, _full, _finished = training_seed_demo_sessions(club)
    assert again.pk == upcoming.pk and again.starts_at > timezone.now()


@pytest.fixture
def passes_received():
    from training.signals import course_passed

    received = []

    def receiver(sender, enrolment, **kwargs):
        received.append(enrolment.pk)

    course_passed.connect(receiver, weak=False)
    yield received
    course_passed.disconnect(receiver)
