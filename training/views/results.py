"""Recording attendance and results for a session, and a person's training history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kos_portal.access import require
from members.models import PersonalDataAccess
from members.services.access_log import personal_data_access_log
from training import hooks
from training import selectors_history as history
from training.forms.results import ResultsForm
from training.models import Attendance, Session
from training.services.results import results_record


@login_required
def session_results(request, session_pk: int):
    session = get_object_or_404(
        Session.objects.visible_to(request.user).select_related("course", "club", "venue_partner"),
        pk=session_pk,
    )
    require(request.user, "training.record_attendance", session)
    meetings = list(session.meetings.order_by("starts_at", "pk"))
    enrolments = list(
        session.enrolments.holding_a_place()
        .select_related("member")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=Attendance.objects.only("meeting_id", "enrolment_id", "present"),
            )
        )
        .order_by("member__last_name", "member__first_name", "pk")
    )
    form = ResultsForm(
        request.POST or None, session=session, meetings=meetings, enrolments=enrolments
    )
    if request.method == "POST" and form.is_valid():
        try:
            results_record(session=session, rows=form.results_rows(), recorded_by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            session.refresh_from_db(fields=["status"])
            if session.status == Session.Status.COMPLETED:
                messages.success(request, _("Attendance and results saved."))
            else:
                messages.success(
                    request,
                    _("Attendance saved. Results follow once the last meeting has ended."),
                )
            return redirect("training:session-results", session_pk=session.pk)
    now = timezone.now()
    rows = form.bound_rows()
    outcomes = hooks.result_outcomes_for(request.user, enrolments)
    for row in rows:
        row["outcomes"] = outcomes.get(row["enrolment"].pk, [])
    context = {
        "session": session,
        "form": form,
        "rows": rows,
        "issued": [(row["name"], outcome) for row in rows for outcome in row["outcomes"]],
        "started": bool(meetings) and meetings[0].starts_at <= now,
        "finished": bool(meetings) and meetings[-1].ends_at <= now,
        "first_meeting": meetings[0] if meetings else None,
    }
    return render(request, "training/results_form.html", context)


@login_required
def member_history(request, member_pk: int):
    member = history.history_member_get(request.user, member_pk)
    if member.user_id != request.user.pk:
        personal_data_access_log(
            user=request.user,
            action=PersonalDataAccess.Action.VIEW,
            member=member,
            detail="training history",
        )
    context = {
        "member": member,
        "entries": history.member_training_history(member, user=request.user),
        "statuses": history.pillar_status_rows(history.member_pillar_status(member)),
        "own": member.user_id == request.user.pk,
    }
    return render(request, "training/history_member.html", context)
