"""Input shapes for the instructor pages. File types and sizes, duplicates and who may
verify what are checked by training.services.instructors."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clubs.models import Pillar
from kos_portal.widgets import IsoDateInput
from training.models import Course
from training.services.instructors import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES

ACCEPT = ",".join(f".{extension}" for extension in sorted(DOCUMENT_TYPES))


def _document_help() -> str:
    return gettext("A scan or photo of the certificate: PDF, JPG or PNG, up to %(mb)s MB.") % {
        "mb": MAX_DOCUMENT_BYTES // 1024 // 1024
    }


class InstructorProfileForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    bio = forms.CharField(
        label=_("About you"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("A few sentences leaders and participants see: experience, specialities."),
    )


class QualificationForm(forms.Form):
    pillar = forms.ModelChoiceField(
        label=_("Pillar"),
        queryset=Pillar.objects.order_by("number"),
        required=False,
        help_text=_("For a whole pillar, e.g. a first-aid instructor's certificate."),
    )
    course = forms.ModelChoiceField(
        label=_("Course"),
        queryset=Course.objects.filter(is_active=True).order_by("code"),
        required=False,
        help_text=_("Or for one course, when the course needs its own qualification."),
    )
    issuer = forms.CharField(label=_("Issued by"), max_length=250)
    number = forms.CharField(label=_("Number"), max_length=100, required=False)
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=IsoDateInput(),
        help_text=_("Leave empty when the qualification does not expire."),
    )
    document = forms.FileField(
        label=_("Document"),
        help_text=lazy(_document_help, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("pillar")) == bool(cleaned.get("course")):
            raise forms.ValidationError(
                _("Choose either a pillar or a course the qualification is for.")
            )
        return cleaned


class SafeguardingForm(forms.Form):
    offender_register_checked_on = forms.DateField(
        label=_("Sex Offenders Register checked on"), required=False, widget=IsoDateInput()
    )
    child_protection_statement_on = forms.DateField(
        label=_("Child-protection statement signed on"), required=False, widget=IsoDateInput()
    )
    verified = forms.BooleanField(
        label=_("I have seen both documents and verify the checks"), required=False
    )

    def __init__(self, *args, may_verify: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_verify:
            del self.fields["verified"]


class VerifyForm(forms.Form):
    action = forms.ChoiceField(choices=[("verify", "verify"), ("unverify", "unverify")])
