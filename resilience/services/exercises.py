"""Writes for exercises and drills: planning, participation (with the rules for minors),
attendance, after-action reviews, corrective actions and their overdue reminders."""

from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clubs.models import Assignment, Club, Municipality, Partner, Pillar
from kos_portal import access
from kos_portal.models import User
from members.age import is_minor
from members.models import GuardianConsent, Member, Membership
from resilience.models import (
    AfterActionReview,
    CorrectiveAction,
    Exercise,
    ExerciseParticipation,
    Threat,
)
from resilience.selectors_threats import gmina_people
from training.models import Course, Session

# Roles that plan and review gmina-level exercises. access.object_in_scope lets a leader
# reach a gmina-level row through their club's gmina, which is right for reading it but
# not for running it: that is the gmina's work.


# --- Who may act ---------------------------------------------------------------------------


def exercise_allowed(user, perm: str, exercise: Exercise) -> bool:
    """`access.can` for an exercise; gmina-level ones are run by the gmina's coordinators
    and national staff only (access.can_on_gmina_or_club)."""
    return access.can_on_gmina_or_club(user, perm, exercise)


def exercise_require(user, perm: str, exercise: Exercise) -> None:
    """Raise PermissionDenied (403) unless `exercise_allowed`."""
    if not exercise_allowed(user, perm, exercise):
        raise PermissionDenied


def exercise_people(exercise: Exercise) -> QuerySet:
    """Users who may own an exercise's corrective actions: for a club exercise the club's
    staff and the gmina's coordinators, for a gmina-level one anyone with a role in it."""
    if exercise.club_id is None:
        return gmina_people(exercise.municipality)
    roles = Assignment.objects.active().filter(
        Q(club_id=exercise.club_id) | Q(municipality_id=exercise.municipality_id)
    )
    return User.objects.filter(pk__in=roles.values("user_id"), is_active=True).order_by(
        "last_name", "first_name", "pk"
    )


def eligible_members(exercise: Exercise) -> QuerySet:
    """Members with an active membership in the exercise's club, or in any club of the gmina
    for a gmina-level exercise."""
    memberships = Membership.objects.filter(status=Membership.Status.ACTIVE)
    if exercise.club_id is None:
        memberships = memberships.filter(club__municipality_id=exercise.municipality_id)
    else:
        memberships = memberships.filter(club_id=exercise.club_id)
    # A subquery, not a join: a member of two clubs of the gmina appears once.
    return Member.objects.filter(pk__in=memberships.values("member_id"), anonymised_at=None)


# --- Planning -------------------------------------------------------------------------------


@transaction.atomic
def exercise_save(
    *,
    municipality: Municipality,
    club: Club | None,
    title: str,
    scenario: str,
    threat: Threat | None,
    objectives: str,
    pillars: Iterable[Pillar],
    starts_at: datetime,
    place: str,
    partners: Iterable[Partner],
    evaluators: str,
    saved_by,
    exercise: Exercise | None = None,
) -> Exercise:
    """Plan an exercise in `municipality` (for `club`, or gmina-level when None), or update
    `exercise`. The threat and partners must be the gmina's. Safe to run twice."""
    partners = list(partners)
    if club is not None and club.municipality_id != municipality.pk:
        raise ValidationError(_("The club must be in the exercise's gmina."))
    if threat is not None and threat.municipality_id != municipality.pk:
        raise ValidationError(_("The threat must be in the register of the exercise's gmina."))
    if any(partner.municipality_id != municipality.pk for partner in partners):
        raise ValidationError(_("Partner institutions must be from the exercise's gmina."))
    if exercise is None:
        exercise = Exercise(municipality=municipality, created_by=saved_by)
    elif exercise.municipality_id != municipality.pk:
        raise ValidationError(_("An exercise stays in its own gmina."))
    elif exercise.club_id != (club.pk if club else None) and exercise.participations.exists():
        raise ValidationError(
            _("Remove the participants before moving the exercise to another club.")
        )
    exercise.club = club
    exercise.title = title
    exercise.scenario = scenario
    exercise.threat = threat
    exercise.objectives = objectives
    exercise.starts_at = starts_at
    exercise.place = place
    exercise.evaluators = evaluators
    exercise.save()
    exercise.pillars.set(pillars)
    exercise.partners.set(partners)
    return exercise


