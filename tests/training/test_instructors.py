"""Instructors: the qualification gate, verification and who may do it, documents, the
safeguarding checks for minors, the calendar and its iCal feed."""

from datetime import UTC, date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clubs.models import Pillar
from tests import factories
from training.models import InstructorQualification, Session
from training.services.instructors import (
    ical_escape,
    ical_fold,
    instructor_qualification_problem,
    qualification_verify,
    safeguarding_record,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 3)


def _profile(**kwargs):
    user = factories.UserFactory(first_name="Anna", last_name="Nowak")
    return factories.InstructorProfileFactory(user=user, **kwargs)


def _safe(profile):
    profile.offender_register_checked_on = date(2026, 1, 5)
    profile.child_protection_statement_on = date(2026, 1, 6)
    profile.safeguarding_verified_at = timezone.now()
    profile.save()
    return profile


# --- The qualification gate ------------------------------------------------------------


def test_a_verified_pillar_qualification_covers_the_pillars_courses():
    profile = _profile()
    course = factories.CourseFactory(code="PP-1")
    factories.InstructorQualificationFactory(instructor=profile, valid_until=date(2027, 1, 1))
    assert (
        instructor_qualification_problem(
            instructor=profile, course=course, on_dates=[TODAY], with_minors=False
        )
        is None
    )


def test_a_course_needing_its_own_qualification_ignores_the_pillar_one():
    profile = _profile()
    kpp = factories.CourseFactory(code="KPP", requires_course_qualification=True)
    factories.InstructorQualificationFactory(instructor=profile, valid_until=date(2027, 1, 1))
    problem = instructor_qualification_problem(
        instructor=profile, course=kpp, on_dates=[TODAY], with_minors=False
    )
    assert problem == "Anna Nowak has no verified qualification for KPP valid on 2026-12-03."
    factories.InstructorQualificationFactory(
        instructor=profile, pillar=None, course=kpp, valid_until=date(2027, 1, 1)
    )
    assert (
        instructor_qualification_problem(
            instructor=profile, course=kpp, on_dates=[TODAY], with_minors=False
        )
        is None
    )


def test_a_qualification_for_another_pillar_or_course_does_not_count():
    profile = _profile()
    course = factories.CourseFactory(code="PP-1")
    factories.InstructorQualificationFactory(
        instructor=profile, pillar=Pillar.objects.get(code="cyber")
    )
    factories.InstructorQualificationFactory(
        instructor=profile, pillar=None, course=factories.CourseFactory(code="OTHER")
    )
    assert instructor_qualification_problem(
        instructor=profile, course=course, on_dates=[TODAY], with_minors=False
    )


def test_every_date_must_be_covered_and_the_first_uncovered_one_is_named():
    profile = _profile()
    course = factories.CourseFactory(code="PP-1")
    factories.InstructorQualificationFactory(instructor=profile, valid_until=date(2026, 12, 10))
    problem = instructor_qualification_problem(
        instructor=profile,
        course=course,
        on_dates=[date(2026, 12, 17), TODAY, date(2026, 12, 10), date(2026, 12, 11)],
        with_minors=False,
    )
    assert problem == "Anna Nowak has no verified qualification for PP-1 valid on 2026-12-11."


def test_an_unverified_qualification_does_not_count():
    profile = _profile()
    course = factories.CourseFactory(code="PP-1")
    factories.InstructorQualificationFactory(instructor=profile, verified_at=None)
    assert "no verified qualification" in instructor_qualification_problem(
        instructor=profile, course=course, on_dates=[TODAY], with_minors=False
    )


def test_minors_need_recorded_and_verified_safeguarding_checks():
    profile = _profile()
    course = factories.CourseFactory(code="PP-1")
    factories.InstructorQualificationFactory(instructor=profile, valid_until=None)
    problem = instructor_qualification_problem(
        instructor=profile, course=course, on_dates=[TODAY], with_minors=True
    )
    assert problem == (
        "Anna Nowak cannot teach members under 18: the Sex Offenders Register check and the "
        "child-protection statement must be recorded and verified by a coordinator."
    )
    profile.offender_register_checked_on = date(2026, 1, 5)
    profile.child_protection_statement_on = date(2026, 1, 6)
    profile.save()  # recorded, not verified
    assert instructor_qualification_problem(
        instructor=profile, course=course, on_dates=[TODAY], with_minors=True
    )
    _safe(profile)
    assert (
        instructor_qualification_problem(
            instructor=profile, course=course, on_dates=[TODAY], with_minors=True
        )
        is None
    )


