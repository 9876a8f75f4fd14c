"""Form widgets for long choice lists."""

from html import escape

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.safestring import mark_safe


def _escape(value) -> str:
    """Django's conditional_escape without its lazy-string wrapper (the slow part here)."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html, in Python."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
        )
    return "".join(parts)


class FastSelect(forms.Select):
    """Django's Select, with the same HTML built in Python rather than one template per
    <option>: a national filter offers 2,500 clubs or 2,479 gminas, and rendering them
    took about 0.1 s per page (issue #7).

    For a model choice field, `fields` (with `label`, which gets their values) reads just
    those columns instead of whole model instances: `FastSelect(fields=("name",))` for a
    model whose __str__ is its name.
    """

    def __init__(self, attrs=None, choices=(), *, fields=None, label=None):
        super().__init__(attrs, choices)
        self.value_fields = tuple(fields or ())
        self.label_of = label or (lambda *values: values[0])

    def render(self, name, value, attrs=None, renderer=None):
        # Widget.get_context, not ChoiceWidget's: its optgroups() builds a dict per option.
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        chosen = set(widget["value"])
        state = {"selected": False}
        parts = [f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for option_value, option_label in self._fast_choices():
            if isinstance(option_label, (list, tuple)):
                parts.append(f'\n  <optgroup label="{_escape(option_value)}">')
                parts.extend(self._option(v, label, chosen, state) for v, label in option_label)
                parts.append("\n  </optgroup>")
            else:
                parts.append(self._option(option_value, option_label, chosen, state))
        parts.append("\n</select>")
        return mark_safe("".join(parts))

    def _fast_choices(self):
        if not (self.value_fields and isinstance(self.choices, ModelChoiceIterator)):
            yield from self.choices
            return
        field = self.choices.field
        if field.empty_label is not None:
            yield "", field.empty_label
        key = field.to_field_name or "pk"
        for key_value, *values in field.queryset.values_list(key, *self.value_fields):
            yield key_value, self.label_of(*values)

    def _option(self, value, label, chosen: set, state: dict) -> str:
        value = "" if value is None else str(value)
        # Like ChoiceWidget.optgroups: only the first match is selected in a single select.
        selected = value in chosen and (self.allow_multiple_selected or not state["selected"])
        state["selected"] |= selected
        mark = " selected" if selected else ""
        return f'\n  <option value="{_escape(value)}"{mark}>{_escape(label)}</option>\n'


class IsoDateInput(forms.DateInput):
    """<input type="date">, whose value must be ISO (2026-12-14) whatever the language:
    the localized rendering ("14.12.2026" in Polish) leaves the browser's field empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class IsoTimeInput(forms.TimeInput):
    """<input type="time"> with an ISO value (17:30), for the same reason."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class DatalistInput(forms.TextInput):
    """A text input that suggests `options` (the browser's own list: accessible, no
    script). Free text stays possible; the form decides whether it is accepted."""

    def __init__(self, *args, options: list[str], list_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.options, self.list_id = options, list_id
        self.attrs["list"] = list_id

    def render(self, name, value, attrs=None, renderer=None):
        from django.utils.html import format_html, format_html_join

        field = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}"></option>', ((o,) for o in self.options))
        return format_html('{}<datalist id="{}">{}</datalist>', field, self.list_id, options)
