"""The certificate pipeline's state in the database: passes without a certificate, the
reconciler that issues them exactly once, and the "certificate ready" email, once."""

from datetime import date
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.utils import timezone

from certificates.models import Certificate, ReminderLog
from certificates.services import pipeline, rendering
from certificates.services.issuing import certificate_issue
from certificates.services.pipeline import (
    certificate_ready_emails_send_missing,
    certificates_issue_missing,
    passes_without_certificate,
)
from certificates.tasks import certificate_issue_reconcile_task
from members.models import GuardianConsent
from tests import factories
from tests.certificates.test_issuing import passed_enrolment
from training.models import Enrolment
from training.services.results import results_record

pytestmark = pytest.mark.django_db


def recorded_passes(count: int, *, on_commit, receiver_fails: bool = False):
    """A finished session whose `count` participants pass through training's own service.
    `receiver_fails`: the course_passed receiver dies, as when the web process is killed
    after the results' commit."""
    session = factories.session_with_meeting(starts_in_days=-2)
    meeting = session.meetings.get()
    enrolments = [factories.EnrolmentFactory(session=session) for _ in range(count)]
    rows = {e.pk: {"present": {meeting.pk}, "score": None} for e in enrolments}
    failing = mock.patch(
        "certificates.services.issuing.certificate_issue", side_effect=RuntimeError("killed")
    )
    if receiver_fails:
        failing.start()
    try:
        with on_commit(execute=True):  # the receivers run here, after the commit
            results_record(session=session, rows=rows, recorded_by=factories.UserFactory())
    finally:
        if receiver_fails:
            failing.stop()
    return enrolments


def test_passes_without_certificate_are_the_passed_enrolments_that_have_none():
    lacking = passed_enrolment()
    holding = passed_enrolment()
    certificate_issue(enrolment=holding)
    failed = passed_enrolment()
    Enrolment.objects.filter(pk=failed.pk).update(result=Enrolment.Result.FAILED)
    erased = passed_enrolment()
    erased.member.__class__.objects.filter(pk=erased.member_id).update(anonymised_at=timezone.now())
    assert list(passes_without_certificate()) == [lacking]


def test_a_pass_whose_issue_died_after_commit_is_issued_by_the_reconciler(
    django_capture_on_commit_callbacks,
):
    enrolments = recorded_passes(
        3, on_commit=django_capture_on_commit_callbacks, receiver_fails=True
    )
    assert not Certificate.objects.exists()  # the fast path died: only the passes are left
    assert passes_without_certificate().count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        result = certificate_issue_reconcile_task.delay().get()

    assert result["issued"] == 3
    certificates = Certificate.objects.filter(enrolment__in=enrolments)
    assert certificates.count() == 3
    assert sorted(c.number[-6:] for c in certificates) == ["000001", "000002", "000003"]
    assert {c.render_status for c in certificates} == {Certificate.RenderStatus.DONE}
    assert len(mail.outbox) == 3  # one "ready" email each, sent after the render


