"""Reminders from Celery beat: certificate expiry, meetings in the next 24 hours and
instructors' qualifications, each sent once, in the recipient's language."""

import logging
from datetime import date, datetime, timedelta
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.models import Certificate, ReminderLog
from certificates.reminder_tasks import (
    certificate_expiry_reminders_task,
    qualification_expiry_alerts_task,
    session_reminders_task,
)
from certificates.services.reminders import (
    certificate_expiry_reminders_send,
    qualification_expiry_alerts_send,
    session_reminders_send,
)
from clubs.models import Assignment
from kos_portal.models import User
from members.models import GuardianConsent
from tests import factories
from training.models import Enrolment, Session

WARSAW = ZoneInfo("Europe/Warsaw")
EXPIRES = date(2027, 3, 31)


def morning(day: date) -> datetime:
    """07:00 in Warsaw, when beat runs the daily jobs."""
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=WARSAW)


def run_expiry_on(day: date) -> int:
    with time_machine.travel(morning(day), tick=False):
        return certificate_expiry_reminders_task.delay().get()


@pytest.fixture
def certificate(db) -> Certificate:
    return factories.CertificateFactory(expires_on=EXPIRES)


@pytest.fixture
def failing_once(monkeypatch):
    """The mail server fails on the first message it is given, then recovers."""
    calls = {"n": 0}
    original = EmailBackend.send_messages

    def send_messages(self, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SMTPException("421 try again later")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    return calls


# --- Certificate expiry ---------------------------------------------------------------------


def test_expiry_reminders_go_out_90_30_and_7_days_before(certificate):
    sent_on = {
        day: run_expiry_on(EXPIRES - timedelta(days=day)) for day in (91, 90, 89, 31, 30, 8, 7, 6)
    }

    assert sent_on == {91: 0, 90: 1, 89: 0, 31: 0, 30: 1, 8: 0, 7: 1, 6: 0}
    assert len(mail.outbox) == 3
    assert set(ReminderLog.objects.values_list("key", flat=True)) == {
        f"cert-expiry:{days}:{certificate.pk}" for days in (90, 30, 7)
    }


def test_running_the_expiry_job_twice_sends_one_email(certificate):
    day = EXPIRES - timedelta(days=30)

    assert run_expiry_on(day) == 1
    assert run_expiry_on(day) == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [certificate.member.email]


def test_a_failed_send_is_retried_and_the_reminder_still_goes_out_once(certificate, failing_once):
    other = factories.CertificateFactory(expires_on=EXPIRES)
    day = EXPIRES - timedelta(days=90)

    # The first message fails: the job still sends the other one, then asks for a retry.
    with pytest.raises(Retry):
        run_expiry_on(day)
    assert len(mail.outbox) == 1
    run_expiry_on(day)  # Celery's retry: sends only what is missing
    run_expiry_on(day)  # and beat's next run sends nothing

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [certificate.member.email, other.member.email]
    )
    assert ReminderLog.objects.count() == 2


def test_a_failed_send_leaves_no_claim_so_the_next_run_sends(certificate, failing_once):
    day = EXPIRES - timedelta(days=90)

    with time_machine.travel(morning(day), tick=False), pytest.raises(SMTPException):
        certificate_expiry_reminders_send()

    assert not ReminderLog.objects.exists()
    assert run_expiry_on(day) == 1
    assert len(mail.outbox) == 1


def test_a_missed_day_still_sends_the_reminder_once(certificate):
    # Beat was down 90 and 89 days before the expiry.
    assert run_expiry_on(EXPIRES - timedelta(days=88)) == 1
    assert run_expiry_on(EXPIRES - timedelta(days=87)) == 0

    assert ReminderLog.objects.get().key == f"cert-expiry:90:{certificate.pk}"


def test_a_late_start_sends_only_the_nearest_threshold(certificate):
    # First run 20 days before the expiry: the 90-day reminder is no longer due.
    assert run_expiry_on(EXPIRES - timedelta(days=20)) == 1

    assert ReminderLog.objects.get().key == f"cert-expiry:30:{certificate.pk}"


