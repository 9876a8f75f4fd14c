"""Every job can be reached by links (issue #14): attendance and results from the session
page, the session lists, the calendar and the home page; the training history from the
member page. Nobody gets a link that would answer 403."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from training.models import Meeting, Session


def results_url(session) -> str:
    return reverse("training:session-results", kwargs={"session_pk": session.pk})


@pytest.mark.parametrize(
    ("role", "linked"),
    [("leader", True), ("instructor", True), ("national", True), ("coordinator", False)],
)
def test_the_session_page_links_attendance_and_results_for_those_who_may_record(
    client, world, role, linked
):
    session = world.objects["session"]
    client.force_login(world.users[role])
    assert (results_url(session) in client.get(session.get_absolute_url()).content.decode()) is (
        linked
    )


def test_a_cancelled_session_offers_no_results_link(client, world):
    session = world.objects["session"]
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    client.force_login(world.users["leader"])
    assert results_url(session) not in client.get(session.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("role", "page", "linked"),
    [
        ("leader", "list", True),
        ("instructor", "list", True),
        ("coordinator", "list", False),
        ("instructor", "mine", True),
        ("instructor", "calendar", True),
    ],
)
def test_session_lists_and_the_calendar_link_results(client, world, role, page, linked):
    urls = {
        "list": reverse("training:session-list", kwargs={"club_pk": world.club.pk}),
        "mine": reverse("training:my-sessions"),
        "calendar": reverse("training:my-calendar"),
    }
    client.force_login(world.users[role])
    body = client.get(urls[page]).content.decode()
    assert (results_url(world.objects["session"]) in body) is linked


def _today(world, *, hours_from_now: int = 1) -> Session:
    """A session of the world's instructor with one meeting today."""
    session = factories.session_with_meeting(
        club=world.club,
        instructor=world.objects["instructor_profile"],
        starts_in_days=0,
        course__code="KPP-TODAY",
        venue="Szkoła",
    )
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(
        hours=hours_from_now
    )
    Meeting.objects.filter(session=session).update(
        starts_at=starts, ends_at=starts + timedelta(hours=1)
    )
    Session.objects.filter(pk=session.pk).update(
        starts_at=starts, ends_at=starts + timedelta(hours=1)
    )
    return session


def test_the_instructors_home_lists_todays_session_with_its_results_link(client, world):
    today = _today(world)
    past = factories.session_with_meeting(
        club=world.club, instructor=world.objects["instructor_profile"], starts_in_days=-3
    )
    client.force_login(world.users["instructor"])
    body = client.get("/").content.decode()
    assert "Sessions to record" in body
    assert results_url(today) in body
    assert results_url(past) in body  # started, results still due
    assert results_url(world.objects["session"]) not in body  # next week: not yet
    assert body.index(results_url(today)) < body.index(results_url(past))  # today first


def test_completed_sessions_and_sessions_taught_by_others_are_not_due(client, world):
    done = factories.session_with_meeting(
        club=world.club, instructor=world.objects["instructor_profile"], starts_in_days=-3
    )
    Session.objects.filter(pk=done.pk).update(status=Session.Status.COMPLETED)
    colleague = factories.InstructorProfileFactory(user=factories.instructor_of(world.club))
    theirs = factories.session_with_meeting(
        club=world.club, instructor=colleague, starts_in_days=-2
    )
    client.force_login(world.users["instructor"])
    body = client.get("/").content.decode()
    assert results_url(done) not in body
    assert results_url(theirs) not in body
    assert "Nothing to record now" in body
    client.force_login(world.users["leader"])
    assert results_url(theirs) in client.get("/").content.decode()  # the leader records too


def test_people_without_a_club_role_get_no_sessions_section(client, world):
    for role in ("member", "coordinator"):
        client.force_login(world.users[role])
        assert "Sessions to record" not in client.get("/").content.decode()


def test_the_member_page_links_the_training_history(client, world):
    member = world.objects["member"]
    client.force_login(world.users["leader"])
    body = client.get(reverse("members:member-detail", kwargs={"member_pk": member.pk}))
    history = reverse("training:member-history", kwargs={"member_pk": member.pk})
    assert history in body.content.decode()
    assert client.get(history).status_code == 200
