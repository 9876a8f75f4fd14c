"""Logins for members in a real browser: the leader invites a member from their page, the
member opens the emailed link, sets a password, lands on their home page and enrols in an
open session of their club. axe passes on every page visited."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from members.models import Member
from tests import factories
from tests.browser import assert_accessible
from tests.members.helpers import born_years_ago
from tests.test_browser_members import click_and_wait, sign_in_as
from training.models import Enrolment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def club(db):
    cache.clear()
    gmina = factories.MunicipalityFactory(name="Piaseczno")
    return factories.ClubFactory(name="KOS Złotokłos", municipality=gmina)


def test_member_accepts_the_invitation_sees_their_home_and_enrols(page, live_server, club):
    leader = factories.leader_of(club, email="lider@kos.example", language="en")
    adam = factories.MemberFactory(
        first_name="Adam",
        last_name="Nowak",
        email="adam@kos.example",
        birth_date=born_years_ago(30),
    )
    factories.MembershipFactory(member=adam, club=club)
    session = factories.session_with_meeting(club=club, capacity=5, course__code="KPP-B")
    title = session.course.display_title

    # The leader invites Adam from his page.
    page.set_extra_http_headers({"Accept-Language": "en"})
    sign_in_as(page, live_server, leader)
    page.goto(f"{live_server.url}{reverse('members:roster', kwargs={'club_pk': club.pk})}")
    click_and_wait(page, page.get_by_role("link", name="Nowak Adam"))
    click_and_wait(page, page.get_by_role("link", name="Invite to log in"))
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Send the invitation"))
    assert page.get_by_text("Invitation to log in sent to adam@kos.example.").is_visible()
    [message] = mail.outbox
    assert message.to == ["adam@kos.example"]
    link = re.search(r"https?://\S+/members/login/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    # Adam opens the link, sets a password and is signed in on his home page.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/{path}")
    assert page.get_by_role("heading", level=1).inner_text() == "Set your password"
    assert_accessible(page)
    page.get_by_label(re.compile(r"^Password:?( \*)?$")).fill("Dobre-haslo-123")
    page.get_by_label("Password (again)").fill("Dobre-haslo-123")
    click_and_wait(page, page.get_by_role("button", name="Create my login"))
    assert page.get_by_text("Welcome! Your login is ready.").is_visible()
    assert page.get_by_role("heading", name="Your training").is_visible()
    assert page.get_by_text("No upcoming sessions.").is_visible()
    assert_accessible(page)
    adam.refresh_from_db()
    assert adam.user is not None and adam.user.email == "adam@kos.example"

    # He enrols in the club's open session from the home page.
    card = page.get_by_role("listitem").filter(has_text=title)
    click_and_wait(page, card.get_by_role("button", name=re.compile("^Enrol me")))
    assert page.get_by_text("You are enrolled.").is_visible()
    upcoming = page.get_by_role("list", name="Upcoming sessions")
    assert upcoming.get_by_role("link", name=title).is_visible()
    assert_accessible(page)
    enrolment = Enrolment.objects.get(session=session)
    assert (enrolment.member, enrolment.status) == (
        Member.objects.get(pk=adam.pk),
        Enrolment.Status.ENROLLED,
    )
