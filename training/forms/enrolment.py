"""Forms for enrolment: staff choosing the members to enrol."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MemberChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class EnrolMembersForm(forms.Form):
    """One or many club members at once (issue #14: "enrol many people at once")."""

    members = MemberChoices(
        label=_("Members to enrol"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one member of the club.")},
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members
