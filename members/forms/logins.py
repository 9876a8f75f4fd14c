"""Forms for inviting members and guardians to log in. Shape checks only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import LoginInvitation


class LoginInviteForm(forms.Form):
    """One person's page: their own login, or their guardian's (with the guardian's email)."""

    kind = forms.ChoiceField(
        label=_("Whose login"),
        choices=LoginInvitation.Kind.choices,
        widget=forms.RadioSelect,
    )
    guardian_email = forms.EmailField(
        label=_("Guardian's email address"),
        required=False,
        help_text=_("Only for a guardian's login."),
    )

    def __init__(self, *args, own_allowed: bool = True, guardian_allowed: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (value, label)
            for value, label in LoginInvitation.Kind.choices
            if (value == LoginInvitation.Kind.OWN and own_allowed)
            or (value == LoginInvitation.Kind.GUARDIAN and guardian_allowed)
        ]
        self.fields["kind"].choices = choices
        if len(choices) == 1:
            self.fields["kind"].initial = choices[0][0]
        if not guardian_allowed:
            del self.fields["guardian_email"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == LoginInvitation.Kind.GUARDIAN and not cleaned.get(
            "guardian_email"
        ):
            self.add_error("guardian_email", _("Give the guardian's email address."))
        return cleaned


class RosterLoginInviteForm(forms.Form):
    """The roster's bulk action: the people ticked on the page."""

    members = forms.ModelMultipleChoiceField(
        queryset=None,
        error_messages={"required": _("Tick the people to invite.")},
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members
