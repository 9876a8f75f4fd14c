"""The starter pack's documents and their versions (models of the clubs app)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StarterDocument(models.Model):
    """A document in the starter pack: a legal template or a training programme."""

    class Kind(models.TextChoices):
        STATUTE = "statute", _("club statute")
        MEMBER_DECLARATION = "declaration", _("member declaration")
        CONSENT_FORM = "consent", _("consent form")
        PARTNER_AGREEMENT = "agreement", _("partner agreement")
        TRAINING_PROGRAMME = "programme", _("training programme")
        OTHER = "other", _("other")

    title = models.CharField(_("title"), max_length=250)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    description = models.TextField(_("description"), blank=True)
    is_published = models.BooleanField(_("in the starter pack"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "title", "language"]
        verbose_name = _("starter pack document")
        verbose_name_plural = _("starter pack documents")
        constraints = [
            models.UniqueConstraint(fields=["title", "language"], name="starter_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class StarterDocumentVersion(models.Model):
    """One version of a starter pack document. The newest version is the one handed out."""

    document = models.ForeignKey(StarterDocument, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("version"), max_length=32)
    file = models.FileField(_("file"), upload_to="starter-pack/")
    notes = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(_("published at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["document", "-created_at", "-pk"]
        get_latest_by = "created_at"
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version"], name="starter_document_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.version}"