# --- Instructor list and detail --------------------------------------------------------


def test_staff_see_instructors_of_their_clubs_only(client, world):
    elsewhere = factories.instructor_of(world.other_club, first_name="Obcy", last_name="Daleki")
    factories.InstructorProfileFactory(user=elsewhere)
    client.force_login(world.users["coordinator"])
    text = client.get(reverse("training:instructor-list")).text
    assert str(world.objects["instructor_profile"]) in text
    assert "Daleki" not in text
    client.force_login(world.users["national"])
    assert "Daleki" in client.get(reverse("training:instructor-list")).text


def test_detail_shows_qualification_states(client, world):
    profile = world.objects["instructor_profile"]
    factories.InstructorQualificationFactory(
        instructor=profile, issuer="Wygasły wystawca", valid_until=date(2020, 1, 1)
    )
    factories.InstructorQualificationFactory(
        instructor=profile, issuer="Czekający wystawca", verified_at=None
    )
    client.force_login(world.users["leader"])
    response = client.get(
        reverse("training:instructor-detail", kwargs={"instructor_pk": profile.pk})
    )
    states = {q.issuer: q.state for q in response.context["qualifications"]}
    assert states["Wygasły wystawca"] == "expired"
    assert states["Czekający wystawca"] == "pending"
    assert states["Polski Czerwony Krzyż"] == "verified"
    # Leaders see the states but neither the documents nor the verify buttons.
    assert "qualification-document" not in response.text
    assert "/document/" not in response.text
    assert "/verify/" not in response.text


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_instructor_list_and_detail_query_counts_do_not_grow(client, world):
    client.force_login(world.users["coordinator"])
    profile = world.objects["instructor_profile"]
    list_url = reverse("training:instructor-list")
    detail_url = reverse("training:instructor-detail", kwargs={"instructor_pk": profile.pk})
    small = (_count(client, list_url), _count(client, detail_url))
    for _ in range(5):
        user = factories.instructor_of(world.club)
        other = factories.InstructorProfileFactory(user=user)
        factories.InstructorQualificationFactory.create_batch(3, instructor=other)
    factories.InstructorQualificationFactory.create_batch(4, instructor=profile)
    assert (_count(client, list_url), _count(client, detail_url)) == small


# --- Profile and qualifications by the instructor --------------------------------------


def test_the_instructor_edits_their_own_phone_and_bio(client, world):
    client.force_login(world.users["instructor"])
    response = client.post(
        reverse("training:instructor-profile-edit"),
        {"phone": "+48 600 700 800", "bio": "Ratownik"},
    )
    assert response.status_code == 302
    profile = world.objects["instructor_profile"]
    profile.refresh_from_db()
    assert (profile.phone, profile.bio) == ("+48 600 700 800", "Ratownik")


def _upload(name="certyfikat.pdf", content=factories.PDF_BYTES):
    return SimpleUploadedFile(name, content)


def _qualification_form(**overrides):
    data = {
        "pillar": Pillar.objects.get(code="cyber").pk,
        "course": "",
        "issuer": "NASK",
        "number": "N/1",
        "valid_until": "2030-01-01",
        "document": _upload(),
    }
    data.update(overrides)
    return data


def test_an_instructor_adds_a_qualification_that_waits_for_verification(client, world):
    client.force_login(world.users["instructor"])
    response = client.post(reverse("training:qualification-create"), _qualification_form())
    assert response.status_code == 302
    added = InstructorQualification.objects.get(issuer="NASK")
    assert added.verified_at is None
    assert added.instructor.user == world.users["instructor"]
    assert default_storage.open(added.document.name).read() == factories.PDF_BYTES
    assert added.document.name.endswith(".pdf") and "certyfikat" not in added.document.name


