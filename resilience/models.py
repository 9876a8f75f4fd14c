"""Identify threats, exercise, improve: the threat register, exercises with after-action
reviews and corrective actions, local problem cases (community policing) and the
anonymous trust and preparedness pulse."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Municipality, Partner, Pillar
from kos_portal import access
from members.models import Member
from training.models import Course, Session


class GminaOrClubQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None):
        """Gmina-level rows are shared with the gmina's clubs; a club's rows stay with that
        club (and its gmina's coordinators); see kos_portal.access."""
        return access.scope_gmina_or_club_objects(self, user, roles)


class ThreatQuerySet(models.QuerySet):
    # Threats have no club: the register belongs to the gmina and is shared with all of
    # its clubs, so the plain gmina scope applies.
    def visible_to(self, user, roles=None):
        """Threats in the user's gminas (coordinators' gminas and their clubs' gminas)."""
        return access.scope_gmina_objects(self, user, roles)


class Threat(models.Model):
    class Kind(models.TextChoices):
        FLOOD = "flood", _("flood")
        WILDFIRE = "wildfire", _("wildfire")
        BLACKOUT = "blackout", _("blackout")
        CHEMICAL = "chemical", _("chemical incident")
        CYBER = "cyber", _("cyber attack")
        DISINFORMATION = "disinformation", _("disinformation")
        MASS_CASUALTY = "mass_casualty", _("mass casualty incident")
        OTHER = "other", _("other")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="threats", verbose_name=_("gmina")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1–5)"))
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"))
    pillars = models.ManyToManyField(
        Pillar, blank=True, related_name="threats", verbose_name=_("pillars that address it")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    review_due_on = models.DateField(_("next review"))
    reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ThreatQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "-likelihood", "-impact", "title"]
        verbose_name = _("threat")
        verbose_name_plural = _("threats")
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5, impact__gte=1, impact__lte=5),
                name="threat_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resilience:threat-detail", kwargs={"threat_pk": self.pk})

    @property
    def risk_score(self) -> int:
        return self.likelihood * self.impact

    @property
    def risk_level(self) -> str:
        """low (1–4), medium (5–9), high (10–16), critical (17–25): a 5×5 matrix."""
        score = self.risk_score
        if score >= 17:
            return "critical"
        if score >= 10:
            return "high"
        if score >= 5:
            return "medium"
        return "low"

    @property
    def review_overdue(self) -> bool:
        return self.review_due_on < timezone.localdate()


