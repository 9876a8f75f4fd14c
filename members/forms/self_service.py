"""Forms of the member's own pages and of erasure (RODO). Shape checks only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import ConsentPurpose


class ConsentWithdrawForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices, widget=forms.HiddenInput)


class MemberEraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the erasure"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: “request by email of 3 March 2025”. It is kept in the access log, "
            "so do not write the person's name or contact details here."
        ),
    )