def test_a_new_instructor_gets_a_profile_with_their_first_qualification(client, world):
    newcomer = factories.instructor_of(world.club)
    client.force_login(newcomer)
    response = client.post(reverse("training:qualification-create"), _qualification_form())
    assert response.status_code == 302
    assert InstructorQualification.objects.get(issuer="NASK").instructor.user == newcomer


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (("strona.pdf", b"<html><script>alert(1)</script></html>"), "not a .pdf file"),
        (("zdjecie.png", b"\xff\xd8\xff\xe0 jpeg really"), "not a .png file"),
        (("skrypt.exe", b"MZ\x90\x00"), "only PDF, JPG and PNG"),
        (("duzy.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)), "the limit is 10 MB"),
    ],
)
def test_documents_are_checked_for_type_and_size(client, world, document, message):
    client.force_login(world.users["instructor"])
    response = client.post(
        reverse("training:qualification-create"),
        _qualification_form(document=_upload(*document)),
    )
    assert response.status_code == 200
    assert message in response.text
    assert not InstructorQualification.objects.filter(issuer="NASK").exists()


def test_a_jpeg_and_a_png_are_accepted(client, world):
    client.force_login(world.users["instructor"])
    for number, (name, content) in enumerate(
        [("a.jpg", b"\xff\xd8\xff\xe0rest"), ("b.png", b"\x89PNG\r\n\x1a\nrest")]
    ):
        response = client.post(
            reverse("training:qualification-create"),
            _qualification_form(number=f"N/{number}", document=_upload(name, content)),
        )
        assert response.status_code == 302
    assert InstructorQualification.objects.filter(issuer="NASK").count() == 2


def test_pillar_xor_course(client, world):
    client.force_login(world.users["instructor"])
    response = client.post(
        reverse("training:qualification-create"),
        _qualification_form(course=world.objects["course"].pk),
    )
    assert "either a pillar or a course" in response.text
    assert not InstructorQualification.objects.filter(issuer="NASK").exists()


def test_the_same_qualification_twice_is_refused(client, world):
    client.force_login(world.users["instructor"])
    url = reverse("training:qualification-create")
    assert client.post(url, _qualification_form()).status_code == 302
    response = client.post(url, _qualification_form())
    assert "already recorded" in response.text
    assert InstructorQualification.objects.filter(issuer="NASK").count() == 1


# --- Verification ----------------------------------------------------------------------


def _pending(world):
    return factories.InstructorQualificationFactory(
        instructor=world.objects["instructor_profile"], verified_at=None, issuer="Nowy"
    )


def _verify(client, qualification, action="verify"):
    url = reverse("training:qualification-verify", kwargs={"qualification_pk": qualification.pk})
    return client.post(url, {"action": action})


@pytest.mark.parametrize("role", ["national", "coordinator"])
def test_national_staff_and_the_gminas_coordinator_verify(client, world, role):
    qualification = _pending(world)
    client.force_login(world.users[role])
    assert _verify(client, qualification).status_code == 302
    qualification.refresh_from_db()
    assert qualification.verified_by == world.users[role]
    assert qualification.verified_at is not None
    assert _verify(client, qualification, "unverify").status_code == 302
    qualification.refresh_from_db()
    assert qualification.verified_at is None and qualification.verified_by is None


@pytest.mark.parametrize(("role", "status"), [("leader", 403), ("instructor", 403)])
def test_leaders_and_the_instructor_cannot_verify(client, world, role, status):
    qualification = _pending(world)
    client.force_login(world.users[role])
    assert _verify(client, qualification).status_code == status
    qualification.refresh_from_db()
    assert qualification.verified_at is None


def test_a_coordinator_of_another_gmina_does_not_find_the_qualification(client, world):
    qualification = _pending(world)
    client.force_login(factories.coordinator_of(world.other_municipality))
    assert _verify(client, qualification).status_code == 404
    qualification.refresh_from_db()
    assert qualification.verified_at is None


def test_leading_here_and_coordinating_elsewhere_gives_no_right_to_verify_here(client, world):
    """The verify right is asked per club of the instructor, not "holds the role anywhere"."""
    qualification = _pending(world)
    leader = world.users["leader"]
    factories.AssignmentFactory(
        user=leader, role="coordinator", municipality=world.other_municipality
    )
    factories.give_totp(leader)
    client.force_login(leader)
    assert _verify(client, qualification).status_code == 403
    qualification.refresh_from_db()
    assert qualification.verified_at is None


