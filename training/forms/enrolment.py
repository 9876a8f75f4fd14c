"""Forms for enrolment: staff choosing a member to enrol."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class EnrolMemberForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Member"), queryset=None)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
