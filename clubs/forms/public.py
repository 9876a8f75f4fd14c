"""Input shapes for the public pages: the directory filter, the contact form and the
"start a club" form. Whether a proposal may be made is decided by the service."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Municipality, Pillar, Powiat, Voivodeship
from kos_portal.gmina_picker import GminaField
from kos_portal.text import search_words

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()-]{6,20}$")
HONEYPOT_HELP = _("Leave this field empty. It is here to catch automated spam.")


class HoneypotMixin(forms.Form):
    """A field people never see (kept off screen by CSS) and bots fill in.

    A filled-in honeypot is not an error shown to the sender: the view answers as if all
    went well and stores nothing, so a bot learns nothing.
    """

    website = forms.CharField(
        label=_("Website"),
        required=False,
        help_text=HONEYPOT_HELP,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class PublicClubFilter(django_filters.FilterSet):
    """Directory filters; voivodeship, powiat and gmina are chosen by TERYT code."""

    q = django_filters.CharFilter(label=_("Search by name or locality"), method="filter_q")
    voivodeship = django_filters.ModelChoiceFilter(
        label=_("Voivodeship"),
        field_name="municipality__powiat__voivodeship",
        to_field_name="code",
        queryset=Voivodeship.objects.filter(is_current=True),
        empty_label=_("All voivodeships"),
    )
    powiat = django_filters.ModelChoiceFilter(
        label=_("Powiat"),
        field_name="municipality__powiat",
        to_field_name="code",
        queryset=Powiat.objects.none(),
        empty_label=_("All powiats"),
    )
    gmina = django_filters.ModelChoiceFilter(
        label=_("Gmina"),
        field_name="municipality",
        to_field_name="code",
        queryset=Municipality.objects.none(),
        empty_label=_("All gminas"),
    )
    pillar = django_filters.ModelChoiceFilter(
        label=_("Pillar"),
        field_name="pillars",
        to_field_name="code",
        queryset=Pillar.objects.all(),
        empty_label=_("All pillars"),
    )

    class Meta:
        model = Club
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        data = data or {}
        voivodeship = data.get("voivodeship") or ""
        powiat = data.get("powiat") or ""
        gmina = data.get("gmina") or ""
        # 380 powiats and 2,479 gminas make useless selects: offer the ones inside the
        # chosen area, and accept a code from a link (the gmina alone) as it is.
        # No code chosen: an empty select, without asking the database for it.
        powiats = Powiat.objects.filter(is_current=True)
        if voivodeship:
            powiats = powiats.filter(voivodeship__code=voivodeship)
        else:
            powiats = powiats.filter(code=powiat) if powiat else powiats.none()
        self.filters["powiat"].queryset = powiats
        gminas = Municipality.objects.filter(is_current=True)
        if powiat:
            gminas = gminas.filter(powiat__code=powiat)
        elif voivodeship:
            gminas = gminas.filter(powiat__voivodeship__code=voivodeship)
        else:
            gminas = gminas.filter(code=gmina) if gmina else gminas.none()
        self.filters["gmina"].queryset = gminas

    def filter_q(self, queryset, name, value):
        return search_words(queryset, "search_text", value)


class ContactForm(HoneypotMixin):
    """A message to a club from its public page."""

    sender_name = forms.CharField(label=_("Your name"), max_length=200)
    sender_email = forms.EmailField(
        label=_("Your email"),
        help_text=_("The club replies to this address. It is not shown on the page."),
    )
    message = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("At most 5,000 characters."),
    )

    field_order = ["sender_name", "sender_email", "message", "website"]


class ClubProposalForm(HoneypotMixin):
    """The public "start a club" form. The gmina is chosen with the gmina picker (a name
    from its suggestions, or a TERYT code)."""

    proposer_name = forms.CharField(label=_("Your name"), max_length=200)
    proposer_email = forms.EmailField(label=_("Your email"))
    proposer_phone = forms.CharField(
        label=_("Your phone (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    municipality = GminaField(to_field_name="code")
    name = forms.CharField(label=_("Proposed club name"), max_length=200)
    locality = forms.CharField(
        label=_("Locality"),
        max_length=100,
        help_text=_("The town or village where the club would meet."),
    )
    pillars = forms.ModelMultipleChoiceField(
        label=_("Pillars of interest"),
        required=False,
        queryset=Pillar.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("About the club"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who would take part, which partners you have in mind, what you need."),
    )

    def clean_proposer_phone(self) -> str:
        phone = self.cleaned_data["proposer_phone"].strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise forms.ValidationError(
                _("Enter a phone number of digits, spaces and an optional leading +.")
            )
        return phone