def test_nobody_verifies_their_own_qualification(world):
    instructor_user = world.users["instructor"]
    factories.AssignmentFactory(
        user=instructor_user, role="coordinator", municipality=world.municipality
    )
    with pytest.raises(Exception, match="your own qualification"):
        qualification_verify(qualification=_pending(world), verified_by=instructor_user)


def test_an_expired_qualification_cannot_be_verified(client, world):
    expired = factories.InstructorQualificationFactory(
        instructor=world.objects["instructor_profile"],
        verified_at=None,
        valid_until=date.today() - timedelta(days=1),
    )
    client.force_login(world.users["coordinator"])
    response = _verify(client, expired)
    assert response.status_code == 302
    expired.refresh_from_db()
    assert expired.verified_at is None


# --- Documents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("instructor", 200), ("coordinator", 200), ("national", 200), ("leader", 403)],
)
def test_the_document_is_sent_only_through_the_scoped_view(client, world, role, status):
    qualification = world.objects["qualification"]
    client.force_login(world.users[role])
    url = reverse("training:qualification-document", kwargs={"qualification_pk": qualification.pk})
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == factories.PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response["Cache-Control"]
    detail = client.get(
        reverse("training:instructor-detail", kwargs={"instructor_pk": qualification.instructor_id})
    )
    assert "/media/" not in detail.text


def test_a_coordinator_elsewhere_gets_404_for_the_document(client, world):
    client.force_login(factories.coordinator_of(world.other_municipality))
    url = reverse(
        "training:qualification-document",
        kwargs={"qualification_pk": world.objects["qualification"].pk},
    )
    assert client.get(url).status_code == 404


# --- Safeguarding checks ---------------------------------------------------------------


def _safeguarding(client, profile, **data):
    url = reverse("training:safeguarding-record", kwargs={"instructor_pk": profile.pk})
    return client.post(url, data)


