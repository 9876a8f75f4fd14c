"""Courses of the five pillars, instructors, sessions, enrolment, attendance and results."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Partner, Pillar
from kos_portal import access
from members.models import Member


class Course(models.Model):
    """A course in the national catalogue. Without a pillar it is cross-pillar (ZPOS)."""

    class PassingRule(models.TextChoices):
        ATTENDANCE = "attendance", _("attendance only")
        ASSESSMENT = "assessment", _("assessment with a pass mark")

    code = models.CharField(_("code"), max_length=32, unique=True)
    title = models.CharField(_("title (Polish)"), max_length=250)
    title_en = models.CharField(_("title (English)"), max_length=250, blank=True)
    pillar = models.ForeignKey(
        Pillar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("pillar"),
    )
    description = models.TextField(_("description"), blank=True)
    learning_outcomes = models.TextField(_("learning outcomes"), blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="leads_to",
        verbose_name=_("prerequisites"),
    )
    passing_rule = models.CharField(
        _("passing rule"),
        max_length=16,
        choices=PassingRule.choices,
        default=PassingRule.ATTENDANCE,
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (points of 100)"), null=True, blank=True
    )
    # Share of meetings a participant must attend; the attendance rule passes on it.
    minimum_attendance_percent = models.PositiveSmallIntegerField(
        _("minimum attendance (%)"), default=100
    )
    validity_months = models.PositiveSmallIntegerField(
        _("certificate valid for (months)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a certificate without expiry."),
    )
    # True: instructors need a qualification for this very course; False: one for its
    # pillar is enough.
    requires_course_qualification = models.BooleanField(
        _("needs a qualification for this course"), default=False
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["pillar__number", "code"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                condition=Q(passing_rule="attendance") | Q(pass_mark__isnull=False),
                name="course_assessment_has_pass_mark",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__isnull=True) | Q(pass_mark__lte=100),
                name="course_pass_mark_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(minimum_attendance_percent__lte=100),
                name="course_attendance_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_title}"

    def get_absolute_url(self) -> str:
        return reverse("training:course-detail", kwargs={"course_pk": self.pk})

    @property
    def display_title(self) -> str:
        return self.title_en if get_language() == "en" and self.title_en else self.title


def _ical_token() -> str:
    return secrets.token_urlsafe(24)


class InstructorProfileQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InstructorProfileQuerySet":
        """National staff see every instructor; coordinators and leaders those assigned
        to clubs in their scope; an instructor sees their own profile."""
        return access.scope_instructors(self, user)


class InstructorProfile(models.Model):
    """An instructor's record: qualifications and the checks needed to teach minors."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instructor_profile"
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    bio = models.TextField(_("about the instructor"), blank=True)
    # Polish law (since February 2024): working with minors needs a check against the
    # Sex Offenders Register and a statement on the organisation's child-protection
    # standards, both dated and verified by a coordinator.
    offender_register_checked_on = models.DateField(
        _("Sex Offenders Register checked on"), null=True, blank=True
    )
    child_protection_statement_on = models.DateField(
        _("child-protection statement signed on"), null=True, blank=True
    )
    safeguarding_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checks verified by"),
    )
    safeguarding_verified_at = models.DateTimeField(_("checks verified at"), null=True, blank=True)
    ical_token = models.CharField(max_length=64, unique=True, default=_ical_token)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InstructorProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("instructor")
        verbose_name_plural = _("instructors")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.email

    @property
    def may_teach_minors(self) -> bool:
        return bool(
            self.offender_register_checked_on
            and self.child_protection_statement_on
            and self.safeguarding_verified_at
        )


class InstructorQualification(models.Model):
    """A qualification for a pillar or a course, verified by national staff or a coordinator."""

    instructor = models.ForeignKey(
        InstructorProfile, on_delete=models.CASCADE, related_name="qualifications"
    )
    pillar = models.ForeignKey(
        Pillar, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("pillar")
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("course")
    )
    issuer = models.CharField(_("issued by"), max_length=250)
    number = models.CharField(_("number"), max_length=100, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    document = models.FileField(_("document"), upload_to="qualifications/%Y/", blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_until", "-pk"]
        verbose_name = _("instructor qualification")
        verbose_name_plural = _("instructor qualifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(pillar__isnull=False) | Q(course__isnull=False),
                name="qualification_names_pillar_or_course",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instructor}: {self.course or self.pillar} ({self.issuer})"

    def covers(self, course: Course, on) -> bool:
        """Whether this verified qualification lets its holder teach `course` on date `on`."""
        if self.verified_at is None or (self.valid_until and self.valid_until < on):
            return False
        if self.course_id:
            return self.course_id == course.pk
        return not course.requires_course_qualification and self.pillar_id == course.pillar_id


class SessionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SessionQuerySet":
        """Sessions of the user's clubs; instructors see only the sessions they teach."""
        return access.scope_sessions(self, user)

    def public(self) -> "SessionQuerySet":
        return self.filter(
            visibility=Session.Visibility.OPEN,
            status=Session.Status.PLANNED,
            club__status=Club.Status.ACTIVE,
        )


class Session(models.Model):
    """One run of a course in a club: one or more meetings, a venue, a capacity."""

    class Visibility(models.TextChoices):
        OPEN = "open", _("open to the public")
        MEMBERS = "members", _("members only")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="sessions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    venue_partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("partner's venue"),
    )
    venue = models.CharField(_("venue"), max_length=250, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    instructors = models.ManyToManyField(
        InstructorProfile, related_name="sessions", verbose_name=_("instructors")
    )
    # Denormalised from the meetings, so lists and clash checks need no aggregate.
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True, db_index=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Entered after it took place (a training held before it was in the portal): its
    # meetings may lie in the past, and staff enrol the participants after the start.
    recorded_afterwards = models.BooleanField(_("recorded after it took place"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(_("results recorded at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["club", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive")
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at).strftime("%Y-%m-%d") if self.starts_at else "?"
        return f"{self.course.code} – {self.club} ({when})"

    def get_absolute_url(self) -> str:
        return reverse("training:session-detail", kwargs={"session_pk": self.pk})

    @property
    def venue_label(self) -> str:
        if self.venue_partner_id:
            return f"{self.venue_partner.name}{', ' + self.venue if self.venue else ''}"
        return self.venue


class Meeting(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="meetings")
    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class EnrolmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "EnrolmentQuerySet":
        """Enrolments in sessions the user sees, and the user's own."""
        return access.scope_enrolments(self, user)

    def holding_a_place(self) -> "EnrolmentQuerySet":
        return self.filter(status=Enrolment.Status.ENROLLED)


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        WAITLISTED = "waitlisted", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")

    class Result(models.TextChoices):
        PENDING = "pending", _("pending")
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="enrolments")
    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ENROLLED
    )
    # Order on the waiting list; the lowest moves up first.
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Set when the person moved up from the waiting list; the email is sent once, and
    # `promotion_emailed_at` records that it was (the task is safe to run twice).
    promoted_at = models.DateTimeField(
        _("moved up from the waiting list at"), null=True, blank=True
    )
    promotion_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    result = models.CharField(
        _("result"), max_length=16, choices=Result.choices, default=Result.PENDING
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    result_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["session", "status", "waitlist_position", "enrolled_at", "pk"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="enrolment_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="enrolment_score_le_100"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "result"]),
            models.Index(fields=["session", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.session}"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendances")
    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "enrolment"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.member} @ {self.meeting}: {'+' if self.present else '-'}"
