"""Input shapes for the catalogue pages. The catalogue's rules (pass marks, prerequisite
loops, unique codes) are checked by training.services.catalogue for every caller."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Pillar
from training.models import Course
from training.selectors_catalogue import CROSS_PILLAR


def pillar_filter_choices() -> list[tuple[str, str]]:
    choices = [("", _("All pillars"))]
    choices += [(pillar.code, pillar.name) for pillar in Pillar.objects.order_by("number")]
    choices.append((CROSS_PILLAR, _("Cross-pillar (ZPOS)")))
    return choices


class CourseFilterForm(forms.Form):
    pillar = forms.ChoiceField(label=_("Pillar"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    offered = forms.ChoiceField(
        label=_("Offered"),
        required=False,
        choices=[("", _("All")), ("yes", _("Offered")), ("no", _("Retired"))],
    )

    def __init__(self, *args, show_offered: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pillar"].choices = pillar_filter_choices()
        if not show_offered:
            del self.fields["offered"]


class CourseForm(forms.ModelForm):
    """A course's fields; the model's own validation is left to the service."""

    class Meta:
        model = Course
        fields = [
            "code",
            "title",
            "title_en",
            "pillar",
            "description",
            "learning_outcomes",
            "hours",
            "minimum_age",
            "prerequisites",
            "passing_rule",
            "pass_mark",
            "minimum_attendance_percent",
            "validity_months",
            "requires_course_qualification",
            "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "learning_outcomes": forms.Textarea(attrs={"rows": 6}),
            "prerequisites": forms.CheckboxSelectMultiple,
            "passing_rule": forms.RadioSelect,
        }
        help_texts = {
            "pillar": _("Leave empty for a cross-pillar course (ZPOS)."),
            "learning_outcomes": _("One outcome a line."),
            "pass_mark": _("Points of 100; needed when the course is passed by assessment."),
            "requires_course_qualification": _(
                "Otherwise a verified qualification for the course's pillar is enough. "
                "Courses without a pillar always need one for the course itself."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pillar"].empty_label = _("None – cross-pillar (ZPOS)")
        prerequisites = Course.objects.select_related("pillar").order_by("code")
        if self.instance.pk:
            prerequisites = prerequisites.exclude(pk=self.instance.pk)
        self.fields["prerequisites"].queryset = prerequisites

    def _post_clean(self):
        # ModelForm would run the model's full_clean (constraints included) and report
        # them in its own words; the service does it with the catalogue's messages.
        pass
