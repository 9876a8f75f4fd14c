"""One gmina picker for every form: type part of a name, choose from the list.

People do not know TERYT codes. `GminaField` takes what they type: a gmina chosen from
the suggestions (its pk or code, posted by static/js/gmina_picker.js), a 7-digit TERYT
code, the gmina's exact name when only one gmina has it, or a whole suggestion label
("Piaseczno (gm. miejsko-wiejska, pow. piaseczyński, mazowieckie)"). A name shared by
several gminas ("Nowa Wieś") is refused with the list of them. Without JavaScript the
widget is a plain text input and all of that still works.

Matching folds Polish letters (kos_portal.text.fold): "zlotoklos" finds "Złotokłos". The
folded names of the 2,479 gminas are kept per process; saving or deleting a gmina, powiat
or voivodeship, or a change in the number of gminas, rebuilds the list.
"""

from __future__ import annotations

import re

from django import forms
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.http import JsonResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from clubs.models import Municipality, Powiat, Voivodeship
from kos_portal.text import fold

SUGGESTION_LIMIT = 20
SUGGESTION_RATE = "120/m"  # a person types a few letters a second; a scraper gets stopped
CLOSE_MATCHES = 5
KIND_SHORT = {
    Municipality.Kind.URBAN: pgettext_lazy("gmina kind, short", "urban gm."),
    Municipality.Kind.RURAL: pgettext_lazy("gmina kind, short", "rural gm."),
    Municipality.Kind.URBAN_RURAL: pgettext_lazy("gmina kind, short", "urban-rural gm."),
}

_names: dict = {"fingerprint": None, "rows": []}


def _forget(**kwargs) -> None:
    _names["fingerprint"] = None


for _model in (Municipality, Powiat, Voivodeship):
    post_save.connect(_forget, sender=_model, dispatch_uid=f"gmina-picker-{_model.__name__}")
    post_delete.connect(_forget, sender=_model, dispatch_uid=f"gmina-picker-d-{_model.__name__}")


def _folded_names() -> list[tuple[int, str]]:
    """(pk, folded name) of every gmina, rebuilt when the table changed."""
    fingerprint = tuple(Municipality.objects.aggregate(n=Count("pk"), last=Max("pk")).values())
    if _names["fingerprint"] != fingerprint:
        rows = Municipality.objects.values_list("pk", "name")
        _names["rows"] = [(pk, fold(name)) for pk, name in rows]
        _names["fingerprint"] = fingerprint
    return _names["rows"]


def gmina_label(gmina: Municipality) -> str:
    """ "Piaseczno (gm. miejsko-wiejska, pow. piaseczyński, mazowieckie)": names repeat
    across powiats, so a choice always says where it is."""
    return _("%(name)s (%(kind)s, pow. %(powiat)s, %(voivodeship)s)") % {
        "name": gmina.name,
        "kind": KIND_SHORT.get(gmina.kind, gmina.get_kind_display()),
        "powiat": gmina.powiat.name,
        "voivodeship": gmina.powiat.voivodeship.name.lower(),
    }


def _rank(typed: str, name: str) -> int | None:
    """0 for the same name, 1 for a name that starts so, 2 for a word that starts so,
    3 for a name with every typed word in it; None for no match."""
    if name == typed:
        return 0
    if name.startswith(typed):
        return 1
    if any(word.startswith(typed) for word in re.split(r"[\s-]+", name)):
        return 2
    if all(word in name for word in typed.split()):
        return 3
    return None


def gmina_matches(typed: str, *, queryset=None, limit: int | None = SUGGESTION_LIMIT) -> list:
    """Gminas of `queryset` (current ones by default) whose name matches the typed text,
    best first: same name, then names starting so, then the rest, each by name."""
    queryset = Municipality.objects.filter(is_current=True) if queryset is None else queryset
    key = fold(typed)
    if not key:
        return []
    if key.isdigit():
        found = queryset.filter(code__startswith=key).select_related("powiat__voivodeship")
        return list(found.order_by("code")[:limit])
    ranked = []
    for pk, name in _folded_names():
        rank = _rank(key, name)
        if rank is not None:
            ranked.append((rank, name, pk))
    ranked.sort()
    # Ask for a few more than the limit: `queryset` may leave some out.
    order = {pk: (rank, name) for rank, name, pk in ranked[: None if limit is None else limit * 5]}
    rows = queryset.filter(pk__in=order).select_related("powiat__voivodeship")
    # Gminas of one name by powiat, as people tell them apart.
    return sorted(rows, key=lambda gmina: (*order[gmina.pk], fold(gmina.powiat.name)))[:limit]


