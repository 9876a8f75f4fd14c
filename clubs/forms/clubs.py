"""Input shapes for founding, editing and running a club. The rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Locality, Municipality, Pillar
from clubs.services.clubs import ALLOWED_TRANSITIONS
from kos_portal import access
from kos_portal.gmina_picker import GminaField
from kos_portal.roles import Role
from kos_portal.text import fold
from kos_portal.widgets import DatalistInput

CLUB_FIELDS = [
    "name",
    "locality",
    "address",
    "founded_on",
    "contact_email",
    "contact_phone",
    "description",
    "pillars",
]


class ClubForm(forms.ModelForm):
    """A club's details, without its gmina or status."""

    class Meta:
        model = Club
        # The point for the maps: editing only (a new club has no venue yet).
        fields = [*CLUB_FIELDS, "latitude", "longitude"]
        widgets = {
            "founded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "description": forms.Textarea(attrs={"rows": 5}),
            "pillars": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "locality": _("The village or town, when it differs from the gmina's name."),
            "description": _("Shown on the club's public page."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pillars"].queryset = Pillar.objects.all()
        # Where the SIMC register holds the club's gmina (manage.py import_simc), the
        # locality is picked from it: suggested as one types, and a name it lacks refused.
        gmina_id = getattr(self.instance, "municipality_id", None)
        self.register_localities = (
            sorted(
                set(
                    Locality.objects.filter(municipality_id=gmina_id, is_current=True).values_list(
                        "name", flat=True
                    )
                )
            )
            if gmina_id
            else []
        )
        if self.register_localities:
            field = self.fields["locality"]
            field.widget = DatalistInput(
                options=self.register_localities, list_id="locality-register"
            )
            field.help_text = _("Start typing: the gmina's localities from the GUS register.")

    def clean_locality(self) -> str:
        locality = " ".join(self.cleaned_data.get("locality", "").split())
        if not locality or not self.register_localities:
            return locality
        by_key = {fold(name): name for name in self.register_localities}
        if fold(locality) in by_key:
            return by_key[fold(locality)]  # as the register writes it
        close = [name for key, name in by_key.items() if fold(locality)[:3] in key][:5]
        message = _("The GUS register has no locality “%(name)s” in this gmina.") % {
            "name": locality
        }
        if close:
            message += " " + _("Did you mean: %(names)s?") % {"names": ", ".join(close)}
        raise forms.ValidationError(message)


class ClubFoundForm(ClubForm):
    """A new club: its details and the gmina it is founded in."""

    municipality = forms.ModelChoiceField(label=_("Gmina"), queryset=Municipality.objects.none())

    class Meta(ClubForm.Meta):
        fields = ["municipality", *CLUB_FIELDS]  # no point yet

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if access.is_national(user):
            # 2,479 gminas make a useless select: staff type a name (or a TERYT code).
            self.fields["municipality"] = GminaField(
                queryset=Municipality.objects.all(), to_field_name="code"
            )
        else:
            self.fields["municipality"].queryset = Municipality.objects.visible_to(
                user, {Role.COORDINATOR}
            ).select_related("powiat")
        self.order_fields(["municipality", *CLUB_FIELDS])


class ClubStatusForm(forms.Form):
    """The new status, why, and (when approving) who leads the club."""

    to_status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the club's history."),
    )
    first_leader_email = forms.EmailField(
        label=_("First leader's email address"),
        required=False,
        help_text=_(
            "Needed to approve a club that has no leader yet: we invite this person to lead it."
        ),
    )

    def __init__(self, *args, club: Club, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (value, label)
            for value, label in Club.Status.choices
            if value in ALLOWED_TRANSITIONS[club.status]
        ]
        if club.status != Club.Status.PROPOSED:
            del self.fields["first_leader_email"]


class LeaderRemoveForm(forms.Form):
    """Which leader goes, and who takes over."""

    leader = forms.ModelChoiceField(
        label=_("Leader to remove"), queryset=None, widget=forms.RadioSelect, empty_label=None
    )
    successor_email = forms.EmailField(
        label=_("Successor's email address"),
        required=False,
        help_text=_(
            "Required when removing the last leader. Someone with an account becomes "
            "leader at once; anyone else gets an invitation."
        ),
    )

    def __init__(self, *args, leaders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders
