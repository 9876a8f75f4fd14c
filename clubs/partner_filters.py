"""The filters, search and sort of the partner list (django-filter). Shapes only: the
queryset they narrow already comes from `Partner.objects.visible_to(user)`."""

import django_filters
from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from clubs.models import Municipality, Partner, Powiat, Voivodeship
from kos_portal.text import search_words
from kos_portal.widgets import FastSelect

OFFERS = [
    ("venue", _("a venue")),
    ("equipment", _("equipment")),
    ("instructors", _("instructors")),
    ("funding", _("funding")),
    ("other", _("something else")),
]
YES_NO = [("", _("any")), ("true", _("yes")), ("false", _("no"))]


class _ShownChoices(ModelChoiceIterator):
    """The options a select shows, narrower than the queryset the field accepts."""

    def __init__(self, field, queryset):
        super().__init__(field)
        self.queryset = queryset


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sort by a whitelisted column, then by name and pk, so pages never overlap."""

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or []]
        return qs.order_by(*ordering, "name", "pk")


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Name, address or contact person."),
    )
    voivodeship = django_filters.ModelChoiceFilter(
        label=_("Voivodeship"),
        field_name="municipality__powiat__voivodeship",
        queryset=Voivodeship.objects.none(),
        empty_label=_("all"),
    )
    powiat = django_filters.ModelChoiceFilter(
        label=_("Powiat"),
        widget=FastSelect,  # 380 powiats for national staff
        field_name="municipality__powiat",
        queryset=Powiat.objects.none(),
        empty_label=_("all"),
    )
    gmina = django_filters.ModelChoiceFilter(
        label=_("Gmina"),
        field_name="municipality",
        queryset=Municipality.objects.none(),
        empty_label=_("all"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Partner.Kind.choices, empty_label=_("all")
    )
    ksrg = django_filters.TypedChoiceFilter(
        label=_("KSRG member"),
        field_name="is_ksrg",
        choices=YES_NO,
        coerce=lambda value: value == "true",
        empty_value=None,
    )
    offers = django_filters.MultipleChoiceFilter(
        label=_("Offers"),
        choices=OFFERS,
        method="filter_offers",
        widget=forms.CheckboxSelectMultiple,
    )
    sort = StableOrderingFilter(
        label=_("Sort by"),
        fields=[
            ("name", "name"),
            ("kind", "kind"),
            ("municipality__name", "gmina"),
            ("municipality__powiat__name", "powiat"),
            ("municipality__powiat__voivodeship__name", "voivodeship"),
            ("is_ksrg", "ksrg"),
        ],
    )

    class Meta:
        model = Partner
        fields: list[str] = []

    def __init__(self, *args, gminas, national: bool = False, **kwargs):
        """`gminas`: the user's visible gminas, which bound the place filters' choices.

        `national`: the whole country; its 2,479 gminas are listed only within the chosen
        voivodeship or powiat.
        """
        super().__init__(*args, **kwargs)
        data = self.data or {}
        fields = self.form.fields
        fields["voivodeship"].queryset = Voivodeship.objects.filter(
            pk__in=gminas.values("powiat__voivodeship")
        ).order_by("name")
        powiats = Powiat.objects.filter(pk__in=gminas.values("powiat")).order_by("name")
        if data.get("voivodeship", "").isdigit():
            powiats = powiats.filter(voivodeship_id=data["voivodeship"])
        fields["powiat"].queryset = powiats
        fields["gmina"].queryset = gminas.order_by("name")
        # Offer only the gminas of the chosen powiat (or voivodeship) in the select; any
        # visible gmina is still accepted, so links with ?gmina=<id> work.
        shown = gminas.order_by("name", "code")
        selected = data.get("gmina", "")
        selected = Q(pk=selected) if selected.isdigit() else Q(pk__in=[])
        if data.get("powiat", "").isdigit():
            shown = shown.filter(Q(powiat_id=data["powiat"]) | selected)
        elif data.get("voivodeship", "").isdigit():
            shown = shown.filter(Q(powiat__voivodeship_id=data["voivodeship"]) | selected)
        elif national:
            shown = shown.filter(selected)
            fields["gmina"].help_text = _("Choose a voivodeship or powiat to list its gminas.")
        fields["gmina"].widget.choices = _ShownChoices(fields["gmina"], shown)

    def filter_text(self, queryset, name, value):
        return search_words(queryset, "search_text", value)

    def filter_offers(self, queryset, name, value):
        condition = Q()
        for offer in value:
            if offer == "other":
                condition &= ~Q(offers_other="")
            else:
                condition &= Q(**{f"offers_{offer}": True})
        return queryset.filter(condition)
