"""Filters for club lists. They narrow a queryset that is already scoped to the user."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Municipality, Pillar, Powiat, Voivodeship
from kos_portal import access
from kos_portal.gmina_picker import GminaField
from kos_portal.text import search_words
from kos_portal.widgets import FastSelect

# Sort keys users may ask for -> the columns they sort by. Nothing else reaches order_by().
SORT_KEYS = {
    "name": ("name",),
    "gmina": ("municipality__name", "name"),
    "status": ("status", "name"),
    "founded": ("founded_on", "name"),
}
SORT_LABELS = {
    "name": _("Club"),
    "gmina": _("Gmina"),
    "status": _("Status"),
    "founded": _("Founded"),
}


def _sort_choices():
    choices = []
    for key, label in SORT_LABELS.items():
        choices.append((key, label))
        choices.append((f"-{key}", _("%(column)s (descending)") % {"column": label}))
    return choices


class ClubFilter(django_filters.FilterSet):
    """Territory, status, pillar, free text and sort order. Codes, not ids, in the URL."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    voivodeship = django_filters.ModelChoiceFilter(
        label=_("Voivodeship"),
        field_name="municipality__powiat__voivodeship",
        queryset=Voivodeship.objects.none(),
        to_field_name="code",
        empty_label=_("All"),
    )
    powiat = django_filters.ModelChoiceFilter(
        label=_("Powiat"),
        widget=FastSelect,  # 380 powiats for national staff
        field_name="municipality__powiat",
        queryset=Powiat.objects.none(),
        to_field_name="code",
        empty_label=_("All"),
    )
    gmina = django_filters.ModelChoiceFilter(
        label=_("Gmina"),
        field_name="municipality",
        queryset=Municipality.objects.none(),
        to_field_name="code",
        empty_label=_("All"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Club.Status.choices, empty_label=_("All")
    )
    pillar = django_filters.ModelChoiceFilter(
        label=_("Pillar"),
        field_name="pillars",
        queryset=Pillar.objects.all(),
        to_field_name="code",
        empty_label=_("All"),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=_sort_choices,
        method="filter_sort",
        empty_label=None,  # the first choice, by club name, is the default
    )

    class Meta:
        model = Club
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        gminas = Municipality.objects.visible_to(user)
        fields = self.form.fields
        if access.is_national(user):
            fields["voivodeship"].queryset = Voivodeship.objects.all()
            fields["powiat"].queryset = Powiat.objects.select_related("voivodeship")
            fields["powiat"].label_from_instance = lambda p: f"{p.name} ({p.voivodeship.name})"
            # 2,479 gminas make a useless select: national staff type a name (or a code).
            fields["gmina"] = GminaField(
                queryset=Municipality.objects.all(), to_field_name="code", required=False
            )
        else:
            fields["voivodeship"].queryset = Voivodeship.objects.filter(
                powiats__municipalities__in=gminas
            ).distinct()
            fields["powiat"].queryset = Powiat.objects.filter(municipalities__in=gminas).distinct()
            fields["gmina"].queryset = gminas

    def filter_text(self, queryset, name, value):
        """Folded words: "zolk" and "ŻÓŁK" find "Żółkiewka", on SQLite as on PostgreSQL."""
        return search_words(queryset, "search_text", value)

    def filter_sort(self, queryset, name, value):
        descending = value.startswith("-")
        columns = SORT_KEYS[value.lstrip("-")]
        order = [f"-{columns[0]}" if descending else columns[0], *columns[1:], "pk"]
        return queryset.order_by(*order)

    def sort_headers(self) -> dict[str, dict]:
        """Per sortable column: the sort value its header link asks for, and its aria-sort."""
        current = (self.form.cleaned_data.get("sort") if self.is_bound else "") or "name"
        headers = {}
        for key, label in SORT_LABELS.items():
            if current == key:
                headers[key] = {"label": label, "next": f"-{key}", "aria": "ascending"}
            elif current == f"-{key}":
                headers[key] = {"label": label, "next": key, "aria": "descending"}
            else:
                headers[key] = {"label": label, "next": key, "aria": ""}
        return headers
