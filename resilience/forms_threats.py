"""Input shapes for the threat register. The rules live in resilience.services.threats."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Municipality, Pillar
from kos_portal.widgets import FastSelect
from resilience.models import Threat
from resilience.selectors_threats import LEVELS, gmina_people, municipalities_for

SCALE_CHOICES = [(n, str(n)) for n in range(1, 6)]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ThreatForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Threat.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    likelihood = forms.TypedChoiceField(
        label=_("Likelihood"),
        choices=SCALE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 = very unlikely, 5 = almost certain"),
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"),
        choices=SCALE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 = minor, 5 = catastrophic"),
    )
    pillars = forms.ModelMultipleChoiceField(
        label=_("Pillars that address it"),
        queryset=Pillar.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    review_due_on = forms.DateField(label=_("Next review"), widget=DATE_WIDGET)

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        # Only people with a role in this gmina can own its threats.
        self.fields["owner"].queryset = gmina_people(municipality)


class ThreatFilterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Gmina"),
        queryset=None,
        required=False,
        empty_label=_("All my gminas"),
        widget=FastSelect(fields=("name", "kind")),  # national staff: 2,479 gminas
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Threat.Kind.choices], required=False
    )
    level = forms.ChoiceField(
        label=_("Risk level"),
        choices=[("", _("All levels")), *((key, v[0]) for key, v in LEVELS.items())],
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities_for(user)
        # Municipality.__str__, with the kinds translated once rather than once per gmina.
        kinds = {value: str(label) for value, label in Municipality.Kind.choices}
        self.fields["municipality"].widget.label_of = lambda name, kind: f"{name} ({kinds[kind]})"


class ThreatReviewForm(forms.Form):
    next_review_on = forms.DateField(label=_("Next review"), widget=DATE_WIDGET)
