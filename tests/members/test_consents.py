"""Consents are appended, never deleted; guardians' consents for minors."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members.consent_texts import CONSENT_TEXTS, GUARDIAN_CONSENT
from members.models import (
    Consent,
    ConsentGiver,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    Membership,
)
from members.services.consents import (
    Guardian,
    consent_record,
    consent_withdraw,
    current_consents,
    guardian_consent_record,
    guardian_consent_withdraw,
)
from tests import factories
from tests.members.helpers import born_years_ago

Status = Membership.Status


def test_a_withdrawal_is_appended_and_the_given_consent_stays(world):
    member = world.objects["member"]
    leader = world.users["leader"]
    given = consent_record(member=member, purpose="images", given=True, recorded_by=leader)
    withdrawn = consent_withdraw(member=member, purpose="images", recorded_by=leader)
    assert Consent.objects.filter(member=member, purpose="images").count() == 2
    assert Consent.objects.filter(pk=given.pk, given=True).exists()
    assert withdrawn.given is False
    assert withdrawn.text_version == given.text_version
    assert current_consents(member)["images"] == withdrawn


def test_recording_the_same_answer_twice_adds_one_row(world):
    member = world.objects["member"]
    for _ in range(2):
        consent_record(
            member=member, purpose="email_news", given=True, recorded_by=world.users["leader"]
        )
    assert member.consents.filter(purpose="email_news").count() == 1


def test_a_consent_records_the_current_text_version(world):
    consent = consent_record(
        member=world.objects["member"],
        purpose=ConsentPurpose.MEMBERSHIP_DATA,
        given=True,
        recorded_by=world.users["leader"],
    )
    assert consent.text_version == CONSENT_TEXTS["membership_data"].version


def test_nothing_to_withdraw_is_a_clear_error(world):
    with pytest.raises(ValidationError, match="no consent"):
        consent_withdraw(
            member=world.objects["member"], purpose="images", recorded_by=world.users["leader"]
        )


def test_an_under_16s_own_consent_is_refused_with_a_clear_message(world):
    minor = factories.MemberFactory(birth_date=born_years_ago(12))
    with pytest.raises(ValidationError, match=r"under 16.*parent or legal guardian"):
        consent_record(
            member=minor, purpose="images", given=True, recorded_by=world.users["leader"]
        )
    assert not Consent.objects.filter(member=minor).exists()


def test_an_under_16s_consent_names_the_guardian_who_gave_it(world):
    minor = factories.MemberFactory(birth_date=born_years_ago(12))
    consent = consent_record(
        member=minor,
        purpose="images",
        given=True,
        recorded_by=world.users["leader"],
        guardian=Guardian(name="Anna Nowak", relation="matka", email="anna@example.pl"),
    )
    assert (consent.given_by, consent.guardian_name, consent.guardian_relation) == (
        ConsentGiver.GUARDIAN,
        "Anna Nowak",
        "matka",
    )
    assert consent.guardian_email == "anna@example.pl"
    assert consent.recorded_by == world.users["leader"] and consent.text_version


def test_a_16_year_old_consents_for_themselves(world):
    teen = factories.MemberFactory(birth_date=born_years_ago(16))
    consent = consent_record(
        member=teen, purpose="images", given=True, recorded_by=world.users["leader"]
    )
    assert (consent.given_by, consent.guardian_name) == (ConsentGiver.STAFF_PAPER, "")
    with pytest.raises(ValidationError, match="16 or older"):
        consent_record(
            member=teen,
            purpose="email_news",
            given=True,
            recorded_by=world.users["leader"],
            guardian=Guardian(name="Anna Nowak", relation="matka"),
        )


def test_an_online_consent_is_the_persons_own(world):
    consent = consent_record(
        member=world.objects["member"],
        purpose="images",
        given=True,
        recorded_by=None,
        method=ConsentMethod.ONLINE,
    )
    assert consent.given_by == ConsentGiver.SELF


def test_a_guardian_consent_is_recorded_once(world):
    minor = factories.MemberFactory(birth_date=born_years_ago(12))
    kwargs = {
        "member": minor,
        "guardian_name": "Anna  Nowak",
        "guardian_contact": "600100200",
        "consent_date": timezone.localdate(),
        "recorded_by": world.users["leader"],
    }
    first = guardian_consent_record(**kwargs)
    assert guardian_consent_record(**kwargs) == first
    assert first.guardian_name == "Anna Nowak"
    assert first.text_version == GUARDIAN_CONSENT.version


def test_a_guardian_consent_needs_name_contact_and_date(world):
    minor = factories.MemberFactory(birth_date=born_years_ago(12))
    with pytest.raises(ValidationError, match="guardian's name"):
        guardian_consent_record(
            member=minor,
            guardian_name="",
            guardian_contact="600100200",
            consent_date=timezone.localdate(),
            recorded_by=world.users["leader"],
        )


def test_withdrawing_a_guardian_consent_keeps_it_and_suspends_the_minor(world):
    minor = factories.MemberFactory(birth_date=born_years_ago(12))
    membership = factories.MembershipFactory(member=minor, club=world.club)
    guardian_consent_record(
        member=minor,
        guardian_name="Anna Nowak",
        guardian_contact="600100200",
        consent_date=timezone.localdate(),
        recorded_by=world.users["leader"],
    )
    assert guardian_consent_withdraw(member=minor, withdrawn_by=world.users["leader"]) == 1
    consent = GuardianConsent.objects.get(member=minor)
    assert consent.withdrawn_at is not None
    membership.refresh_from_db()
    assert membership.status == Status.SUSPENDED
    assert guardian_consent_withdraw(member=minor, withdrawn_by=world.users["leader"]) == 0


def test_the_consent_page_records_a_withdrawal(client, world):
    member = world.objects["member"]
    consent_record(member=member, purpose="images", given=True, recorded_by=None)
    client.force_login(world.users["leader"])
    url = reverse("members:consent-record", kwargs={"member_pk": member.pk})
    response = client.post(url, {"kind": "images", "given": "0", "method": "paper"})
    assert response.status_code == 302
    assert list(member.consents.filter(purpose="images").values_list("given", flat=True)) == [
        False,
        True,
    ]


def test_the_consent_page_records_a_guardian_consent(client, world):
    minor = factories.MembershipFactory(
        club=world.club, member__birth_date=born_years_ago(12)
    ).member
    client.force_login(world.users["leader"])
    url = reverse("members:consent-record", kwargs={"member_pk": minor.pk})
    response = client.post(
        url,
        {
            "kind": "guardian",
            "given": "1",
            "method": "paper",
            "guardian_name": "Anna Nowak",
            "guardian_relation": "matka",
            "guardian_contact": "600100200",
            "guardian_consent_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert minor.guardian_consents.get().guardian_name == "Anna Nowak"


def test_the_consent_page_shows_the_current_texts(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:consent-record", kwargs={"member_pk": world.objects["member"].pk})
    page = client.get(url).content.decode()
    assert CONSENT_TEXTS["images"].version in page
    assert GUARDIAN_CONSENT.version in page


def test_consents_cannot_be_changed_or_deleted_in_the_admin(client, world):
    consent = consent_record(
        member=world.objects["member"], purpose="images", given=True, recorded_by=None
    )
    client.force_login(world.users["national"])
    change = reverse("admin:members_consent_change", args=[consent.pk])
    delete = reverse("admin:members_consent_delete", args=[consent.pk])
    assert client.post(change, {"given": "0"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Consent.objects.filter(pk=consent.pk, given=True).exists()