@require_GET
def gmina_suggestions(request):
    """The picker's list: at most 20 current gminas matching ?q=, as JSON. Public."""
    if is_ratelimited(
        request,
        group="kos_portal.gmina-suggestions",
        key="ip",
        rate=SUGGESTION_RATE,
        method="GET",
        increment=True,
    ):
        return JsonResponse({"results": [], "error": str(_("Too many requests."))}, status=429)
    typed = request.GET.get("q", "")[:100]
    results = [
        {"pk": gmina.pk, "code": gmina.code, "label": gmina_label(gmina)}
        for gmina in gmina_matches(typed)
    ]
    return JsonResponse({"results": results})


class GminaPicker(forms.TextInput):
    """A text input that static/js/gmina_picker.js turns into an ARIA combobox.

    The script moves the input's name to a hidden input that carries the chosen gmina's
    key (pk or code, `data-key`) or, until one is chosen, the typed text.
    """

    template_name = "forms/gmina_picker.html"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.key = "pk"
        self.queryset = Municipality.objects.all()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        gmina = value if isinstance(value, Municipality) else None
        text = "" if value is None else str(value).strip()
        if gmina is None and text.isdigit():
            gmina = self.queryset.filter(**{self.key: text}).first()
        if gmina is not None:
            context["widget"]["value"] = gmina_label(gmina)
            context["widget"]["key_value"] = getattr(gmina, self.key)
        context["widget"].update(key=self.key, url=reverse_lazy("gmina-suggestions"))
        return context


class GminaField(forms.ModelChoiceField):
    """A gmina chosen with the picker; cleans to a Municipality of `queryset`.

    `to_field_name="code"` where the form (or a URL) speaks TERYT codes, else the pk.
    """

    widget = GminaPicker
    default_error_messages = {
        "invalid_choice": _("No gmina has this TERYT code."),
    }

    def __init__(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = Municipality.objects.filter(is_current=True)
        kwargs.setdefault("label", _("Gmina"))
        kwargs.setdefault(
            "help_text",
            _("Type part of the name and choose from the list, or type the 7-digit TERYT code."),
        )
        kwargs.setdefault("empty_label", None)
        super().__init__(queryset, **kwargs)
        self.widget.key = self.to_field_name or "pk"

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        self.widget.queryset = self.queryset

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def prepare_value(self, value):
        if isinstance(value, Municipality):
            return getattr(value, self.to_field_name or "pk")
        return super().prepare_value(value)

    def to_python(self, value):
        if isinstance(value, Municipality):
            return value
        text = " ".join(str(value or "").split())
        if text in self.empty_values:
            return None
        if re.fullmatch(r"\d{7}", text):
            return self._get(code=text)
        if text.isdigit():
            if self.to_field_name in (None, "pk", "id"):
                return self._get(pk=text)
            raise forms.ValidationError(
                _("Enter the 7-digit TERYT code of the gmina."), code="invalid"
            )
        return self._by_name(text)

    def _get(self, **lookup) -> Municipality:
        gmina = self.queryset.filter(**lookup).select_related("powiat__voivodeship").first()
        if gmina is None:
            message = self.error_messages["invalid_choice"]
            raise forms.ValidationError(message, code="invalid_choice")
        return gmina

    def _by_name(self, text: str) -> Municipality:
        name = text.split(" (", 1)[0]
        candidates = gmina_matches(name, queryset=self.queryset, limit=None)
        same = [gmina for gmina in candidates if fold(gmina.name) == fold(name)]
        if len(same) > 1 and "(" in text:  # a whole label, as the suggestions give it
            same = [gmina for gmina in same if fold(gmina_label(gmina)) == fold(text)] or same
        if len(same) == 1:
            return same[0]
        if same:
            raise forms.ValidationError(
                _(
                    "Several gminas are called “%(name)s”: %(choices)s. Type the TERYT code "
                    "of yours (in brackets) or choose it from the list."
                ),
                code="ambiguous",
                params={"name": name, "choices": _choices(same)},
            )
        if candidates:
            raise forms.ValidationError(
                _("No gmina is called “%(name)s”. Did you mean: %(choices)s?"),
                code="invalid_choice",
                params={"name": name, "choices": _choices(candidates[:CLOSE_MATCHES])},
            )
        raise forms.ValidationError(
            _(
                "No gmina is called “%(name)s”. Type part of its name and choose from the "
                "list, or type its 7-digit TERYT code."
            ),
            code="invalid_choice",
            params={"name": name},
        )


def _choices(gminas) -> str:
    return "; ".join(f"{gmina_label(gmina)} [{gmina.code}]" for gmina in gminas)