# --- Participation --------------------------------------------------------------------------


def _has_current_guardian_consent(member: Member) -> bool:
    return GuardianConsent.objects.filter(member=member, withdrawn_at__isnull=True).exists()


@transaction.atomic
def participation_record(*, exercise: Exercise, member: Member, role: str) -> ExerciseParticipation:
    """Record that `member` takes part in `exercise` in `role` (or change their role).

    The civil-protection rule: a member under 18 on the exercise date takes part only with
    a current guardian's consent, and never as a rescuer. Safe to run twice.
    """
    if role not in ExerciseParticipation.Role.values:
        raise ValidationError(_("Choose a role for the participant."))
    if exercise.status == Exercise.Status.CANCELLED:
        raise ValidationError(_("The exercise was cancelled."))
    if not eligible_members(exercise).filter(pk=member.pk).exists():
        if exercise.club_id is None:
            raise ValidationError(
                _("%(member)s has no active membership in a club of this gmina.")
                % {"member": member}
            )
        raise ValidationError(
            _("%(member)s has no active membership in %(club)s.")
            % {"member": member, "club": exercise.club.name}
        )
    exercise_day = timezone.localtime(exercise.starts_at).date()
    if is_minor(member.birth_date, exercise_day):
        if role == ExerciseParticipation.Role.RESCUER:
            raise ValidationError(
                _(
                    "%(member)s is under 18 on the day of the exercise and cannot take part "
                    "as a rescuer. Choose another role."
                )
                % {"member": member}
            )
        if not _has_current_guardian_consent(member):
            raise ValidationError(
                _(
                    "%(member)s is under 18 on the day of the exercise: record a guardian's "
                    "consent first."
                )
                % {"member": member}
            )
    participation, _created = ExerciseParticipation.objects.update_or_create(
        exercise=exercise, member=member, defaults={"role": role}
    )
    return participation


@transaction.atomic
def participation_remove(*, exercise: Exercise, member: Member) -> None:
    """Take `member` off the exercise's list. Safe to run twice."""
    ExerciseParticipation.objects.filter(exercise=exercise, member=member).delete()


@transaction.atomic
def exercise_attendance_record(
    *, exercise: Exercise, attended: Iterable[ExerciseParticipation]
) -> None:
    """After the exercise: mark who took part (the others did not) and mark it held."""
    if not exercise.has_started:
        raise ValidationError(_("Attendance is recorded once the exercise has started."))
    if exercise.status == Exercise.Status.CANCELLED:
        raise ValidationError(_("The exercise was cancelled."))
    attended_ids = [p.pk for p in attended if p.exercise_id == exercise.pk]
    exercise.participations.filter(pk__in=attended_ids).update(attended=True)
    exercise.participations.exclude(pk__in=attended_ids).update(attended=False)
    if exercise.status != Exercise.Status.HELD:
        exercise.status = Exercise.Status.HELD
        exercise.save(update_fields=["status"])


# --- After-action review and corrective actions ----------------------------------------------


@transaction.atomic
def review_save(
    *, exercise: Exercise, went_well: str, went_badly: str, lessons: str, written_by
) -> AfterActionReview:
    """Write or update the exercise's after-action review. Safe to run twice."""
    if not exercise.has_started:
        raise ValidationError(_("The review is written after the exercise."))
    review, _created = AfterActionReview.objects.update_or_create(
        exercise=exercise,
        defaults={
            "went_well": went_well,
            "went_badly": went_badly,
            "lessons": lessons,
            "written_by": written_by,
        },
    )
    return review