def test_reminder_days_come_from_the_settings(certificate, settings):
    settings.CERTIFICATE_REMINDER_DAYS = [14]

    assert run_expiry_on(EXPIRES - timedelta(days=30)) == 0
    assert run_expiry_on(EXPIRES - timedelta(days=14)) == 1


def test_revoked_and_renewed_certificates_get_no_reminder(certificate):
    revoked = factories.CertificateFactory(expires_on=EXPIRES, status=Certificate.Status.REVOKED)
    factories.CertificateFactory(
        member=certificate.member,
        enrolment__member=certificate.member,
        enrolment__session__course=certificate.course,
        expires_on=EXPIRES + timedelta(days=3 * 365),
    )

    run_expiry_on(EXPIRES - timedelta(days=30))

    assert [m.to for m in mail.outbox] == []
    assert revoked.pk  # created, and skipped


def under_16_with_guardian(contact: str) -> Certificate:
    member = factories.MemberFactory(
        birth_date=date(2014, 5, 1), email="child@kos.example", user=None
    )
    GuardianConsent.objects.create(
        member=member,
        guardian_name="Anna Nowak",
        guardian_contact="old.guardian@kos.example",
        consent_date=date(2024, 1, 1),
        text_version="1",
        method="paper",
        withdrawn_at=datetime(2024, 6, 1, tzinfo=WARSAW),
    )
    GuardianConsent.objects.create(
        member=member,
        guardian_name="Anna Nowak",
        guardian_contact=contact,
        consent_date=date(2024, 9, 1),
        text_version="1",
        method="paper",
    )
    return factories.CertificateFactory(member=member, enrolment__member=member, expires_on=EXPIRES)


def test_an_under_16s_reminder_goes_to_the_current_guardian(db):
    certificate = under_16_with_guardian("anna.nowak@kos.example")

    run_expiry_on(EXPIRES - timedelta(days=30))

    (message,) = mail.outbox
    assert message.to == ["anna.nowak@kos.example"]
    assert f"The certificate {certificate.number} of {certificate.holder_name}" in message.body


def test_an_under_16_without_a_guardian_email_is_skipped_and_logged(db, caplog):
    certificate = under_16_with_guardian("+48 600 100 200")

    with caplog.at_level(logging.INFO, logger="certificates.services.reminders"):
        assert run_expiry_on(EXPIRES - timedelta(days=30)) == 0

    assert mail.outbox == []
    assert f"Certificate {certificate.pk}: no address" in caplog.text


def test_a_16_year_old_gets_their_own_reminder(db):
    member = factories.MemberFactory(birth_date=date(2011, 1, 1), email="teen@kos.example")
    factories.CertificateFactory(member=member, enrolment__member=member, expires_on=EXPIRES)

    run_expiry_on(EXPIRES - timedelta(days=30))  # 1 March 2027: 16 years old

    assert mail.outbox[0].to == ["teen@kos.example"]


def test_the_reminder_is_in_the_recipients_language(db):
    polish = factories.member_of(factories.ClubFactory(), language="pl")
    english = factories.member_of(factories.ClubFactory(), language="en")
    for member in (polish, english):
        factories.CertificateFactory(member=member, enrolment__member=member, expires_on=EXPIRES)

    run_expiry_on(EXPIRES - timedelta(days=30))

    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address[polish.email].subject.startswith("[KOS] Twoje zaświadczenie traci ważność")
    assert "Twoje zaświadczenie" in by_address[polish.email].body
    assert by_address[english.email].subject.startswith("[KOS] Your certificate expires on")


