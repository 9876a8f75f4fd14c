"""What the database says is still to do for certificates, and the reconciler that does it.

The need for a certificate is state, not a message: a passed enrolment without a
certificate (`passes_without_certificate`). The pass is written in the results' own
transaction, so whatever crashes after that commit (the web process, the broker, a worker),
the beat reconciler finds the pass and issues its certificate. Issuing is exactly once: the
enrolment is locked and has at most one certificate (one-to-one), and the number is taken in
the same transaction, so a crash before the commit spends no number. The "certificate
ready" email is due while `Certificate.ready_email_due` is set, and goes through the
reminders' send-once log (key `cert-ready:<pk>`). See docs/certificates.md.
"""

from __future__ import annotations

import logging

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from certificates.models import Certificate
from certificates.services.issuing import certificate_issue_once
from certificates.services.reminders import (
    TEMPLATES,
    _absolute,
    _current_guardians,
    _member_recipient,
    send_reminder,
)
from training.models import Enrolment

logger = logging.getLogger(__name__)

READY_KEY = "cert-ready:{pk}"


def passes_without_certificate() -> QuerySet[Enrolment]:
    """Passed enrolments that have no certificate yet (every course issues one), oldest
    first. Erased people get none: their record keeps no name to print."""
    return (
        Enrolment.objects.filter(result=Enrolment.Result.PASSED, member__anonymised_at__isnull=True)
        .filter(~Exists(Certificate.objects.filter(enrolment=OuterRef("pk"))))
        .order_by("pk")
    )


def certificates_issue_missing(*, limit: int = 1000) -> int:
    """Issue the certificate of every pass that lacks one (up to `limit`); returns how many
    were issued. Safe to run twice, and beside the request that records the pass: each
    enrolment gets exactly one certificate and one number. One failing enrolment is logged
    and does not hold back the others; the next run tries it again."""
    issued = 0
    for enrolment in passes_without_certificate()[:limit]:
        try:
            _certificate, created = certificate_issue_once(enrolment=enrolment)
        except Exception:
            logger.exception("Issuing the certificate for enrolment %s failed", enrolment.pk)
            continue
        issued += created
    if issued:
        logger.warning("Issued %d certificate(s) for passes that had none", issued)
    return issued


def certificate_ready_email_send(*, certificate_id: int) -> bool:
    """Email the holder (or the guardian of an under-16) that the certificate's PDF is
    ready, with its verify link, in their language; True if this call sent it. Sent once
    per certificate, whoever calls it how often (ReminderLog key `cert-ready:<pk>`); not
    for a revoked certificate, an erased holder or a PDF not rendered yet."""
    certificate = (
        Certificate.objects.filter(pk=certificate_id, ready_email_due=True)
        .select_related("member__user", "course")
        .prefetch_related(_current_guardians("member__"))
        .first()
    )
    if certificate is None or certificate.render_status != Certificate.RenderStatus.DONE:
        return False  # already told, gone, or not rendered yet (the render queues us again)
    recipient = None
    if certificate.status == Certificate.Status.VALID:
        recipient = _member_recipient(certificate.member, timezone.localdate())
    sent = False
    if recipient is None:
        logger.info("Certificate %s: no one to tell that it is ready.", certificate.pk)
    else:
        address, language, for_guardian = recipient
        sent = send_reminder(
            key=READY_KEY.format(pk=certificate.pk),
            recipient=address,
            subject_template=f"{TEMPLATES}/certificate_ready_subject.txt",
            text_template=f"{TEMPLATES}/certificate_ready_message.txt",
            html_template=f"{TEMPLATES}/certificate_ready_message.html",
            context={
                "certificate": certificate,
                "member": certificate.member,
                "for_guardian": for_guardian,
                "certificate_url": _absolute(
                    "certificates:certificate-detail", certificate_pk=certificate.pk
                ),
                "verification_url": certificate.get_verification_url(),
            },
            language=language,
        )
    # Sent now, sent before (a crash between the send and this line), or no one to tell.
    Certificate.objects.filter(pk=certificate.pk).update(ready_email_due=False)
    return sent


def certificate_ready_emails_send_missing(*, limit: int = 500) -> int:
    """Send the "ready" emails still due for rendered certificates; returns how many went
    out. Safe to run twice. A failing send is logged and tried again on the next run."""
    sent = 0
    due = Certificate.objects.filter(
        ready_email_due=True, render_status=Certificate.RenderStatus.DONE
    ).order_by("pk")
    for pk in due.values_list("pk", flat=True)[:limit]:
        try:
            sent += certificate_ready_email_send(certificate_id=pk)
        except Exception:
            logger.exception("The ready email of certificate %s failed", pk)
    return sent
