"""The members app in a real browser: registering an adult and a minor, a citizen's
application and its approval, a member's own data, the roster import and erasure.
axe passes on every page visited."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from members.consent_texts import CONSENT_TEXTS
from members.models import Consent, ConsentMethod, ConsentPurpose, Member, Membership
from members.services.consents import consent_record
from tests import factories
from tests.browser import assert_accessible
from tests.members.helpers import born_years_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The pages are in English (the users' language, or Accept-Language for the public).
with translation.override("en"):
    MEMBERSHIP_TEXT = str(CONSENT_TEXTS[ConsentPurpose.MEMBERSHIP_DATA].text)
    EMAIL_NEWS_TEXT = str(CONSENT_TEXTS[ConsentPurpose.EMAIL_NEWS].text)


def sign_in_as(page, live_server, user) -> None:
    """Skip the password and TOTP pages (tested elsewhere): reuse a test client's session."""
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


def click_and_wait(page, locator) -> None:
    """Click a link or a submit button and wait until the next page has loaded."""
    with page.expect_navigation():
        locator.click()


def fill_person(page, *, first_name: str, last_name: str, birth_date, email: str) -> None:
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    # A consent text mentions the date of birth too: ask for the text box.
    page.get_by_role("textbox", name="Date of birth").fill(birth_date.isoformat())
    page.get_by_label("Email address").fill(email)


@pytest.fixture
def gmina(db):
    cache.clear()  # rate-limit counters and "already emailed" marks of earlier tests
    return factories.MunicipalityFactory(name="Piaseczno")


@pytest.fixture
def club(gmina):
    return factories.ClubFactory(name="KOS Złotokłos", municipality=gmina)


@pytest.fixture
def leader(club):
    # English, so the labels below are the source strings, whatever the .po files say.
    return factories.leader_of(club, email="lider@kos.example", language="en")


def open_roster(page, live_server, club) -> None:
    page.goto(f"{live_server.url}{reverse('members:roster', kwargs={'club_pk': club.pk})}")


# --- (a) registration --------------------------------------------------------------------


def test_leader_registers_an_adult_and_a_minor_who_becomes_active_with_the_guardians_consent(
    page, live_server, club, leader
):
    sign_in_as(page, live_server, leader)
    open_roster(page, live_server, club)
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("link", name="Register a member"))
    assert_accessible(page)
    fill_person(
        page,
        first_name="Jan",
        last_name="Wiśniewski",
        birth_date=born_years_ago(30),
        email="jan@example.pl",
    )
    page.get_by_label(MEMBERSHIP_TEXT).check()
    page.get_by_label(EMAIL_NEWS_TEXT).check()
    click_and_wait(page, page.get_by_role("button", name="Register"))

    adult = Member.objects.get(email="jan@example.pl")
    assert page.url == f"{live_server.url}{adult.get_absolute_url()}"
    assert page.get_by_role("heading", level=1).inner_text() == "Jan Wiśniewski"
    assert page.get_by_text("Jan Wiśniewski is now a member of the club.").is_visible()
    assert_accessible(page)
    click_and_wait(
        page,
        page.get_by_role("region", name="Memberships").get_by_role(
            "link", name=club.name, exact=True
        ),
    )
    roster = page.get_by_role("region", name=re.compile("person|people"))
    assert roster.get_by_role("link", name="Wiśniewski Jan").is_visible()
    assert (
        roster.locator("tbody tr")
        .filter(has_text="Wiśniewski")
        .locator(".status-active")
        .is_visible()
    )

    # A 15-year-old without a guardian's consent: an applicant, and the leader is told why.
    click_and_wait(page, page.get_by_role("link", name="Register a member"))
    fill_person(
        page,
        first_name="Ola",
        last_name="Wiśniewska",
        birth_date=born_years_ago(15),
        email="ola@example.pl",
    )
    page.get_by_label(MEMBERSHIP_TEXT).check()
    click_and_wait(page, page.get_by_role("button", name="Register"))
    minor = Member.objects.get(email="ola@example.pl")
    assert page.url == f"{live_server.url}{minor.get_absolute_url()}"
    assert page.get_by_text("is under 18 and no guardian's consent is recorded").is_visible()
    assert page.get_by_text("cannot be an active member until it is").is_visible()
    assert minor.memberships.get().status == Membership.Status.APPLICANT
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("link", name="Record or withdraw a consent"))
    assert_accessible(page)
    page.get_by_role("combobox", name="Consent").select_option("guardian")
    page.get_by_role("combobox", name="Record").select_option("1")
    page.get_by_label("Guardian's name").fill("Anna Wiśniewska")
    page.get_by_label("Relation to the person").fill("matka")
    page.get_by_label("Guardian's phone or email").fill("+48 600 100 200")
    page.get_by_label("Date of the guardian's consent").fill(timezone.localdate().isoformat())
    click_and_wait(page, page.get_by_role("button", name="Record"))
    assert page.get_by_text("The consent was recorded.").is_visible()
    assert page.get_by_text("cannot be an active member until it is").count() == 0

    click_and_wait(page, page.get_by_role("link", name="Change status"))
    assert_accessible(page)
    page.get_by_label("New status").select_option("active")
    click_and_wait(page, page.get_by_role("button", name="Change status"))
    assert page.get_by_text("The membership status was changed.").is_visible()
    memberships = page.get_by_role("region", name="Memberships")
    assert memberships.locator(".status-active").inner_text() == "active"
    assert minor.memberships.get().status == Membership.Status.ACTIVE
    assert_accessible(page)


