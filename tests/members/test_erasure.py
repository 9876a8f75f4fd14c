"""Erasure on request: what goes, what stays, who may, and that statistics don't change."""

from collections import Counter
from datetime import date

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse

from members.age import age_band
from members.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    Member,
    Membership,
    MembershipStatusChange,
    PersonalDataAccess,
)
from members.services.erasure import member_erase, member_erased
from tests import factories


@pytest.fixture
def zofia(world):
    """The world's member (with a login), with everything erasure must clear."""
    member = world.objects["member"]
    Member.objects.filter(pk=member.pk).update(
        first_name="Zofia",
        last_name="Żółkiewska",
        birth_date=date(2009, 4, 2),
        birth_year=2009,
        phone="+48600700800",
        municipality=world.municipality,
        emergency_contact_name="Anna Żółkiewska",
        emergency_contact_phone="+48600100200",
        notes="Alergia na orzechy; siostra Ewy Nowak.",
    )
    membership = member.memberships.get()
    Membership.objects.filter(pk=membership.pk).update(
        status_reason="Przeprowadzka do Ewy Nowak",
        application_message="Dzień dobry, jestem Zofia.",
    )
    MembershipStatusChange.objects.create(
        membership=membership, club=world.club, to_status="active", reason="Polecona przez Ewę"
    )
    factories.MembershipFactory(member=member, club=world.other_club, status="left")
    Consent.objects.create(
        member=member,
        purpose=ConsentPurpose.MEMBERSHIP_DATA,
        given=True,
        text_version="membership-2025-01",
        method=ConsentMethod.PAPER,
    )
    GuardianConsent.objects.create(
        member=member,
        guardian_name="Anna Żółkiewska",
        guardian_contact="anna@example.pl",
        consent_date=date(2025, 1, 10),
        text_version="guardian-2025-01",
        method=ConsentMethod.PAPER,
    )
    member.refresh_from_db()
    return member


def erase(world, member, by="leader"):
    return member_erase(member=member, erased_by=world.users[by], reason="request of 2025-03-03")


def test_erasure_removes_names_contacts_free_text_and_the_exact_birth_date(world, zofia):
    erase(world, zofia)
    zofia.refresh_from_db()
    assert zofia.is_anonymised
    for name in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "emergency_contact_name",
        "emergency_contact_phone",
        "notes",
        "search_text",
    ):
        assert getattr(zofia, name) == "", name
    assert zofia.birth_date is None
    assert zofia.user is None
    assert set(zofia.memberships.values_list("status_reason", "application_message")) == {("", "")}
    assert set(
        MembershipStatusChange.objects.filter(membership__member=zofia).values_list(
            "reason", flat=True
        )
    ) == {""}
    guardian = GuardianConsent.objects.get(member=zofia)
    assert (guardian.guardian_name, guardian.guardian_contact) == ("", "")


def test_erasure_keeps_what_statistics_need(world, zofia):
    erase(world, zofia)
    zofia.refresh_from_db()
    assert zofia.municipality == world.municipality
    assert zofia.birth_year == 2009
    assert set(zofia.memberships.values_list("club_id", "status")) == {
        (world.club.pk, "active"),
        (world.other_club.pk, "left"),
    }
    consent = Consent.objects.get(member=zofia)
    assert consent.given and consent.text_version == "membership-2025-01"
    assert GuardianConsent.objects.get(member=zofia).consent_date == date(2025, 1, 10)


def test_the_login_is_closed_and_its_email_made_undeliverable(world, zofia):
    user = world.users["member"]
    erase(world, zofia)
    user.refresh_from_db()
    assert not user.is_active
    assert user.email.endswith("@erased.invalid") and "member@kos.example" not in user.email
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()


def test_erasure_is_logged_once_and_is_idempotent(world, zofia):
    erase(world, zofia)
    first = Member.objects.get(pk=zofia.pk).anonymised_at
    erase(world, zofia)
    assert Member.objects.get(pk=zofia.pk).anonymised_at == first
    log = PersonalDataAccess.objects.filter(action=PersonalDataAccess.Action.ERASE)
    assert log.count() == 1
    assert log.get().detail == "request of 2025-03-03"
    assert log.get().member_id == zofia.pk


def test_erasure_needs_a_reason(world, zofia):
    with pytest.raises(ValidationError):
        member_erase(member=zofia, erased_by=world.users["leader"], reason="  ")
    assert not Member.objects.get(pk=zofia.pk).is_anonymised


