"""Registering people: normalisation, duplicates, linking, minors and logins."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clubs.models import Club
from members.models import Consent, Member, Membership
from members.services.registration import (
    member_find_duplicates,
    member_register,
    member_update,
    member_user_link,
    normalise_phone,
)
from tests import factories
from tests.members.helpers import ALL_CONSENTS, born_years_ago, guardian

Status = Membership.Status


def register(world, club=None, by="leader", **overrides):
    data = {
        "first_name": "Zofia",
        "last_name": "Żółkiewska",
        "birth_date": born_years_ago(30),
        "email": "zofia@example.pl",
        "consents": ALL_CONSENTS,
    }
    data.update(overrides)
    return member_register(club=club or world.club, registered_by=world.users[by], **data)


@pytest.mark.parametrize("raw", ["600 700 800", "+48 600-700-800", "0048600700800", "600700800"])
def test_polish_phone_numbers_are_normalised_to_e164(raw):
    assert normalise_phone(raw) == "+48600700800"


@pytest.mark.parametrize("raw", ["12345", "abc", "+48 600 700 8000"])
def test_invalid_phone_numbers_are_refused_with_a_clear_message(raw):
    with pytest.raises(ValidationError, match="valid phone number"):
        normalise_phone(raw)


def test_registration_stores_normalised_contact_data_and_keeps_diacritics(world):
    membership = register(
        world,
        first_name="  Zofia ",
        last_name=" Żółkiewska-Łęcka ",
        email=" Zofia.Z@Example.PL ",
        phone="600 700 800",
    )
    member = membership.member
    assert (member.first_name, member.last_name) == ("Zofia", "Żółkiewska-Łęcka")
    assert member.email == "zofia.z@example.pl"
    assert member.phone == "+48600700800"
    assert member.created_by == world.users["leader"]
    assert membership.status == Status.ACTIVE
    assert membership.joined_on is not None
    change = membership.status_changes.get()
    assert (change.from_status, change.to_status) == ("", Status.ACTIVE)


def test_registration_records_each_consent_answered_with_its_text_version(world):
    member = register(world).member
    purposes = dict(member.consents.values_list("purpose", "given"))
    assert purposes == {"membership_data": True, "email_news": True}
    consent = member.consents.get(purpose="membership_data")
    assert consent.text_version == "membership-2025-01"
    assert consent.recorded_by == world.users["leader"]
    assert consent.method == "paper"


def test_registration_needs_the_membership_data_consent_and_writes_nothing_without_it(world):
    with pytest.raises(ValidationError, match="consent to processing membership data"):
        register(world, consents={"membership_data": False})
    assert not Member.objects.filter(last_name="Żółkiewska").exists()


def test_registration_needs_an_email_or_a_phone(world):
    with pytest.raises(ValidationError, match="email address or a phone"):
        register(world, email="", phone="")


def test_a_closed_club_takes_no_new_members(world):
    world.club.status = Club.Status.CLOSED
    world.club.save()
    with pytest.raises(ValidationError, match="not taking new members"):
        register(world)


def test_a_leader_cannot_register_members_in_another_club(world):
    with pytest.raises(ValidationError):
        register(world, club=world.other_club)


def test_duplicates_are_found_by_email_case_insensitively(world):
    existing = register(world).member
    found = member_find_duplicates(
        email="ZOFIA@example.pl", first_name="Inna", last_name="Osoba", birth_date=None
    )
    assert list(found) == [existing]


def test_duplicates_are_found_by_name_and_birth_date_with_diacritics_kept(world):
    born = born_years_ago(40)
    existing = register(world, birth_date=born, email="", phone="600700800").member
    same = member_find_duplicates(
        email="", first_name="ZOFIA", last_name="ŻÓŁKIEWSKA", birth_date=born
    )
    assert list(same) == [existing]
    without_diacritics = member_find_duplicates(
        email="", first_name="Zofia", last_name="Zolkiewska", birth_date=born
    )
    assert not without_diacritics.exists()
    other_birthday = member_find_duplicates(
        email="", first_name="Zofia", last_name="Żółkiewska", birth_date=born_years_ago(41)
    )
    assert not other_birthday.exists()


def test_linking_adds_a_membership_to_the_existing_person_and_keeps_their_data(world):
    outsider_club = world.other_club
    first = register(world, club=outsider_club, by="outsider", phone="")
    linked = register(world, link_to=first.member, phone="601 601 601", email="ZOFIA@example.pl")
    assert linked.member == first.member
    assert Member.objects.filter(last_name="Żółkiewska").count() == 1
    member = Member.objects.get(pk=first.member.pk)
    assert set(member.clubs.all()) == {outsider_club, world.club}
    assert member.phone == "+48601601601"  # a blank filled in
    assert member.email == "zofia@example.pl"


def test_linking_to_someone_who_does_not_match_is_refused(world):
    stranger = factories.MemberFactory(email="stranger@example.pl")
    with pytest.raises(ValidationError, match="different email, name or date of birth"):
        register(world, link_to=stranger)
    assert not stranger.memberships.exists()


def test_someone_else_with_the_same_name_and_birth_date_is_a_new_person(world):
    born = born_years_ago(25)
    first = register(world, club=world.other_club, by="outsider", birth_date=born)
    second = register(world, birth_date=born, email="inna.zofia@example.pl")
    assert second.member != first.member


def test_registering_the_same_person_twice_in_a_club_is_safe(world):
    first = register(world)
    again = register(world)
    assert again.pk == first.pk
    assert Member.objects.filter(email="zofia@example.pl").count() == 1
    assert Consent.objects.filter(member=first.member).count() == 2


def test_a_minor_without_a_guardian_consent_is_registered_as_an_applicant(world):
    membership = register(world, birth_date=born_years_ago(15))
    assert membership.status == Status.APPLICANT
    assert "guardian" in membership.status_reason
    assert membership.joined_on is None


def test_a_minor_with_a_guardian_consent_is_active(world):
    membership = register(world, birth_date=born_years_ago(15), guardian=guardian())
    assert membership.status == Status.ACTIVE
    consent = membership.member.guardian_consents.get()
    assert consent.text_version == "guardian-2025-01"
    assert membership.member.consents.filter(given_by="guardian", guardian_name="Anna Nowak")


def test_under_16s_cannot_get_a_login(world):
    member = register(world, birth_date=born_years_ago(15), guardian=guardian()).member
    with pytest.raises(ValidationError, match="under 16"):
        member_user_link(member=member, user=factories.UserFactory())
    member.refresh_from_db()
    assert member.user is None


def test_a_16_year_old_can_get_a_login(world):
    member = register(world, birth_date=born_years_ago(16), guardian=guardian()).member
    user = factories.UserFactory()
    assert member_user_link(member=member, user=user).user == user


def test_a_birth_date_change_cannot_leave_an_under_16_with_a_login(world):
    member = world.objects["member"]
    with pytest.raises(ValidationError, match="under 16"):
        member_update(
            member=member, changed_by=world.users["leader"], birth_date=born_years_ago(14)
        )


# --- The registration page ---------------------------------------------------------------


def form_data(**overrides):
    data = {
        "first_name": "Zofia",
        "last_name": "Żółkiewska",
        "birth_date": born_years_ago(30).isoformat(),
        "email": "zofia@example.pl",
        "phone": "",
        "consent_membership_data": "on",
        "method": "paper",
    }
    data.update(overrides)
    return data


def test_the_page_registers_a_member(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, form_data(phone="+48 600-700-800"))
    member = Member.objects.get(email="zofia@example.pl")
    assert response.status_code == 302
    assert response["Location"] == member.get_absolute_url()
    assert member.phone == "+48600700800"


def test_the_page_shows_a_clear_error_for_an_invalid_phone(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, form_data(phone="12345"))
    assert response.status_code == 200
    assert "Enter a valid phone number" in response.content.decode()
    assert not Member.objects.filter(email="zofia@example.pl").exists()


def test_a_duplicate_in_another_club_is_shown_without_its_details(client, world):
    other = register(world, club=world.other_club, by="outsider", phone="600700800").member
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(
        url, form_data(first_name="ZOFIA", last_name="ŻÓŁKIEWSKA", email="", phone="601000000")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "already registered in another club" in page
    assert world.other_club.name not in page
    assert "+48600700800" not in page
    assert not world.club.memberships.filter(member=other).exists()


def test_a_duplicate_in_the_leaders_club_is_shown_with_its_name(client, world):
    mine = register(world, email="mine@example.pl")
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, form_data(email="MINE@example.pl", first_name="Ktoś"))
    assert "mine@example.pl" in response.content.decode()
    assert f'value="link:{mine.member.pk}"' in response.content.decode()


def test_confirming_the_link_adds_the_existing_person_to_the_club(client, world):
    other = register(world, club=world.other_club, by="outsider").member
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, form_data(duplicate_choice=f"link:{other.pk}"))
    assert response.status_code == 302
    assert Member.objects.filter(email="zofia@example.pl").count() == 1
    assert world.club.memberships.filter(member=other).exists()


def test_saying_it_is_someone_else_creates_a_new_person(client, world):
    born = born_years_ago(30)
    other = register(world, club=world.other_club, by="outsider", birth_date=born).member
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    data = form_data(email="druga.zofia@example.pl", birth_date=born.isoformat())
    response = client.post(url, data | {"duplicate_choice": "new"})
    assert response.status_code == 302
    new = Member.objects.get(email="druga.zofia@example.pl")
    assert new != other


def test_a_tampered_link_choice_cannot_attach_an_unrelated_person(client, world):
    stranger = factories.MembershipFactory(club=world.other_club).member
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, form_data(duplicate_choice=f"link:{stranger.pk}"))
    assert response.status_code == 200
    assert not world.club.memberships.filter(member=stranger).exists()


def test_registering_a_minor_without_guardian_consent_says_why_they_are_an_applicant(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    data = form_data(birth_date=born_years_ago(15).isoformat())
    response = client.post(url, data, follow=True)
    assert "registered as an applicant" in response.content.decode()
    assert Membership.objects.get(member__email="zofia@example.pl").status == Status.APPLICANT


def test_a_closed_club_shows_that_it_takes_no_new_members(client, world):
    world.club.status = Club.Status.SUSPENDED
    world.club.save()
    client.force_login(world.users["leader"])
    url = reverse("members:member-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, form_data())
    assert "not taking new members" in response.content.decode()
    assert not Member.objects.filter(email="zofia@example.pl").exists()
