"""The trust and preparedness pulse: making surveys and storing anonymous answers.

Anonymous by design (docs/pulse.md): an answer is stored with its survey, the first day
of its month and the five numbers, and nothing else: no user, no IP address, no time, no
session and no cookie. Nothing here logs an answer.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clubs.models import Club, Municipality
from kos_portal import access
from resilience.models import Exercise, Survey, SurveyResponse
from training.models import Session

PERMISSION = "resilience.manage_surveys"

# The five Likert statements, in the order they are asked: (SurveyResponse field, text).
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("trust_gmina", gettext_lazy("I trust the gmina office.")),
    ("trust_osp", gettext_lazy("I trust the volunteer fire brigade (OSP).")),
    ("trust_police", gettext_lazy("I trust the police.")),
    ("preparedness", gettext_lazy("I feel prepared for an emergency.")),
    ("household_72h", gettext_lazy("My household could manage for 72 hours without help.")),
)
QUESTION_FIELDS = tuple(field for field, _label in QUESTIONS)


def survey_manage_refusal(user, *, municipality_id: int, club_id: int | None) -> str | None:
    """Why `user` may not make surveys for this gmina or club, or None when they may
    (gmina-level surveys: access.can_on_gmina_or_club)."""
    probe = Survey(municipality_id=municipality_id, club_id=club_id)
    if access.can_on_gmina_or_club(user, PERMISSION, probe):
        return None
    if club_id is None:
        return _(
            "Only the gmina's coordinator or national staff can run a survey for the "
            "whole gmina. Club leaders run surveys for their club."
        )
    return _("You may not run surveys for this club.")


def _place(
    *,
    user,
    kind: str,
    municipality: Municipality | None,
    club: Club | None,
    session: Session | None,
    exercise: Exercise | None,
) -> tuple[int, int | None]:
    """The gmina and club a new survey belongs to, from its session, exercise or choice."""
    if kind == Survey.Kind.AFTER_SESSION:
        if session is None:
            raise ValidationError({"session": _("Choose the session the survey follows.")})
        if not Session.objects.visible_to(user).filter(pk=session.pk).exists():
            raise ValidationError({"session": _("Choose one of your sessions.")})
        return session.club.municipality_id, session.club_id
    if kind == Survey.Kind.AFTER_EXERCISE:
        if exercise is None:
            raise ValidationError({"exercise": _("Choose the exercise the survey follows.")})
        if not Exercise.objects.visible_to(user).filter(pk=exercise.pk).exists():
            raise ValidationError({"exercise": _("Choose one of your exercises.")})
        return exercise.municipality_id, exercise.club_id
    if kind == Survey.Kind.PERIODIC:
        if club is not None:
            return club.municipality_id, club.pk
        if municipality is not None:
            return municipality.pk, None
        raise ValidationError(_("Choose the gmina or the club whose residents are asked."))
    raise ValidationError({"kind": _("Choose what kind of survey this is.")})


@transaction.atomic
def survey_create(
    *,
    created_by,
    kind: str,
    title: str,
    opens_on: date,
    closes_on: date | None = None,
    municipality: Municipality | None = None,
    club: Club | None = None,
    session: Session | None = None,
    exercise: Exercise | None = None,
) -> Survey:
    """Make a survey with its public link: after a session, after an exercise, or a
    periodic survey of a gmina's or club's residents.

    Safe to run twice: the same kind, title, place and opening day returns the survey
    made the first time.
    """
    municipality_id, club_id = _place(
        user=created_by,
        kind=kind,
        municipality=municipality,
        club=club,
        session=session,
        exercise=exercise,
    )
    refusal = survey_manage_refusal(created_by, municipality_id=municipality_id, club_id=club_id)
    if refusal:
        raise ValidationError(refusal)
    if closes_on is not None and closes_on < opens_on:
        raise ValidationError({"closes_on": _("The survey can't close before it opens.")})
    fields = {
        "municipality_id": municipality_id,
        "club_id": club_id,
        "kind": kind,
        "title": title.strip(),
        "session": session if kind == Survey.Kind.AFTER_SESSION else None,
        "exercise": exercise if kind == Survey.Kind.AFTER_EXERCISE else None,
        "opens_on": opens_on,
    }
    existing = Survey.objects.select_for_update(of=("self",)).filter(**fields).first()
    if existing is not None:
        return existing
    return Survey.objects.create(**fields, closes_on=closes_on, created_by=created_by)


def survey_state(survey: Survey, today: date | None = None) -> str:
    """ "open", "not_yet_open" or "closed" on `today` (the local date by default)."""
    today = today or timezone.localdate()
    if today < survey.opens_on:
        return "not_yet_open"
    if survey.closes_on is not None and today > survey.closes_on:
        return "closed"
    return "open"


def survey_answer(*, survey: Survey, answers: dict[str, int]) -> SurveyResponse:
    """Store one anonymous answer: the survey, this month's first day and five numbers.

    Not idempotent, by design: two answers carry nothing that could tell them apart
    (docs/pulse.md explains the trade-off; the view's rate limit curbs abuse).
    """
    if survey_state(survey) != "open":
        raise ValidationError(_("This survey is not open for answers."))
    values = {}
    for field in QUESTION_FIELDS:
        value = answers.get(field)
        if value not in (1, 2, 3, 4, 5):
            raise ValidationError(_("Answer every statement on the scale from 1 to 5."))
        values[field] = value
    month = timezone.localdate().replace(day=1)
    return SurveyResponse.objects.create(survey=survey, month=month, **values)
