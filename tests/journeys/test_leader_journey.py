"""Journey of a club leader (issue #14): signs in with TOTP; registers an adult and a
15-year-old with a guardian, picking the gmina by name; imports a roster with one bad row,
corrects it and imports; invites a member to log in; schedules a session and enrols four
people in one go; edits the session."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clubs.models import Pillar
from members.models import LoginInvitation, Member, Membership
from tests import factories
from tests.journeys.conftest import click_through, sign_in
from tests.members.helpers import born_years_ago
from tests.test_browser_members import MEMBERSHIP_TEXT, fill_person
from training.models import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROSTER_WITH_AN_ERROR = (
    "first_name,last_name,birth_date,email\n"
    "Adam,Mickiewicz,1990-05-01,adam@example.pl\n"
    "Maria,Konopnicka,1990-13-45,maria@example.pl\n"
)
ROSTER_FIXED = ROSTER_WITH_AN_ERROR.replace("1990-13-45", "1992-03-15")


@pytest.fixture
def club(db):
    powiat = factories.PowiatFactory(
        voivodeship=factories.VoivodeshipFactory(code="14", name="MAZOWIECKIE"),
        code="1418",
        name="piaseczyński",
    )
    piaseczno = factories.MunicipalityFactory(
        powiat=powiat, code="1418053", name="Piaseczno", kind="3"
    )
    factories.MunicipalityFactory(powiat=powiat, code="1418063", name="Tarczyn", kind="3")
    return factories.ClubFactory(name="KOS Złotokłos", municipality=piaseczno)


@pytest.fixture
def course(club):
    pillar, _ = Pillar.objects.get_or_create(
        code="first-aid",
        defaults={"number": 1, "name_pl": "Pierwsza pomoc", "name_en": "First aid"},
    )
    teacher = factories.instructor_of(
        club, email="marek@kos.example", first_name="Marek", last_name="Ratowniczy"
    )
    # The checks that let him teach under-18s, verified by a coordinator.
    profile = factories.InstructorProfileFactory(
        user=teacher,
        offender_register_checked_on=date(2026, 1, 10),
        child_protection_statement_on=date(2026, 1, 10),
        safeguarding_verified_at=timezone.make_aware(datetime(2026, 1, 12, 10)),
    )
    factories.InstructorQualificationFactory(instructor=profile, pillar=pillar)
    return factories.CourseFactory(code="KPP-LID", title_en="First aid basics", pillar=pillar)


def pick_gmina(page, typed: str, option: str) -> None:
    gmina = page.get_by_role("combobox", name="Gmina of residence")
    gmina.press_sequentially(typed, delay=30)
    page.get_by_role("listbox", name="Matching gminas").get_by_role("option", name=option).click()


def upload_roster(page, text: str) -> None:
    page.get_by_label("Roster file (CSV or XLSX)").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    click_through(page, page.get_by_role("button", name="Upload and choose the columns"))


def back_to_roster(page, club) -> None:
    memberships = page.get_by_role("region", name="Memberships")
    click_through(page, memberships.get_by_role("link", name=club.name, exact=True))


def test_leader_journey(page, live_server, club, course):
    leader = factories.leader_of(club, email="lider@kos.example", language="en")
    sign_in(page, live_server, leader)

    # Registers an adult, picking the gmina by typing its name.
    click_through(page, page.get_by_role("main").get_by_role("link", name=club.name))
    click_through(page, page.get_by_role("link", name="Members of the club"))
    click_through(page, page.get_by_role("link", name="Register a member"))
    fill_person(
        page,
        first_name="Jan",
        last_name="Wiśniewski",
        birth_date=born_years_ago(30),
        email="jan@example.pl",
    )
    pick_gmina(page, "Tarcz", re.compile("^Tarczyn"))
    page.get_by_label(MEMBERSHIP_TEXT).check()
    click_through(page, page.get_by_role("button", name="Register"))
    assert page.get_by_text("Jan Wiśniewski is now a member of the club.").is_visible()
    jan = Member.objects.get(email="jan@example.pl")
    assert jan.municipality.name == "Tarczyn"

    # Registers a 15-year-old with her guardian's consent in the same form: active at once.
    back_to_roster(page, club)
    click_through(page, page.get_by_role("link", name="Register a member"))
    fill_person(
        page,
        first_name="Ola",
        last_name="Wiśniewska",
        birth_date=born_years_ago(15),
        email="ola@example.pl",
    )
    pick_gmina(page, "Piasecz", re.compile("^Piaseczno"))
    page.get_by_label("Guardian's name").fill("Anna Wiśniewska")
    page.get_by_label("Relation to the person").fill("matka")
    page.get_by_label("Guardian's phone or email").fill("+48 600 100 200")
    page.get_by_label("Date of the guardian's consent").fill(timezone.localdate().isoformat())
    page.get_by_label(MEMBERSHIP_TEXT).check()
    click_through(page, page.get_by_role("button", name="Register"))
    ola = Member.objects.get(email="ola@example.pl")
    assert ola.memberships.get().status == Membership.Status.ACTIVE
    assert ola.municipality == club.municipality

    # Imports a roster: the dry run finds the bad row; the corrected file imports.
    back_to_roster(page, club)
    click_through(page, page.get_by_role("link", name="Import a roster"))
    upload_roster(page, ROSTER_WITH_AN_ERROR)
    page.get_by_label("Date of birth (YYYY-MM-DD)").select_option(label="birth_date")
    click_through(page, page.get_by_role("button", name="Check the file (nothing is written)"))
    assert page.get_by_text("The file has 1 error.").is_visible()
    errors = page.get_by_role("table", name="Errors by line of the file")
    assert errors.locator("tbody tr td").first.inner_text() == "3"
    click_through(page, page.get_by_role("link", name="Upload a different file"))
    upload_roster(page, ROSTER_FIXED)
    click_through(page, page.get_by_role("button", name="Check the file (nothing is written)"))
    page.get_by_label("I have the signed consent forms of every person in this file.").check()
    click_through(page, page.get_by_role("button", name="Import 2 people"))
    assert page.get_by_text("Roster imported: 2 new").is_visible()
    assert club.memberships.filter(status=Membership.Status.ACTIVE).count() == 4

    # Invites Adam to log in: the email goes out.
    click_through(page, page.get_by_role("link", name="Mickiewicz Adam"))
    click_through(page, page.get_by_role("link", name="Invite to log in"))
    click_through(page, page.get_by_role("button", name="Send the invitation"))
    assert page.get_by_text("Invitation to log in sent to adam@example.pl.").is_visible()
    assert LoginInvitation.objects.get().email == "adam@example.pl"
    assert [m.to for m in mail.outbox if "/members/login/" in m.body] == [["adam@example.pl"]]

    # Schedules a session and enrols all four in one go.
    nav = page.get_by_role("navigation", name="Main navigation")
    click_through(page, nav.get_by_role("link", name="Sessions"))
    click_through(page, page.get_by_role("link", name="Schedule a session"))
    page.get_by_label("Course").select_option(str(course.pk))
    page.get_by_label("Venue or room").fill("Remiza OSP, sala 1")
    page.get_by_label("Places").fill("6")
    page.get_by_label("Marek Ratowniczy").check()
    day = timezone.localdate() + timedelta(days=7)
    page.get_by_label("Date, meeting 1").fill(day.isoformat())
    page.get_by_label("Starts, meeting 1").fill("17:00")
    page.get_by_label("Ends, meeting 1").fill("20:00")
    click_through(page, page.get_by_role("button", name="Schedule", exact=True))
    session = Session.objects.get(club=club)
    people = Member.objects.filter(memberships__club=club)
    assert people.count() == 4
    for member in people:
        page.get_by_label(member.display_name, exact=True).check()
    click_through(page, page.get_by_role("button", name="Enrol", exact=True))
    statuses = set(session.enrolments.values_list("member__email", "status"))
    assert statuses == {
        (email, "enrolled")
        for email in ("jan@example.pl", "ola@example.pl", "adam@example.pl", "maria@example.pl")
    }

    # Edits the session: a bigger room.
    click_through(page, page.get_by_role("link", name="Edit the session"))
    page.get_by_label("Venue or room").fill("Szkoła Podstawowa, sala gimnastyczna")
    click_through(page, page.get_by_role("button", name="Save", exact=True))
    assert page.get_by_text("Szkoła Podstawowa, sala gimnastyczna").first.is_visible()
    session.refresh_from_db()
    assert session.venue == "Szkoła Podstawowa, sala gimnastyczna"
    assert session.enrolments.filter(status="enrolled").count() == 4
