"""Input shapes for the starter pack pages. File types, sizes and unique labels are checked
by clubs.services.starter_pack, so the rules hold for every caller."""

import re

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clubs.models import StarterDocument
from clubs.services.starter_pack import ALLOWED_TYPES, MAX_FILE_BYTES

ACCEPT = ",".join(f".{extension}" for extension in sorted(ALLOWED_TYPES))


def _file_help() -> str:
    return gettext(
        "PDF, Word (.doc, .docx), OpenDocument (.odt, .ods) or Excel (.xlsx), up to %(mb)s MB."
    ) % {"mb": MAX_FILE_BYTES // 1024 // 1024}


def _file_field(**kwargs) -> forms.FileField:
    return forms.FileField(
        label=_("File"),
        help_text=lazy(_file_help, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        **kwargs,
    )


class VersionLabelMixin:
    def clean_version(self) -> str:
        version = self.cleaned_data["version"].strip()
        # The pack shows "v1.0"; a label typed as "v1.0" would read "vv1.0".
        if re.fullmatch(r"[vV]\d.*", version):
            version = version[1:]
        if not re.fullmatch(r"[\w.\- ]+", version):
            raise forms.ValidationError(
                _("Use letters, digits, dots, dashes and spaces, e.g. 1.0 or 2025-09.")
            )
        return version


class StarterDocumentForm(forms.Form):
    """A document's details: what national staff can change after it is created."""

    title = forms.CharField(label=_("Title"), max_length=250)
    kind = forms.ChoiceField(label=_("Kind"), choices=StarterDocument.Kind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to clubs next to the download link."),
    )
    is_published = forms.BooleanField(
        label=_("In the starter pack"),
        required=False,
        initial=True,
        help_text=_("Unpublished documents stay in the library but clubs don't get them."),
    )


class StarterDocumentCreateForm(VersionLabelMixin, StarterDocumentForm):
    """A new document with its first version."""

    version = forms.CharField(label=_("Version"), max_length=32, initial="1.0")
    file = _file_field()
    notes = forms.CharField(
        label=_("Notes on this version"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StarterVersionForm(VersionLabelMixin, forms.Form):
    """A new version of a document."""

    version = forms.CharField(
        label=_("Version"),
        max_length=32,
        help_text=_("Each version of a document needs its own label, e.g. 1.1 or 2.0."),
    )
    file = _file_field()
    notes = forms.CharField(
        label=_("What changed"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class StarterLibraryFilterForm(forms.Form):
    """Narrow the library by kind and language."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *StarterDocument.Kind.choices],
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("All languages")), *settings.LANGUAGES],
    )