class Exercise(models.Model):
    """An exercise or drill planned by a club or by the gmina."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        CANCELLED = "cancelled", _("cancelled")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="exercises", verbose_name=_("gmina")
    )
    club = models.ForeignKey(
        Club,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exercises",
        verbose_name=_("club"),
    )
    title = models.CharField(_("title"), max_length=200)
    scenario = models.TextField(_("scenario"))
    threat = models.ForeignKey(
        Threat,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exercises",
        verbose_name=_("threat"),
    )
    objectives = models.TextField(_("objectives"), blank=True)
    pillars = models.ManyToManyField(Pillar, blank=True, verbose_name=_("pillars exercised"))
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=250)
    partners = models.ManyToManyField(
        Partner, blank=True, related_name="exercises", verbose_name=_("partner institutions")
    )
    evaluators = models.CharField(_("evaluators"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GminaOrClubQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "pk"]
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        # The exercise list reads the next 50 and the last 50 by start: without it, national
        # staff's page sorted all 9,600 exercises (28 ms at national scale).
        indexes = [models.Index(fields=["starts_at", "id"], name="exercise_starts_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resilience:exercise-detail", kwargs={"exercise_pk": self.pk})

    @property
    def has_started(self) -> bool:
        """Attendance and the after-action review are recorded only from the start on."""
        return self.starts_at <= timezone.now()


class ExerciseParticipation(models.Model):
    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("participant")
        RESCUER = "rescuer", _("rescuer")
        CASUALTY = "casualty", _("simulated casualty")
        OBSERVER = "observer", _("observer")
        SUPPORT = "support", _("logistics and support")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="participations")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="exercise_participations"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    attended = models.BooleanField(_("took part"), default=False)

    class Meta:
        verbose_name = _("exercise participation")
        verbose_name_plural = _("exercise participations")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "member"], name="participation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.exercise}"


class AfterActionReview(models.Model):
    exercise = models.OneToOneField(Exercise, on_delete=models.CASCADE, related_name="review")
    went_well = models.TextField(_("what went well"))
    went_badly = models.TextField(_("what did not go well"))
    lessons = models.TextField(_("lessons learned"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("after-action review")
        verbose_name_plural = _("after-action reviews")

    def __str__(self) -> str:
        return f"{self.exercise}: {_('review')}"


class CorrectiveAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    review = models.ForeignKey(AfterActionReview, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    # Feeds back as a training need: a course to take, or a session to schedule.
    suggested_course = models.ForeignKey(
        Course,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested course"),
    )
    scheduled_session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled session"),
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    # The due date the owner was last reminded about: one reminder per overdue state, and
    # a new one after the due date moves (resilience.services.exercises).
    reminded_overdue_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def overdue(self) -> bool:
        return self.status != self.Status.DONE and self.due_on < timezone.localdate()


class ProblemCase(models.Model):
    """A local problem worked on with community-policing practice."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MONITORING = "monitoring", _("monitoring")
        CLOSED = "closed", _("closed")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="problem_cases",
        verbose_name=_("gmina"),
    )
    club = models.ForeignKey(
        Club,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problem_cases",
        verbose_name=_("club"),
    )
    title = models.CharField(_("title"), max_length=200)
    diagnosis = models.TextField(_("problem diagnosis"))
    stakeholders = models.TextField(_("stakeholders"), blank=True)
    trust_risks = models.TextField(_("risks to public trust"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GminaOrClubQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("local problem case")
        verbose_name_plural = _("local problem cases")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resilience:case-detail", kwargs={"case_pk": self.pk})


class CaseAction(models.Model):
    """A mediation or partnership action; a partner (e.g. the police unit) can be named
    without getting portal access."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        UNDER_WAY = "under_way", _("under way")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    case = models.ForeignKey(ProblemCase, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(_("action"))
    partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("case action")
        verbose_name_plural = _("case actions")

    def __str__(self) -> str:
        return self.description[:60]


class Indicator(models.Model):
    case = models.ForeignKey(ProblemCase, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=12, decimal_places=2)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("effectiveness indicator")
        verbose_name_plural = _("effectiveness indicators")

    def __str__(self) -> str:
        return self.name


class IndicatorMeasurement(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("measured on"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["measured_on", "pk"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} ({self.measured_on})"


def _survey_token() -> str:
    return secrets.token_urlsafe(12)


class Survey(models.Model):
    """A short anonymous pulse: after a session or exercise, or a periodic residents' survey."""

    class Kind(models.TextChoices):
        AFTER_SESSION = "session", _("after a training session")
        AFTER_EXERCISE = "exercise", _("after an exercise")
        PERIODIC = "periodic", _("periodic survey of residents")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("gmina")
    )
    club = models.ForeignKey(
        Club, on_delete=models.PROTECT, null=True, blank=True, related_name="surveys"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="surveys"
    )
    exercise = models.ForeignKey(
        Exercise, on_delete=models.SET_NULL, null=True, blank=True, related_name="surveys"
    )
    title = models.CharField(_("title"), max_length=200)
    token = models.CharField(max_length=32, unique=True, default=_survey_token, editable=False)
    opens_on = models.DateField(_("opens on"), default=timezone.localdate)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GminaOrClubQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on", "-pk"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.title


class SurveyResponse(models.Model):
    """One anonymous answer. By design it holds no identifier: no user, no IP, no time of
    day — only the month it was given in, so answers cannot be matched to people."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    month = models.DateField()  # the first day of the month of the answer
    trust_gmina = models.PositiveSmallIntegerField()
    trust_osp = models.PositiveSmallIntegerField()
    trust_police = models.PositiveSmallIntegerField()
    preparedness = models.PositiveSmallIntegerField()
    household_72h = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    trust_gmina__gte=1,
                    trust_gmina__lte=5,
                    trust_osp__gte=1,
                    trust_osp__lte=5,
                    trust_police__gte=1,
                    trust_police__lte=5,
                    preparedness__gte=1,
                    preparedness__lte=5,
                    household_72h__gte=1,
                    household_72h__lte=5,
                ),
                name="survey_answers_likert_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} ({self.month:%Y-%m})"
