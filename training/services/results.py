"""Attendance at meetings and results per participant; completion follows the course's
passing rule, and a new pass is announced with `training.signals.course_passed`."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from training.models import Attendance, Course, Enrolment, Meeting, Session
from training.signals import course_passed

Result = Enrolment.Result


def _refuse_unless_started(session: Session, meetings: list[Meeting], now) -> None:
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(_("The session was cancelled; there is nothing to record."))
    if not meetings:
        raise ValidationError(_("The session has no meetings yet."))
    if meetings[0].starts_at > now:
        raise ValidationError(
            _(
                "Attendance and results can be recorded once the first meeting has "
                "started (%(when)s)."
            )
            % {"when": timezone.localtime(meetings[0].starts_at).strftime("%Y-%m-%d %H:%M")}
        )


def _enrolled(session: Session) -> dict[int, Enrolment]:
    return {
        e.pk: e
        for e in session.enrolments.holding_a_place()
        .select_related("member")
        .select_for_update(of=("self",))
    }


def _attendance_sync(
    *,
    session: Session,
    meetings: list[Meeting],
    present: dict[int, set[int]],
    recorded_by,
    now,
) -> None:
    """Make the attendance of `meetings` equal `present` (enrolment pk -> meeting pks):
    one row per participant and meeting, present or absent. Safe to run twice."""
    meeting_ids = [m.pk for m in meetings]
    existing = {
        (a.meeting_id, a.enrolment_id): a
        for a in Attendance.objects.filter(meeting_id__in=meeting_ids, enrolment_id__in=present)
    }
    to_create, to_update = [], []
    for enrolment_id, present_at in present.items():
        for meeting_id in meeting_ids:
            is_present = meeting_id in present_at
            row = existing.get((meeting_id, enrolment_id))
            if row is None:
                to_create.append(
                    Attendance(
                        meeting_id=meeting_id,
                        enrolment_id=enrolment_id,
                        club_id=session.club_id,
                        present=is_present,
                        recorded_by=recorded_by,
                        recorded_at=now,
                    )
                )
            elif row.present != is_present:
                row.present, row.recorded_by, row.recorded_at = is_present, recorded_by, now
                to_update.append(row)
    Attendance.objects.bulk_create(to_create)
    Attendance.objects.bulk_update(to_update, ["present", "recorded_by", "recorded_at"])


@transaction.atomic
def attendance_record(
    *, session: Session, meeting: Meeting, present: list[Enrolment], recorded_by
) -> None:
    """Make the attendance at `meeting` equal `present`: those listed are present, every
    other enrolled participant absent. Safe to run twice.

    Refuses a meeting of another session, a meeting that has not started, and people who
    do not hold a place in the session.
    """
    if meeting.session_id != session.pk:
        raise ValidationError(_("That meeting belongs to another session."))
    now = timezone.now()
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(_("The session was cancelled; there is nothing to record."))
    if meeting.starts_at > now:
        raise ValidationError(_("Attendance can be recorded once the meeting has started."))
    enrolled = _enrolled(session)
    present_ids = {e.pk for e in present}
    if present_ids - set(enrolled):
        raise ValidationError(_("Only people who hold a place in the session can be present."))
    _attendance_sync(
        session=session,
        meetings=[meeting],
        present={pk: ({meeting.pk} if pk in present_ids else set()) for pk in enrolled},
        recorded_by=recorded_by,
        now=now,
    )


def result_for(*, course: Course, attended: int, meetings: int, score: int | None) -> str:
    """Passed or failed under the course's passing rule.

    Attendance: attended / meetings must reach the course's minimum attendance (in whole
    numbers, so 2 of 3 meetings is not 67 %). Assessment: the attendance rule and a score
    of at least the pass mark.
    """
    attendance_met = attended * 100 >= course.minimum_attendance_percent * meetings
    if not attendance_met:
        return Result.FAILED
    if course.passing_rule == Course.PassingRule.ASSESSMENT:
        return Result.PASSED if score is not None and score >= course.pass_mark else Result.FAILED
    return Result.PASSED


def _completion_date(meetings: list[Meeting]) -> date:
    return timezone.localtime(meetings[-1].starts_at).date()


@transaction.atomic
def results_record(*, session: Session, rows: dict[int, dict], recorded_by) -> list[Enrolment]:
    """Record attendance at every meeting and each participant's score, and derive results.

    `rows` maps an enrolment pk to {"present": set of meeting pks, "score": int | None}.
    Before the first meeting starts nothing is recorded (ValidationError). Until the last
    meeting has ended only attendance and scores are kept and results stay pending; after
    it, each result is derived from the passing rule (see `result_for`), with
    `completed_on` set to the last meeting's date for a pass, and the session is marked
    completed. Re-recording replaces everything (a pass may become a fail). Each change
    to "passed" sends `course_passed` once, after commit. Safe to run twice.
    """
    session = (
        Session.objects.select_for_update(of=("self",)).select_related("course").get(pk=session.pk)
    )
    course = session.course
    meetings = list(session.meetings.order_by("starts_at", "pk"))
    now = timezone.now()
    _refuse_unless_started(session, meetings, now)
    enrolled = _enrolled(session)
    unknown = set(rows) - set(enrolled)
    if unknown:
        raise ValidationError(_("Only people who hold a place in the session can get a result."))
    meeting_ids = {m.pk for m in meetings}
    started_ids = {m.pk for m in meetings if m.starts_at <= now}
    finished = meetings[-1].ends_at <= now
    assessed = course.passing_rule == Course.PassingRule.ASSESSMENT

    errors = []
    for pk, row in rows.items():
        name = enrolled[pk].member.display_name
        present_at = set(row.get("present") or ())
        if present_at - meeting_ids:
            errors.append(_("%(name)s: that meeting belongs to another session.") % {"name": name})
        elif present_at - started_ids:
            errors.append(
                _("%(name)s: attendance at a meeting that has not started cannot be recorded.")
                % {"name": name}
            )
        score = row.get("score") if assessed else None
        if score is not None and not 0 <= score <= 100:
            errors.append(_("%(name)s: the score must be 0 to 100.") % {"name": name})
        if (
            finished
            and assessed
            and score is None
            and result_for(
                course=course, attended=len(present_at), meetings=len(meetings), score=100
            )
            == Result.PASSED
        ):
            # Someone who attended enough needs a score; an absent person simply fails.
            errors.append(_("%(name)s: enter the score.") % {"name": name})
    if errors:
        raise ValidationError(errors)

    _attendance_sync(
        session=session,
        meetings=[m for m in meetings if m.pk in started_ids],
        present={pk: set(row.get("present") or ()) for pk, row in rows.items()},
        recorded_by=recorded_by,
        now=now,
    )

    newly_passed = []
    changed = []
    for pk, row in rows.items():
        enrolment = enrolled[pk]
        was = enrolment.result
        enrolment.score = row.get("score") if assessed else None
        if finished:
            enrolment.result = result_for(
                course=course,
                attended=len(set(row.get("present") or ())),
                meetings=len(meetings),
                score=enrolment.score,
            )
        else:
            enrolment.result = Result.PENDING
        # Only a pass completes the course; a fail or a pending result keeps no date, so a
        # pass turned into a fail leaves nothing that looks like a completion.
        enrolment.completed_on = (
            _completion_date(meetings) if enrolment.result == Result.PASSED else None
        )
        enrolment.result_recorded_by = recorded_by
        changed.append(enrolment)
        if enrolment.result == Result.PASSED and was != Result.PASSED:
            newly_passed.append(enrolment)
    Enrolment.objects.bulk_update(
        changed, ["result", "score", "completed_on", "result_recorded_by"]
    )

    if finished and session.status != Session.Status.COMPLETED:
        session.status = Session.Status.COMPLETED
        session.completed_at = now
        session.save(update_fields=["status", "completed_at"])

    for enrolment in newly_passed:
        transaction.on_commit(lambda e=enrolment: course_passed.send(sender=Enrolment, enrolment=e))
    return changed
