"""#13: the member's own export covers every table that holds the person.

Structural: each foreign key to Member or User, in every model, is either covered by an
export section (self_service.EXPORT_MODELS) or declared as a staff-actor field
(EXPORT_EXEMPT). Behavioural: with a row in each covered table, each section is filled.
"""

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from clubs.models import Assignment, Invitation
from kos_portal.roles import Role
from members.models import (
    Consent,
    ConsentGiver,
    GuardianConsent,
    Member,
    MembershipStatusChange,
    PersonalDataAccess,
)
from members.services.self_service import EXPORT_EXEMPT, EXPORT_MODELS
from resilience.models import ExerciseParticipation
from training.models import Attendance, InstructorProfile


def person_foreign_keys() -> list[str]:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    return sorted(
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in (Member, user_model)
    )


@pytest.mark.parametrize("fk", person_foreign_keys())
def test_every_table_pointing_at_a_person_is_exported_or_declared_a_staff_actor(fk):
    label = fk.rsplit(".", 1)[0]
    assert label in EXPORT_MODELS or fk in EXPORT_EXEMPT, (
        f"{fk} points at a person: add its table to an export section "
        "(export_section_register(..., models=...)) or, for a staff actor, to EXPORT_EXEMPT"
    )


def test_the_exemptions_name_existing_fields_only():
    assert set(EXPORT_EXEMPT) <= set(person_foreign_keys())


@pytest.fixture
def everywhere(world, client):
    """The world's member with a row in every table that can hold them."""
    member = world.objects["member"]
    user = member.user
    membership = member.memberships.get()
    MembershipStatusChange.objects.create(
        membership=membership, club=world.club, to_status="active"
    )
    Consent.objects.create(
        member=member,
        purpose="images",
        given=True,
        text_version="images-2025-01",
        method="online",
        given_by=ConsentGiver.SELF,
    )
    GuardianConsent.objects.create(
        member=member,
        guardian_name="Anna Nowak",
        guardian_contact="anna@example.pl",
        consent_date="2025-01-10",
        text_version="guardian-2025-01",
        method="paper",
    )
    enrolment = member.enrolments.first()
    Attendance.objects.create(
        meeting=enrolment.session.meetings.first(),
        enrolment=enrolment,
        club=world.club,
        present=True,
    )
    ExerciseParticipation.objects.create(
        exercise=world.objects["exercise"], member=member, role="rescuer", attended=True
    )
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True})
    Authenticator.objects.create(user=user, type="totp", data={"secret": "x"})
    Assignment.objects.create(user=user, role=Role.INSTRUCTOR, club=world.club)
    Invitation.objects.create(
        email=user.email,
        role=Role.INSTRUCTOR,
        club=world.club,
        invited_by=world.users["leader"],
        accepted_by=user,
    )
    profile = InstructorProfile.objects.create(user=user, phone="+48600700800")
    profile.qualifications.create(issuer="PCK", number="KPP/1", course=enrolment.session.course)
    client.force_login(world.users["leader"])
    client.get(reverse("members:member-detail", kwargs={"member_pk": member.pk}))
    client.force_login(user)
    return member


def test_the_export_fills_a_section_for_every_covered_table(client, everywhere):
    data = json.loads(client.get(reverse("members:my-data-json")).content)
    for label, section in EXPORT_MODELS.items():
        assert data.get(section), f"{label}: section {section!r} is empty"
    assert data["memberships"][0]["status_history"]
    assert data["exercises"] == [
        {
            "exercise": data["exercises"][0]["exercise"],
            "starts_at": data["exercises"][0]["starts_at"],
            "club": everywhere.memberships.get().club.name,
            "gmina": data["exercises"][0]["gmina"],
            "role": "rescuer",
            "took_part": True,
        }
    ]
    viewed = [row for row in data["access_log"] if not row["by_you"]]
    assert [row["action"] for row in viewed] == [PersonalDataAccess.Action.VIEW]
    assert "leader@kos.example" not in json.dumps(data["access_log"])
    account = data["account"]
    for part in ("email_addresses", "second_factors", "roles", "invitations_accepted"):
        assert account[part], part
    assert "secret" not in json.dumps(account)
    assert data["trainings"][0]["attendance"] == [
        {
            "meeting_starts_at": data["trainings"][0]["attendance"][0]["meeting_starts_at"],
            "present": True,
        }
    ]
    assert data["instructor_profile"][0]["qualifications"][0]["issuer"] == "PCK"
    assert data["consents"][0]["given_by"] in ConsentGiver.values


def test_the_printable_export_shows_the_new_sections(client, everywhere):
    page = client.get(reverse("members:my-data-html")).content.decode()
    for title in ("Exercises", "Who accessed your data", "Your login", "Instructor profile"):
        assert title in page
