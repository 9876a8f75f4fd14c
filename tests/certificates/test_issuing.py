"""Issuing certificates: numbers, idempotency, frozen content, expiry, the course_passed
signal and concurrency."""

import os
import re
import threading
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from certificates.models import Certificate, CertificateNumberSequence
from certificates.services.issuing import (
    add_months,
    certificate_issue,
    certificate_render_queue,
    polish_date_range,
)
from tests import factories
from training.models import Enrolment
from training.signals import course_passed

pytestmark = pytest.mark.django_db


def passed_enrolment(*, completed_on=date(2026, 12, 5), validity_months=36, **member_kwargs):
    instructor = factories.InstructorProfileFactory(
        user=factories.UserFactory(first_name="Anna", last_name="Nowak")
    )
    session = factories.session_with_meeting(
        instructor=instructor,
        starts_in_days=-10,
        course=factories.CourseFactory(
            title="Pierwsza pomoc", title_en="First aid", validity_months=validity_months
        ),
    )
    member = factories.MemberFactory(**member_kwargs)
    return factories.EnrolmentFactory(
        session=session,
        member=member,
        result=Enrolment.Result.PASSED,
        completed_on=completed_on,
    )


def test_a_certificate_gets_a_readable_number_of_its_year():
    certificate = certificate_issue(enrolment=passed_enrolment())
    assert re.fullmatch(r"KOS/2026/\d{6}", certificate.number)
    assert certificate.number == "KOS/2026/000001"


def test_numbers_are_consecutive_and_unique():
    numbers = [certificate_issue(enrolment=passed_enrolment()).number for _ in range(3)]
    assert numbers == ["KOS/2026/000001", "KOS/2026/000002", "KOS/2026/000003"]


def test_each_year_has_its_own_sequence():
    certificate_issue(enrolment=passed_enrolment(completed_on=date(2026, 12, 31)))
    first_of_2027 = certificate_issue(enrolment=passed_enrolment(completed_on=date(2027, 1, 1)))
    second_of_2026 = certificate_issue(enrolment=passed_enrolment(completed_on=date(2026, 6, 1)))
    assert first_of_2027.number == "KOS/2027/000001"
    assert second_of_2026.number == "KOS/2026/000002"
    assert dict(CertificateNumberSequence.objects.values_list("year", "last_number")) == {
        2026: 2,
        2027: 1,
    }


def test_issuing_twice_returns_the_same_certificate_and_spends_one_number():
    enrolment = passed_enrolment()
    first = certificate_issue(enrolment=enrolment)
    second = certificate_issue(enrolment=enrolment)
    assert second.pk == first.pk
    assert Certificate.objects.count() == 1
    assert CertificateNumberSequence.objects.get(year=2026).last_number == 1


def test_a_certificate_freezes_what_it_says():
    enrolment = passed_enrolment(first_name="Zażółć", last_name="Gęślą-Jaźń")
    certificate = certificate_issue(enrolment=enrolment)
    course = enrolment.session.course
    assert certificate.holder_name == "Zażółć Gęślą-Jaźń"
    assert certificate.instructor_names == "Anna Nowak"
    assert certificate.course_title == "Pierwsza pomoc"
    assert certificate.hours == course.hours
    assert certificate.pillar_id == course.pillar_id
    assert certificate.session_id == enrolment.session_id
    assert certificate.club_id == enrolment.club_id
    assert certificate.member_id == enrolment.member_id
    assert certificate.issued_on == date(2026, 12, 5)
    assert certificate.session_dates  # the meeting's date in Polish
    # Renaming the member later does not change an issued certificate.
    enrolment.member.last_name = "Kowalska"
    enrolment.member.save()
    certificate.refresh_from_db()
    assert certificate.holder_name == "Zażółć Gęślą-Jaźń"


def test_the_verification_code_is_random_and_unique():
    codes = {certificate_issue(enrolment=passed_enrolment()).verification_code for _ in range(3)}
    assert len(codes) == 3
    assert all(len(code) >= 20 for code in codes)


def test_expiry_adds_the_course_validity_in_months():
    certificate = certificate_issue(enrolment=passed_enrolment(validity_months=36))
    assert certificate.expires_on == date(2029, 12, 5)


def test_a_course_without_validity_gives_a_certificate_without_expiry():
    certificate = certificate_issue(enrolment=passed_enrolment(validity_months=None))
    assert certificate.expires_on is None


def test_a_missing_completion_date_issues_today():
    certificate = certificate_issue(enrolment=passed_enrolment(completed_on=None))
    assert certificate.issued_on == timezone.localdate()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 5), 1, date(2027, 1, 5)),
        (date(2026, 11, 30), 15, date(2028, 2, 29)),
        (date(2026, 5, 15), 0, date(2026, 5, 15)),
    ],
)
def test_adding_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_31_january_plus_one_month_expires_at_the_end_of_february():
    certificate = certificate_issue(
        enrolment=passed_enrolment(completed_on=date(2026, 1, 31), validity_months=1)
    )
    assert certificate.expires_on == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 12, 3), date(2026, 12, 5), "3–5 grudnia 2026"),
        (date(2026, 12, 5), date(2026, 12, 5), "5 grudnia 2026"),
        (date(2026, 11, 30), date(2026, 12, 2), "30 listopada – 2 grudnia 2026"),
        (date(2026, 12, 30), date(2027, 1, 2), "30 grudnia 2026 – 2 stycznia 2027"),
    ],
)
def test_session_dates_are_written_in_polish(first, last, expected):
    assert polish_date_range(first, last) == expected


