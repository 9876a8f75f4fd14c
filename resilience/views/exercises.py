"""Exercises and drills: planning, participants, attendance, after-action review and
corrective actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clubs.models import Club, Municipality
from kos_portal import access
from kos_portal.pagination import Paginator
from members.models import Member, PersonalDataAccess
from members.services.access_log import personal_data_access_log, request_detail
from resilience import selectors_threats as sel
from resilience.forms_exercises import (
    GMINA_LEVEL,
    ActionForm,
    AttendanceForm,
    ExerciseForm,
    ParticipationForm,
    ParticipationRemoveForm,
    ReviewForm,
)
from resilience.gmina_actions import gmina_actions, picked_redirect
from resilience.models import Exercise
from resilience.services import exercises as services
from training.models import Session

PLAN = "resilience.plan_exercise"
UPCOMING_PER_PAGE = 50
REVIEW = "resilience.review_exercise"


@login_required
def exercise_list(request):
    access.require(request.user, "resilience.view_resilience")
    picked = picked_redirect(request, "resilience:exercise-create")
    if picked:
        return picked
    upcoming, past = sel.exercise_list_for(request.user)
    # National staff see every gmina's planned exercises (2,200 at national scale): pages.
    page = Paginator(upcoming, UPCOMING_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "upcoming": page,
        "page": page,
        "past": past[:50],
        # One button per gmina for coordinators and leaders, a picker for national staff.
        "plan_actions": gmina_actions(
            sel.municipalities_for(request.user),
            create_url_name="resilience:exercise-create",
            button_label=_lazy("Plan an exercise in %(gmina)s"),
            picker_label=_lazy("Plan an exercise in the gmina"),
        )
        if access.can(request.user, PLAN)
        else None,
    }
    return render(request, "resilience/exercise_list.html", context)


@login_required
def exercise_detail(request, exercise_pk: int):
    user = request.user
    exercise = sel.exercise_get_for(user, exercise_pk)
    can_plan = services.exercise_allowed(user, PLAN, exercise)
    participations = list(sel.exercise_participations(exercise))
    context = {
        "exercise": exercise,
        "can_plan": can_plan,
        "can_review": services.exercise_allowed(user, REVIEW, exercise),
        "participant_count": len(participations),
        "review": sel.exercise_review(exercise),
        "training_needs": sel.training_needs_for(user, exercise=exercise),
    }
    # Names are personal data: only the people who run the exercise see them (and it is logged).
    if can_plan and participations:
        context["participations"] = participations
        _log_list(request, exercise, len(participations))
    return render(request, "resilience/exercise_detail.html", context)


def _log_list(request, exercise: Exercise, count: int) -> None:
    personal_data_access_log(
        user=request.user,
        action=PersonalDataAccess.Action.LIST,
        club=exercise.club,
        member_count=count,
        detail=request_detail(request),
    )


def _plannable_clubs(user, municipality: Municipality):
    return (
        Club.objects.visible_to(user, access.RULES[PLAN])
        .filter(municipality=municipality, status=Club.Status.ACTIVE)
        .order_by("name")
    )


def _exercise_form_page(request, *, municipality: Municipality, exercise: Exercise | None):
    user = request.user
    clubs = list(_plannable_clubs(user, municipality))
    if exercise is not None and exercise.club is not None and exercise.club not in clubs:
        clubs.append(exercise.club)  # a club that closed since keeps its own exercise
    gmina_level_allowed = access.can_on_gmina_or_club(user, PLAN, municipality)
    initial = None
    if exercise is not None:
        initial = {
            "organiser": str(exercise.club_id) if exercise.club_id else GMINA_LEVEL,
            "title": exercise.title,
            "scenario": exercise.scenario,
            "threat": exercise.threat_id,
            "objectives": exercise.objectives,
            "pillars": list(exercise.pillars.all()),
            "starts_at": timezone.localtime(exercise.starts_at),
            "place": exercise.place,
            "partners": list(exercise.partners.all()),
            "evaluators": exercise.evaluators,
        }
    form = ExerciseForm(
        request.POST or None,
        initial=initial,
        municipality=municipality,
        clubs=clubs,
        gmina_level_allowed=gmina_level_allowed,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organiser = data.pop("organiser")
        club = (
            None if organiser == GMINA_LEVEL else next(c for c in clubs if str(c.pk) == organiser)
        )
        try:
            saved = services.exercise_save(
                municipality=municipality,
                club=club,
                saved_by=user,
                exercise=exercise,
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The exercise was saved."))
            return redirect(saved)
    context = {"form": form, "municipality": municipality, "exercise": exercise}
    return render(request, "resilience/exercise_form.html", context)


@login_required
def exercise_create(request, municipality_pk: int):
    municipality = get_object_or_404(
        Municipality.objects.visible_to(request.user), pk=municipality_pk
    )
    access.require(request.user, PLAN, municipality)
    return _exercise_form_page(request, municipality=municipality, exercise=None)


@login_required
def exercise_edit(request, exercise_pk: int):
    exercise = sel.exercise_get_for(request.user, exercise_pk)
    services.exercise_require(request.user, PLAN, exercise)
    return _exercise_form_page(request, municipality=exercise.municipality, exercise=exercise)


@login_required
def exercise_participants(request, exercise_pk: int):
    user = request.user
    exercise = sel.exercise_get_for(user, exercise_pk)
    services.exercise_require(user, PLAN, exercise)
    # Only members whose personal data the user may see, among those who may take part.
    members = services.eligible_members(exercise).filter(
        pk__in=Member.objects.visible_to(user).values("pk")
    )
    form = ParticipationForm(members=members)
    if request.method == "POST" and "remove" in request.POST:
        remove_form = ParticipationRemoveForm(request.POST)
        if remove_form.is_valid():
            # Through the participation: someone whose membership ended can still be removed.
            member = (
                Member.objects.visible_to(user)
                .filter(
                    pk=remove_form.cleaned_data["member"],
                    exercise_participations__exercise=exercise,
                )
                .first()
            )
            if member is not None:
                services.participation_remove(exercise=exercise, member=member)
                messages.success(
                    request, _("%(member)s was taken off the list.") % {"member": member}
                )
        return redirect("resilience:exercise-participants", exercise_pk=exercise.pk)
    if request.method == "POST":
        form = ParticipationForm(request.POST, members=members)
        if form.is_valid():
            try:
                services.participation_record(exercise=exercise, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("%(member)s takes part.") % {"member": form.cleaned_data["member"]},
                )
                return redirect("resilience:exercise-participants", exercise_pk=exercise.pk)
    participations = list(sel.exercise_participations(exercise))
    if participations:
        _log_list(request, exercise, len(participations))
    context = {
        "exercise": exercise,
        "form": form,
        "participations": participations,
    }
    return render(request, "resilience/exercise_participants.html", context)


@login_required
def exercise_attendance(request, exercise_pk: int):
    user = request.user
    exercise = sel.exercise_get_for(user, exercise_pk)
    services.exercise_require(user, PLAN, exercise)
    participations = sel.exercise_participations(exercise)
    form = AttendanceForm(
        request.POST or None,
        participations=participations,
        initial={"attended": [p for p in participations if p.attended]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.exercise_attendance_record(
                exercise=exercise, attended=form.cleaned_data["attended"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Attendance was recorded."))
            return redirect(exercise)
    context = {
        "exercise": exercise,
        "form": form,
    }
    return render(request, "resilience/exercise_attendance.html", context)


@login_required
def review_edit(request, exercise_pk: int):
    user = request.user
    exercise = sel.exercise_get_for(user, exercise_pk)
    services.exercise_require(user, REVIEW, exercise)
    review = sel.exercise_review(exercise)
    initial = None
    if review is not None:
        initial = {
            "went_well": review.went_well,
            "went_badly": review.went_badly,
            "lessons": review.lessons,
        }
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_save(exercise=exercise, written_by=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The after-action review was saved."))
            return redirect(exercise)
    context = {"exercise": exercise, "form": form, "review": review}
    return render(request, "resilience/review_form.html", context)


def _action_sessions(user, exercise: Exercise):
    sessions = Session.objects.visible_to(user).select_related("course", "club")
    if exercise.club_id is None:
        return sessions.filter(club__municipality_id=exercise.municipality_id)
    return sessions.filter(club_id=exercise.club_id)


def _action_form_page(request, *, exercise: Exercise, review, action=None):
    user = request.user
    initial = None
    if action is not None:
        initial = {
            "description": action.description,
            "owner": action.owner_id,
            "due_on": action.due_on,
            "status": action.status,
            "suggested_course": action.suggested_course_id,
            "scheduled_session": action.scheduled_session_id,
        }
    form = ActionForm(
        request.POST or None,
        initial=initial,
        owners=services.exercise_people(exercise),
        sessions=_action_sessions(user, exercise),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_save(review=review, action=action, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The corrective action was saved."))
            return redirect(exercise)
    context = {"exercise": exercise, "form": form, "action": action}
    return render(request, "resilience/action_form.html", context)


@login_required
def action_create(request, exercise_pk: int):
    exercise = sel.exercise_get_for(request.user, exercise_pk)
    services.exercise_require(request.user, REVIEW, exercise)
    review = sel.exercise_review(exercise)
    if review is None:
        messages.error(request, _("Write the after-action review before adding actions."))
        return redirect("resilience:review-edit", exercise_pk=exercise.pk)
    return _action_form_page(request, exercise=exercise, review=review)


@login_required
def action_edit(request, action_pk: int):
    action = sel.action_get_for(request.user, action_pk)
    exercise = action.review.exercise
    services.exercise_require(request.user, REVIEW, exercise)
    return _action_form_page(request, exercise=exercise, review=action.review, action=action)


@login_required
def action_list(request):
    access.require(request.user, "resilience.view_resilience")
    show = request.GET.get("show", "open")
    actions = sel.action_list_for(request.user, open_only=show != "all")
    context = {"actions": actions[:200], "show": show, "today": timezone.localdate()}
    return render(request, "resilience/action_list.html", context)
