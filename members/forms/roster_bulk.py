"""The roster's bulk actions on the people ticked on the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Membership


class RosterBulkForm(forms.Form):
    STATUS, CSV, XLSX, EMAIL = "status", "csv", "xlsx", "email"

    members = forms.ModelMultipleChoiceField(
        queryset=None,
        error_messages={"required": _("Tick the people first.")},
    )
    action = forms.ChoiceField(
        choices=[
            (STATUS, _("Change their status")),
            (CSV, _("Download them (CSV)")),
            (XLSX, _("Download them (XLSX)")),
            (EMAIL, _("Write to them")),
        ]
    )
    to_status = forms.ChoiceField(
        label=_("New status"), choices=[("", "—"), *Membership.Status.choices], required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members

    def clean(self):
        data = super().clean()
        if data.get("action") == self.STATUS and not data.get("to_status"):
            self.add_error("to_status", _("Choose the new status."))
        return data