@pytest.mark.parametrize("result", [Enrolment.Result.FAILED, Enrolment.Result.PENDING])
def test_no_certificate_without_a_pass(result):
    enrolment = passed_enrolment()
    enrolment.result = result
    enrolment.save()
    with pytest.raises(ValidationError, match="only for a passed course"):
        certificate_issue(enrolment=enrolment)
    assert not Certificate.objects.exists()
    assert not CertificateNumberSequence.objects.filter(last_number__gt=0).exists()


def test_issuing_queues_rendering_after_commit(django_capture_on_commit_callbacks):
    with (
        mock.patch("certificates.tasks.certificate_render_task.apply_async") as delay,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        certificate = certificate_issue(enrolment=passed_enrolment())
        delay.assert_not_called()  # nothing is published before the commit
    assert certificate.render_status == Certificate.RenderStatus.PENDING
    for callback in callbacks:
        with mock.patch("certificates.tasks.certificate_render_task.apply_async") as delay:
            callback()
    delay.assert_called_once_with(args=(certificate.pk,), kwargs={})


def test_queueing_a_render_again_marks_it_pending_with_a_new_request_time(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_issue(enrolment=passed_enrolment())
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.DONE
    before = certificate.render_requested_at
    with mock.patch("certificates.tasks.certificate_render_task.apply_async"):
        certificate_render_queue(certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.PENDING
    assert certificate.render_requested_at > before


def test_a_pass_recorded_by_training_issues_a_certificate(django_capture_on_commit_callbacks):
    from training.services.results import results_record

    session = factories.session_with_meeting(starts_in_days=-2)
    meeting = session.meetings.get()
    enrolment = factories.EnrolmentFactory(
        session=session, member=factories.MemberFactory(first_name="Zażółć")
    )
    with django_capture_on_commit_callbacks(execute=True):
        results_record(
            session=session,
            rows={enrolment.pk: {"present": {meeting.pk}, "score": None}},
            recorded_by=factories.UserFactory(),
        )
    certificate = Certificate.objects.get(enrolment=enrolment)
    assert certificate.holder_name.startswith("Zażółć ")
    assert certificate.issued_on == timezone.localtime(meeting.starts_at).date()
    assert certificate.render_status == Certificate.RenderStatus.DONE  # rendered inline


def test_the_course_passed_signal_issues_a_certificate(django_capture_on_commit_callbacks):
    enrolment = passed_enrolment()
    with mock.patch("certificates.tasks.certificate_render_task.apply_async"):
        course_passed.send(sender=Enrolment, enrolment=enrolment)
    assert Certificate.objects.filter(enrolment=enrolment).count() == 1


def test_a_failing_issue_does_not_break_the_sender(caplog):
    enrolment = passed_enrolment()
    enrolment.result = Enrolment.Result.FAILED
    enrolment.save()
    course_passed.send(sender=Enrolment, enrolment=enrolment)  # does not raise
    assert not Certificate.objects.exists()
    assert "Issuing the certificate" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_get_consecutive_distinct_numbers():
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run this test on PostgreSQL")
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole transactions")
    enrolments = [passed_enrolment(completed_on=date(2031, 3, 1)) for _ in range(2)]
    assert not CertificateNumberSequence.objects.filter(year=2031).exists()
    barrier = threading.Barrier(len(enrolments))
    numbers, errors = [], []

    def issue(enrolment):
        try:
            barrier.wait(timeout=10)
            numbers.append(certificate_issue(enrolment=enrolment).number)
        except Exception as exc:  # reported below; a thread's exception would be lost
            errors.append(exc)
        finally:
            connection.close()

    # One patch, in this thread, around both threads. A mock.patch inside each thread
    # raced: the second patch saved the first's mock as "the original" and put it back
    # last, so `delay` stayed a MagicMock for the rest of the process, and the worker
    # tests that came later never saw a render task (docs/development.md, "Tests").
    with mock.patch("certificates.tasks.certificate_render_task.apply_async"):
        threads = [threading.Thread(target=issue, args=(e,)) for e in enrolments]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors
    # Both raced to create 2031's sequence row; one created it, the other waited for it.
    assert sorted(numbers) == ["KOS/2031/000001", "KOS/2031/000002"]
    assert CertificateNumberSequence.objects.get(year=2031).last_number == 2


def test_the_session_dates_span_all_meetings():
    enrolment = passed_enrolment()
    session = enrolment.session
    first = session.meetings.get()
    first.pk = None
    first.starts_at += timedelta(days=2)
    first.ends_at += timedelta(days=2)
    first.save()
    certificate = certificate_issue(enrolment=enrolment)
    days = sorted(timezone.localtime(m.starts_at).date() for m in session.meetings.all())
    assert certificate.session_dates == polish_date_range(days[0], days[-1])
    assert "–" in certificate.session_dates