def test_the_reminder_links_the_next_open_sessions_in_the_gmina_then_the_powiat(db, settings):
    settings.SITE_URL = "https://kos.example.org"
    home = factories.MunicipalityFactory()
    neighbour = factories.MunicipalityFactory(powiat=home.powiat)
    far_away = factories.MunicipalityFactory()
    member = factories.MemberFactory(municipality=home)
    certificate = factories.CertificateFactory(
        member=member, enrolment__member=member, expires_on=EXPIRES
    )
    today = EXPIRES - timedelta(days=30)

    def open_session(municipality, days, **kwargs):
        return factories.SessionFactory(
            course=kwargs.pop("course", certificate.course),
            club__municipality=municipality,
            visibility=kwargs.pop("visibility", Session.Visibility.OPEN),
            starts_at=morning(today) + timedelta(days=days),
            **kwargs,
        )

    neighbour_soon = open_session(neighbour, 3)
    home_later = open_session(home, 10)
    not_listed = [
        open_session(far_away, 2),  # another powiat
        open_session(home, 2, visibility=Session.Visibility.MEMBERS),
        open_session(home, -2),  # already started
        open_session(home, 2, course=factories.CourseFactory()),
        open_session(home, 2, status=Session.Status.CANCELLED),
    ]

    run_expiry_on(today)

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    home_url = f"https://kos.example.org{home_later.get_absolute_url()}"
    neighbour_url = f"https://kos.example.org{neighbour_soon.get_absolute_url()}"
    for text in (message.body, html):
        assert home_url in text and neighbour_url in text
        assert text.index(home_url) < text.index(neighbour_url)  # the gmina first
        for session in not_listed:
            assert session.get_absolute_url() not in text


def test_the_reminder_lists_at_most_five_sessions(db):
    member = factories.MemberFactory(municipality=factories.MunicipalityFactory())
    certificate = factories.CertificateFactory(
        member=member, enrolment__member=member, expires_on=EXPIRES
    )
    today = EXPIRES - timedelta(days=30)
    for days in range(1, 8):
        factories.SessionFactory(
            course=certificate.course,
            club__municipality=member.municipality,
            visibility=Session.Visibility.OPEN,
            starts_at=morning(today) + timedelta(days=days),
        )

    run_expiry_on(today)

    assert mail.outbox[0].body.count("/training/sessions/") == 5


def test_the_sender_and_footer_come_from_the_settings(certificate, settings):
    settings.KOS_EMAIL_FROM = "Kluby Odporności <kos@gov.example>"
    settings.KOS_EMAIL_FOOTER = "Fundacja KOS, ul. Przykładowa 1, Warszawa"

    run_expiry_on(EXPIRES - timedelta(days=7))

    (message,) = mail.outbox
    assert message.from_email == "Kluby Odporności <kos@gov.example>"
    assert "Fundacja KOS, ul. Przykładowa 1, Warszawa" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Fundacja KOS, ul. Przykładowa 1, Warszawa" in html


