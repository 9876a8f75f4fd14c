"""Input shapes for the pulse: making a survey, and the public answer form."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clubs.forms.public import HoneypotMixin
from kos_portal import access
from resilience.forms_cases import DATE_WIDGET, add_scope_fields
from resilience.models import Exercise, Survey
from resilience.services.pulse import QUESTIONS
from training.models import Session

MANAGE_ROLES = access.RULES["resilience.manage_surveys"]
# Surveys follow recent events: older or far-off ones would only lengthen the lists.
RECENT_DAYS, UPCOMING_DAYS = 120, 60

LIKERT_CHOICES = [
    (1, _("1 – strongly disagree")),
    (2, _("2 – disagree")),
    (3, _("3 – neither agree nor disagree")),
    (4, _("4 – agree")),
    (5, _("5 – strongly agree")),
]


class SurveyForm(forms.ModelForm):
    """A new survey: its kind, what it follows or whom it asks, its title and dates."""

    class Meta:
        model = Survey
        fields = ["kind", "session", "exercise", "title", "opens_on", "closes_on"]
        widgets = {
            "kind": forms.RadioSelect,
            "opens_on": DATE_WIDGET,
            "closes_on": DATE_WIDGET,
        }
        labels = {"session": _("Training session"), "exercise": _("Exercise")}
        help_texts = {
            "session": _("For a survey after a session."),
            "exercise": _("For a survey after an exercise."),
            "closes_on": _("Optional. After this day the link shows that the survey has closed."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        window = (now - timedelta(days=RECENT_DAYS), now + timedelta(days=UPCOMING_DAYS))
        self.fields["session"].queryset = (
            Session.objects.visible_to(user)
            .filter(starts_at__range=window)
            .select_related("course", "club")
            .order_by("-starts_at")
        )
        self.fields["exercise"].queryset = (
            Exercise.objects.visible_to(user, MANAGE_ROLES)
            .filter(starts_at__range=window)
            .order_by("-starts_at")
        )
        self.fields["kind"].choices = Survey.Kind.choices
        add_scope_fields(self, user, MANAGE_ROLES)
        self.fields["club"].help_text = _(
            "For a periodic survey: the club whose residents are asked. Leave empty for the "
            "whole gmina."
        )
        self.order_fields(["kind", "session", "exercise", "club", "municipality", "title"])


class SurveyAnswerForm(HoneypotMixin, forms.Form):
    """The public answer: five statements on a 1–5 scale, each a group of radio buttons
    (rendered as a fieldset with the statement as its legend)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        website = self.fields.pop("website")
        for field, text in QUESTIONS:
            self.fields[field] = forms.TypedChoiceField(
                label=text,
                choices=LIKERT_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer from 1 to 5.")},
            )
        self.fields["website"] = website  # the honeypot goes last, out of sight

    def answers(self) -> dict[str, int]:
        return {field: self.cleaned_data[field] for field, _text in QUESTIONS}
