""" "Do this in a gmina" buttons on resilience list pages (plan an exercise, add a threat).

A coordinator or leader has a few gminas: one button each. National staff have 2,479: a
picker that submits `in=<pk>` back to the list, which redirects to the create page (the
create page checks scope, so the picker needs no check of its own).
"""

from django import forms
from django.db.models import QuerySet
from django.shortcuts import redirect
from django.urls import reverse

from kos_portal.widgets import FastSelect

BUTTONS_UP_TO = 10
PICKER_PARAM = "in"


class GminaPickForm(forms.Form):
    """The gmina picker, for users with more gminas than buttons fit."""

    def __init__(self, *args, municipalities: QuerySet, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[PICKER_PARAM] = forms.ModelChoiceField(
            label=label,
            queryset=municipalities,
            empty_label=None,
            widget=FastSelect(attrs={"id": "gmina-pick"}, fields=("name",)),  # 2,479 gminas
        )


def picked_redirect(request, create_url_name: str):
    """The redirect to the create page when the picker was submitted, else None."""
    picked = request.GET.get(PICKER_PARAM, "")
    if picked.isdigit():
        return redirect(create_url_name, municipality_pk=int(picked))
    return None


def gmina_actions(municipalities: QuerySet, *, create_url_name: str, button_label, picker_label):
    """Buttons (few gminas) or a picker (many): what `_gmina_actions.html` renders.

    `button_label` is a lazy string with a `%(gmina)s` placeholder. Reads at most
    BUTTONS_UP_TO + 1 gminas.
    """
    few = list(municipalities.values_list("pk", "name")[: BUTTONS_UP_TO + 1])
    if len(few) <= BUTTONS_UP_TO:
        buttons = [
            (
                reverse(create_url_name, kwargs={"municipality_pk": pk}),
                button_label % {"gmina": name},
            )
            for pk, name in few
        ]
        return {"buttons": buttons, "picker": None}
    return {
        "buttons": [],
        "picker": GminaPickForm(municipalities=municipalities, label=picker_label),
    }
