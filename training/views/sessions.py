"""Session pages: a club's list, the instructor's own list, detail, scheduling, editing and
cancelling."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clubs.models import Club
from kos_portal import access
from kos_portal.access import require
from kos_portal.exports import export_response
from kos_portal.pagination import Paginator
from kos_portal.roles import Role
from members.models import PersonalDataAccess
from members.services.access_log import personal_data_access_log, request_detail
from training import selectors_sessions as sel
from training.forms.enrolment import EnrolMembersForm
from training.forms.sessions import (
    MeetingFormSet,
    MeetingFormSetPlusOne,
    SessionBulkForm,
    SessionCancelForm,
    SessionFilterForm,
    SessionForm,
    meeting_initial,
    meeting_slots,
    posted_initial,
)
from training.models import Enrolment, Session
from training.services import sessions as services

PREFIX = "meetings"


def _filters(request) -> tuple[SessionFilterForm, sel.SessionFilters]:
    form = SessionFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = sel.SessionFilters(
            when=data.get("when") or "upcoming",
            course=data.get("course"),
            pillar=data.get("pillar"),
            status=data.get("status") or "",
        )
    else:
        filters = sel.SessionFilters()
    return form, filters


@login_required
def session_list(request, club_pk: int):
    club = sel.club_for_sessions(request.user, club_pk)
    form, filters = _filters(request)
    sessions = sel.session_list_for(request.user, club, filters)
    page = Paginator(sessions, sel.SESSION_PAGE_SIZE, load=sel.with_counts).get_page(
        request.GET.get("page")
    )
    context = {
        "club": club,
        "page": page,
        "filter_form": form,
        "filters": filters,
        "can_schedule": access.can(request.user, "training.schedule_session", club)
        and club.takes_new_members,
        "bulk": access.can(request.user, "training.schedule_session", club),
    }
    return render(request, "training/session_list.html", context)


def _export(sessions, fmt: str, club: Club):
    header = [
        _("Course"),
        _("Title"),
        _("Starts"),
        _("Ends"),
        _("Venue"),
        _("Instructors"),
        _("Places"),
        _("Enrolled"),
        _("Waiting"),
        _("Status"),
    ]
    rows = (
        [
            s.course.code,
            s.course.display_title,
            s.starts_at,
            s.ends_at,
            s.venue_label,
            ", ".join(str(i) for i in s.instructors.all()),
            s.capacity,
            s.enrolled_count,
            s.waitlist_count,
            s.get_status_display(),
        ]
        for s in sessions
    )
    filename = f"sessions-{club.pk}-{timezone.localdate().isoformat()}"
    return export_response(fmt, filename, header, rows)


@require_POST
@login_required
def session_bulk(request, club_pk: int):
    """The session list's bulk actions on the ticked sessions: export them or cancel them."""
    club = sel.club_for_sessions(request.user, club_pk)
    require(request.user, "training.schedule_session", club)
    scoped = sel.session_list_for(request.user, club, sel.SessionFilters(when="all"))
    form = SessionBulkForm(request.POST, sessions=scoped)
    back = redirect("training:session-list", club_pk=club.pk)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return back
    chosen = sel.with_counts(scoped.filter(pk__in=[s.pk for s in form.cleaned_data["sessions"]]))
    action = form.cleaned_data["action"]
    if action in SessionBulkForm.EXPORTS:
        return _export(chosen, action, club)
    outcomes = services.session_cancel_many(
        sessions=list(chosen), reason=form.cleaned_data["reason"], cancelled_by=request.user
    )
    for session, refusal in outcomes:
        label = f"{session.course.code} ({timezone.localtime(session.starts_at):%Y-%m-%d})"
        if refusal:
            messages.error(
                request, _("%(session)s: %(reason)s") % {"session": label, "reason": refusal}
            )
        else:
            messages.success(request, _("%(session)s is cancelled.") % {"session": label})
    return back


@login_required
def my_sessions(request):
    if not access.has_role(request.user, Role.INSTRUCTOR):
        raise PermissionDenied
    form, filters = _filters(request)
    sessions = sel.my_sessions_for(request.user, filters)
    page = Paginator(sessions, sel.SESSION_PAGE_SIZE, load=sel.with_counts).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "filter_form": form, "filters": filters}
    return render(request, "training/session_mine.html", context)


