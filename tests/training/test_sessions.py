"""Scheduling sessions: validation, the qualification gate, minors, clashes, editing,
cancelling, what instructors see, and constant query counts."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from clubs.models import Club
from kos_portal.roles import Role
from tests import factories
from tests.forms import form_values
from tests.training.conftest import WARSAW
from training.models import Enrolment, Meeting, Session
from training.services import sessions as services
from training.services.sessions import MeetingSlot


def local(days: int, hour: int, minute: int = 0) -> datetime:
    """An aware local time `days` from today at `hour`:`minute`."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, datetime.min.time())).replace(
        hour=hour, minute=minute
    )


def slot(days: int, hour: int, hours: int = 2) -> MeetingSlot:
    starts = local(days, hour)
    return MeetingSlot(starts_at=starts, ends_at=starts + timedelta(hours=hours))


def schedule(world, *, meetings, instructors=None, **overrides) -> Session:
    values = {
        "club": world.club,
        "course": world.objects["course"],
        "capacity": 10,
        "visibility": Session.Visibility.MEMBERS,
        "instructors": instructors
        if instructors is not None
        else [world.objects["instructor_profile"]],
        "meetings": meetings,
        "venue": "Świetlica wiejska",
        "created_by": world.users["leader"],
    }
    values.update(overrides)
    return services.session_create(**values)


def form_data(world, meetings: list[tuple[str, str, str]], **overrides) -> dict:
    data = {
        "course": world.objects["course"].pk,
        "venue": "Świetlica wiejska",
        "capacity": "12",
        "visibility": "members",
        "instructors": [world.objects["instructor_profile"].pk],
        "notes": "",
        "meetings-TOTAL_FORMS": str(len(meetings)),
        "meetings-INITIAL_FORMS": "0",
        "meetings-MIN_NUM_FORMS": "1",
        "meetings-MAX_NUM_FORMS": "30",
    }
    for index, (day, starts, ends) in enumerate(meetings):
        data[f"meetings-{index}-day"] = day
        data[f"meetings-{index}-starts"] = starts
        data[f"meetings-{index}-ends"] = ends
    data.update(overrides)
    return data


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- Scheduling through the page --------------------------------------------------------


def test_leader_schedules_a_session_with_two_meetings(client, world):
    client.force_login(world.users["leader"])
    url = reverse("training:session-create", kwargs={"club_pk": world.club.pk})
    data = form_data(world, [(in_days(20), "17:00", "19:00"), (in_days(21), "17:00", "20:00")])
    response = client.post(url, data)
    session = Session.objects.exclude(pk=world.objects["session"].pk).get()
    assert response.status_code == 302
    assert response.url == session.get_absolute_url()
    assert session.meetings.count() == 2
    assert session.starts_at == local(20, 17)
    assert session.ends_at == local(21, 20)
    assert list(session.instructors.all()) == [world.objects["instructor_profile"]]


