"""Demo certificates: the finished demo session's passes hold certificates, rendered."""

from __future__ import annotations

from collections.abc import Iterable

from certificates.models import Certificate
from certificates.services.issuing import certificate_issue, certificate_render_queue
from training.models import Enrolment, Session


def certificates_seed_demo(sessions: Iterable[Session]) -> list[Certificate]:
    """Make sure every pass in `sessions` has its certificate, and queue the
    PDFs still pending. Safe to run twice (certificate_issue is idempotent).

    With no broker (CELERY_TASK_ALWAYS_EAGER) the queued renders run inline when the
    caller's transaction commits; with a worker running, the worker renders them.
    """
    certificates = []
    for session in sessions:
        # By result, not session.status: the caller's instance may predate the results.
        passed = session.enrolments.filter(result=Enrolment.Result.PASSED).order_by("pk")
        for enrolment in passed:
            certificate = certificate_issue(enrolment=enrolment)
            if certificate.render_status == Certificate.RenderStatus.PENDING:
                # Issued by an earlier seed whose render never ran (no worker then).
                certificate_render_queue(certificate=certificate)
            certificates.append(certificate)
    return certificates
