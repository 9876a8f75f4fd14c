"""Input shapes for the certificate pages. Rules (who may revoke, what a surname matches)
live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate
from clubs.models import Club
from kos_portal.widgets import FastSelect
from training.models import Course

STATE_CHOICES = [
    ("", _("Any status")),
    ("valid", _("valid")),
    ("expired", _("expired")),
    ("revoked", _("revoked")),
]


class CertificateFilterForm(forms.Form):
    """Filters of the certificate list; the choices come from the user's scope."""

    club = forms.ModelChoiceField(
        label=_("Club"),
        queryset=Club.objects.none(),
        required=False,
        empty_label=_("All clubs"),
        widget=FastSelect(fields=("name",)),  # national staff choose among 2,500 clubs
    )
    course = forms.ModelChoiceField(
        label=_("Course"),
        queryset=Course.objects.none(),
        required=False,
        empty_label=_("All courses"),
    )
    state = forms.ChoiceField(label=_("Status"), choices=STATE_CHOICES, required=False)
    expiring = forms.BooleanField(label=_("Expiring within 90 days"), required=False)

    def __init__(self, *args, clubs, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["club"].queryset = clubs
        self.fields["course"].queryset = courses


class VerifyForm(forms.Form):
    """The public check by number and surname."""

    number = forms.CharField(
        label=_("Certificate number"),
        max_length=32,
        help_text=_("As printed on the certificate, e.g. KOS/2026/000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    surname = forms.CharField(
        label=_("Holder's surname"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=Certificate._meta.get_field("revocation_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Kept with the certificate for staff; the public sees only that it was revoked."
        ),
    )
