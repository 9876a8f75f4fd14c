"""Attendance and results: the bulk form, the passing rules and the course_passed signal."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from training.models import Attendance, Course, Enrolment, Meeting, Session
from training.services.results import attendance_record, results_record
from training.signals import course_passed

pytestmark = pytest.mark.django_db


def session_with_meetings(*, days, club=None, instructor=None, **course):
    """A session whose meetings start `days` from now (negative: in the past), 3 h each."""
    session = factories.SessionFactory(
        club=club or factories.ClubFactory(), course=factories.CourseFactory(**course)
    )
    base = timezone.now().replace(microsecond=0)
    for day in days:
        start = base + timedelta(days=day)
        Meeting.objects.create(
            session=session, club=session.club, starts_at=start, ends_at=start + timedelta(hours=3)
        )
    meetings = list(session.meetings.order_by("starts_at"))
    session.starts_at, session.ends_at = meetings[0].starts_at, meetings[-1].ends_at
    session.save(update_fields=["starts_at", "ends_at"])
    if instructor is not None:
        session.instructors.add(instructor)
    return session


def enrol(session, **kwargs):
    return factories.EnrolmentFactory(session=session, **kwargs)


def ids(session):
    return [m.pk for m in session.meetings.order_by("starts_at")]


@pytest.fixture
def passes():
    """Enrolments course_passed was sent for."""
    received = []

    def receiver(sender, enrolment, **kwargs):
        received.append(enrolment.pk)

    course_passed.connect(receiver, weak=False)
    yield received
    course_passed.disconnect(receiver)


@pytest.fixture
def recorder():
    return factories.UserFactory()


# --- Passing rules ----------------------------------------------------------------------


@pytest.mark.parametrize(("attended", "expected"), [(3, "passed"), (2, "failed")])
def test_attendance_rule_passes_at_exactly_the_minimum_share(recorder, attended, expected):
    session = session_with_meetings(days=[-30, -20, -10, -5], minimum_attendance_percent=75)
    enrolment = enrol(session)
    results_record(
        session=session,
        rows={enrolment.pk: {"present": set(ids(session)[:attended]), "score": None}},
        recorded_by=recorder,
    )
    enrolment.refresh_from_db()
    assert enrolment.result == expected


def test_two_of_three_meetings_is_not_67_percent(recorder):
    session = session_with_meetings(days=[-9, -6, -3], minimum_attendance_percent=67)
    enrolment = enrol(session)
    results_record(
        session=session,
        rows={enrolment.pk: {"present": set(ids(session)[:2]), "score": None}},
        recorded_by=recorder,
    )
    enrolment.refresh_from_db()
    assert enrolment.result == Enrolment.Result.FAILED


@pytest.mark.parametrize(("score", "expected"), [(60, "passed"), (59, "failed"), (100, "passed")])
def test_assessment_passes_from_the_pass_mark(recorder, score, expected):
    session = session_with_meetings(
        days=[-3], passing_rule=Course.PassingRule.ASSESSMENT, pass_mark=60
    )
    enrolment = enrol(session)
    results_record(
        session=session,
        rows={enrolment.pk: {"present": set(ids(session)), "score": score}},
        recorded_by=recorder,
    )
    enrolment.refresh_from_db()
    assert (enrolment.result, enrolment.score) == (expected, score)


def test_assessment_fails_a_top_score_without_enough_attendance(recorder):
    session = session_with_meetings(
        days=[-6, -3], passing_rule=Course.PassingRule.ASSESSMENT, pass_mark=50
    )
    enrolment = enrol(session)
    results_record(
        session=session,
        rows={enrolment.pk: {"present": set(ids(session)[:1]), "score": 100}},
        recorded_by=recorder,
    )
    enrolment.refresh_from_db()
    assert enrolment.result == Enrolment.Result.FAILED


def test_assessment_asks_for_the_score_of_someone_who_attended(recorder):
    session = session_with_meetings(
        days=[-3], passing_rule=Course.PassingRule.ASSESSMENT, pass_mark=50
    )
    enrolment = enrol(session)
    with pytest.raises(ValidationError, match="enter the score"):
        results_record(
            session=session,
            rows={enrolment.pk: {"present": set(ids(session)), "score": None}},
            recorded_by=recorder,
        )
    assert not Attendance.objects.exists()  # nothing half-written


def test_attendance_course_ignores_a_score(recorder):
    session = session_with_meetings(days=[-3])
    enrolment = enrol(session)
    results_record(
        session=session,
        rows={enrolment.pk: {"present": set(ids(session)), "score": 40}},
        recorded_by=recorder,
    )
    enrolment.refresh_from_db()
    assert (enrolment.result, enrolment.score) == ("passed", None)


# --- Completion -------------------------------------------------------------------------


def test_results_after_the_last_meeting_complete_the_session(recorder):
    session = session_with_meetings(days=[-10, -3])
    passed, failed = enrol(session), enrol(session)
    results_record(
        session=session,
        rows={
            passed.pk: {"present": set(ids(session)), "score": None},
            failed.pk: {"present": set(), "score": None},
        },
        recorded_by=recorder,
    )
    session.refresh_from_db()
    passed.refresh_from_db()
    failed.refresh_from_db()
    last = session.meetings.order_by("starts_at").last()
    assert session.status == Session.Status.COMPLETED and session.completed_at
    assert passed.completed_on == timezone.localtime(last.starts_at).date()
    assert passed.result_recorded_by == recorder
    assert (failed.result, failed.completed_on) == ("failed", None)
    assert Attendance.objects.filter(enrolment=failed, present=False).count() == 2


def test_before_the_last_meeting_ends_only_attendance_is_kept(recorder):
    session = session_with_meetings(days=[-3, 4])
    enrolment = enrol(session)
    first = ids(session)[0]
    results_record(
        session=session,
        rows={enrolment.pk: {"present": {first}, "score": None}},
        recorded_by=recorder,
    )
    session.refresh_from_db()
    enrolment.refresh_from_db()
    assert session.status == Session.Status.PLANNED
    assert enrolment.result == Enrolment.Result.PENDING
    assert Attendance.objects.get(enrolment=enrolment).meeting_id == first


def test_attendance_at_a_meeting_not_yet_started_is_refused(recorder):
    session = session_with_meetings(days=[-3, 4])
    enrolment = enrol(session)
    with pytest.raises(ValidationError, match="has not started"):
        results_record(
            session=session,
            rows={enrolment.pk: {"present": set(ids(session)), "score": None}},
            recorded_by=recorder,
        )


def test_results_are_refused_before_the_first_meeting(recorder):
    session = session_with_meetings(days=[2])
    enrolment = enrol(session)
    with pytest.raises(ValidationError, match="once the first meeting has started"):
        results_record(
            session=session,
            rows={enrolment.pk: {"present": set(), "score": None}},
            recorded_by=recorder,
        )
    enrolment.refresh_from_db()
    assert enrolment.result_recorded_by is None


def test_only_people_holding_a_place_get_results(recorder):
    session = session_with_meetings(days=[-3])
    waiting = enrol(session, status=Enrolment.Status.WAITLISTED, waitlist_position=1)
    with pytest.raises(ValidationError, match="hold a place"):
        results_record(
            session=session,
            rows={waiting.pk: {"present": set(), "score": None}},
            recorded_by=recorder,
        )


def test_recording_twice_changes_nothing(recorder):
    session = session_with_meetings(days=[-6, -3])
    enrolment = enrol(session)
    rows = {enrolment.pk: {"present": set(ids(session)), "score": None}}
    results_record(session=session, rows=rows, recorded_by=recorder)
    session.refresh_from_db()
    completed_at = session.completed_at
    results_record(session=session, rows=rows, recorded_by=recorder)
    session.refresh_from_db()
    assert Attendance.objects.filter(enrolment=enrolment).count() == 2
    assert session.completed_at == completed_at


def test_a_pass_turned_into_a_fail_leaves_no_completion(recorder):
    session = session_with_meetings(days=[-3])
    enrolment = enrol(session)
    results_record(
        session=session,
        rows={enrolment.pk: {"present": set(ids(session)), "score": None}},
        recorded_by=recorder,
    )
    results_record(
        session=session,
        rows={enrolment.pk: {"present": set(), "score": None}},
        recorded_by=recorder,
    )
    enrolment.refresh_from_db()
    assert (enrolment.result, enrolment.completed_on) == ("failed", None)
    assert not Attendance.objects.filter(enrolment=enrolment, present=True).exists()


# --- The course_passed signal -----------------------------------------------------------


def test_course_passed_is_sent_once_per_change_to_passed(
    recorder, passes, django_capture_on_commit_callbacks
):
    session = session_with_meetings(days=[-3])
    enrolment = enrol(session)
    present = {enrolment.pk: {"present": set(ids(session)), "score": None}}
    absent = {enrolment.pk: {"present": set(), "score": None}}
    for rows in (present, present, absent, present):
        with django_capture_on_commit_callbacks(execute=True):
            results_record(session=session, rows=rows, recorded_by=recorder)
    assert passes == [enrolment.pk, enrolment.pk]  # the first pass, and the pass after the fail


def test_course_passed_waits_for_the_commit(recorder, passes, django_capture_on_commit_callbacks):
    session = session_with_meetings(days=[-3])
    enrolment = enrol(session)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        results_record(
            session=session,
            rows={enrolment.pk: {"present": set(ids(session)), "score": None}},
            recorded_by=recorder,
        )
    assert passes == [] and len(callbacks) == 1


# --- One meeting's attendance ------------------------------------------------------------


def test_attendance_record_makes_the_meeting_equal_the_list(recorder):
    session = session_with_meetings(days=[-3])
    here, away = enrol(session), enrol(session)
    meeting = session.meetings.get()
    for _ in range(2):  # safe to run twice
        attendance_record(session=session, meeting=meeting, present=[here], recorded_by=recorder)
    assert dict(Attendance.objects.values_list("enrolment_id", "present")) == {
        here.pk: True,
        away.pk: False,
    }
    attendance_record(session=session, meeting=meeting, present=[away], recorded_by=recorder)
    assert dict(Attendance.objects.values_list("enrolment_id", "present")) == {
        here.pk: False,
        away.pk: True,
    }


def test_attendance_record_refuses_another_sessions_meeting(recorder):
    session = session_with_meetings(days=[-3])
    other = session_with_meetings(days=[-3])
    with pytest.raises(ValidationError, match="another session"):
        attendance_record(
            session=session, meeting=other.meetings.get(), present=[], recorded_by=recorder
        )


# --- The page ---------------------------------------------------------------------------


def past_world_session(world):
    """Move the world's session (one meeting, the world member enrolled) into the past."""
    session = world.objects["session"]
    start = timezone.now() - timedelta(days=1)
    session.meetings.update(starts_at=start, ends_at=start + timedelta(hours=3))
    Session.objects.filter(pk=session.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=3)
    )
    return session


