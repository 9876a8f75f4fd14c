"""Journey of a club member (issue #14): accepts the emailed invitation to log in, sees
their certificate on the home page and downloads it, exports their data, and enrols in an
open session of their club."""

import json
import re
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from certificates.models import Certificate
from certificates.services.issuing import certificate_issue
from members.services.logins import login_invite
from tests import factories
from tests.journeys.conftest import assert_no_axe_violations, click_through
from training.models import Enrolment, Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def adam(db):
    """Adam passed a first-aid course in March and holds its certificate (rendered, as the
    worker renders it); his leader has invited him to log in; a session is open."""
    club = factories.ClubFactory(
        name="KOS Złotokłos", municipality=factories.MunicipalityFactory(name="Piaseczno")
    )
    leader = factories.leader_of(club, email="lider@kos.example", language="en")
    adam = factories.MemberFactory(
        first_name="Adam", last_name="Nowak", email="adam@kos.example", birth_date=date(1990, 5, 1)
    )
    factories.MembershipFactory(member=adam, club=club)
    past = factories.SessionFactory(
        club=club, course__code="KPP-1", course__title="Kwalifikowana pierwsza pomoc"
    )
    held = timezone.make_aware(datetime(2026, 3, 1, 9))
    Meeting.objects.create(
        session=past, club=club, starts_at=held, ends_at=held + timedelta(hours=8)
    )
    past.starts_at, past.ends_at = held, held + timedelta(hours=8)
    past.save(update_fields=["starts_at", "ends_at"])
    enrolment = factories.EnrolmentFactory(
        session=past, member=adam, result="passed", completed_on=date(2026, 3, 1)
    )
    certificate_issue(enrolment=enrolment)
    factories.session_with_meeting(club=club, capacity=5, course__code="DRON-1")
    with transaction.atomic():
        login_invite(member=adam, invited_by=leader)
    return adam


def test_member_journey(page, live_server, adam):
    certificate = Certificate.objects.get(member=adam)
    assert certificate.render_status == "done"
    page.goto(f"{live_server.url}/")
    assert_no_axe_violations(page)

    # Accepts the invitation: the emailed link, then a password of his own.
    # (His other email says the certificate is ready.)
    [link] = [
        found.group(0)
        for m in mail.outbox
        if m.to == ["adam@kos.example"]
        and (found := re.search(r"https?://\S+/members/login/\S+/", m.body))
    ]
    page.goto(link)
    assert_no_axe_violations(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Set your password"
    page.get_by_label(re.compile(r"^Password:?( \*)?$")).fill("Dobre-haslo-123")
    page.get_by_label("Password (again)").fill("Dobre-haslo-123")
    click_through(page, page.get_by_role("button", name="Create my login"))
    assert page.get_by_text("Welcome! Your login is ready.").is_visible()

    # Sees the certificate on the home page and downloads its PDF.
    certificates = page.get_by_role("list").filter(has_text=certificate.number)
    assert certificates.get_by_text("Kwalifikowana pierwsza pomoc").is_visible()
    with page.expect_download() as download_info:
        certificates.get_by_role("link", name=f"Download {certificate.number}").click()
    with open(download_info.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # Exports his data.
    click_through(page, page.get_by_role("link", name="My data and consents"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as JSON").click()
    with open(download_info.value.path(), encoding="utf-8") as exported:
        data = json.load(exported)
    text = json.dumps(data, ensure_ascii=False)
    assert "adam@kos.example" in text
    assert certificate.number in text

    # Enrols in the club's open session from the home page.
    nav = page.get_by_role("navigation", name="Main navigation")
    click_through(page, nav.get_by_role("link", name="Home"))
    title = Meeting.objects.get(session__course__code="DRON-1").session.course.display_title
    card = page.get_by_role("listitem").filter(has_text=title)
    click_through(page, card.get_by_role("button", name=re.compile("^Enrol me")))
    assert page.get_by_text("You are enrolled.").is_visible()
    upcoming = page.get_by_role("list", name="Upcoming sessions")
    assert upcoming.get_by_role("link", name=title).is_visible()
    enrolment = Enrolment.objects.get(session__course__code="DRON-1")
    assert (enrolment.member_id, enrolment.status) == (adam.pk, Enrolment.Status.ENROLLED)
