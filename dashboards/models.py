"""Rollups: numbers per territory and per club, recomputed by a Celery task.

Dashboards read only these tables (a handful of rows per page), never the raw enrolments
or certificates, so a page costs the same with ten clubs or ten thousand. Distinct counts
(members, instructors) are computed per level, never summed from the level below: a person
in two clubs of one powiat counts once in that powiat.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Municipality, Pillar, Powiat, Voivodeship
from kos_portal import access


class RollupRun(models.Model):
    """One refresh of every rollup table; the newest finished one says how fresh they are."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # "As of" date the numbers were computed for (validity, 90-day windows, ages).
    as_of = models.DateField()

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class AreaStatQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AreaStatQuerySet":
        """National staff: every area; coordinators: their gminas; others nothing."""
        return access.scope_area_stats(self, user)


class AreaStat(models.Model):
    """Numbers for one area: the country, a voivodeship, a powiat or a gmina."""

    class Level(models.TextChoices):
        COUNTRY = "country", _("Poland")
        VOIVODESHIP = "voivodeship", _("voivodeship")
        POWIAT = "powiat", _("powiat")
        GMINA = "gmina", _("gmina")

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(_("TERYT code"), max_length=7, blank=True)  # "" for the country
    name = models.CharField(_("name"), max_length=100)
    # The unit itself and the units above it (None above the area's level), for drill-down
    # ("the powiats of this voivodeship") and for scoping gmina rows.
    voivodeship = models.ForeignKey(
        Voivodeship, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    powiat = models.ForeignKey(
        Powiat, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    gminas = models.PositiveIntegerField(_("gminas"), default=0)
    gminas_with_active_club = models.PositiveIntegerField(
        _("gminas with an active club"), default=0
    )
    clubs_proposed = models.PositiveIntegerField(_("proposed clubs"), default=0)
    clubs_active = models.PositiveIntegerField(_("active clubs"), default=0)
    clubs_suspended = models.PositiveIntegerField(_("suspended clubs"), default=0)
    clubs_closed = models.PositiveIntegerField(_("closed clubs"), default=0)
    # Residents of the gminas whose population is known, and those gminas' certified members:
    # "certified per 1,000 residents" uses only gminas with a known population.
    population_known = models.PositiveIntegerField(_("residents (where known)"), default=0)
    certified_in_known_population = models.PositiveIntegerField(default=0)
    members_active = models.PositiveIntegerField(_("active members"), default=0)
    members_under_18 = models.PositiveIntegerField(_("active members under 18"), default=0)
    members_18_25 = models.PositiveIntegerField(_("active members aged 18–25"), default=0)
    members_certified_valid = models.PositiveIntegerField(
        _("members with a valid certificate"), default=0
    )
    members_certified_ever = models.PositiveIntegerField(_("members ever certified"), default=0)
    sessions_held = models.PositiveIntegerField(_("sessions held"), default=0)
    sessions_planned = models.PositiveIntegerField(_("sessions planned"), default=0)
    certificates_issued = models.PositiveIntegerField(_("certificates issued"), default=0)
    certificates_valid = models.PositiveIntegerField(_("valid certificates"), default=0)
    certificates_expiring_90 = models.PositiveIntegerField(
        _("certificates expiring in 90 days"), default=0
    )
    instructors = models.PositiveIntegerField(_("instructors"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    objects = AreaStatQuerySet.as_manager()

    class Meta:
        verbose_name = _("area statistics")
        verbose_name_plural = _("area statistics")
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="areastat_level_code_unique")
        ]
        indexes = [
            models.Index(fields=["level", "voivodeship", "code"]),
            models.Index(fields=["level", "powiat", "code"]),
            models.Index(fields=["municipality"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.name}"


class AreaPillarStat(models.Model):
    """Per pillar: certified members (valid apart from ever), instructors, expiries."""

    area = models.ForeignKey(AreaStat, on_delete=models.CASCADE, related_name="pillars")
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="+")
    members_certified_ever = models.PositiveIntegerField(default=0)
    members_certified_valid = models.PositiveIntegerField(default=0)
    certificates_expiring_90 = models.PositiveIntegerField(default=0)
    # Instructors assigned to a club in the area holding a verified, unexpired qualification
    # in the pillar; and such qualifications that lapse within 90 days.
    instructors_qualified = models.PositiveIntegerField(default=0)
    qualifications_expiring_90 = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["area", "pillar__number"]
        constraints = [
            models.UniqueConstraint(fields=["area", "pillar"], name="areapillarstat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area} / {self.pillar_id}"


class AreaMonthStat(models.Model):
    """Per calendar month: certificates issued and sessions held (time series)."""

    area = models.ForeignKey(AreaStat, on_delete=models.CASCADE, related_name="months")
    month = models.DateField()  # the first day of the month
    certificates_issued = models.PositiveIntegerField(default=0)
    sessions_held = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["area", "month"]
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="areamonthstat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area} / {self.month:%Y-%m}"


class AreaPartnerStat(models.Model):
    """Per partner kind: partners linked to the area's clubs, and clubs with such a partner."""

    area = models.ForeignKey(AreaStat, on_delete=models.CASCADE, related_name="partner_kinds")
    kind = models.CharField(max_length=16)  # clubs.Partner.Kind
    partners = models.PositiveIntegerField(default=0)
    clubs_with_kind = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["area", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["area", "kind"], name="areapartnerstat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area} / {self.kind}"


class ClubStatQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ClubStatQuerySet":
        """Club staff's clubs: national staff, the gmina's coordinators, the club's leaders."""
        return access.scope_club_objects(self, user, access.STAFF_ROLES)


class ClubStat(models.Model):
    """Numbers for one club, with the health signals a coordinator watches."""

    club = models.OneToOneField(Club, on_delete=models.CASCADE, related_name="stat")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    members_active = models.PositiveIntegerField(default=0)
    members_under_18 = models.PositiveIntegerField(default=0)
    members_18_25 = models.PositiveIntegerField(default=0)
    sessions_held = models.PositiveIntegerField(default=0)
    sessions_planned = models.PositiveIntegerField(default=0)
    last_session_on = models.DateField(null=True, blank=True)
    next_session_on = models.DateField(null=True, blank=True)
    # Attendance over the last 365 days: marks recorded, and of those present.
    attendance_recorded = models.PositiveIntegerField(default=0)
    attendance_present = models.PositiveIntegerField(default=0)
    certificates_valid = models.PositiveIntegerField(default=0)
    certificates_expiring_90 = models.PositiveIntegerField(default=0)
    agreements_expiring_90 = models.PositiveIntegerField(default=0)
    # Health signals (see docs/dashboards.md).
    no_session_90_days = models.BooleanField(default=False)
    leader_lapsing = models.BooleanField(default=False)
    agreements_expiring = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField()

    objects = ClubStatQuerySet.as_manager()

    class Meta:
        ordering = ["club__name"]

    def __str__(self) -> str:
        return str(self.club_id)


class ClubPillarStat(models.Model):
    """Active members of a club per pillar status (training.selectors_history)."""

    club_stat = models.ForeignKey(ClubStat, on_delete=models.CASCADE, related_name="pillars")
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="+")
    not_started = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    certified = models.PositiveIntegerField(default=0)
    expiring = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["club_stat", "pillar__number"]
        constraints = [
            models.UniqueConstraint(fields=["club_stat", "pillar"], name="clubpillarstat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.club_stat_id} / {self.pillar_id}"


class GminaReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> "GminaReportQuerySet":
        """National staff and the gmina's coordinators."""
        return access.scope_gmina_objects(
            self, user, {access.Role.NATIONAL, access.Role.COORDINATOR}
        )


class GminaReport(models.Model):
    """A gmina's yearly report of training and exercises, rendered by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="reports", verbose_name=_("gmina")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    pdf = models.FileField(_("PDF"), upload_to="reports/%Y/", blank=True)
    xlsx = models.FileField(_("spreadsheet"), upload_to="reports/%Y/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    rendered_at = models.DateTimeField(_("prepared at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    objects = GminaReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("yearly report")
        verbose_name_plural = _("yearly reports")
        ordering = ["-year", "municipality__name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="gminareport_unique")
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year}"
