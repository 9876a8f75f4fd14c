"""What staff do with issued certificates: re-issue after a correction, revoke with a
reason, download a session's certificates in bulk; and the hooks into the members app
(the person's own-data export, erasure)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import Certificate
from certificates.services.issuing import certificate_freeze, certificate_render_queue
from members.models import Member

REVOCATION_REASON_MAX = Certificate._meta.get_field("revocation_reason").max_length


def _locked(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("member", "enrolment__member", "enrolment__session__course")
        .get(pk=certificate.pk)
    )


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, reissued_by) -> Certificate:
    """Re-issue: copy the holder's name, the instructors and the course wording from the
    current records (after a name correction, say), keep the number and the verification
    code, and render the PDF again.

    Safe to run twice (the second run renders the same text again). Raises
    ValidationError for a revoked certificate or a holder whose data was erased.
    """
    certificate = _locked(certificate)
    if certificate.status == Certificate.Status.REVOKED:
        raise ValidationError(_("A revoked certificate cannot be re-issued."))
    if certificate.member.anonymised_at is not None:
        raise ValidationError(
            _("The holder's personal data was erased, so the certificate cannot be re-issued.")
        )
    # Only the wording is saved: the number and the verification code never change, so
    # the printed QR code and every copy already handed out stay valid.
    certificate_freeze(certificate=certificate, enrolment=certificate.enrolment)
    certificate.reissued_at = timezone.now()
    certificate.save(
        update_fields=[
            "holder_name",
            "instructor_names",
            "course_title",
            "hours",
            "session_dates",
            "pillar",
            "reissued_at",
        ]
    )
    certificate_render_queue(certificate=certificate)
    return certificate


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, revoked_by, reason: str) -> Certificate:
    """Revoke the certificate for `reason` (required). From then on the public check says
    "revoked". Safe to run twice: a revoked certificate keeps its first revocation."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give the reason for revoking the certificate."))
    if len(reason) > REVOCATION_REASON_MAX:
        raise ValidationError(
            _("Keep the reason under %(limit)d characters.") % {"limit": REVOCATION_REASON_MAX}
        )
    certificate = _locked(certificate)
    if certificate.status == Certificate.Status.REVOKED:
        return certificate
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = revoked_by
    certificate.revocation_reason = reason
    certificate.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    return certificate


# --- Bulk downloads ------------------------------------------------------------------


def certificate_filename(certificate: Certificate) -> str:
    """KOS-2026-000123.pdf: the number, safe as a file name."""
    return certificate.number.replace("/", "-") + ".pdf"


def certificates_zip(certificates: Iterable[Certificate]) -> tuple[bytes, list[Certificate]]:
    """A zip of the stored PDFs of `certificates`, and the certificates left out because
    their PDF is not ready yet (the zip lists them in a note, too)."""
    buffer = io.BytesIO()
    missing: list[Certificate] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            if certificate.render_status != Certificate.RenderStatus.DONE or not certificate.pdf:
                missing.append(certificate)
                continue
            with certificate.pdf.open("rb") as pdf:
                archive.writestr(certificate_filename(certificate), pdf.read())
        if missing:
            note = _("These certificates are still being prepared and are not included:")
            lines = [note, *(f"- {c.number}" for c in missing)]
            archive.writestr("README.txt", "\n".join(lines) + "\n")
    return buffer.getvalue(), missing


def certificates_merged_pdf(certificates: Iterable[Certificate]) -> bytes:
    """All `certificates` as one PDF, a page each, rendered in one go (fonts embedded
    once). Raises ValidationError when there is nothing to render."""
    from certificates.services.rendering import certificates_render_merged

    certificates = [c for c in certificates if _has_holder(c)]
    if not certificates:
        raise ValidationError(_("This session has no certificates to download."))
    return certificates_render_merged(certificates)


def _has_holder(certificate: Certificate) -> bool:
    # An erased holder's certificate has no name to print.
    return bool(certificate.holder_name)


# --- Hooks into the members app --------------------------------------------------------


def member_certificates_export(member: Member) -> list[dict]:
    """The "certificates" section of the person's own-data export (JSON-ready)."""
    rows = member.certificates.select_related("course", "pillar").order_by("issued_on", "pk")
    today = timezone.localdate()
    return [
        {
            "number": c.number,
            "holder_name": c.holder_name,
            "course_code": c.course.code,
            "course_title": c.course_title,
            "pillar": c.pillar.name if c.pillar_id else None,
            "hours": str(c.hours),
            "session_dates": c.session_dates,
            "instructors": c.instructor_names,
            "issued_on": c.issued_on.isoformat(),
            "expires_on": c.expires_on.isoformat() if c.expires_on else None,
            "state": c.state_on(today),
            "revoked_at": timezone.localtime(c.revoked_at).isoformat() if c.revoked_at else None,
            "revocation_reason": c.revocation_reason,
            "reissued_at": (
                timezone.localtime(c.reissued_at).isoformat() if c.reissued_at else None
            ),
            "verification_url": c.get_verification_url(),
        }
        for c in rows
    ]


@transaction.atomic
def certificates_anonymise(*, member: Member) -> int:
    """After a person's erasure: remove their name from their certificates and delete the
    PDFs that print it. The rows stay (numbers, courses, dates count in statistics), and
    the public check then says only that the certificate was issued. Safe to run twice;
    returns how many certificates changed."""
    changed = 0
    for certificate in Certificate.objects.select_for_update(of=("self",)).filter(member=member):
        if not certificate.holder_name and not certificate.pdf:
            continue
        if certificate.pdf:
            certificate.pdf.delete(save=False)
        certificate.holder_name = ""
        # Done, without a file: nothing left to render, so the reconciler leaves it alone.
        certificate.render_status = Certificate.RenderStatus.DONE
        certificate.save(update_fields=["holder_name", "pdf", "render_status"])
        changed += 1
    return changed


def _on_member_erased(sender, member, **kwargs) -> None:
    certificates_anonymise(member=member)


def register_member_hooks() -> None:
    """Called once from CertificatesConfig.ready(): add the "certificates" section to the
    own-data export and clear names from certificates when a person is erased (members
    never imports certificates). Safe to call twice."""
    from members.services.erasure import member_erased
    from members.services.self_service import export_section_register

    export_section_register(
        "certificates", member_certificates_export, models=("certificates.Certificate",)
    )
    member_erased.connect(_on_member_erased, dispatch_uid="certificates.anonymise")


# The name the brief for issue #6 used; both do the same.
register_member_export_section = register_member_hooks
