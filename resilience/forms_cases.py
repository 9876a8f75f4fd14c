"""Input shapes for the problem-case pages. Who may do what is decided by
resilience.services.cases."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Municipality, Partner
from kos_portal import access
from kos_portal.gmina_picker import GminaField
from kos_portal.roles import Role
from resilience.models import CaseAction, Indicator, IndicatorMeasurement, ProblemCase

MANAGE_ROLES = access.RULES["resilience.manage_cases"]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_scope_fields(form: forms.Form, user, roles) -> None:
    """A club and a gmina field limited to where the user may act; the gmina field only
    for those who may act at gmina level (a TERYT code for national staff)."""
    form.fields["club"] = forms.ModelChoiceField(
        label=_("Club"),
        queryset=Club.objects.visible_to(user, roles).select_related("municipality"),
        required=False,
        empty_label=_("— none: the gmina itself —"),
        help_text=_("Leave empty for a gmina-level one."),
    )
    gmina_roles = roles & {Role.NATIONAL, Role.COORDINATOR}
    if access.is_national(user):
        # 2,479 gminas make a useless select: staff type a name (or a TERYT code).
        form.fields["municipality"] = GminaField(
            queryset=Municipality.objects.all(),
            to_field_name="code",
            required=False,
            help_text=_(
                "Only for a gmina-level one: type part of the gmina's name and choose from "
                "the list, or type its TERYT code."
            ),
        )
    elif gmina_roles and access.user_scope(user).gminas_for(gmina_roles):
        form.fields["municipality"] = forms.ModelChoiceField(
            label=_("Gmina"),
            queryset=Municipality.objects.visible_to(user, gmina_roles),
            required=False,
            help_text=_("Only for a gmina-level one."),
        )


class ProblemCaseForm(forms.ModelForm):
    """A case's description; on creation also its club or gmina."""

    class Meta:
        model = ProblemCase
        fields = ["title", "diagnosis", "stakeholders", "trust_risks", "status"]
        help_texts = {
            "diagnosis": _("What is happening, where, since when, and who is affected."),
            "stakeholders": _("Residents, institutions and groups involved or affected."),
            "trust_risks": _(
                "How the problem, or the way it is handled, could hurt trust "
                "in the gmina, the police or other services."
            ),
        }

    def __init__(self, *args, user, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            add_scope_fields(self, user, MANAGE_ROLES)
            self.order_fields(["club", "municipality"])


class CaseActionForm(forms.ModelForm):
    """An action with an optional partner from the case's gmina."""

    class Meta:
        model = CaseAction
        fields = ["description", "partner", "status"]
        help_texts = {
            "partner": _(
                "Naming a partner (e.g. the police unit) gives it no access to the portal."
            ),
        }

    def __init__(self, *args, case: ProblemCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(
            municipality_id=case.municipality_id
        ).order_by("kind", "name")


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["name", "unit", "baseline", "target"]
        help_texts = {
            "name": _("E.g. “reported incidents of vandalism per month”."),
            "unit": _("Optional, e.g. “incidents” or “%”."),
            "baseline": _("The value before the actions started."),
            "target": _("The value the actions aim for."),
        }


class MeasurementForm(forms.ModelForm):
    class Meta:
        model = IndicatorMeasurement
        fields = ["measured_on", "value"]
        widgets = {"measured_on": DATE_WIDGET}