def test_a_meeting_that_ends_before_it_starts_is_refused_and_nothing_is_written(client, world):
    client.force_login(world.users["leader"])
    url = reverse("training:session-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, form_data(world, [(in_days(20), "19:00", "17:00")]))
    assert response.status_code == 200
    assert "The meeting must end after it starts." in response.content.decode()
    assert Session.objects.count() == 1


def test_a_new_session_cannot_have_a_meeting_in_the_past(world):
    with pytest.raises(ValidationError, match="in the past"):
        schedule(world, meetings=[slot(20, 10), slot(-2, 10)])
    assert Session.objects.count() == 1


def test_meetings_of_one_session_may_not_overlap(world):
    with pytest.raises(ValidationError, match="overlap"):
        schedule(world, meetings=[slot(20, 10, hours=3), slot(20, 12)])


def test_add_another_meeting_shows_one_more_row_without_saving(client, world):
    client.force_login(world.users["leader"])
    url = reverse("training:session-create", kwargs={"club_pk": world.club.pk})
    data = form_data(world, [(in_days(20), "17:00", "19:00")], add_meeting="1")
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="meetings-TOTAL_FORMS" value="2"' in body
    assert 'name="meetings-1-day"' in body
    assert 'value="Świetlica wiejska"' in body  # what was typed stays
    assert "errorlist" not in body
    assert Session.objects.count() == 1


def test_a_suspended_club_cannot_schedule(world):
    Club.objects.filter(pk=world.club.pk).update(status=Club.Status.SUSPENDED)
    world.club.refresh_from_db()
    with pytest.raises(ValidationError, match="not active"):
        schedule(world, meetings=[slot(20, 10)])


def test_venue_partner_must_lend_a_venue_to_the_club(world):
    partner = world.objects["partner"]
    with pytest.raises(ValidationError, match="lends a venue"):
        schedule(world, meetings=[slot(20, 10)], venue_partner=partner, venue="")
    partner.offers_venue = True
    partner.save()
    session = schedule(world, meetings=[slot(20, 10)], venue_partner=partner, venue="")
    assert session.venue_label == partner.name


def test_instructors_must_hold_the_instructor_role_in_the_club(world):
    stranger = factories.InstructorProfileFactory()
    factories.InstructorQualificationFactory(instructor=stranger)
    with pytest.raises(ValidationError, match="not an instructor of this club"):
        schedule(world, meetings=[slot(20, 10)], instructors=[stranger])


# --- The qualification gate -------------------------------------------------------------


def test_an_instructor_without_a_qualification_for_the_course_is_refused(world):
    course = factories.CourseFactory(requires_course_qualification=True, code="DRON-A2")
    with pytest.raises(ValidationError) as error:
        schedule(world, course=course, meetings=[slot(20, 10)])
    assert "no verified qualification for DRON-A2" in error.value.messages[0]


def test_a_qualification_that_expires_before_a_later_meeting_is_refused(world):
    qualification = world.objects["qualification"]
    qualification.valid_until = timezone.localdate() + timedelta(days=25)
    qualification.save()
    schedule(world, meetings=[slot(20, 10)])
    with pytest.raises(ValidationError, match="valid on"):
        schedule(world, meetings=[slot(21, 10), slot(30, 10)])


def test_an_enrolled_minor_needs_instructors_cleared_for_minors_when_editing(world):
    session = world.objects["session"]
    minor = factories.MemberFactory(birth_date=date.today() - timedelta(days=365 * 15))
    factories.EnrolmentFactory(session=session, member=minor)
    meeting = session.meetings.get()
    keep = [MeetingSlot(starts_at=meeting.starts_at, ends_at=meeting.ends_at, pk=meeting.pk)]
    with pytest.raises(ValidationError, match="cannot teach members under 18"):
        services.session_update(
            session=session,
            course=session.course,
            capacity=20,
            visibility=session.visibility,
            instructors=[world.objects["instructor_profile"]],
            meetings=keep,
            venue=session.venue,
            updated_by=world.users["leader"],
        )
    profile = world.objects["instructor_profile"]
    profile.offender_register_checked_on = date.today()
    profile.child_protection_statement_on = date.today()
    profile.safeguarding_verified_at = timezone.now()
    profile.save()
    updated = services.session_update(
        session=session,
        course=session.course,
        capacity=20,
        visibility=session.visibility,
        instructors=[profile],
        meetings=keep,
        venue=session.venue,
        updated_by=world.users["leader"],
    )
    assert updated.capacity == 20


# --- Clashes ----------------------------------------------------------------------------


def test_the_same_instructor_cannot_teach_two_sessions_at_once(world):
    existing = world.objects["session"]
    starts = existing.starts_at + timedelta(hours=1)
    overlapping = MeetingSlot(starts_at=starts, ends_at=starts + timedelta(hours=3))
    with pytest.raises(ValidationError) as error:
        schedule(world, meetings=[overlapping], venue="Szkoła")
    message = error.value.messages[0]
    assert "already teaches KPP-WORLD" in message
    assert "KOS Złotokłos" in message


def test_the_same_venue_text_in_the_club_cannot_host_two_sessions_at_once(world):
    existing = world.objects["session"]
    other = factories.InstructorProfileFactory(user=factories.instructor_of(world.club))
    factories.InstructorQualificationFactory(instructor=other)
    clash = MeetingSlot(starts_at=existing.starts_at, ends_at=existing.ends_at)
    with pytest.raises(ValidationError, match="venue is already booked for KPP-WORLD"):
        schedule(world, meetings=[clash], instructors=[other], venue="remiza osp")
    # Back to back is no clash.
    after = MeetingSlot(starts_at=existing.ends_at, ends_at=existing.ends_at + timedelta(hours=1))
    assert schedule(world, meetings=[after], instructors=[other], venue="Remiza OSP")


def test_the_same_partner_venue_cannot_host_two_sessions_at_once(world):
    partner = world.objects["partner"]
    partner.offers_venue = True
    partner.save()
    schedule(world, meetings=[slot(30, 10)], venue_partner=partner, venue="")
    other = factories.InstructorProfileFactory(user=factories.instructor_of(world.club))
    factories.InstructorQualificationFactory(instructor=other)
    with pytest.raises(ValidationError, match="venue is already booked"):
        schedule(
            world, meetings=[slot(30, 11)], instructors=[other], venue_partner=partner, venue=""
        )


def test_a_cancelled_session_is_no_clash(world):
    existing = world.objects["session"]
    Session.objects.filter(pk=existing.pk).update(status=Session.Status.CANCELLED)
    clash = MeetingSlot(starts_at=existing.starts_at, ends_at=existing.ends_at)
    assert schedule(world, meetings=[clash], venue="Remiza OSP")


def test_editing_a_session_does_not_clash_with_itself(client, world):
    session = world.objects["session"]
    meeting = session.meetings.get()
    start = timezone.localtime(meeting.starts_at)
    end = timezone.localtime(meeting.ends_at)
    data = form_data(
        world,
        [(start.date().isoformat(), start.strftime("%H:%M"), end.strftime("%H:%M"))],
        venue="Remiza OSP",
        capacity="30",
        **{"meetings-INITIAL_FORMS": "1", "meetings-0-meeting_id": str(meeting.pk)},
    )
    client.force_login(world.users["leader"])
    response = client.post(
        reverse("training:session-edit", kwargs={"session_pk": session.pk}), data
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.capacity == 30
    assert list(session.meetings.values_list("pk", flat=True)) == [meeting.pk]


def _edit_form(client, session) -> dict[str, list[str]]:
    """The edit page's session form, read back as the browser would submit it."""
    body = client.get(reverse("training:session-edit", kwargs={"session_pk": session.pk}))
    html = body.content.decode()
    start = html.index('<form method="post" novalidate>')
    return form_values(html[start : html.index("</form>", start)])


def test_in_polish_the_edit_form_shows_the_meeting_and_saves_a_capacity_change(client, world):
    session = world.objects["session"]
    meeting = session.meetings.get()
    leader = world.users["leader"]
    leader.language = "pl"
    leader.save(update_fields=["language"])
    client.force_login(leader)
    with translation.override("pl"):
        values = _edit_form(client, session)
        start = timezone.localtime(meeting.starts_at)
        assert values["meetings-0-day"] == [start.date().isoformat()]  # ISO, not 17.03.2026
        assert values["meetings-0-starts"] == [start.strftime("%H:%M")]
        values["capacity"] = ["25"]
        response = client.post(
            reverse("training:session-edit", kwargs={"session_pk": session.pk}), values
        )
    assert "To pole jest wymagane." not in response.content.decode()
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.capacity == 25
    assert list(session.meetings.values_list("starts_at", "ends_at")) == [
        (meeting.starts_at, meeting.ends_at)
    ]


def test_a_meeting_from_22_to_1_is_scheduled_when_it_is_marked_as_ending_after_midnight(
    client, world
):
    client.force_login(world.users["leader"])
    url = reverse("training:session-create", kwargs={"club_pk": world.club.pk})
    data = form_data(world, [(in_days(20), "22:00", "01:00")])
    refused = client.post(url, data)
    assert "tick “Ends after midnight”" in refused.content.decode()
    assert Session.objects.count() == 1
    data["meetings-0-ends_next_day"] = "on"
    assert client.post(url, data).status_code == 302
    session = Session.objects.exclude(pk=world.objects["session"].pk).get()
    assert (session.starts_at, session.ends_at) == (local(20, 22), local(21, 1))
    page = client.get(session.get_absolute_url()).content.decode()
    assert "01:00 (31 March)" in page  # the end shows its own date


def test_a_meeting_marked_as_ending_after_midnight_lasts_at_most_a_day(client, world):
    client.force_login(world.users["leader"])
    url = reverse("training:session-create", kwargs={"club_pk": world.club.pk})
    data = form_data(world, [(in_days(20), "10:00", "11:00")], **{"meetings-0-ends_next_day": "on"})
    assert "A meeting lasts at most 24 hours." in client.post(url, data).content.decode()
    assert Session.objects.count() == 1


def test_a_session_ending_at_midnight_is_edited_without_touching_its_meeting(client, world):
    """The evening case of issue #12: at 21:30 the world's session runs 21:00-00:00."""
    with time_machine.travel(datetime(2026, 3, 10, 21, 30, tzinfo=WARSAW), tick=True):
        session = factories.session_with_meeting(
            club=world.club, instructor=world.objects["instructor_profile"], venue="Szkoła"
        )
        meeting = session.meetings.get()
        assert timezone.localtime(meeting.ends_at).hour == 0
        client.force_login(world.users["leader"])
        values = _edit_form(client, session)
        assert values["meetings-0-ends"] == ["00:00"]
        assert values["meetings-0-ends_next_day"] == ["on"]
        values["capacity"] = ["30"]
        response = client.post(
            reverse("training:session-edit", kwargs={"session_pk": session.pk}), values
        )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.ends_at) == datetime(2026, 3, 18, 0, 0, tzinfo=WARSAW)
    session.refresh_from_db()
    assert session.capacity == 30


def test_moving_a_meeting_updates_the_session_times(world):
    session = world.objects["session"]
    meeting = session.meetings.get()
    moved = MeetingSlot(starts_at=local(40, 9), ends_at=local(40, 12), pk=meeting.pk)
    services.session_update(
        session=session,
        course=session.course,
        capacity=session.capacity,
        visibility=session.visibility,
        instructors=[world.objects["instructor_profile"]],
        meetings=[moved, slot(41, 9)],
        venue=session.venue,
        updated_by=world.users["leader"],
    )
    session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == (local(40, 9), local(41, 11))
    assert Meeting.objects.filter(session=session).count() == 2


def test_a_larger_capacity_moves_people_up_from_the_waiting_list(
    world, django_capture_on_commit_callbacks
):
    session = world.objects["session"]
    Session.objects.filter(pk=session.pk).update(capacity=1)
    waiting = factories.EnrolmentFactory(
        session=session, status=Enrolment.Status.WAITLISTED, waitlist_position=1
    )
    meeting = session.meetings.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(
            session=session,
            course=session.course,
            capacity=2,
            visibility=session.visibility,
            instructors=[world.objects["instructor_profile"]],
            meetings=[MeetingSlot(meeting.starts_at, meeting.ends_at, meeting.pk)],
            venue=session.venue,
            updated_by=world.users["leader"],
        )
    waiting.refresh_from_db()
    assert waiting.status == Enrolment.Status.ENROLLED
    assert [message.to for message in mail.outbox] == [[waiting.member.email]]


# --- Cancelling -------------------------------------------------------------------------


def test_cancelling_emails_everyone_enrolled_or_waiting_once(
    client, world, django_capture_on_commit_callbacks
):
    session = world.objects["session"]
    waiting = factories.EnrolmentFactory(
        session=session, status=Enrolment.Status.WAITLISTED, waitlist_position=1
    )
    factories.EnrolmentFactory(session=session, status=Enrolment.Status.CANCELLED)
    client.force_login(world.users["leader"])
    url = reverse("training:session-cancel", kwargs={"session_pk": session.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Remiza w remoncie"})
        client.post(url, {"reason": "again"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert session.cancellation_reason == "Remiza w remoncie"
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([world.objects["member"].email, waiting.member.email])
    assert "Remiza w remoncie" in mail.outbox[0].body


def test_cancelling_needs_a_reason(world):
    with pytest.raises(ValidationError, match="reason"):
        services.session_cancel(
            session=world.objects["session"], reason="  ", cancelled_by=world.users["leader"]
        )


def test_an_instructor_cannot_cancel_a_session(client, world):
    client.force_login(world.users["instructor"])
    session = world.objects["session"]
    url = reverse("training:session-cancel", kwargs={"session_pk": session.pk})
    assert client.post(url, {"reason": "x"}).status_code == 403


# --- What instructors see ---------------------------------------------------------------


def _someone_elses_session(world) -> Session:
    other = factories.InstructorProfileFactory(user=factories.instructor_of(world.club))
    return factories.session_with_meeting(club=world.club, instructor=other, starts_in_days=9)


def test_an_instructor_sees_only_the_sessions_they_teach(client, world):
    theirs = _someone_elses_session(world)
    client.force_login(world.users["instructor"])
    listing = client.get(reverse("training:session-list", kwargs={"club_pk": world.club.pk}))
    mine = client.get(reverse("training:my-sessions"))
    for response in (listing, mine):
        assert world.objects["session"].get_absolute_url() in response.content.decode()
        assert theirs.get_absolute_url() not in response.content.decode()
    detail = reverse("training:session-detail", kwargs={"session_pk": theirs.pk})
    assert client.get(detail).status_code == 404


def test_an_instructor_edits_their_own_session_but_not_another(client, world):
    theirs = _someone_elses_session(world)
    client.force_login(world.users["instructor"])
    own = reverse("training:session-edit", kwargs={"session_pk": world.objects["session"].pk})
    other = reverse("training:session-edit", kwargs={"session_pk": theirs.pk})
    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404


def test_participants_are_shown_to_staff_and_the_instructor_but_not_to_members(client, world):
    url = world.objects["session"].get_absolute_url()
    name = world.objects["member"].last_name
    for role, visible in (("leader", True), ("instructor", True), ("member", False)):
        client.force_login(world.users[role])
        assert (name in client.get(url).content.decode()) is visible, role


def test_the_session_list_filters_by_when(client, world):
    past = factories.session_with_meeting(club=world.club, starts_in_days=-10)
    client.force_login(world.users["leader"])
    url = reverse("training:session-list", kwargs={"club_pk": world.club.pk})
    upcoming = client.get(url).content.decode()
    earlier = client.get(url, {"when": "past"}).content.decode()
    assert world.objects["session"].get_absolute_url() in upcoming
    assert past.get_absolute_url() not in upcoming
    assert past.get_absolute_url() in earlier


def test_the_navigation_leads_a_leader_and_an_instructor_to_their_sessions(client, world):
    client.force_login(world.users["leader"])
    session_list = reverse("training:session-list", kwargs={"club_pk": world.club.pk})
    assert session_list in client.get("/").content.decode()
    client.force_login(world.users["instructor"])
    assert reverse("training:my-sessions") in client.get("/").content.decode()


# --- Query counts -----------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _grow(world, count: int) -> None:
    profile = world.objects["instructor_profile"]
    for index in range(count):
        session = factories.session_with_meeting(
            club=world.club, instructor=profile, starts_in_days=30 + index
        )
        other = factories.InstructorProfileFactory(user=factories.instructor_of(world.club))
        session.instructors.add(other)
        for _ in range(3):
            factories.EnrolmentFactory(session=session)
        factories.EnrolmentFactory(
            session=world.objects["session"],
            member=factories.MembershipFactory(club=world.club).member,
        )
        factories.EnrolmentFactory(
            session=world.objects["session"],
            status=Enrolment.Status.WAITLISTED,
            waitlist_position=index + 1,
        )


@pytest.mark.parametrize(
    ("role", "page"),
    [
        ("leader", "list"),
        ("instructor", "list"),
        ("national", "list"),
        ("instructor", "mine"),
        ("leader", "detail"),
        ("instructor", "detail"),
        ("member", "detail"),
    ],
)
def test_session_pages_keep_a_constant_query_count(client, world, role, page):
    urls = {
        "list": reverse("training:session-list", kwargs={"club_pk": world.club.pk}),
        "mine": reverse("training:my-sessions"),
        "detail": world.objects["session"].get_absolute_url(),
    }
    client.force_login(world.users[role])
    small = _queries(client, urls[page])
    _grow(world, 4)
    assert _queries(client, urls[page]) == small


def test_a_leader_of_two_clubs_gets_the_club_list_in_the_navigation(client, world):
    second = factories.ClubFactory(municipality=world.municipality)
    factories.AssignmentFactory(user=world.users["leader"], role=Role.LEADER, club=second)
    client.force_login(world.users["leader"])
    body = client.get("/").content.decode()
    assert reverse("training:session-list", kwargs={"club_pk": world.club.pk}) not in body


def test_a_capacity_below_the_enrolled_count_is_shown_at_the_capacity_field(client, world):
    session = world.objects["session"]
    client.force_login(world.users["leader"])
    values = _edit_form(client, session)
    values["capacity"] = ["1"]
    factories.EnrolmentFactory(session=session)  # two people hold a place now
    response = client.post(
        reverse("training:session-edit", kwargs={"session_pk": session.pk}), values
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert '<ul class="errorlist" id="id_capacity_error">' in body
    assert "the capacity cannot be lower" in body
    assert Session.objects.get(pk=session.pk).capacity == session.capacity  # nothing written


def test_add_another_meeting_keeps_the_after_midnight_tick(client, world):
    client.force_login(world.users["leader"])
    url = reverse("training:session-create", kwargs={"club_pk": world.club.pk})
    data = form_data(world, [(in_days(20), "22:00", "01:00")], add_meeting="1")
    data["meetings-0-ends_next_day"] = "on"
    values = form_values(client.post(url, data).content.decode())
    assert values["meetings-0-ends_next_day"] == ["on"]
    assert "meetings-1-ends_next_day" not in values