def results_url(session):
    return reverse("training:session-results", kwargs={"session_pk": session.pk})


def test_instructor_records_results_on_the_page(
    client, world, passes, django_capture_on_commit_callbacks
):
    session = past_world_session(world)
    enrolment = world.objects["enrolment"]
    # The world's member has passed already (they hold the world's certificate): start over.
    Enrolment.objects.filter(pk=enrolment.pk).update(result="pending", completed_on=None)
    meeting = session.meetings.get()
    client.force_login(world.users["instructor"])
    page = client.get(results_url(session))
    assert f'name="present_{enrolment.pk}_{meeting.pk}"' in page.content.decode()
    assert world.objects["member"].display_name in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(results_url(session), {f"present_{enrolment.pk}_{meeting.pk}": "on"})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.result == Enrolment.Result.PASSED
    assert passes == [enrolment.pk]


def test_page_before_the_first_meeting_explains_and_records_nothing(client, world):
    session = world.objects["session"]
    client.force_login(world.users["leader"])
    response = client.post(results_url(session), {})
    assert response.status_code == 200
    assert "once the first meeting has started" in response.content.decode()
    assert not Attendance.objects.exists()


def test_assessment_page_has_a_labelled_score_per_person(client, world):
    session = past_world_session(world)
    Course.objects.filter(pk=session.course_id).update(
        passing_rule=Course.PassingRule.ASSESSMENT, pass_mark=70
    )
    enrolment = world.objects["enrolment"]
    client.force_login(world.users["leader"])
    response = client.post(results_url(session), {f"score_{enrolment.pk}": "101"})
    assert response.status_code == 200
    assert f'id="id_score_{enrolment.pk}"' in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.score is None


def test_instructor_of_another_session_gets_404(client, world):
    session = past_world_session(world)
    colleague = factories.instructor_of(world.club)
    factories.session_with_meeting(
        club=world.club, instructor=factories.InstructorProfileFactory(user=colleague)
    )
    client.force_login(colleague)
    assert client.get(results_url(session)).status_code == 404
    assert client.post(results_url(session)).status_code == 404


def test_results_page_query_count_does_not_grow(client, world):
    session = past_world_session(world)
    client.force_login(world.users["instructor"])

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(results_url(session)).status_code == 200
        return len(context.captured_queries)

    small = count()
    extra = factories.session_with_meeting(club=world.club)  # a second meeting for everyone
    Meeting.objects.filter(session=extra).update(session=session)
    for _ in range(6):
        enrol(session)
    assert count() == small
