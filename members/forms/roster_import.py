"""Forms of the roster import: upload, column mapping, confirmation. Shape checks only;
the file's content is checked by members.services.roster_import."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.services.roster_import import TARGET_FIELDS

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10,000 rows of CSV are about 1 MB
EXTENSIONS = (".csv", ".xlsx")


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (CSV or XLSX)"),
        help_text=_(
            "The first row names the columns; you choose which is which next. At most "
            "10,000 rows and 10 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(EXTENSIONS):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class RosterMappingForm(forms.Form):
    """One select per target field, offering the file's own column names."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, header: list[str], initial_mapping: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [
            (str(index), name or _("column %(number)s") % {"number": index + 1})
            for index, name in enumerate(header)
        ]
        for name, label, required in TARGET_FIELDS:
            index = initial_mapping.get(name)
            self.fields[f"map_{name}"] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=required,
                initial="" if index is None else str(index),
            )

    def clean(self):
        cleaned = super().clean()
        used = [v for k, v in cleaned.items() if k.startswith("map_") and v is not None]
        if len(used) != len(set(used)):
            raise forms.ValidationError(_("Each column can be used for one field only."))
        return cleaned

    @property
    def mapping(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[f"map_{name}"]
            for name, _label, _required in TARGET_FIELDS
            if self.cleaned_data.get(f"map_{name}") is not None
        }

    def mapping_fields(self):
        return [self[f"map_{name}"] for name, _label, _required in TARGET_FIELDS]


class RosterConfirmForm(forms.Form):
    consent_forms_attested = forms.BooleanField(
        label=_("I have the signed consent forms of every person in this file."),
        help_text=_(
            "The import records their consent to processing membership data as given on "
            "paper, with you as the person who recorded it."
        ),
    )
