"""Forms for scheduling sessions: the session itself and its meetings (a formset)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Pillar
from kos_portal.widgets import IsoDateInput, IsoTimeInput
from training.models import Course, Session
from training.services.sessions import MeetingSlot, club_instructors, venue_partners

MAX_MEETINGS = 30


class SessionForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    venue_partner = forms.ModelChoiceField(
        label=_("Partner's venue"),
        queryset=Course.objects.none(),
        required=False,
        help_text=_("Partners of the club that lend a venue."),
    )
    venue = forms.CharField(
        label=_("Venue or room"),
        max_length=250,
        required=False,
        help_text=_("The address or room; needed when no partner's venue is chosen."),
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500)
    visibility = forms.ChoiceField(
        label=_("Who may enrol"),
        choices=Session.Visibility.choices,
        widget=forms.RadioSelect,
        initial=Session.Visibility.MEMBERS,
    )
    instructors = forms.ModelMultipleChoiceField(
        label=_("Instructors"),
        queryset=Course.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People with an instructor role in this club."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    recorded_afterwards = forms.BooleanField(
        label=_("This training already took place"),
        required=False,
        help_text=_(
            "Tick to record a training held before it was entered here: its meetings are in "
            "the past. Then enrol the participants and record attendance and results."
        ),
    )

    def __init__(self, *args, club: Club, session: Session | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if session is not None:  # decided when the session is entered
            del self.fields["recorded_afterwards"]
        courses = Course.objects.filter(is_active=True)
        if session is not None:  # a course withdrawn since stays selectable for its sessions
            courses = Course.objects.filter(is_active=True) | Course.objects.filter(
                pk=session.course_id
            )
        self.fields["course"].queryset = courses.select_related("pillar").order_by("code")
        self.fields["venue_partner"].queryset = venue_partners(club)
        self.fields["instructors"].queryset = club_instructors(club)


class MeetingForm(forms.Form):
    meeting_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    day = forms.DateField(label=_("Date"), widget=IsoDateInput())
    starts = forms.TimeField(label=_("Starts"), widget=IsoTimeInput())
    ends = forms.TimeField(label=_("Ends"), widget=IsoTimeInput())
    # A meeting from 22:00 to 01:00 ends on the next day; a tick says so, because an end
    # time before the start is far more often a typing mistake than a night exercise.
    ends_next_day = forms.BooleanField(label=_("Ends after midnight"), required=False)

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts is None or ends is None:
            return data
        if data.get("ends_next_day"):
            if ends > starts:
                self.add_error("ends", _("A meeting lasts at most 24 hours."))
        elif ends <= starts:
            self.add_error(
                "ends",
                _(
                    "The meeting must end after it starts. If it ends after midnight, "
                    "tick “Ends after midnight”."
                ),
            )
        return data

    def slot(self) -> MeetingSlot:
        data = self.cleaned_data
        end_day = data["day"] + timedelta(days=1) if data.get("ends_next_day") else data["day"]
        return MeetingSlot(
            starts_at=timezone.make_aware(datetime.combine(data["day"], data["starts"])),
            ends_at=timezone.make_aware(datetime.combine(end_day, data["ends"])),
            pk=data.get("meeting_id") or None,
        )


FORMSET_OPTIONS = {
    "min_num": 1,
    "validate_min": True,
    "max_num": MAX_MEETINGS,
    "validate_max": True,
    "can_delete": True,
}
MeetingFormSet = forms.formset_factory(MeetingForm, extra=0, **FORMSET_OPTIONS)
# The same with one more empty row: what the "add another meeting" button shows.
MeetingFormSetPlusOne = forms.formset_factory(MeetingForm, extra=1, **FORMSET_OPTIONS)


def meeting_slots(formset) -> list[MeetingSlot]:
    """The meetings a valid formset asks for, without those marked for removal."""
    return [
        form.slot()
        for form in formset.forms
        if form.has_changed() and not form.cleaned_data.get("DELETE")
    ]


def meeting_initial(session: Session) -> list[dict]:
    """Formset rows for a session's existing meetings, in local time."""
    rows = []
    for meeting in session.meetings.all():
        starts, ends = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
        rows.append(
            {
                "meeting_id": meeting.pk,
                "day": starts.date(),
                "starts": starts.time(),
                "ends": ends.time(),
                "ends_next_day": ends.date() > starts.date(),
            }
        )
    return rows


def posted_initial(data, prefix: str = "meetings") -> tuple[dict, list[dict]]:
    """Turn a submitted form back into initial values, to show it again with one more
    meeting row but without error messages (the "add another meeting" button)."""
    session_initial = {key: data.get(key) for key in data if not key.startswith(prefix)}
    session_initial["instructors"] = data.getlist("instructors")
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), MAX_MEETINGS)
    except ValueError:
        total = 0
    rows = []
    for index in range(total):
        row = {
            name: data.get(f"{prefix}-{index}-{name}", "")
            for name in ("meeting_id", "day", "starts", "ends")
        }
        if data.get(f"{prefix}-{index}-ends_next_day"):
            row["ends_next_day"] = True
        if data.get(f"{prefix}-{index}-DELETE"):
            row["DELETE"] = True
        rows.append(row)
    return session_initial, rows


class SessionFilterForm(forms.Form):
    WHEN = [("upcoming", _("upcoming")), ("past", _("past")), ("all", _("all"))]

    when = forms.ChoiceField(label=_("When"), choices=WHEN, required=False)
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.order_by("code"), required=False
    )
    pillar = forms.ModelChoiceField(
        label=_("Pillar"), queryset=Pillar.objects.order_by("number"), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("any")), *Session.Status.choices], required=False
    )


class SessionCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to everyone enrolled or on the waiting list."),
    )


class SessionBulkForm(forms.Form):
    """The session list's bulk actions: the ticked sessions, and what to do with them."""

    EXPORTS = ("csv", "xlsx")
    ACTIONS = [
        ("csv", _("Export the selected (CSV)")),
        ("xlsx", _("Export the selected (Excel)")),
        ("cancel", _("Cancel the selected")),
    ]

    sessions = forms.ModelMultipleChoiceField(
        queryset=Session.objects.none(),
        error_messages={"required": _("Tick at least one session.")},
    )
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500, required=False)

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sessions"].queryset = sessions

    def clean(self):
        data = super().clean()
        if data.get("action") == "cancel" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason: it is sent to the people enrolled."))
        return data
