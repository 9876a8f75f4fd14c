"""The one bulk form for a session: presence per participant and meeting, and a score."""

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from training.models import Course, Enrolment, Meeting, Session


def meeting_label(number: int, meeting: Meeting) -> str:
    """ "meeting 2 (3 Dec)": short enough for a phone, the date in the active language."""
    day = formats.date_format(timezone.localtime(meeting.starts_at), "j M")
    return str(_("meeting %(number)s (%(date)s)") % {"number": number, "date": day})


class ResultsForm(forms.Form):
    """One checkbox per participant and started meeting; for assessed courses a score.

    Only the shape is checked here (0-100); the service applies the passing rule.
    """

    def __init__(
        self,
        *args,
        session: Session,
        meetings: list[Meeting],
        enrolments: list[Enrolment],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        self.session = session
        self.assessed = session.course.passing_rule == Course.PassingRule.ASSESSMENT
        self.meetings = [
            {"number": n, "meeting": m, "label": meeting_label(n, m), "open": m.starts_at <= now}
            for n, m in enumerate(meetings, start=1)
        ]
        open_meetings = [row for row in self.meetings if row["open"]]
        self.rows = []
        for enrolment in enrolments:
            name = enrolment.member.display_name
            present_at = {a.meeting_id for a in enrolment.attendances.all() if a.present}
            checks = []
            for row in open_meetings:
                key = f"present_{enrolment.pk}_{row['meeting'].pk}"
                self.fields[key] = forms.BooleanField(
                    required=False,
                    label=_("Present at %(meeting)s: %(name)s")
                    % {"meeting": row["label"], "name": name},
                    initial=row["meeting"].pk in present_at,
                )
                checks.append({"key": key, "meeting": row})
            score_key = None
            if self.assessed:
                score_key = f"score_{enrolment.pk}"
                self.fields[score_key] = forms.IntegerField(
                    required=False,
                    min_value=0,
                    max_value=100,
                    label=_("Score (0–100): %(name)s") % {"name": name},
                    initial=enrolment.score,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )
            self.rows.append(
                {"enrolment": enrolment, "name": name, "checks": checks, "score_key": score_key}
            )

    def bound_rows(self) -> list[dict]:
        """The rows with their bound fields, for the template."""
        return [
            {
                **row,
                "checks": [{**check, "field": self[check["key"]]} for check in row["checks"]],
                "score": self[row["score_key"]] if row["score_key"] else None,
            }
            for row in self.rows
        ]

    def results_rows(self) -> dict[int, dict]:
        """enrolment pk -> {"present": meeting pks, "score": int | None} (after is_valid)."""
        data = self.cleaned_data
        return {
            row["enrolment"].pk: {
                "present": {c["meeting"]["meeting"].pk for c in row["checks"] if data[c["key"]]},
                "score": data.get(row["score_key"]) if row["score_key"] else None,
            }
            for row in self.rows
        }
