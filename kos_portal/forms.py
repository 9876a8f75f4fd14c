"""How every Django form renders (settings.FORM_RENDERER): one shared form and field
template mark the required fields and put each error at its own field."""

from django.forms.renderers import DjangoTemplates

# Django's own templates for {{ form }}, form.as_div and field groups, and ours instead.
# (as_div names "django/forms/div.html" directly, so form_template_name alone misses it.)
OURS = {
    "django/forms/div.html": "forms/div.html",
    "django/forms/field.html": "forms/field.html",
}


class FormRenderer(DjangoTemplates):
    """Django's renderer with our form and field templates (kos_portal/templates/forms/).
    Templates that lay a form out by hand keep doing so."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"

    def get_template(self, template_name):
        return super().get_template(OURS.get(template_name, template_name))
