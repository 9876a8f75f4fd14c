"""Input shapes for exercises, participation, reviews and corrective actions. The rules
live in resilience.services.exercises."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Partner, Pillar
from resilience.models import CorrectiveAction, ExerciseParticipation, Threat
from training.models import Course

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
GMINA_LEVEL = "gmina"


class ExerciseForm(forms.Form):
    organiser = forms.ChoiceField(label=_("Organised by"))
    title = forms.CharField(label=_("Title"), max_length=200)
    scenario = forms.CharField(label=_("Scenario"), widget=forms.Textarea)
    threat = forms.ModelChoiceField(
        label=_("Threat exercised"), queryset=Threat.objects.none(), required=False
    )
    objectives = forms.CharField(label=_("Objectives"), widget=forms.Textarea, required=False)
    pillars = forms.ModelMultipleChoiceField(
        label=_("Pillars exercised"),
        queryset=Pillar.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    starts_at = forms.DateTimeField(label=_("Date and time"), widget=DATETIME_WIDGET)
    place = forms.CharField(label=_("Place"), max_length=250)
    partners = forms.ModelMultipleChoiceField(
        label=_("Partner institutions"),
        queryset=Partner.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    evaluators = forms.CharField(
        label=_("Evaluators"),
        max_length=500,
        required=False,
        help_text=_("Names and institutions of the people who evaluate the exercise."),
    )

    def __init__(self, *args, municipality, clubs, gmina_level_allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(club.pk), club.name) for club in clubs]
        if gmina_level_allowed:
            label = _("The gmina (%(name)s) – for all its clubs") % {"name": municipality.name}
            choices.insert(0, (GMINA_LEVEL, label))
        self.fields["organiser"].choices = choices
        self.fields["threat"].queryset = municipality.threats.all()
        self.fields["partners"].queryset = Partner.objects.filter(
            municipality=municipality
        ).order_by("name")


class ParticipationForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Member"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=ExerciseParticipation.Role.choices)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class ParticipationRemoveForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)


class AttendanceForm(forms.Form):
    attended = forms.ModelMultipleChoiceField(
        label=_("Took part"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, participations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].queryset = participations
        self.fields["attended"].label_from_instance = lambda p: (
            f"{p.member} ({p.get_role_display()})"
        )


class ReviewForm(forms.Form):
    went_well = forms.CharField(label=_("What went well"), widget=forms.Textarea)
    went_badly = forms.CharField(label=_("What did not go well"), widget=forms.Textarea)
    lessons = forms.CharField(label=_("Lessons learned"), widget=forms.Textarea)


class ActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), widget=forms.Textarea)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due on"), widget=DATE_WIDGET)
    status = forms.ChoiceField(label=_("Status"), choices=CorrectiveAction.Status.choices)
    suggested_course = forms.ModelChoiceField(
        label=_("Suggested course"),
        queryset=Course.objects.filter(is_active=True),
        required=False,
        help_text=_("The action becomes a training need until it is done."),
    )
    scheduled_session = forms.ModelChoiceField(
        label=_("Scheduled session"), queryset=None, required=False
    )

    def __init__(self, *args, owners, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["scheduled_session"].queryset = sessions
