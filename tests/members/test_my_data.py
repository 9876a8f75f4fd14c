"""A member's own pages: their data only, the exports, and withdrawing consents."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    MembershipStatusChange,
    PersonalDataAccess,
)
from tests import factories


@pytest.fixture
def zofia(world):
    """The world's member, with a phone, a second club, history and consents."""
    member = world.objects["member"]
    member.first_name, member.last_name = "Zofia", "Żółkiewska"
    member.phone, member.birth_date = "+48600700800", date(1990, 5, 1)
    member.save()
    membership = member.memberships.get()
    MembershipStatusChange.objects.create(
        membership=membership, club=world.club, from_status="", to_status="active"
    )
    factories.MembershipFactory(member=member, club=world.other_club)
    Consent.objects.create(
        member=member,
        purpose=ConsentPurpose.MEMBERSHIP_DATA,
        given=True,
        text_version="membership-2025-01",
        method=ConsentMethod.PAPER,
        recorded_by=world.users["leader"],
    )
    Consent.objects.create(
        member=member,
        purpose=ConsentPurpose.IMAGES,
        given=True,
        text_version="images-2025-01",
        method=ConsentMethod.PAPER,
    )
    return member


@pytest.fixture
def someone_else(world):
    """Another member of the same club, whose data must never show up."""
    other = factories.MemberFactory(first_name="Bogumiła", last_name="Obca", email="obca@x.pl")
    factories.MembershipFactory(member=other, club=world.club)
    GuardianConsent.objects.create(
        member=other,
        guardian_name="Opiekun Obcej",
        guardian_contact="opiekun@x.pl",
        consent_date=date(2025, 1, 1),
        text_version="guardian-2025-01",
        method=ConsentMethod.PAPER,
    )
    return other


@pytest.fixture
def member_client(client, world):
    client.force_login(world.users["member"])
    return client


def test_my_data_shows_my_memberships_and_consents(member_client, world, zofia, someone_else):
    page = member_client.get(reverse("members:my-data")).content.decode()
    assert "Żółkiewska" in page and "+48 600 700 800" in page  # grouped for reading
    assert world.club.name in page and world.other_club.name in page
    assert "Obca" not in page and "Opiekun" not in page
    assert page.count(reverse("members:my-consent-withdraw")) == 2  # the two given


def test_staff_without_a_member_record_get_404(client, world):
    client.force_login(world.users["leader"])
    assert client.get(reverse("members:my-data")).status_code == 404
    assert client.get(reverse("members:my-data-json")).status_code == 404


def test_staff_who_are_members_see_their_own_data(client, world):
    leader = world.users["leader"]
    factories.MemberFactory(user=leader, first_name="Lena", last_name="Liderka")
    client.force_login(leader)
    page = client.get(reverse("members:my-data")).content.decode()
    assert "Liderka" in page
    assert reverse("members:my-data") in page  # the navigation offers the page


def test_the_json_export_holds_my_data_and_nothing_of_others(
    member_client, world, zofia, someone_else
):
    response = member_client.get(reverse("members:my-data-json"))
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["schema_version"] == 2
    assert data["person"]["last_name"] == "Żółkiewska"
    assert data["person"]["birth_date"] == "1990-05-01"
    assert data["person"]["municipality"] is None
    clubs = {m["club"] for m in data["memberships"]}
    assert clubs == {world.club.name, world.other_club.name}
    history = next(m for m in data["memberships"] if m["club"] == world.club.name)
    assert history["status_history"][0]["to_status"] == "active"
    assert {c["purpose"] for c in data["consents"]} == {"membership_data", "images"}
    assert data["guardian_consents"] == []
    # the world enrols the member in one session (training registers this section)
    assert [t["course_code"] for t in data["trainings"]] == ["KPP-WORLD"]
    assert [c["number"] for c in data["certificates"]] == [world.objects["certificate"].number]
    text = response.content.decode()
    for foreign in ("Obca", "obca@x.pl", "Opiekun", world.users["leader"].email):
        assert foreign not in text


def test_every_self_export_is_logged(member_client, world, zofia):
    for name in ("members:my-data-json", "members:my-data-html", "members:my-data-pdf"):
        assert member_client.get(reverse(name)).status_code == 200
    log = PersonalDataAccess.objects.filter(action=PersonalDataAccess.Action.SELF_EXPORT)
    assert sorted(log.values_list("detail", flat=True)) == ["html", "json", "pdf"]
    assert {entry.member_id for entry in log} == {zofia.pk}
    assert {entry.user_id for entry in log} == {world.users["member"].pk}


def test_viewing_my_data_page_is_not_an_export(member_client, zofia):
    member_client.get(reverse("members:my-data"))
    assert not PersonalDataAccess.objects.exists()


def test_the_printable_page_and_the_pdf(member_client, zofia, someone_else):
    page = member_client.get(reverse("members:my-data-html")).content.decode()
    assert "Żółkiewska" in page and "membership-2025-01" in page and "Obca" not in page
    response = member_client.get(reverse("members:my-data-pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_withdrawing_a_consent_appends_a_row(member_client, world, zofia):
    url = reverse("members:my-consent-withdraw")
    response = member_client.post(url, {"purpose": ConsentPurpose.IMAGES})
    assert response.status_code == 302 and response["Location"] == reverse("members:my-data")
    rows = list(Consent.objects.filter(member=zofia, purpose=ConsentPurpose.IMAGES))
    assert len(rows) == 2
    newest = rows[0]
    assert not newest.given
    assert newest.method == ConsentMethod.SELF_SERVICE
    assert newest.text_version == "images-2025-01"
    assert newest.recorded_by == world.users["member"]
    assert rows[1].given  # the consent once given stays in the history
    member_client.post(url, {"purpose": ConsentPurpose.IMAGES})  # twice: nothing new
    assert Consent.objects.filter(member=zofia, purpose=ConsentPurpose.IMAGES).count() == 2


def test_a_consent_never_given_cannot_be_withdrawn(member_client, zofia):
    response = member_client.post(
        reverse("members:my-consent-withdraw"), {"purpose": ConsentPurpose.EMAIL_NEWS}, follow=True
    )
    assert "There is no consent for this purpose to withdraw." in response.content.decode()
    assert not Consent.objects.filter(purpose=ConsentPurpose.EMAIL_NEWS).exists()


def test_withdrawal_touches_only_my_own_consents(member_client, zofia, someone_else):
    Consent.objects.create(
        member=someone_else,
        purpose=ConsentPurpose.EMAIL_NEWS,
        given=True,
        text_version="email-news-2025-01",
        method=ConsentMethod.PAPER,
    )
    member_client.post(reverse("members:my-consent-withdraw"), {"purpose": "email_news"})
    assert Consent.objects.filter(member=someone_else).count() == 1


def test_my_data_page_keeps_its_query_count_as_data_grows(member_client, world, zofia):
    url = reverse("members:my-data")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert member_client.get(url).status_code == 200
        return len(context.captured_queries)

    small = queries()
    for _ in range(4):
        club = factories.ClubFactory(municipality=world.municipality)
        membership = factories.MembershipFactory(member=zofia, club=club)
        MembershipStatusChange.objects.create(membership=membership, club=club, to_status="active")
        Consent.objects.create(
            member=zofia,
            purpose=ConsentPurpose.EMAIL_NEWS,
            given=True,
            text_version="email-news-2025-01",
            method=ConsentMethod.PAPER,
        )
    assert queries() == small