def test_running_the_reconciler_twice_issues_and_sends_nothing_more(
    django_capture_on_commit_callbacks,
):
    recorded_passes(2, on_commit=django_capture_on_commit_callbacks, receiver_fails=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates_issue_missing() == 2
    numbers = set(Certificate.objects.values_list("number", flat=True))
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert certificates_issue_missing() == 0
        assert certificate_ready_emails_send_missing() == 0

    assert set(Certificate.objects.values_list("number", flat=True)) == numbers
    assert len(mail.outbox) == sent == 2


def test_the_fast_path_issues_at_once_and_the_reconciler_then_finds_nothing(
    django_capture_on_commit_callbacks,
):
    recorded_passes(2, on_commit=django_capture_on_commit_callbacks)
    assert Certificate.objects.count() == 2
    assert certificates_issue_missing() == 0


def test_a_failing_enrolment_does_not_hold_back_the_others(caplog):
    broken, fine = passed_enrolment(), passed_enrolment()
    real = pipeline.certificate_issue_once

    def issue(*, enrolment):
        if enrolment.pk == broken.pk:
            raise RuntimeError("a row we cannot read")
        return real(enrolment=enrolment)

    with mock.patch.object(pipeline, "certificate_issue_once", side_effect=issue):
        assert certificates_issue_missing() == 1
    assert "Issuing the certificate for enrolment" in caplog.text
    assert [c.enrolment for c in Certificate.objects.all()] == [fine]
    assert certificates_issue_missing() == 1  # the next run issues the one that failed
    assert Certificate.objects.filter(enrolment=broken).count() == 1


def test_the_ready_email_names_the_certificate_and_its_verify_link(
    django_capture_on_commit_callbacks,
):
    (enrolment,) = recorded_passes(1, on_commit=django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(enrolment=enrolment)
    (message,) = mail.outbox
    assert message.to == [enrolment.member.email]
    assert "Your certificate is ready" in message.subject
    assert certificate.number in message.body
    assert certificate.get_verification_url() in message.body
    assert ReminderLog.objects.filter(key=f"cert-ready:{certificate.pk}").count() == 1
    certificate.refresh_from_db()
    assert certificate.ready_email_due is False


def test_the_ready_email_is_in_the_members_language(django_capture_on_commit_callbacks, settings):
    enrolment = passed_enrolment()
    user = factories.UserFactory(language="pl")
    enrolment.member.user = user
    enrolment.member.save()
    with django_capture_on_commit_callbacks(execute=True):
        certificate_issue(enrolment=enrolment)
    (message,) = mail.outbox
    assert "zaświadczenie" in message.subject.lower()


def test_a_minors_ready_email_goes_to_the_guardian(django_capture_on_commit_callbacks):
    enrolment = passed_enrolment(birth_date=date(timezone.localdate().year - 10, 1, 1))
    GuardianConsent.objects.create(
        member=enrolment.member,
        guardian_name="Jan Rodzic",
        guardian_contact="rodzic@kos.example",
        consent_date=date(2026, 1, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        certificate_issue(enrolment=enrolment)
    (message,) = mail.outbox
    assert message.to == ["rodzic@kos.example"]
    assert enrolment.member.display_name in message.subject


def test_a_reissue_sends_no_second_ready_email(django_capture_on_commit_callbacks):
    from certificates.services.management import certificate_reissue

    enrolment = passed_enrolment()
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_issue(enrolment=enrolment)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_reissue(certificate=certificate, reissued_by=factories.national_user())
    assert len(mail.outbox) == 1


def test_certificates_from_before_the_email_are_never_emailed(django_capture_on_commit_callbacks):
    with (
        mock.patch("certificates.tasks.certificate_ready_email_task.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certificate = certificate_issue(enrolment=passed_enrolment())
    Certificate.objects.filter(pk=certificate.pk).update(ready_email_due=False)  # migration
    assert certificate_ready_emails_send_missing() == 0
    assert mail.outbox == []


def test_a_ready_email_lost_with_its_message_is_sent_by_the_reconciler(
    django_capture_on_commit_callbacks,
):
    with (
        mock.patch("certificates.tasks.certificate_ready_email_task.apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        certificate = certificate_issue(enrolment=passed_enrolment())
    publish.assert_called_once_with(args=(certificate.pk,), kwargs={})
    assert mail.outbox == []
    assert certificate_ready_emails_send_missing() == 1
    assert certificate_ready_emails_send_missing() == 0
    assert len(mail.outbox) == 1


def test_a_revoked_certificate_gets_no_ready_email(django_capture_on_commit_callbacks):
    with (
        mock.patch("certificates.tasks.certificate_ready_email_task.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certificate = certificate_issue(enrolment=passed_enrolment())
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.REVOKED)
    assert certificate_ready_emails_send_missing() == 0
    assert mail.outbox == []
    certificate.refresh_from_db()
    assert certificate.ready_email_due is False


def test_a_render_that_runs_out_of_time_stays_pending_for_a_retry():
    with mock.patch("certificates.tasks.certificate_render_task.apply_async"):
        certificate = certificate_issue(enrolment=passed_enrolment())
    with (
        mock.patch.object(rendering, "certificate_pdf_bytes", side_effect=SoftTimeLimitExceeded),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        rendering.certificate_render_claimed(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.PENDING  # not "failed"
    assert certificate.render_attempts == 0  # rolled back with the attempt
    assert rendering.certificate_render_claimed(certificate_id=certificate.pk)


def test_every_task_has_a_soft_and_a_hard_time_limit(settings):
    from kos_portal.celery import app

    assert 0 < settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    app.loader.import_default_modules()
    for name, task in app.tasks.items():
        if name.startswith("celery."):
            continue
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, name


def test_the_issue_reconciler_runs_from_beat_every_two_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["certificates-issue-reconcile"]
    assert entry == {
        "task": "certificates.tasks.certificate_issue_reconcile_task",
        "schedule": 120,
    }


def test_the_results_page_shows_which_certificate_each_pass_got(
    client, world, django_capture_on_commit_callbacks
):
    from tests.training.test_results import past_world_session, results_url

    session = past_world_session(world)
    meeting = session.meetings.get()
    newcomer = factories.EnrolmentFactory(
        session=session, member=factories.MemberFactory(first_name="Łucja", last_name="Nowa")
    )
    client.force_login(world.users["instructor"])
    present = {
        f"present_{enrolment.pk}_{meeting.pk}": "on"
        for enrolment in (world.objects["enrolment"], newcomer)
    }
    with (
        mock.patch("certificates.tasks.certificate_render_task.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(results_url(session), present)
    assert response.status_code == 302

    page = client.get(response.url).content.decode()
    issued = Certificate.objects.get(enrolment=newcomer)
    assert "Certificates issued" in page
    assert issued.number in page and "PDF being prepared" in page  # not rendered yet
    assert world.objects["certificate"].number in page  # the one the world's member holds
    assert issued.get_absolute_url() in page


def test_the_results_page_says_a_missing_certificate_is_being_issued(
    client, world, django_capture_on_commit_callbacks
):
    from tests.training.test_results import past_world_session, results_url

    session = past_world_session(world)
    newcomer = factories.EnrolmentFactory(session=session)
    Enrolment.objects.filter(pk=newcomer.pk).update(result="passed")  # its issue died
    client.force_login(world.users["instructor"])
    page = client.get(results_url(session)).content.decode()
    assert "being issued" in page