def test_higher_apps_are_told_after_the_commit(world, zofia, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, member, **kwargs):
        received.append(member.pk)

    member_erased.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            erase(world, zofia)
    finally:
        member_erased.disconnect(listener)
    assert received == [zofia.pk]


def totals() -> dict:
    """What statistics count: people per gmina, per age band, memberships per club and
    status and per club status. Certificate numbers are not counted: the certificates app
    does not exist yet (TODO(#6): add them here when it does)."""
    people = Member.objects.values_list("municipality_id", "birth_year")
    return {
        "gmina": Counter(gmina for gmina, _year in people),
        "age_band": Counter(age_band(year, date(2026, 1, 1)) for _gmina, year in people),
        "club_status": Counter(Membership.objects.values_list("club_id", "status")),
        "by_club_status": Counter(Membership.objects.values_list("club__status", "status")),
        "consents": Consent.objects.count(),
    }


def test_anonymisation_leaves_the_totals_unchanged(world, zofia):
    for year in (1950, 1990, 2012):
        other = factories.MemberFactory(
            birth_date=date(year, 6, 1), municipality=world.other_municipality
        )
        factories.MembershipFactory(member=other, club=world.other_club)
    before = totals()
    erase(world, zofia)
    national = world.users["national"]
    for member in Member.objects.filter(birth_date__year=1990):
        member_erase(member=member, erased_by=national, reason="request")
    assert Member.objects.filter(anonymised_at__isnull=False).count() == 2
    assert totals() == before


# --- The page --------------------------------------------------------------------------


def erase_url(member) -> str:
    return reverse("members:member-erase", kwargs={"member_pk": member.pk})


def test_the_confirmation_page_requires_a_reason(client, world, zofia):
    client.force_login(world.users["leader"])
    page = client.get(erase_url(zofia)).content.decode()
    assert "Żółkiewska" in page and "Reason for the erasure" in page
    response = client.post(erase_url(zofia), {"reason": ""})
    assert response.status_code == 200
    assert not Member.objects.get(pk=zofia.pk).is_anonymised


def test_a_leader_erases_through_the_page(client, world, zofia):
    client.force_login(world.users["leader"])
    response = client.post(erase_url(zofia), {"reason": "email of 3 March"})
    assert response.status_code == 302
    assert response["Location"] == zofia.get_absolute_url()
    assert Member.objects.get(pk=zofia.pk).is_anonymised


def test_a_coordinator_of_one_of_the_persons_clubs_may_erase(client, world, zofia):
    client.force_login(world.users["coordinator"])
    assert client.post(erase_url(zofia), {"reason": "request"}).status_code == 302
    assert Member.objects.get(pk=zofia.pk).is_anonymised


def test_the_outsider_gets_404(client, world, zofia):
    Membership.objects.filter(member=zofia, club=world.other_club).delete()
    client.force_login(world.users["outsider"])
    assert client.post(erase_url(zofia), {"reason": "request"}).status_code == 404
    assert not Member.objects.get(pk=zofia.pk).is_anonymised


def test_the_outsider_may_erase_someone_who_is_also_in_their_club(client, world, zofia):
    # Erasure is per person: the right on one of the person's clubs (here one they left)
    # is enough.
    client.force_login(world.users["outsider"])
    assert client.post(erase_url(zofia), {"reason": "request"}).status_code == 302
    assert Member.objects.get(pk=zofia.pk).is_anonymised


def test_an_instructor_who_sees_the_person_gets_403(client, world, zofia):
    # Instructors see themselves and the people enrolled in the sessions they teach
    # (zofia is in one); whoever they can see, they may not erase. Others stay hidden.
    instructor = world.users["instructor"]
    own = factories.MemberFactory(user=instructor)
    factories.MembershipFactory(member=own, club=world.club)
    unseen = factories.MembershipFactory(club=world.club).member
    client.force_login(instructor)
    assert client.get(erase_url(own)).status_code == 403
    assert client.post(erase_url(own), {"reason": "request"}).status_code == 403
    assert client.post(erase_url(zofia), {"reason": "request"}).status_code == 403
    assert client.post(erase_url(unseen), {"reason": "request"}).status_code == 404
    assert not Member.objects.filter(anonymised_at__isnull=False).exists()


def test_a_member_may_not_erase_themselves_through_the_staff_page(client, world, zofia):
    client.force_login(world.users["member"])
    assert client.post(erase_url(zofia), {"reason": "request"}).status_code == 403


def test_an_erased_person_shows_that_there_is_nothing_left(client, world, zofia):
    erase(world, zofia)
    client.force_login(world.users["leader"])
    page = client.get(erase_url(zofia)).content.decode()
    assert "There is nothing more to erase." in page
