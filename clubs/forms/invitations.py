"""Input shapes for the clubs pages. Who may invite whom is decided by the services."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Invitation, Municipality
from kos_portal import access
from kos_portal.gmina_picker import GminaField
from kos_portal.models import User
from kos_portal.roles import INVITABLE_BY, Role

CLUB_ROLES = frozenset({Role.LEADER, Role.INSTRUCTOR})


class InvitationForm(forms.Form):
    """Email, role and scope. Fields the user can't use (a gmina for a leader) are left out."""

    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"))
    club = forms.ModelChoiceField(
        label=_("Club"),
        queryset=Club.objects.none(),
        required=False,
        help_text=_("For club leaders and instructors."),
    )
    municipality = forms.ModelChoiceField(
        label=_("Gmina"),
        queryset=Municipality.objects.none(),
        required=False,
        help_text=_("For municipal coordinators."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = access.user_scope(user)
        # The role table from kos_portal.roles; the scope rule is checked by the service.
        offered = {role for held in scope.roles for role in INVITABLE_BY.get(held, ())}
        self.fields["role"].choices = [
            (value, label) for value, label in Role.choices if value in offered
        ]
        if offered & CLUB_ROLES:
            clubs = Club.objects.visible_to(user, access.INVITING_ROLES).select_related(
                "municipality"
            )
            self.fields["club"].queryset = clubs
            only = list(clubs.values_list("pk", flat=True)[:2])
            if len(only) == 1:  # a leader of one club: nothing to choose (issue #14)
                self.fields["club"].initial = only[0]
        else:
            del self.fields["club"]
        if Role.COORDINATOR not in offered:
            del self.fields["municipality"]
        elif scope.national:
            # 2,479 gminas make a useless select: staff type a name (or a TERYT code).
            self.fields["municipality"] = GminaField(
                required=False,
                to_field_name="code",
                queryset=Municipality.objects.visible_to(user, {Role.COORDINATOR, Role.NATIONAL}),
                help_text=_(
                    "For municipal coordinators: type part of the gmina's name and choose "
                    "from the list, or type its TERYT code."
                ),
            )
        else:
            self.fields["municipality"].queryset = Municipality.objects.visible_to(
                user, {Role.COORDINATOR, Role.NATIONAL}
            )


class InvitationSignupForm(forms.Form):
    """A new account for the invited address: a name and a password."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation: Invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            candidate = User(
                email=self.invitation.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
