"""Erased people are shown as "(anonymised)" wherever a name would be, and the pages link
to erasure, import and applications for those who may use them."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from kos_portal.models import User
from members.services.erasure import member_erase
from tests import factories
from tests.members.helpers import born_years_ago

LABEL = "(anonymised)"


@pytest.fixture
def english(world):
    """The world's users read English, so the label is the source string."""
    User.objects.filter(pk__in=[u.pk for u in world.users.values() if u]).update(language="en")
    return world


@pytest.fixture
def erased(english):
    """Zofia Żółkiewska, in the world club, erased at her request."""
    member = factories.MemberFactory(
        first_name="Zofia",
        last_name="Żółkiewska",
        email="zofia@example.pl",
        phone="+48600700800",
        birth_date=born_years_ago(40),
        municipality=english.municipality,
    )
    factories.MembershipFactory(member=member, club=english.club)
    return member_erase(member=member, erased_by=english.users["leader"], reason="request")


def test_an_erased_person_is_the_label_not_a_blank_name(erased):
    with translation.override("en"):
        assert str(erased) == erased.display_name == LABEL
    assert str(factories.MemberFactory(first_name="Jan", last_name="Nowak")) == "Jan Nowak"


def test_the_persons_page_after_erasure_shows_the_label_and_no_personal_data(
    client, english, erased
):
    client.force_login(english.users["leader"])
    page = client.get(erased.get_absolute_url()).content.decode()
    assert f"<h1>{LABEL}</h1>" in page
    for gone in ("Zofia", "Żółkiewska", "zofia@example.pl", "600700800", "600 700 800"):
        assert gone not in page
    assert reverse("members:member-erase", kwargs={"member_pk": erased.pk}) not in page


def test_the_roster_shows_the_label(client, english, erased):
    client.force_login(english.users["leader"])
    page = client.get(reverse("members:roster", kwargs={"club_pk": english.club.pk}))
    assert f'{erased.get_absolute_url()}">{LABEL}</a>' in page.content.decode()


def test_the_roster_export_row_shows_the_label_and_no_contact(client, english, erased):
    client.force_login(english.users["leader"])
    url = reverse("members:roster-export", kwargs={"club_pk": english.club.pk})
    response = client.get(url, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    row = next(r for r in rows if LABEL in r)
    assert row[:5] == [LABEL, "", "", "", ""]  # names, date of birth, email, phone
    assert row[5] == english.municipality.name  # kept, for statistics


def test_the_access_log_shows_the_label(client, english, erased):
    client.force_login(english.users["national"])
    page = client.get(reverse("members:access-log")).content.decode()
    assert f'{erased.get_absolute_url()}">{LABEL}</a>' in page
    assert "Żółkiewska" not in page


def test_the_application_list_shows_the_label(client, english, erased):
    membership = erased.memberships.get()
    membership.status = "applicant"  # an application left pending when the person was erased
    membership.save()
    client.force_login(english.users["leader"])
    page = client.get(reverse("members:application-list")).content.decode()
    assert f'{erased.get_absolute_url()}">{LABEL}</a>' in page


@pytest.mark.parametrize("role", ["leader", "coordinator", "national"])
def test_the_persons_page_links_to_erasure_for_staff_who_may_erase(client, english, role):
    member = english.objects["member"]
    client.force_login(english.users[role])
    page = client.get(member.get_absolute_url()).content.decode()
    assert reverse("members:member-erase", kwargs={"member_pk": member.pk}) in page
    assert reverse("members:consent-record", kwargs={"member_pk": member.pk}) in page
    assert "Change status" in page


def test_the_roster_links_to_import_and_applications(client, english):
    client.force_login(english.users["leader"])
    page = client.get(reverse("members:roster", kwargs={"club_pk": english.club.pk}))
    html = page.content.decode()
    assert reverse("members:roster-import", kwargs={"club_pk": english.club.pk}) in html
    assert reverse("members:application-list") in html


def test_a_closed_club_offers_no_import(client, english):
    english.club.status = "closed"
    english.club.save()
    client.force_login(english.users["leader"])
    page = client.get(reverse("members:roster", kwargs={"club_pk": english.club.pk}))
    assert reverse("members:roster-import", kwargs={"club_pk": english.club.pk}) not in (
        page.content.decode()
    )


@pytest.mark.parametrize(
    ("role", "shown"),
    [("leader", True), ("coordinator", True), ("instructor", False), ("member", False)],
)
def test_applications_are_in_the_navigation_of_those_who_decide_them(client, english, role, shown):
    client.force_login(english.users[role])
    items = client.get(reverse("home")).context["nav_items"]
    assert (reverse("members:application-list") in dict(items)) is shown
