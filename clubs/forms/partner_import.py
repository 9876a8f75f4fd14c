"""Forms of the partner import: upload, column mapping, confirmation. Shape checks only;
the file's content is checked by clubs.services.partner_import."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from clubs.models import Partner
from clubs.services.partner_formats import TARGET_FIELDS

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # the whole country's OSP units are about 2.5 MB
ONLY_MY_GMINAS_LABEL = _(
    "Only my gminas: skip the rows of other gminas (for a national or voivodeship file)"
)


class PartnerImportForm(forms.Form):
    """The CSV or XLSX file for the web import."""

    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "UTF-8 or Windows-1250 (Excel “CSV”), separated by commas, semicolons or tabs, or "
            "an XLSX workbook. At most 30,000 rows and 20 MB."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    only_my_gminas = forms.BooleanField(label=ONLY_MY_GMINAS_LABEL, required=False)

    def __init__(self, *args, national: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if national:  # national staff have every gmina: nothing to skip
            del self.fields["only_my_gminas"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class PartnerImportConfirmForm(forms.Form):
    """The signed reference to the file checked in the dry run, and how to read it."""

    token = forms.CharField(widget=forms.HiddenInput)
    mapping = forms.CharField(widget=forms.HiddenInput, required=False)
    default_kind = forms.CharField(widget=forms.HiddenInput, required=False)
    only_my_gminas = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def clean_mapping(self) -> dict[str, int] | None:
        value = self.cleaned_data["mapping"]
        if not value:
            return None
        try:
            mapping = json.loads(value)
        except ValueError as error:
            raise forms.ValidationError(_("The column mapping is damaged.")) from error
        if not isinstance(mapping, dict) or not all(
            isinstance(index, int) for index in mapping.values()
        ):
            raise forms.ValidationError(_("The column mapping is damaged."))
        return mapping


class PartnerMappingForm(forms.Form):
    """One select per field, offering the file's own column names, and one kind for all
    rows when the file has no kind column."""

    token = forms.CharField(widget=forms.HiddenInput)
    only_my_gminas = forms.BooleanField(widget=forms.HiddenInput, required=False)
    default_kind = forms.ChoiceField(
        label=_("Kind of every partner in the file (when no column gives it)"),
        choices=[("", _("— from a column —")), *Partner.Kind.choices],
        required=False,
    )

    def __init__(self, *args, header: list[str], initial_mapping: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [
            (str(index), name or _("column %(number)s") % {"number": index + 1})
            for index, name in enumerate(header)
        ]
        for name, label in TARGET_FIELDS:
            index = initial_mapping.get(name)
            self.fields[f"map_{name}"] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial="" if index is None else str(index),
            )

    @property
    def mapping(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[f"map_{name}"]
            for name, _label in TARGET_FIELDS
            if self.cleaned_data.get(f"map_{name}") is not None
        }

    def mapping_fields(self):
        return [self[f"map_{name}"] for name, _label in TARGET_FIELDS]
