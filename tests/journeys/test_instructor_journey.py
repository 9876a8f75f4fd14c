"""Journey of an instructor (issue #14): on a 390×844 phone, signs in with TOTP, opens
today's session from the home page, records attendance and results, and sees the
certificates that were issued. Time is fixed: the meeting is today, 12:00-14:00 Warsaw
time, and the journey runs at 15:00."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from certificates.models import Certificate
from clubs.models import Pillar
from tests import factories
from tests.journeys.conftest import click_through, sign_in
from training.models import Enrolment, Meeting, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WARSAW = ZoneInfo("Europe/Warsaw")
# In the future of any real clock, so no cookie the server sets is already expired.
AFTERNOON = datetime(2027, 3, 10, 15, 0, tzinfo=WARSAW)


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_instructor_journey(page, live_server):
    with time_machine.travel(AFTERNOON, tick=True):
        pillar, _ = Pillar.objects.get_or_create(
            code="first-aid",
            defaults={"number": 1, "name_pl": "Pierwsza pomoc", "name_en": "First aid"},
        )
        club = factories.ClubFactory(name="KOS Złotokłos")
        course = factories.CourseFactory(
            code="KPP-TEL", pillar=pillar, minimum_attendance_percent=100
        )
        teacher = factories.instructor_of(
            club, email="ola@kos.example", first_name="Ola", last_name="Ratownik", language="en"
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
        bartek = factories.member_of(club, first_name="Bartek", last_name="Zając")
        celina = factories.member_of(club, first_name="Celina", last_name="Wrona")
        for member in (bartek, celina):
            factories.EnrolmentFactory(session=session, member=member)

        page.set_viewport_size(PHONE)
        sign_in(page, live_server, teacher)
        assert fits_the_phone(page)

        due = page.get_by_role("region", name="Sessions to record")
        assert "Today" in due.inner_text()
        click_through(page, due.get_by_role("link", name=re.compile("^KPP-TEL")))
        assert fits_the_phone(page)

        click_through(page, page.get_by_role("link", name="Attendance and results", exact=True))
        page.get_by_label(re.compile(f"Present at .*: {re.escape(bartek.display_name)}")).check()
        assert fits_the_phone(page)
        click_through(page, page.get_by_role("button", name="Save attendance and results"))
        assert page.get_by_text("Attendance and results saved.").is_visible()
        assert fits_the_phone(page)

        # The results page shows the certificate issued to the one who passed.
        certificate = Certificate.objects.get()
        assert certificate.member_id == bartek.pk
        issued = page.get_by_role("region", name="Certificates issued")
        rows = issued.locator("tbody tr")
        assert rows.count() == 1
        assert bartek.display_name in rows.first.inner_text()
        assert rows.first.get_by_role("link").inner_text() == certificate.number

    results = dict(session.enrolments.values_list("member_id", "result"))
    assert results == {bartek.pk: Enrolment.Result.PASSED, celina.pk: Enrolment.Result.FAILED}
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED
