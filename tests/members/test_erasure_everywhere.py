"""#13: after erasure no identifier of the person is left anywhere: every text, char and
JSON column of every model is searched for their first name, last name, email and phone;
their certificate PDF and a staged roster upload that names them are gone."""

from datetime import date

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import models
from django.urls import reverse

from certificates.models import Certificate, ReminderLog
from clubs.models import ClubContactMessage, Invitation
from kos_portal.roles import Role
from kos_portal.uploads import STAGE_DIR
from members.models import Consent, ConsentGiver, GuardianConsent, Member, PersonalDataAccess
from members.services.erasure import member_erase
from members.services.roster_import import roster_upload_save
from resilience.models import ExerciseParticipation
from training.models import Attendance

FIRST, LAST = "Bronisława", "Wąchocka-Trzebiatowska"
EMAIL, PHONE = "b.wachocka@example.pl", "+48601602603"
NEEDLES = [FIRST, LAST, EMAIL, PHONE, PHONE[3:]]


def leftovers() -> list[str]:
    """Every (model.field, value) holding one of the needles, over all models."""
    found = []
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, row, strict=True):
                text = str(value or "").lower()
                for needle in NEEDLES:
                    if needle.lower() in text:
                        found.append(f"{model._meta.label}.{field.name}: {value!r}")
    return found


@pytest.fixture
def bronislawa(world, client, django_capture_on_commit_callbacks):
    """The world's member, renamed, with their traces in every kind of table."""
    member = world.objects["member"]
    user = member.user
    user.first_name, user.last_name, user.email = FIRST, LAST, EMAIL
    user.save()
    Member.objects.filter(pk=member.pk).update(
        first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONE, birth_date=date(1990, 1, 1)
    )
    member.refresh_from_db()
    member.save()  # rebuilds search_text
    certificate = world.objects["certificate"]
    Certificate.objects.filter(pk=certificate.pk).update(holder_name=f"{FIRST} {LAST}")
    Consent.objects.create(
        member=member,
        purpose="images",
        given=True,
        text_version="images-2025-01",
        method="paper",
        given_by=ConsentGiver.STAFF_PAPER,
    )
    GuardianConsent.objects.create(
        member=member,
        guardian_name=f"Jan {LAST}",
        guardian_contact="jan.w@example.pl",
        guardian_relation="ojciec",
        consent_date=date(2025, 1, 10),
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
        exercise=world.objects["exercise"], member=member, role="participant"
    )
    session = enrolment.session
    type(session).objects.filter(pk=session.pk).update(notes=f"{FIRST} {LAST} przynosi AED")
    ReminderLog.objects.create(key="cert-expiry:30:test", recipient=EMAIL)
    Invitation.objects.create(
        email=EMAIL, role=Role.INSTRUCTOR, club=world.club, invited_by=world.users["leader"]
    )
    ClubContactMessage.objects.create(
        club=world.club,
        sender_name=f"{FIRST} {LAST}",
        sender_email=EMAIL,
        message=f"Dzień dobry, tu {FIRST} {LAST}, tel. 601 602 603 ({PHONE}).",
    )
    LogEntry.objects.create(
        user=world.users["national"],
        content_type=ContentType.objects.get_for_model(Member),
        object_id=str(member.pk),
        object_repr=str(member),
        action_flag=CHANGE,
        change_message=f'[{{"changed": {{"fields": ["email"]}}, "note": "{EMAIL}"}}]',
    )
    # Access-log rows: a leader's view and search, the person's own export.
    client.force_login(world.users["leader"])
    client.get(reverse("members:member-detail", kwargs={"member_pk": member.pk}))
    client.get(reverse("members:roster", kwargs={"club_pk": world.club.pk}), {"q": LAST})
    client.force_login(user)
    client.get(reverse("members:my-data-json"))
    PersonalDataAccess.objects.bulk_create(  # as written before #13: a raw detail
        [
            PersonalDataAccess(
                user_email="leader@kos.example",
                action="view",
                member=member,
                detail=f"search {FIRST} {LAST}",
            )
        ]
    )
    staged = roster_upload_save(
        data=f"imię,nazwisko\n{FIRST},{LAST}\n".encode(),
        club=world.club,
        user=world.users["leader"],
    )
    assert leftovers()  # the search finds them before erasure
    return member, staged


def test_erasure_leaves_no_identifier_in_any_column_or_file(
    world, bronislawa, django_capture_on_commit_callbacks
):
    member, _staged = bronislawa
    certificate = Certificate.objects.get(pk=world.objects["certificate"].pk)
    pdf_name = certificate.pdf.name
    assert default_storage.exists(pdf_name)
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(
            member=member, erased_by=world.users["leader"], reason=f"wniosek {FIRST} {LAST}"
        )
    assert leftovers() == []
    assert not default_storage.exists(pdf_name)
    assert not default_storage.listdir(STAGE_DIR)[1]  # the staged roster naming them


def test_the_certificate_stays_verifiable_without_a_name(world, bronislawa, client):
    member, _staged = bronislawa
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        member_erase(member=member, erased_by=world.users["leader"], reason="wniosek")
    certificate = Certificate.objects.get(pk=world.objects["certificate"].pk)
    assert certificate.holder_name == "" and not certificate.pdf
    response = client.get(
        reverse("certificates:verify", kwargs={"code": certificate.verification_code})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert certificate.number in page and LAST not in page


def test_the_access_log_keeps_its_rows_but_not_the_persons_email(world, bronislawa):
    member, _staged = bronislawa
    count = PersonalDataAccess.objects.count()
    member_erase(member=member, erased_by=world.users["leader"], reason="wniosek")
    assert PersonalDataAccess.objects.count() == count + 1
    own = PersonalDataAccess.objects.get(action="self_export")
    assert own.user_email.endswith("@erased.invalid")


def test_a_log_row_with_the_persons_email_but_no_account_link_is_scrubbed(world, bronislawa):
    member, _staged = bronislawa
    PersonalDataAccess.objects.bulk_create(  # their account deleted since: only the email
        [PersonalDataAccess(user=None, user_email=EMAIL, action="self_export", member=None)]
    )
    member_erase(member=member, erased_by=world.users["leader"], reason="wniosek")
    assert not PersonalDataAccess.objects.filter(user_email__iexact=EMAIL).exists()
