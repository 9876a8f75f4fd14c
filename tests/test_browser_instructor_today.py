"""An instructor on a phone, in Polish, records today's session from the home page:
home → "Szkolenia do rozliczenia" → the session → "Obecność i wyniki" → saved. No typed
URL after the home page (issue #14, blocked job 1). Time is fixed: the meeting is today,
12:00-14:00 Warsaw time, and the test runs at 15:00."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from clubs.models import Pillar
from tests import factories
from tests.browser import assert_accessible
from training.models import Enrolment, Meeting, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WARSAW = ZoneInfo("Europe/Warsaw")
# In the future of any real clock, so no cookie the server sets is already expired.
AFTERNOON = datetime(2027, 3, 10, 15, 0, tzinfo=WARSAW)


def sign_in_as(page, live_server, user) -> None:
    """Skip the password page (tested elsewhere): reuse a test client's session."""
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


def test_an_instructor_on_a_phone_records_todays_session_from_the_home_page(page, live_server):
    with time_machine.travel(AFTERNOON, tick=True):
        pillar, _ = Pillar.objects.get_or_create(
            code="first-aid",
            defaults={"number": 1, "name_pl": "Pierwsza pomoc", "name_en": "First aid"},
        )
        club = factories.ClubFactory(name="KOS Telefonowo")
        course = factories.CourseFactory(
            code="KPP-TEL", pillar=pillar, minimum_attendance_percent=100
        )
        teacher = factories.instructor_of(
            club, email="ola@kos.example", first_name="Ola", last_name="Ratownik", language="pl"
        )
        profile = factories.InstructorProfileFactory(user=teacher)
        factories.InstructorQualificationFactory(instructor=profile, pillar=pillar)
        session = factories.SessionFactory(club=club, course=course, venue="Remiza OSP")
        session.instructors.add(profile)
        starts = datetime(2027, 3, 10, 12, 0, tzinfo=WARSAW)
        Meeting.objects.create(
            session=session, club=club, starts_at=starts, ends_at=starts + timedelta(hours=2)
        )
        Session.objects.filter(pk=session.pk).update(
            starts_at=starts, ends_at=starts + timedelta(hours=2)
        )
        bartek = factories.member_of(club, first_name="Bartek")
        celina = factories.member_of(club, first_name="Celina")
        for member in (bartek, celina):
            factories.EnrolmentFactory(session=session, member=member)

        page.set_viewport_size(PHONE)
        sign_in_as(page, live_server, teacher)
        page.goto(f"{live_server.url}/")
        page.wait_for_load_state()
        assert_accessible(page)
        due = page.get_by_role("region", name="Szkolenia do rozliczenia")
        assert "Dziś" in due.inner_text()
        due.get_by_role("link", name=re.compile("^KPP-TEL")).click()
        page.wait_for_load_state()
        assert page.url == f"{live_server.url}{session.get_absolute_url()}"
        assert_accessible(page)

        page.get_by_role("link", name="Obecność i wyniki", exact=True).click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/training/sessions/{session.pk}/results/")
        assert_accessible(page)
        page.get_by_label(re.compile(f"Obecność – .*: {re.escape(bartek.display_name)}")).check()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.get_by_role("button", name="Zapisz obecność i wyniki").click()
        page.wait_for_load_state()
        assert page.get_by_text("Obecność i wyniki zostały zapisane.").is_visible()
        assert_accessible(page)

    results = dict(session.enrolments.values_list("member_id", "result"))
    assert results == {bartek.pk: Enrolment.Result.PASSED, celina.pk: Enrolment.Result.FAILED}
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED


def test_a_leader_cancels_two_ticked_sessions_from_the_list(page, live_server):
    """The row checkboxes sit outside the bulk form (form="session-bulk"): a real browser
    must submit them with it."""
    club = factories.ClubFactory(name="KOS Listowo")
    leader = factories.leader_of(club, email="lider@kos.example", language="pl")
    first = factories.session_with_meeting(club=club, starts_in_days=5, course__code="KPP-A")
    second = factories.session_with_meeting(club=club, starts_in_days=6, course__code="KPP-B")
    kept = factories.session_with_meeting(club=club, starts_in_days=7, course__code="KPP-C")
    sign_in_as(page, live_server, leader)
    page.goto(f"{live_server.url}/training/clubs/{club.pk}/sessions/")
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label(re.compile("^Zaznacz KPP-A")).check()
    page.get_by_label(re.compile("^Zaznacz KPP-B")).check()
    page.get_by_label("Powód odwołania").fill("Remont remizy")
    page.get_by_role("button", name="Odwołaj zaznaczone").click()
    page.wait_for_load_state()
    assert page.get_by_text(re.compile("KPP-A .*odwołane")).is_visible()
    assert_accessible(page)
    statuses = dict(Session.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "cancelled", kept.pk: "planned"}