def _reads_of_an_expiry_run(count: int) -> int:
    for _ in range(count):
        factories.CertificateFactory(expires_on=EXPIRES)
    with (
        time_machine.travel(morning(EXPIRES - timedelta(days=30)), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        assert certificate_expiry_reminders_send() == count
    # Each email claims its ReminderLog key (a write per email by design); every other
    # query is a read that must not grow with the number of certificates.
    return len(
        [
            q
            for q in queries.captured_queries
            if "reminderlog" not in q["sql"].lower() and "savepoint" not in q["sql"].lower()
        ]
    )


def test_the_expiry_job_reads_a_constant_number_of_queries(db):
    few = _reads_of_an_expiry_run(2)
    ReminderLog.objects.all().delete()
    Certificate.objects.all().delete()

    assert _reads_of_an_expiry_run(12) == few


# --- Meetings in the next 24 hours ----------------------------------------------------------


@pytest.fixture
def tomorrow_session(db):
    club = factories.ClubFactory()
    instructor = factories.InstructorProfileFactory(user__email="trainer@kos.example")
    session = factories.session_with_meeting(club=club, instructor=instructor, starts_in_days=1)
    for status, email in [
        (Enrolment.Status.ENROLLED, "enrolled@kos.example"),
        (Enrolment.Status.WAITLISTED, "waiting@kos.example"),
        (Enrolment.Status.CANCELLED, "cancelled@kos.example"),
    ]:
        factories.EnrolmentFactory(session=session, member__email=email, status=status)
    return session


def test_session_reminders_go_to_enrolled_members_and_instructors_only(tomorrow_session):
    meeting = tomorrow_session.meetings.get()

    with time_machine.travel(meeting.starts_at - timedelta(hours=23), tick=False):
        assert session_reminders_task.delay().get() == 2
        assert session_reminders_task.delay().get() == 0

    assert sorted(m.to[0] for m in mail.outbox) == ["enrolled@kos.example", "trainer@kos.example"]
    instructor_mail = next(m for m in mail.outbox if m.to == ["trainer@kos.example"])
    assert "You teach a meeting" in instructor_mail.body


def test_session_reminders_go_out_only_within_24_hours_and_not_in_the_last_hour(
    tomorrow_session,
):
    starts = tomorrow_session.meetings.get().starts_at

    assert session_reminders_send(now=starts - timedelta(hours=25)) == 0
    assert session_reminders_send(now=starts - timedelta(minutes=50)) == 0
    assert session_reminders_send(now=starts - timedelta(hours=24)) == 2


def test_each_meeting_of_a_session_gets_its_own_reminder(tomorrow_session):
    first = tomorrow_session.meetings.get()
    second = tomorrow_session.meetings.create(
        club=tomorrow_session.club,
        starts_at=first.starts_at + timedelta(days=7),
        ends_at=first.ends_at + timedelta(days=7),
    )

    assert session_reminders_send(now=first.starts_at - timedelta(hours=20)) == 2
    assert session_reminders_send(now=second.starts_at - timedelta(hours=20)) == 2
    assert ReminderLog.objects.filter(key__startswith=f"meeting-24h:{second.pk}:").count() == 2


def test_a_cancelled_session_sends_no_reminder(tomorrow_session):
    tomorrow_session.status = Session.Status.CANCELLED
    tomorrow_session.save()

    starts = tomorrow_session.meetings.get().starts_at
    assert session_reminders_send(now=starts - timedelta(hours=20)) == 0


# --- Instructors' qualifications ------------------------------------------------------------


@pytest.fixture
def expiring_qualification(db):
    club = factories.ClubFactory()
    user = factories.instructor_of(club, email="trainer@kos.example")
    factories.coordinator_of(club.municipality, email="coordinator@kos.example")
    factories.coordinator_of(factories.MunicipalityFactory(), email="elsewhere@kos.example")
    ended = factories.coordinator_of(club.municipality, email="former@kos.example")
    Assignment.objects.filter(user=ended).update(ended_at=morning(EXPIRES))
    return factories.InstructorQualificationFactory(instructor__user=user, valid_until=EXPIRES)


def run_alerts_on(day: date) -> int:
    with time_machine.travel(morning(day), tick=False):
        return qualification_expiry_alerts_task.delay().get()


def test_qualification_alerts_go_to_the_instructor_and_their_coordinator(expiring_qualification):
    assert run_alerts_on(EXPIRES - timedelta(days=60)) == 2
    assert run_alerts_on(EXPIRES - timedelta(days=60)) == 0
    assert run_alerts_on(EXPIRES - timedelta(days=59)) == 0
    assert run_alerts_on(EXPIRES - timedelta(days=14)) == 2

    assert sorted(m.to[0] for m in mail.outbox) == [
        "coordinator@kos.example",
        "coordinator@kos.example",
        "trainer@kos.example",
        "trainer@kos.example",
    ]
    to_coordinator = next(m for m in mail.outbox if m.to == ["coordinator@kos.example"])
    assert "The qualification of instructor" in to_coordinator.body


def test_a_renewed_qualification_raises_no_alert(expiring_qualification):
    factories.InstructorQualificationFactory(
        instructor=expiring_qualification.instructor,
        valid_until=EXPIRES + timedelta(days=3 * 365),
    )

    assert qualification_expiry_alerts_send(today=EXPIRES - timedelta(days=14)) == 0


def test_the_qualification_alert_is_in_the_recipients_language(expiring_qualification):
    User.objects.filter(email="trainer@kos.example").update(language="pl")

    run_alerts_on(EXPIRES - timedelta(days=14))

    to_instructor = next(m for m in mail.outbox if m.to == ["trainer@kos.example"])
    assert to_instructor.subject.startswith("[KOS] Twoje uprawnienia tracą ważność")


# --- Beat ---------------------------------------------------------------------------------


def test_beat_schedules_the_three_jobs(settings):
    from kos_portal.celery import app

    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    for task in (
        certificate_expiry_reminders_task,
        session_reminders_task,
        qualification_expiry_alerts_task,
    ):
        assert task.name in names
        assert task.name in app.tasks
