"""Issuing certificates: one per passed enrolment, numbered KOS/<year>/<000123> from a
locked per-year sequence, with everything the certificate says frozen at issue."""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import Certificate, CertificateNumberSequence
from kos_portal.tasks import enqueue_on_commit
from training.models import Enrolment, Session
from training.selectors_history import add_months

logger = logging.getLogger(__name__)

POLISH_MONTHS_GENITIVE = [
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
]


def polish_date_range(first: date, last: date) -> str:
    """ "3–5 grudnia 2026", "30 listopada – 2 grudnia 2026" or "5 grudnia 2026"."""

    def full(d: date) -> str:
        return f"{d.day} {POLISH_MONTHS_GENITIVE[d.month - 1]} {d.year}"

    if first == last:
        return full(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{full(last)}"
    if first.year == last.year:
        return f"{first.day} {POLISH_MONTHS_GENITIVE[first.month - 1]} – {full(last)}"
    return f"{full(first)} – {full(last)}"


def _session_dates(session: Session) -> str:
    days = [timezone.localtime(m.starts_at).date() for m in session.meetings.all()]
    if not days and session.starts_at:
        days = [timezone.localtime(session.starts_at).date()]
        if session.ends_at:
            days.append(timezone.localtime(session.ends_at).date())
    if not days:
        return ""
    return polish_date_range(min(days), max(days))


def _next_number(year: int) -> str:
    """Allocate the next number of `year`; the caller's transaction holds the row lock
    until it commits, so two issuers never get the same number and none is skipped."""
    try:
        # A savepoint: when another transaction creates the year's row first, our insert
        # fails without spoiling the outer transaction, and the lock below waits for it.
        with transaction.atomic():
            CertificateNumberSequence.objects.get_or_create(year=year)
    except IntegrityError:
        pass
    sequence = CertificateNumberSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"KOS/{year}/{sequence.last_number:06d}"


def certificate_freeze(*, certificate: Certificate, enrolment: Enrolment) -> None:
    """Copy what the certificate says (name, instructors, course, hours, dates) from the
    live records onto `certificate` (not saved). Used at issue and at re-issue."""
    session = enrolment.session
    course = session.course
    certificate.holder_name = enrolment.member.display_name
    certificate.instructor_names = ", ".join(
        name
        for name in (
            (profile.user.get_full_name() or profile.user.email)
            for profile in session.instructors.select_related("user").order_by(
                "user__last_name", "user__first_name", "pk"
            )
        )
        if name
    )
    certificate.course_title = course.title
    certificate.hours = course.hours
    certificate.session_dates = _session_dates(session)
    certificate.pillar_id = course.pillar_id


def certificate_render_queue(*, certificate: Certificate) -> None:
    """Mark the certificate's PDF as being prepared and queue its rendering after commit.

    The status in the database is what counts: if the message is lost or the worker dies,
    the reconciler re-queues certificates left pending too long. Safe to run twice.
    """
    from certificates.tasks import certificate_render_task  # tasks import this module

    now = timezone.now()
    Certificate.objects.filter(pk=certificate.pk).update(
        render_status=Certificate.RenderStatus.PENDING, render_requested_at=now, render_error=""
    )
    certificate.render_status = Certificate.RenderStatus.PENDING
    certificate.render_requested_at = now
    certificate.render_error = ""
    pk = certificate.pk
    enqueue_on_commit(certificate_render_task, pk)


def certificate_issue(*, enrolment: Enrolment) -> Certificate:
    """Issue the certificate for a passed enrolment and queue its PDF.

    One certificate per enrolment: a second call returns the existing one unchanged.
    Refuses (ValidationError) unless the enrolment's result is "passed".
    """
    return certificate_issue_once(enrolment=enrolment)[0]


@transaction.atomic
def certificate_issue_once(*, enrolment: Enrolment) -> tuple[Certificate, bool]:
    """certificate_issue, also saying whether this call issued it (False: it existed).

    Exactly once per enrolment, whoever calls at the same time: the enrolment row is locked
    and the number is taken in the same transaction, so a crash before the commit spends
    no number and leaves the pass for the reconciler (services/pipeline.py).
    """
    existing = Certificate.objects.filter(enrolment=enrolment).first()
    if existing is not None:
        return existing, False
    # Lock the enrolment: two concurrent issues for it serialise here, and the second sees
    # the first's certificate instead of spending a number.
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("session__course", "member")
        .get(pk=enrolment.pk)
    )
    existing = Certificate.objects.filter(enrolment=enrolment).first()
    if existing is not None:
        return existing, False
    if enrolment.result != Enrolment.Result.PASSED:
        raise ValidationError(_("A certificate is issued only for a passed course."))

    course = enrolment.session.course
    issued_on = enrolment.completed_on or timezone.localdate()
    certificate = Certificate(
        number=_next_number(issued_on.year),
        enrolment=enrolment,
        member=enrolment.member,
        club_id=enrolment.club_id,
        course=course,
        session=enrolment.session,
        issued_on=issued_on,
        expires_on=(
            add_months(issued_on, course.validity_months) if course.validity_months else None
        ),
    )
    certificate_freeze(certificate=certificate, enrolment=enrolment)
    certificate.save()
    certificate_render_queue(certificate=certificate)
    return certificate, True


def certificate_issue_on_pass(sender, *, enrolment: Enrolment, **kwargs) -> None:
    """`training.signals.course_passed` receiver: issue the enrolment's certificate at once.

    Only the fast path: the signal is sent after training's transaction has committed, so
    a failure here must not reach training's caller. It is logged, and the beat reconciler
    (services/pipeline.py) issues what this missed, from the pass in the database.
    """
    try:
        certificate_issue(enrolment=enrolment)
    except Exception:
        logger.exception("Issuing the certificate for enrolment %s failed", enrolment.pk)
