"""Certificates: issued when a course is passed, rendered to PDF by Celery workers,
verifiable by anyone with the code."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Pillar
from kos_portal import access
from members.models import Member
from training.models import Course, Enrolment, Session


def _verification_code() -> str:
    # 128 random bits: neither guessable nor sequential.
    return secrets.token_urlsafe(16)


class CertificateNumberSequence(models.Model):
    """The last number given out per year. Locked row by row, so numbers stay unique and
    gap-free under concurrency."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("certificate number sequence")
        verbose_name_plural = _("certificate number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CertificateQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CertificateQuerySet":
        """Certificates of the user's clubs (personal-data roles), the user's own, and
        for instructors those of the sessions they taught."""
        return access.scope_certificates(self, user)


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        REVOKED = "revoked", _("revoked")

    class RenderStatus(models.TextChoices):
        PENDING = "pending", _("being prepared")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    number = models.CharField(_("number"), max_length=32, unique=True)  # KOS/2026/000123
    verification_code = models.CharField(
        max_length=32, unique=True, default=_verification_code, editable=False
    )
    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, related_name="certificate"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="certificates")
    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="certificates")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    pillar = models.ForeignKey(
        Pillar, on_delete=models.PROTECT, null=True, blank=True, related_name="certificates"
    )
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="certificates")
    # What the certificate says, frozen at issue (and at each re-issue).
    holder_name = models.CharField(_("holder"), max_length=250)
    instructor_names = models.CharField(_("instructors"), max_length=500, blank=True)
    course_title = models.CharField(_("course"), max_length=250)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    session_dates = models.CharField(_("dates"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.VALID
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revocation_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)
    reissued_at = models.DateTimeField(_("re-issued at"), null=True, blank=True)
    # Rendering is tracked here, not only in the broker: a periodic reconciler re-queues
    # certificates left pending too long (a worker killed mid-render, a lost message).
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/", blank=True)
    render_status = models.CharField(
        max_length=16,
        choices=RenderStatus.choices,
        default=RenderStatus.PENDING,
        db_index=True,
    )
    render_requested_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    render_error = models.CharField(max_length=500, blank=True)
    # The holder (or guardian) is told once that the PDF is ready (docs/certificates.md).
    # True until that email has gone out; certificates from before the email existed were
    # set False by the migration, so nobody gets a late "ready" for an old certificate.
    ready_email_due = models.BooleanField(default=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        indexes = [
            models.Index(fields=["expires_on", "status"]),
            models.Index(fields=["club", "-issued_on"]),
            # The national list's order: its pages are read from this index alone.
            models.Index(fields=["-issued_on", "-id"], name="certificate_newest_idx"),
            models.Index(fields=["render_status", "render_requested_at"]),
            # The reconciler's "ready email still due": a handful of rows, not the table.
            models.Index(
                fields=["id"],
                condition=models.Q(ready_email_due=True),
                name="certificate_ready_email_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("certificates:certificate-detail", kwargs={"certificate_pk": self.pk})

    def get_verification_url(self) -> str:
        """The absolute public URL the QR code holds."""
        path = reverse("certificates:verify", kwargs={"code": self.verification_code})
        return f"{settings.SITE_URL}{path}"

    def state_on(self, day) -> str:
        """valid, expired or revoked on `day`."""
        if self.status == self.Status.REVOKED:
            return "revoked"
        if self.expires_on and self.expires_on < day:
            return "expired"
        return "valid"


class ReminderLog(models.Model):
    """One row per reminder sent, keyed so the same reminder is never sent twice, however
    often beat runs or a worker restarts (e.g. "cert-expiry:30:123")."""

    key = models.CharField(max_length=120, unique=True)
    recipient = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")

    def __str__(self) -> str:
        return self.key
