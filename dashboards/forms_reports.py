"""Input shape of a report request: a year the gmina has data for. The rules live in
dashboards.services.reports."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ReportRequestForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        # Default: last year (the year a report is usually asked for), if it can be chosen.
        last_year = years[0] - 1 if years else None
        self.fields["year"].initial = last_year if last_year in years else years[0]