def test_the_instructor_enters_dates_but_only_a_coordinator_verifies(client, world):
    profile = world.objects["instructor_profile"]
    client.force_login(world.users["instructor"])
    response = _safeguarding(
        client,
        profile,
        offender_register_checked_on="2026-01-05",
        child_protection_statement_on="2026-01-06",
        verified="on",  # not offered to the instructor: ignored
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.offender_register_checked_on == date(2026, 1, 5)
    assert profile.safeguarding_verified_at is None and not profile.may_teach_minors

    client.force_login(world.users["coordinator"])
    _safeguarding(
        client,
        profile,
        offender_register_checked_on="2026-01-05",
        child_protection_statement_on="2026-01-06",
        verified="on",
    )
    profile.refresh_from_db()
    assert profile.may_teach_minors
    assert profile.safeguarding_verified_by == world.users["coordinator"]

    # A changed date clears the verification, whoever changes it.
    client.force_login(world.users["instructor"])
    _safeguarding(
        client,
        profile,
        offender_register_checked_on="2026-02-01",
        child_protection_statement_on="2026-01-06",
    )
    profile.refresh_from_db()
    assert profile.safeguarding_verified_at is None and not profile.may_teach_minors


def test_verifying_needs_both_dates(client, world):
    profile = world.objects["instructor_profile"]
    client.force_login(world.users["coordinator"])
    response = _safeguarding(
        client, profile, offender_register_checked_on="2026-01-05", verified="on"
    )
    assert response.status_code == 200
    assert "Both dates must be recorded" in response.text
    profile.refresh_from_db()
    assert profile.offender_register_checked_on is None  # nothing half-written


def test_a_verified_check_stays_when_the_same_dates_are_saved_again(world):
    profile = _safe(world.objects["instructor_profile"])
    safeguarding_record(
        profile=profile,
        offender_register_checked_on=profile.offender_register_checked_on,
        child_protection_statement_on=profile.child_protection_statement_on,
        recorded_by=world.users["instructor"],
    )
    profile.refresh_from_db()
    assert profile.may_teach_minors


def test_leaders_cannot_record_the_checks(client, world):
    profile = world.objects["instructor_profile"]
    client.force_login(world.users["leader"])
    assert (
        _safeguarding(client, profile, offender_register_checked_on="2026-01-05").status_code == 403
    )


# --- Calendar and iCal -----------------------------------------------------------------


def test_the_calendar_lists_only_the_instructors_own_meetings(client, world):
    profile = world.objects["instructor_profile"]
    other = factories.InstructorProfileFactory(user=factories.instructor_of(world.club))
    factories.session_with_meeting(
        club=world.club, instructor=other, course__code="NOT-MINE", starts_in_days=3
    )
    factories.session_with_meeting(
        club=world.club, instructor=profile, course__code="PAST", starts_in_days=-3
    )
    client.force_login(world.users["instructor"])
    response = client.get(reverse("training:my-calendar"))
    codes = [m.session.course.code for m in response.context["meetings"]]
    assert codes == ["KPP-WORLD"]
    assert profile.ical_token in response.text


def _feed(client, token):
    return client.get(reverse("training:ical-feed", kwargs={"ical_token": token}))


def _unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_the_feed_is_rfc_5545_text_calendar(client, world):
    profile = world.objects["instructor_profile"]
    session = world.objects["session"]
    session.course.title = (
        "Kwalifikowana pierwsza pomoc; moduł ratownictwa, część \\ II – ćwiczenia"
    )
    session.course.title_en = ""
    session.course.save()
    session.venue = "Remiza OSP, sala 2;\npiętro 1"
    session.save()
    response = _feed(client, profile.ical_token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    physical = body.split("\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")  # CRLF only
    assert all(len(line.encode()) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical)  # something was folded
    lines = _unfold(body)
    meeting = session.meetings.get()
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    assert f"UID:meeting-{meeting.pk}@kos-portal.training" in lines
    assert f"DTSTART:{meeting.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in lines
    assert f"DTEND:{meeting.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in lines
    summary = next(line for line in lines if line.startswith("SUMMARY:"))
    assert summary == (
        "SUMMARY:Kwalifikowana pierwsza pomoc\\; moduł ratownictwa\\, część \\\\ II – ćwiczenia"
        " – KOS Złotokłos"
    )
    assert "LOCATION:Remiza OSP\\, sala 2\\;\\npiętro 1" in lines
    # The UID is stable between fetches.
    again = _unfold(_feed(client, profile.ical_token).content.decode())
    assert [x for x in again if x.startswith("UID:")] == [x for x in lines if x.startswith("UID:")]


def test_the_feed_has_only_the_instructors_sessions_and_marks_cancelled_ones(client, world):
    profile = world.objects["instructor_profile"]
    other = factories.InstructorProfileFactory(user=factories.instructor_of(world.club))
    factories.session_with_meeting(club=world.club, instructor=other, course__code="NOT-MINE")
    cancelled = factories.session_with_meeting(
        club=world.club, instructor=profile, course__code="ODWOLANY"
    )
    cancelled.status = Session.Status.CANCELLED
    cancelled.save()
    lines = _unfold(_feed(client, profile.ical_token).content.decode())
    assert sum(line == "BEGIN:VEVENT" for line in lines) == 2
    assert "STATUS:CANCELLED" in lines and "STATUS:CONFIRMED" in lines
    assert not any("NOT-MINE" in line for line in lines)


def test_a_wrong_token_is_404_and_regenerating_invalidates_the_old_url(client, world):
    profile = world.objects["instructor_profile"]
    old = profile.ical_token
    assert _feed(client, "not-the-token").status_code == 404
    client.force_login(world.users["instructor"])
    assert client.post(reverse("training:ical-regenerate")).status_code == 302
    profile.refresh_from_db()
    assert profile.ical_token != old
    client.logout()
    assert _feed(client, old).status_code == 404
    assert _feed(client, profile.ical_token).status_code == 200


def test_a_deactivated_users_feed_is_gone(client, world):
    user = world.users["instructor"]
    user.is_active = False
    user.save()
    assert _feed(client, world.objects["instructor_profile"].ical_token).status_code == 404


def test_folding_never_splits_a_character_and_escaping_covers_the_specials():
    line = "SUMMARY:" + "ż" * 80
    folded = ical_fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert folded.replace("\r\n ", "") == line
    assert ical_fold("SHORT:x") == "SHORT:x"
    ascii_parts = ical_fold("X:" + "a" * 200).split("\r\n")
    assert [len(part) for part in ascii_parts] == [75, 75, 54]
    assert ical_escape("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
