"""#13: each consent says who gave it (the person, a named guardian, or the person's paper
form recorded by staff), in every path: public application, leader registration, roster
import, self-service. Under 16 only a guardian's consent counts; 16-17-year-olds consent
themselves and still need a guardian's consent to membership."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from members.models import Consent, ConsentGiver, ConsentMethod, GuardianConsent, Membership
from members.services.memberships import application_decide
from members.services.self_service import own_consent_withdraw
from tests import factories
from tests.members.helpers import born_years_ago, guardian
from tests.members.test_memberships import apply_data
from tests.members.test_registration import register

Status = Membership.Status
ALL_TICKED = {"consent_images": "on", "consent_email_news": "on"}
GUARDIAN_PART = {
    "guardian_name": "Anna Nowak",
    "guardian_relation": "matka",
    "guardian_email": "Anna.Nowak@example.pl",
    "guardian_agrees": "on",
}


def apply(client, world, **overrides):
    url = reverse("members:club-apply", kwargs={"club_pk": world.club.pk})
    return client.post(url, apply_data(**ALL_TICKED, **overrides))


# --- Public application -------------------------------------------------------------------


def test_a_10_year_olds_application_without_a_guardian_records_no_consent(client, world):
    response = apply(client, world, birth_date=born_years_ago(10).isoformat())
    assert response.status_code == 200
    membership = Membership.objects.get(member__last_name="Wiśniewski")
    assert membership.status == Status.APPLICANT
    assert not Consent.objects.filter(member=membership.member).exists()
    assert not GuardianConsent.objects.filter(member=membership.member).exists()
    with pytest.raises(ValidationError, match="guardian's consent"):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])


def test_a_10_year_olds_application_with_a_guardian_records_the_guardians_consents(client, world):
    apply(client, world, birth_date=born_years_ago(10).isoformat(), **GUARDIAN_PART)
    member = Membership.objects.get(member__last_name="Wiśniewski").member
    consents = list(member.consents.all())
    assert len(consents) == 3
    assert {
        (c.given_by, c.guardian_name, c.guardian_relation, c.guardian_email, c.method)
        for c in consents
    } == {(ConsentGiver.GUARDIAN, "Anna Nowak", "matka", "anna.nowak@example.pl", "online")}
    gc = member.guardian_consents.get()
    assert (gc.guardian_name, gc.guardian_relation, gc.guardian_contact) == (
        "Anna Nowak",
        "matka",
        "anna.nowak@example.pl",
    )
    membership = member.memberships.get()
    application_decide(membership=membership, approve=True, decided_by=world.users["leader"])
    membership.refresh_from_db()
    assert membership.status == Status.ACTIVE


def test_a_16_year_old_applies_with_their_own_consent_and_needs_the_guardian_to_join(client, world):
    apply(client, world, birth_date=born_years_ago(16).isoformat())
    membership = Membership.objects.get(member__last_name="Wiśniewski")
    assert set(membership.member.consents.values_list("given_by", flat=True)) == {ConsentGiver.SELF}
    with pytest.raises(ValidationError, match="guardian's consent"):
        application_decide(membership=membership, approve=True, decided_by=world.users["leader"])


def test_a_17_year_olds_guardian_consents_to_membership_but_not_to_the_data(client, world):
    apply(client, world, birth_date=born_years_ago(17).isoformat(), **GUARDIAN_PART)
    member = Membership.objects.get(member__last_name="Wiśniewski").member
    assert set(member.consents.values_list("given_by", "guardian_name")) == {
        (ConsentGiver.SELF, "")
    }
    assert member.guardian_consents.get().method == ConsentMethod.ONLINE


def test_an_incomplete_guardian_part_is_refused_in_polish_and_writes_nothing(client, world):
    with translation.override("pl"):
        response = client.post(
            reverse("members:club-apply", kwargs={"club_pk": world.club.pk}),
            apply_data(birth_date=born_years_ago(12).isoformat(), guardian_name="Anna Nowak"),
            HTTP_ACCEPT_LANGUAGE="pl",
        )
    assert response.status_code == 200
    assert "Rodzic lub opiekun prawny musi podać" in response.content.decode()
    assert not Membership.objects.filter(member__last_name="Wiśniewski").exists()


# --- Leader registration ------------------------------------------------------------------


def test_an_11_year_old_registered_without_guardian_fields_has_no_consent_and_no_skills(world):
    skill = factories.SkillFactory() if hasattr(factories, "SkillFactory") else None
    membership = register(world, birth_date=born_years_ago(11), skills=[skill] if skill else ())
    assert membership.status == Status.APPLICANT
    assert not membership.member.consents.exists()
    assert not membership.member.skills.exists()


def test_an_11_year_old_registered_with_a_guardian_has_the_guardians_consents(world):
    membership = register(world, birth_date=born_years_ago(11), guardian=guardian())
    assert membership.status == Status.ACTIVE
    givers = set(
        membership.member.consents.values_list(
            "given_by", "guardian_name", "guardian_relation", "recorded_by"
        )
    )
    assert givers == {(ConsentGiver.GUARDIAN, "Anna Nowak", "matka", world.users["leader"].pk)}


def test_a_17_year_old_registered_by_a_leader_signed_their_own_paper_form(world):
    membership = register(world, birth_date=born_years_ago(17), guardian=guardian())
    assert membership.status == Status.ACTIVE
    assert set(membership.member.consents.values_list("given_by", "guardian_name")) == {
        (ConsentGiver.STAFF_PAPER, "")
    }


def test_an_adult_registered_by_a_leader_signed_their_own_paper_form(world):
    membership = register(world)
    consent = membership.member.consents.first()
    assert (consent.given_by, consent.recorded_by) == (
        ConsentGiver.STAFF_PAPER,
        world.users["leader"],
    )


def test_the_registration_form_asks_for_the_guardians_relation(client, world):
    client.force_login(world.users["leader"])
    response = client.post(
        reverse("members:member-create", kwargs={"club_pk": world.club.pk}),
        {
            "first_name": "Staś",
            "last_name": "Nowak",
            "birth_date": born_years_ago(11).isoformat(),
            "phone": "600700800",
            "consent_membership_data": "on",
            "method": "paper",
            "guardian_name": "Anna Nowak",
            "guardian_contact": "600100200",
            "guardian_consent_date": "2025-01-10",
            "duplicate_choice": "new",
        },
    )
    assert response.status_code == 200
    assert "relation" in response.content.decode()
    assert not Membership.objects.filter(member__first_name="Staś").exists()


# --- Roster import and self-service -------------------------------------------------------


def test_an_imported_16_year_old_signed_their_own_form(world):
    from members.services.roster_import import roster_import
    from tests.members.test_import import csv_bytes

    born = born_years_ago(16).isoformat()
    row = f"Ola,Kowalska,{born},,600 700 800,,Anna Kowalska,+48 600 100 200,2025-01-10"
    result = roster_import(
        club=world.club,
        data=csv_bytes(row),
        imported_by=world.users["leader"],
        consent_forms_attested=True,
    )
    assert result.ok, result.errors
    consent = Consent.objects.get(member__first_name="Ola")
    assert (consent.given_by, consent.guardian_name) == (ConsentGiver.STAFF_PAPER, "")


def test_a_withdrawal_in_the_members_own_account_is_their_own(world):
    member = world.objects["member"]
    register_consent = Consent.objects.create(
        member=member,
        purpose="images",
        given=True,
        text_version="images-2025-01",
        method=ConsentMethod.PAPER,
        given_by=ConsentGiver.STAFF_PAPER,
    )
    withdrawal = own_consent_withdraw(member=member, purpose="images", user=member.user)
    assert withdrawal.pk != register_consent.pk
    assert (withdrawal.given, withdrawal.given_by) == (False, ConsentGiver.SELF)


# --- The staff consent page -----------------------------------------------------------------


def test_the_consent_page_refuses_a_childs_consent_without_a_guardian_and_names_one(client, world):
    child = factories.MembershipFactory(
        club=world.club, member__birth_date=born_years_ago(12)
    ).member
    client.force_login(world.users["leader"])
    url = reverse("members:consent-record", kwargs={"member_pk": child.pk})
    data = {"kind": "images", "given": "1", "method": "paper"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "must be given by a parent or legal guardian" in response.content.decode()
    assert not Consent.objects.filter(member=child).exists()
    response = client.post(
        url, {**data, "guardian_name": "Anna Nowak", "guardian_relation": "matka"}
    )
    assert response.status_code == 302
    consent = Consent.objects.get(member=child)
    assert (consent.given_by, consent.guardian_name, consent.guardian_relation) == (
        ConsentGiver.GUARDIAN,
        "Anna Nowak",
        "matka",
    )
