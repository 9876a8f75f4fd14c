"""The roster's bulk actions on the ticked people: change their status, download them,
write to them; only people of the club, only for those who manage its members."""

import csv
import io

from django.urls import reverse

from members.models import Membership, PersonalDataAccess
from tests import factories


def bulk(client, world, **data):
    client.force_login(world.users["leader"])
    url = reverse("members:roster-bulk", kwargs={"club_pk": world.club.pk})
    return client.post(url, data)


def test_the_ticked_people_are_suspended_with_one_reason(client, world):
    first = factories.member_of(world.club)
    second = factories.member_of(world.club)
    untouched = factories.member_of(world.club)
    response = bulk(
        client, world, members=[first.pk, second.pk], action="status",
        to_status="suspended", reason="Brak kontaktu od roku.",
    )  # fmt: skip
    assert response.status_code == 302
    statuses = dict(Membership.objects.filter(club=world.club).values_list("member_id", "status"))
    assert statuses[first.pk] == statuses[second.pk] == "suspended"
    assert statuses[untouched.pk] == "active"


def test_a_refused_change_names_the_person_and_changes_nothing_for_them(client, world):
    person = factories.member_of(world.club)
    response = bulk(client, world, members=[person.pk], action="status", to_status="suspended")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(person.display_name in m for m in messages)  # a suspension needs a reason
    assert Membership.objects.get(member=person, club=world.club).status == "active"


def test_a_status_change_without_a_status_says_so(client, world):
    person = factories.member_of(world.club)
    response = bulk(client, world, members=[person.pk], action="status")
    assert "Choose the new status." in [str(m) for m in response.wsgi_request._messages]


def test_the_ticked_people_download_as_csv_and_the_export_is_logged(client, world):
    person = factories.MemberFactory(last_name="Wiśniewska")
    factories.MembershipFactory(member=person, club=world.club)
    factories.member_of(world.club)
    response = bulk(client, world, members=[person.pk], action="csv")
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == ["Wiśniewska"]
    entry = PersonalDataAccess.objects.latest("pk")
    assert (entry.action, entry.member_count) == ("export", 1)


def test_writing_to_them_opens_a_bcc_email_of_their_addresses(client, world):
    person = factories.member_of(world.club, email="anna@kos.example")
    page = bulk(client, world, members=[person.pk], action="email").content.decode()
    assert "mailto:?bcc=anna%40kos.example" in page


def test_people_of_another_club_cannot_be_ticked(client, world):
    stranger = factories.member_of(world.other_club)
    bulk(client, world, members=[stranger.pk], action="status", to_status="suspended",
         reason="x")  # fmt: skip
    assert Membership.objects.get(member=stranger).status == "active"


def test_the_roster_offers_the_bulk_actions_and_the_join_date(client, world):
    client.force_login(world.users["leader"])
    page = client.get(reverse("members:roster", kwargs={"club_pk": world.club.pk}))
    html = page.content.decode()
    assert 'name="action" value="status"' in html
    assert "Joined on" in html


def test_phones_are_shown_grouped_for_reading(client, world):
    person = factories.MemberFactory(phone="+48601234567")
    factories.MembershipFactory(member=person, club=world.club)
    client.force_login(world.users["leader"])
    roster = client.get(reverse("members:roster", kwargs={"club_pk": world.club.pk}))
    assert "+48 601 234 567" in roster.content.decode()
    page = client.get(reverse("members:member-detail", kwargs={"member_pk": person.pk}))
    assert "+48 601 234 567" in page.content.decode()
