"""The shared form templates (settings.FORM_RENDERER): required fields are marked, and each
error is shown at its field and named by the input's aria-describedby."""

from django import forms
from django.utils import translation


class _Form(forms.Form):
    name = forms.CharField(label="Name")
    note = forms.CharField(label="Note", required=False)


def test_required_fields_are_marked_once_and_optional_ones_are_not():
    html = _Form().as_div()
    assert html.count("required-note") == 1
    assert '<label for="id_name">Name: <span class="required-mark" aria-hidden="true">*' in html
    assert '<label for="id_note">Note:</label>' in html
    assert '<div class="field required">' in html


def test_an_error_is_shown_at_its_field_in_polish():
    with translation.override("pl"):
        form = _Form({"name": ""})
        html = form.as_div()
    field = html[html.index('class="field required has-error"') :]
    assert field.index("To pole jest wymagane.") < field.index('name="name"')
    assert 'aria-describedby="id_name_error"' in html
    assert html.count("To pole jest wymagane.") == 1