@transaction.atomic
def action_save(
    *,
    review: AfterActionReview,
    description: str,
    owner,
    due_on: date,
    status: str,
    suggested_course: Course | None,
    scheduled_session: Session | None,
    action: CorrectiveAction | None = None,
) -> CorrectiveAction:
    """Add a corrective action to `review`, or update `action`. The owner must be one of
    the exercise's people; a scheduled session must be the exercise's club's (or a club of
    the gmina for a gmina-level exercise). Safe to run twice."""
    exercise = review.exercise
    if owner is None or not exercise_people(exercise).filter(pk=owner.pk).exists():
        raise ValidationError(_("The owner must hold a role in the exercise's club or gmina."))
    if scheduled_session is not None:
        if exercise.club_id is None:
            fits = scheduled_session.club.municipality_id == exercise.municipality_id
        else:
            fits = scheduled_session.club_id == exercise.club_id
        if not fits:
            raise ValidationError(_("The session must be one of the exercise's club."))
    if status not in CorrectiveAction.Status.values:
        raise ValidationError(_("Choose a status."))
    if action is None:
        action = CorrectiveAction(review=review)
    elif action.review_id != review.pk:
        raise ValidationError(_("The action belongs to another review."))
    today = timezone.localdate()
    action.description = description
    action.owner = owner
    action.due_on = due_on
    action.status = status
    action.suggested_course = suggested_course
    action.scheduled_session = scheduled_session
    if status == CorrectiveAction.Status.DONE:
        action.completed_on = action.completed_on or today
    else:
        action.completed_on = None
    action.save()
    return action


# --- Reminders -------------------------------------------------------------------------------


def overdue_actions() -> QuerySet:
    """Open actions past their due date whose owner has not been reminded of that date."""
    today = timezone.localdate()
    return (
        CorrectiveAction.objects.exclude(status=CorrectiveAction.Status.DONE)
        .filter(due_on__lt=today, owner__isnull=False, owner__is_active=True)
        .exclude(owner__email="")
        .exclude(reminded_overdue_on=F("due_on"))
        .select_related("owner", "review__exercise", "suggested_course")
        .order_by("due_on", "pk")
    )


def corrective_action_remind(*, action: CorrectiveAction) -> bool:
    """Email the owner of one overdue action, in their language (text and HTML), once per
    due date. True when this call sent it. Safe to run twice, also from two workers."""
    previous = action.reminded_overdue_on
    # Claim first, send after: the update is committed before the email leaves, so a
    # second run finds the claim and sends nothing. A failed send releases the claim.
    with transaction.atomic():
        claimed = (
            CorrectiveAction.objects.filter(pk=action.pk)
            .exclude(reminded_overdue_on=action.due_on)
            .update(reminded_overdue_on=action.due_on)
        )
    if not claimed:
        return False
    owner = action.owner
    try:
        exercise = action.review.exercise
        context = {
            "action": action,
            "exercise": exercise,
            "owner": owner,
            "url": settings.SITE_URL.rstrip("/")
            + reverse("resilience:exercise-detail", kwargs={"exercise_pk": exercise.pk}),
        }
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            subject = render_to_string("resilience/action_reminder_subject.txt", context)
            text = render_to_string("resilience/action_reminder_email.txt", context)
            html = render_to_string("resilience/action_reminder_email.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            from_email=settings.KOS_EMAIL_FROM,
            to=[owner.email],
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except BaseException:
        CorrectiveAction.objects.filter(pk=action.pk).update(reminded_overdue_on=previous)
        raise
    return True


def corrective_action_reminders_send() -> int:
    """Remind the owners of overdue corrective actions; returns how many emails went out.
    Safe to run twice: each action is reminded once per due date."""
    sent = 0
    for action in overdue_actions():
        if corrective_action_remind(action=action):
            sent += 1
    return sent
