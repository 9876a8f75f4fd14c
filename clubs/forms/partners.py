"""Input shapes for the partner pages. Who may change what is decided by the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Municipality, Partner, PartnerLink
from clubs.services.partners import MAX_DOCUMENT_BYTES, agreement_document_validate
from kos_portal import access
from kos_portal.gmina_picker import GminaField

DOCUMENT_ACCEPT = ".pdf,.docx,.odt,.jpg,.jpeg,.png"


class PartnerForm(forms.ModelForm):
    """A partner's details; the gmina is one the user may add partners in."""

    class Meta:
        model = Partner
        fields = [
            "name",
            "kind",
            "municipality",
            "address",
            "is_ksrg",
            "contact_person",
            "contact_email",
            "contact_phone",
            "offers_venue",
            "offers_equipment",
            "offers_instructors",
            "offers_funding",
            "offers_other",
        ]
        help_texts = {
            "is_ksrg": _("For OSP units in the national firefighting and rescue system."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        gminas = Municipality.objects.visible_to(user, access.RULES["clubs.change_partner"])
        if access.is_national(user):
            # 2,479 gminas make a useless select: staff type a name (or a TERYT code).
            self.fields["municipality"] = GminaField(queryset=gminas, to_field_name="code")
        else:
            self.fields["municipality"].queryset = gminas.select_related("powiat")
        self.fields["contact_phone"].widget.input_type = "tel"


class PartnerLinkForm(forms.ModelForm):
    """A link to a club with its role and agreement. The club is one the user may change."""

    remove_document = forms.BooleanField(label=_("Remove the current document"), required=False)

    class Meta:
        model = PartnerLink
        fields = [
            "club",
            "role",
            "agreement_type",
            "agreement_signed_on",
            "agreement_expires_on",
            "agreement_document",
        ]
        widgets = {
            "agreement_signed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "agreement_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "agreement_document": forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        }
        help_texts = {
            "role": _("What the partner does for the club, e.g. “venue for meetings”."),
            "agreement_document": _("PDF, DOCX, ODT, JPG or PNG, at most %(mb)s MB.")
            % {"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        document = self.fields["agreement_document"]
        document.validators.append(agreement_document_validate)
        document.widget = forms.FileInput(attrs={"accept": DOCUMENT_ACCEPT})
        if self.instance.pk:
            del self.fields["club"]  # a link moves by deleting it and linking again
            if not self.instance.agreement_document:
                del self.fields["remove_document"]
        else:
            del self.fields["remove_document"]
            self.fields["club"].queryset = Club.objects.visible_to(
                user, access.RULES["clubs.change_partnerlink"]
            ).order_by("name")

    def clean(self):
        cleaned = super().clean()
        signed, expires = cleaned.get("agreement_signed_on"), cleaned.get("agreement_expires_on")
        if signed and expires and expires < signed:
            self.add_error(
                "agreement_expires_on", _("The agreement can't expire before it was signed.")
            )
        return cleaned

    def _post_clean(self):
        # The model's checks would read the club from the instance before the service
        # checks the user's rights; the service does the model-level checks itself.
        pass
