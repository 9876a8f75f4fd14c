"""Reads for the threat register, the risk matrix and the training needs that exercises
feed back. Every read starts from `visible_to(user)`."""

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clubs.models import Assignment, Municipality
from kos_portal.models import User
from resilience.models import AfterActionReview, CorrectiveAction, Exercise, Threat

# Risk level -> (label, score range). Threat.risk_level is the rule for one row; these
# ranges let the database filter by level.
LEVELS = {
    "low": (_("low"), 1, 4),
    "medium": (_("medium"), 5, 9),
    "high": (_("high"), 10, 16),
    "critical": (_("critical"), 17, 25),
}
SCALE = [1, 2, 3, 4, 5]


def level_label(level: str):
    """The translated label of a risk level ("low", "medium", "high", "critical")."""
    return LEVELS[level][0]


def gmina_people(municipality: Municipality) -> QuerySet:
    """Users with an active role in the gmina: its coordinators and its clubs' staff."""
    roles = Assignment.objects.active().filter(
        Q(municipality=municipality) | Q(club__municipality=municipality), user=OuterRef("pk")
    )
    return User.objects.filter(Exists(roles), is_active=True).order_by(
        "last_name", "first_name", "pk"
    )


def municipalities_for(user) -> QuerySet:
    """Gminas whose threat register the user reads."""
    return Municipality.objects.visible_to(user).order_by("name")


def threat_list_for(
    user, *, municipality: Municipality | None = None, kind: str = "", level: str = ""
) -> QuerySet:
    """The user's threats, worst first, optionally narrowed by gmina, kind and risk level."""
    threats = (
        Threat.objects.visible_to(user)
        .select_related("municipality", "owner")
        .prefetch_related("pillars")
        .annotate(score=F("likelihood") * F("impact"))
        .order_by("municipality__name", "-score", "title", "pk")
    )
    if municipality is not None:
        threats = threats.filter(municipality=municipality)
    if kind:
        threats = threats.filter(kind=kind)
    if level in LEVELS:
        _label, low, high = LEVELS[level]
        threats = threats.filter(score__gte=low, score__lte=high)
    return threats


def threat_get_for(user, threat_pk: int) -> Threat:
    """One threat in the user's scope, or 404."""
    return get_object_or_404(
        Threat.objects.visible_to(user)
        .select_related("municipality", "owner")
        .prefetch_related("pillars"),
        pk=threat_pk,
    )


def risk_matrix(threats) -> list[dict]:
    """Rows of the 5×5 matrix, likelihood 5 at the top: each with its cells by impact 1–5,
    a cell holding its level, label and threats."""
    by_cell: dict[tuple[int, int], list[Threat]] = {}
    for threat in threats:
        by_cell.setdefault((threat.likelihood, threat.impact), []).append(threat)
    rows = []
    for likelihood in reversed(SCALE):
        cells = []
        for impact in SCALE:
            level = Threat(likelihood=likelihood, impact=impact).risk_level
            cells.append(
                {
                    "impact": impact,
                    "level": level,
                    "label": level_label(level),
                    "threats": by_cell.get((likelihood, impact), []),
                }
            )
        rows.append({"likelihood": likelihood, "cells": cells})
    return rows


def training_needs_for(
    user, *, municipality: Municipality | None = None, exercise: Exercise | None = None
) -> QuerySet:
    """Open corrective actions with a suggested course, from the exercises the user sees."""
    exercises = Exercise.objects.visible_to(user)
    if municipality is not None:
        exercises = exercises.filter(municipality=municipality)
    if exercise is not None:
        exercises = exercises.filter(pk=exercise.pk)
    return (
        CorrectiveAction.objects.filter(
            review__exercise__in=exercises.values("pk"), suggested_course__isnull=False
        )
        .exclude(status=CorrectiveAction.Status.DONE)
        .select_related("owner", "suggested_course", "scheduled_session", "review__exercise__club")
        .order_by("due_on", "pk")
    )


# --- Exercises, reviews and corrective actions ------------------------------------------------


def exercise_list_for(user) -> tuple[QuerySet, QuerySet]:
    """(upcoming, past) exercises the user sees: upcoming soonest first, past latest first."""
    exercises = Exercise.objects.visible_to(user).select_related("municipality", "club", "threat")
    now = timezone.now()
    upcoming = exercises.filter(starts_at__gte=now).order_by("starts_at", "pk")
    past = exercises.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    return upcoming, past


def exercise_get_for(user, exercise_pk: int) -> Exercise:
    """One exercise in the user's scope, or 404."""
    return get_object_or_404(
        Exercise.objects.visible_to(user)
        .select_related("municipality", "club", "threat", "created_by")
        .prefetch_related("pillars", "partners"),
        pk=exercise_pk,
    )


def exercise_participations(exercise: Exercise) -> QuerySet:
    """The exercise's participants, by name."""
    return exercise.participations.select_related("member").order_by(
        "member__last_name", "member__first_name", "pk"
    )


def exercise_review(exercise: Exercise):
    """The exercise's after-action review with its actions, or None."""
    return (
        AfterActionReview.objects.filter(exercise=exercise)
        .select_related("written_by")
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=CorrectiveAction.objects.select_related(
                    "owner", "suggested_course", "scheduled_session__course"
                ),
            )
        )
        .first()
    )


def action_list_for(user, *, open_only: bool = False) -> QuerySet:
    """Corrective actions from the exercises the user sees, the most urgent first."""
    actions = CorrectiveAction.objects.filter(
        review__exercise__in=Exercise.objects.visible_to(user).values("pk")
    ).select_related(
        "owner",
        "suggested_course",
        "scheduled_session",
        "review__exercise__club",
        "review__exercise__municipality",
    )
    if open_only:
        actions = actions.exclude(status=CorrectiveAction.Status.DONE)
    return actions.order_by("due_on", "pk")


def action_get_for(user, action_pk: int) -> CorrectiveAction:
    """One corrective action of an exercise in the user's scope, or 404."""
    return get_object_or_404(action_list_for(user), pk=action_pk)
