"""A session from scheduling to a passed course, in a real browser, with axe on every page:
a leader schedules it and fills it (one more goes to the waiting list), a participant
cancels and the waiting person moves up, the instructor records attendance on a phone, and
the participant's history shows the course passed."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from clubs.models import Pillar
from tests import factories
from tests.browser import assert_accessible
from training.models import Enrolment, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def sign_in_as(page, live_server, user) -> None:
    """Skip the password and TOTP pages (tested elsewhere): reuse a test client's session."""
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def go(page, url) -> None:
    page.goto(url)
    page.wait_for_load_state()
    assert_accessible(page)


def test_a_session_from_scheduling_to_a_passed_course(page, live_server):
    # A transactional test may run after another one emptied the pillars table.
    pillar, _ = Pillar.objects.get_or_create(
        code="first-aid",
        defaults={"number": 1, "name_pl": "Pierwsza pomoc", "name_en": "First aid"},
    )
    club = factories.ClubFactory(name="KOS Testowo")
    course = factories.CourseFactory(
        code="KPP-E2E", title_en="First aid basics", pillar=pillar, minimum_attendance_percent=100
    )
    # English, so the labels below are the source strings, whatever the .po files say.
    leader = factories.leader_of(club, email="liderka@kos.example", language="en")
    teacher = factories.instructor_of(
        club, email="marek@kos.example", first_name="Marek", last_name="Ratowniczy", language="en"
    )
    profile = factories.InstructorProfileFactory(user=teacher)
    factories.InstructorQualificationFactory(instructor=profile, pillar=pillar)
    anna = factories.member_of(club, email="anna@kos.example", first_name="Anna", language="en")
    bartek = factories.member_of(
        club, email="bartek@kos.example", first_name="Bartek", language="en"
    )
    celina = factories.member_of(
        club, email="celina@kos.example", first_name="Celina", language="en"
    )

    # The leader schedules a session for two people.
    sign_in_as(page, live_server, leader)
    go(page, f"{live_server.url}/training/clubs/{club.pk}/sessions/new/")
    page.get_by_label("Course").select_option(str(course.pk))
    page.get_by_label("Venue or room").fill("Remiza OSP, sala 1")
    page.get_by_label("Places").fill("2")
    page.get_by_label("Marek Ratowniczy").check()
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("Date, meeting 1").fill(tomorrow.isoformat())
    page.get_by_label("Starts, meeting 1").fill("17:00")
    page.get_by_label("Ends, meeting 1").fill("20:00")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_load_state()
    session = Session.objects.get(club=club)
    assert page.url == f"{live_server.url}{session.get_absolute_url()}"
    assert_accessible(page)

    # ...enrols three: two in one go get the places, the third waits.
    for group in ((anna, bartek), (celina,)):
        for member in group:
            page.get_by_label(member.display_name, exact=True).check()
        page.get_by_role("button", name="Enrol", exact=True).click()
        page.wait_for_load_state()
    statuses = dict(session.enrolments.values_list("member_id", "status"))
    assert statuses == {anna.pk: "enrolled", bartek.pk: "enrolled", celina.pk: "waitlisted"}
    assert page.get_by_text("waiting (number 1)").is_visible()
    assert_accessible(page)

    # Anna cancels her place; Celina moves up.
    sign_in_as(page, live_server, anna.user)
    go(page, f"{live_server.url}{session.get_absolute_url()}")
    page.get_by_role("button", name="Cancel my place").click()
    page.wait_for_load_state()
    assert_accessible(page)
    statuses = dict(session.enrolments.values_list("member_id", "status"))
    assert statuses == {anna.pk: "cancelled", bartek.pk: "enrolled", celina.pk: "enrolled"}

    # The meeting takes place (moved into the past: scheduling refuses past dates).
    start = timezone.now() - timedelta(hours=4)
    session.meetings.update(starts_at=start, ends_at=start + timedelta(hours=3))
    Session.objects.filter(pk=session.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=3)
    )

    # The instructor records attendance on a phone: Bartek came, Celina did not.
    page.set_viewport_size(PHONE)
    sign_in_as(page, live_server, teacher)
    go(page, f"{live_server.url}/training/sessions/{session.pk}/results/")
    assert page.get_by_role("group", name=re.compile("Anna")).count() == 0  # cancelled
    page.get_by_label(re.compile(r"Present at meeting 1 .*: Bartek")).check()
    box = page.get_by_label(re.compile(r"Present at meeting 1 .*: Bartek")).bounding_box()
    label = page.locator("label.check").first.bounding_box()
    assert label["height"] >= 44 and box["width"] >= 24  # big enough for a thumb
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Save attendance and results").click()
    page.wait_for_load_state()
    assert page.get_by_text("Attendance and results saved.").is_visible()
    assert_accessible(page)
    results = dict(session.enrolments.values_list("member_id", "result"))
    assert results[bartek.pk] == Enrolment.Result.PASSED
    assert results[celina.pk] == Enrolment.Result.FAILED
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED

    # Bartek's history shows the course passed.
    sign_in_as(page, live_server, bartek.user)
    go(page, f"{live_server.url}/training/members/{bartek.pk}/history/")
    row = page.get_by_role("row", name=re.compile("KPP-E2E"))
    assert "passed" in row.inner_text()
    pillars = page.get_by_role("table", name="Status in each pillar")
    assert "certified" in pillars.get_by_role("row", name=re.compile("First aid")).inner_text()