@login_required
def session_detail(request, session_pk: int):
    session = sel.session_get_for(request.user, session_pk)
    user = request.user
    teaches = any(i.user_id == user.pk for i in session.instructors.all())
    can_enrol = access.can(user, "training.enrol", session)
    open_for_changes = session.status == Session.Status.PLANNED
    context = {
        "session": session,
        "meetings": session.meetings.all(),
        "teaches": teaches,
        "can_edit": open_for_changes and access.can(user, "training.edit_session", session),
        "can_cancel": open_for_changes and access.can(user, "training.schedule_session", session),
        "cancel_form": SessionCancelForm(),
        "own_enrolment": sel.own_enrolment(user, session),
    }
    if can_enrol or teaches:
        participants = list(sel.session_participants(session))
        context["participants"] = participants
        context["can_manage_enrolments"] = can_enrol
        personal_data_access_log(
            user=user,
            action=PersonalDataAccess.Action.LIST,
            club=session.club,
            member_count=len(participants),
            detail=request_detail(request),
        )
    starts_ahead = session.starts_at is not None and session.starts_at > timezone.now()
    if can_enrol and open_for_changes and (starts_ahead or session.recorded_afterwards):
        context["enrol_form"] = EnrolMembersForm(members=sel.session_member_choices(user, session))
    own = context["own_enrolment"]
    context["can_enrol_self"] = (
        open_for_changes
        and starts_ahead
        and hasattr(user, "member")
        and (own is None or own.status == Enrolment.Status.CANCELLED)
    )
    return render(request, "training/session_detail.html", context)


def _session_form_page(request, *, club: Club, session: Session | None):
    """The scheduling form, for a new session or an existing one; the same rules for both."""
    template = "training/session_form.html"
    context = {"club": club, "session": session}
    if request.method == "POST" and "add_meeting" in request.POST:
        session_initial, rows = posted_initial(request.POST, PREFIX)
        context["form"] = SessionForm(initial=session_initial, club=club, session=session)
        context["formset"] = MeetingFormSetPlusOne(initial=rows, prefix=PREFIX)
        return render(request, template, context)
    if request.method == "POST":
        form = SessionForm(request.POST, club=club, session=session)
        formset = MeetingFormSet(request.POST, prefix=PREFIX)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            values = {
                "course": data["course"],
                "capacity": data["capacity"],
                "visibility": data["visibility"],
                "instructors": list(data["instructors"]),
                "meetings": meeting_slots(formset),
                "venue_partner": data.get("venue_partner"),
                "venue": data.get("venue") or "",
                "notes": data.get("notes") or "",
            }
            afterwards = session is None and data.get("recorded_afterwards", False)
            try:
                if session is None:
                    saved = services.session_create(
                        club=club,
                        created_by=request.user,
                        recorded_afterwards=afterwards,
                        **values,
                    )
                else:
                    saved = services.session_update(
                        session=session, updated_by=request.user, **values
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if afterwards:
                    messages.success(
                        request,
                        _(
                            "The training is recorded. Now enrol the participants, then "
                            "record attendance and results."
                        ),
                    )
                elif session is None:
                    messages.success(request, _("The session is scheduled."))
                else:
                    messages.success(request, _("The session is saved."))
                return redirect(saved)
    elif session is not None:
        form = SessionForm(
            initial={
                "course": session.course_id,
                "venue_partner": session.venue_partner_id,
                "venue": session.venue,
                "capacity": session.capacity,
                "visibility": session.visibility,
                "instructors": [i.pk for i in session.instructors.all()],
                "notes": session.notes,
            },
            club=club,
            session=session,
        )
        formset = MeetingFormSet(initial=meeting_initial(session), prefix=PREFIX)
    else:
        form = SessionForm(club=club)
        formset = MeetingFormSet(prefix=PREFIX)
    context.update(form=form, formset=formset)
    return render(request, template, context)


@login_required
def session_create(request, club_pk: int):
    club = sel.club_for_sessions(request.user, club_pk)
    require(request.user, "training.schedule_session", club)
    if not club.takes_new_members:
        messages.error(
            request,
            _("%(club)s is not active, so it cannot schedule sessions.") % {"club": club.name},
        )
        return redirect("training:session-list", club_pk=club.pk)
    return _session_form_page(request, club=club, session=None)


@login_required
def session_edit(request, session_pk: int):
    session = get_object_or_404(
        Session.objects.visible_to(request.user).select_related("club__municipality", "course"),
        pk=session_pk,
    )
    require(request.user, "training.edit_session", session)
    if session.status != Session.Status.PLANNED:
        messages.error(request, _("Only a planned session can be changed."))
        return redirect(session)
    return _session_form_page(request, club=session.club, session=session)


@require_POST
@login_required
def session_cancel(request, session_pk: int):
    session = get_object_or_404(
        Session.objects.visible_to(request.user).select_related("club__municipality"),
        pk=session_pk,
    )
    require(request.user, "training.schedule_session", session)
    form = SessionCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason: it is sent to the people enrolled."))
        return redirect(session)
    try:
        services.session_cancel(
            session=session, reason=form.cleaned_data["reason"], cancelled_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The session is cancelled; everyone enrolled or waiting is being told.")
        )
    return redirect(session)