# --- (b) a citizen's application ---------------------------------------------------------


def test_citizen_applies_on_the_public_page_and_the_leader_approves(
    page, live_server, club, leader
):
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{live_server.url}{reverse('clubs:public-club', kwargs={'club_pk': club.pk})}")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("link", name="Apply to join"))
    assert_accessible(page)
    fill_person(
        page,
        first_name="Ewa",
        last_name="Nowak",
        birth_date=born_years_ago(34),
        email="ewa@example.pl",
    )
    page.get_by_label("A few words about yourself").fill("Jestem ratowniczką.")
    page.get_by_label(MEMBERSHIP_TEXT).check()
    click_and_wait(page, page.get_by_role("button", name="Send the application"))
    assert page.get_by_role("heading", level=1).inner_text() == "Application sent"
    assert_accessible(page)
    application = Membership.objects.get(member__email="ewa@example.pl")
    assert application.status == Membership.Status.APPLICANT

    page.context.clear_cookies()
    sign_in_as(page, live_server, leader)
    page.goto(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main navigation")
    click_and_wait(page, nav.get_by_role("link", name="Applications"))
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text="Ewa Nowak")
    assert row.get_by_text("Jestem ratowniczką.").is_visible()
    row.get_by_label("Approve").check()
    click_and_wait(page, row.get_by_role("button", name="Decide"))

    assert page.get_by_text("Ewa Nowak is now a member of the club.").is_visible()
    assert page.get_by_text("No applications are waiting.").is_visible()
    assert_accessible(page)
    application.refresh_from_db()
    assert application.status == Membership.Status.ACTIVE
    assert [message.to for message in mail.outbox] == [["ewa@example.pl"]]


# --- (c) a member's own data -------------------------------------------------------------


def test_member_downloads_their_data_and_withdraws_the_email_news_consent(page, live_server, club):
    zofia = factories.member_of(club, email="zofia@example.pl", first_name="Zofia", language="en")
    Member.objects.filter(pk=zofia.pk).update(last_name="Żółkiewska")
    consent_record(
        member=zofia,
        purpose=ConsentPurpose.EMAIL_NEWS,
        given=True,
        recorded_by=None,
        method=ConsentMethod.PAPER,
    )
    sign_in_as(page, live_server, zofia.user)
    page.goto(f"{live_server.url}/")
    click_and_wait(
        page,
        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="My data"),
    )
    assert page.get_by_role("heading", level=1).inner_text() == "My data"
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as JSON").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert (data["person"]["first_name"], data["person"]["last_name"]) == ("Zofia", "Żółkiewska")
    assert {c["purpose"] for c in data["consents"]} >= {"email_news"}

    row = page.get_by_role("row").filter(has_text="Email news")
    assert row.get_by_role("cell").first.inner_text() == "given"
    click_and_wait(page, row.get_by_role("button", name="Withdraw"))
    assert page.get_by_text("Your consent has been withdrawn.").is_visible()
    row = page.get_by_role("row").filter(has_text="Email news")
    assert row.get_by_role("cell").first.inner_text() == "withdrawn"
    assert row.get_by_role("button").count() == 0
    assert_accessible(page)
    newest = Consent.objects.filter(member=zofia, purpose=ConsentPurpose.EMAIL_NEWS).first()
    assert (newest.given, newest.method) == (False, ConsentMethod.SELF_SERVICE)


# --- (d) the roster import ---------------------------------------------------------------

ROSTER_WITH_AN_ERROR = (
    "first_name,last_name,birth_date,email\n"
    "Adam,Mickiewicz,1990-05-01,adam@example.pl\n"
    "Maria,Konopnicka,1990-13-45,maria@example.pl\n"
)
ROSTER_FIXED = ROSTER_WITH_AN_ERROR.replace("1990-13-45", "1992-03-15")


def upload_roster(page, text: str) -> None:
    page.get_by_label("Roster file (CSV or XLSX)").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    click_and_wait(page, page.get_by_role("button", name="Upload and choose the columns"))


def test_leader_imports_a_roster_after_fixing_the_row_the_dry_run_found(
    page, live_server, club, leader
):
    sign_in_as(page, live_server, leader)
    open_roster(page, live_server, club)
    click_and_wait(page, page.get_by_role("link", name="Import a roster"))
    assert_accessible(page)

    upload_roster(page, ROSTER_WITH_AN_ERROR)
    assert page.get_by_text("The file has 2 rows.").is_visible()
    # The columns are matched by their names; the leader checks them and can change them.
    assert page.get_by_label("First name").input_value() == "0"
    page.get_by_label("Date of birth (YYYY-MM-DD)").select_option(label="birth_date")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Check the file (nothing is written)"))
    assert page.get_by_text("The file has 1 error.").is_visible()
    errors = page.get_by_role("table", name="Errors by line of the file")
    assert errors.locator("tbody tr").count() == 1
    assert errors.locator("tbody tr td").first.inner_text() == "3"
    assert page.get_by_role("button", name=re.compile("^Import")).count() == 0
    assert_accessible(page)
    assert not Member.objects.exists()

    click_and_wait(page, page.get_by_role("link", name="Upload a different file"))
    upload_roster(page, ROSTER_FIXED)
    click_and_wait(page, page.get_by_role("button", name="Check the file (nothing is written)"))
    assert page.get_by_role("table", name=re.compile("People the import adds")).is_visible()
    assert not Member.objects.exists()  # still only a dry run
    assert_accessible(page)
    page.get_by_label("I have the signed consent forms of every person in this file.").check()
    click_and_wait(page, page.get_by_role("button", name="Import 2 people"))

    assert page.url == (
        f"{live_server.url}{reverse('members:roster', kwargs={'club_pk': club.pk})}"
    )
    assert page.get_by_text("Roster imported: 2 new").is_visible()
    assert page.get_by_role("link", name="Mickiewicz Adam").is_visible()
    assert page.get_by_role("link", name="Konopnicka Maria").is_visible()
    assert_accessible(page)
    assert set(club.memberships.values_list("member__email", "status")) == {
        ("adam@example.pl", "active"),
        ("maria@example.pl", "active"),
    }


# --- (e) erasure -------------------------------------------------------------------------


def test_coordinator_erases_a_member_and_the_roster_shows_anonymised(
    page, live_server, gmina, club
):
    coordinator = factories.coordinator_of(gmina, email="koordynator@kos.example", language="en")
    person = factories.MemberFactory(
        first_name="Zofia",
        last_name="Żółkiewska",
        email="zofia@example.pl",
        phone="+48600700800",
        birth_date=born_years_ago(40),
        municipality=gmina,
    )
    factories.MembershipFactory(member=person, club=club)
    sign_in_as(page, live_server, coordinator)
    open_roster(page, live_server, club)
    click_and_wait(page, page.get_by_role("link", name="Żółkiewska Zofia"))
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("link", name="Erase personal data"))
    assert_accessible(page)
    page.get_by_label("Reason for the erasure").fill("request by email of 3 March")
    click_and_wait(page, page.get_by_role("button", name="Erase the data"))

    # Back on the person's page, which now shows the label and no personal data.
    assert page.url == f"{live_server.url}{person.get_absolute_url()}"
    assert page.get_by_role("heading", level=1).inner_text() == "(anonymised)"
    assert page.get_by_text("The person's data has been erased.").is_visible()
    content = page.locator("main").inner_text()
    for gone in ("Zofia", "Żółkiewska", "zofia@example.pl", "600700800"):
        assert gone not in content
    assert page.get_by_role("link", name="Erase personal data").count() == 0
    assert_accessible(page)

    click_and_wait(
        page,
        page.get_by_role("region", name="Memberships").get_by_role(
            "link", name=club.name, exact=True
        ),
    )
    assert page.get_by_role("link", name="(anonymised)").is_visible()
    assert "Żółkiewska" not in page.locator("main").inner_text()
    assert_accessible(page)
    assert Member.objects.get(pk=person.pk).is_anonymised
