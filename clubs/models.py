"""Territory (TERYT), clubs, partners and role assignments: the floor everything stands on."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kos_portal import access
from kos_portal.roles import Role
from kos_portal.text import fold

# Latitude from-to and longitude from-to of a box around Poland: a club's point outside it
# is a typo (swapped or mistyped numbers) and would fall off the maps.
POLAND_BOUNDS = ("48.9", "55.0", "14.0", "24.3")


class Voivodeship(models.Model):
    code = models.CharField(_("TERYT code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_current = models.BooleanField(_("in the current register"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("voivodeship")
        verbose_name_plural = _("voivodeships")

    def __str__(self) -> str:
        return self.name


class Powiat(models.Model):
    code = models.CharField(_("TERYT code"), max_length=4, unique=True)  # WOJ + POW
    voivodeship = models.ForeignKey(
        Voivodeship, on_delete=models.PROTECT, related_name="powiats", verbose_name=_("voivodeship")
    )
    name = models.CharField(_("name"), max_length=100)
    is_city = models.BooleanField(_("city with powiat rights"), default=False)
    is_current = models.BooleanField(_("in the current register"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("powiat")
        verbose_name_plural = _("powiats")

    def __str__(self) -> str:
        return self.name


class MunicipalityQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None) -> "MunicipalityQuerySet":
        """Gminas in the user's territory (any gmina for national staff)."""
        return access.scope_municipalities(self, user, roles)


class Municipality(models.Model):
    """A gmina. Its TERYT code is WOJ + POW + GMI + RODZ, seven digits."""

    class Kind(models.TextChoices):
        URBAN = "1", _("urban gmina")
        RURAL = "2", _("rural gmina")
        URBAN_RURAL = "3", _("urban-rural gmina")

    code = models.CharField(_("TERYT code"), max_length=7, unique=True)
    powiat = models.ForeignKey(
        Powiat, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("powiat")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=1, choices=Kind.choices)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("population as of"), null=True, blank=True)
    is_current = models.BooleanField(_("in the current register"), default=True)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("gmina")
        verbose_name_plural = _("gminas")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def municipality_id(self) -> int:
        """Lets access rules treat a gmina like anything that belongs to one."""
        return self.pk


class MunicipalityChange(models.Model):
    """A gmina's former TERYT code and name, kept when a TERC import renamed it or changed
    its kind (and so its code): the row stays, clubs, partners and members stay attached,
    and imports that still use the old code or name can say what it is now."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="changes", verbose_name=_("gmina")
    )
    former_code = models.CharField(_("former TERYT code"), max_length=7, db_index=True)
    former_name = models.CharField(_("former name"), max_length=100)
    former_kind = models.CharField(_("former kind"), max_length=1)
    register_date = models.CharField(_("register as of"), max_length=10, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("gmina change")
        verbose_name_plural = _("gmina changes")

    def __str__(self) -> str:
        return f"{self.former_code} {self.former_name} → {self.municipality}"


class Locality(models.Model):
    """A locality (town, village, part of one) from the GUS SIMC register, in its gmina."""

    sym = models.CharField(_("SIMC identifier"), max_length=7, unique=True)
    # The locality this one is part of (its own SYM for an independent locality).
    parent_sym = models.CharField(_("SIMC identifier of the parent"), max_length=7)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="localities", verbose_name=_("gmina")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind of locality (RM)"), max_length=2)
    is_current = models.BooleanField(_("in the current register"), default=True)

    class Meta:
        ordering = ["name", "sym"]
        verbose_name = _("locality")
        verbose_name_plural = _("localities")
        indexes = [models.Index(fields=["municipality", "name"])]

    def __str__(self) -> str:
        return self.name


def search_key(*parts: str) -> str:
    """Case-folded text for searching: SQLite folds only ASCII, so "ŻÓŁĆ" would miss "żółć"."""
    return " ".join(" ".join(part.split()) for part in parts if part).casefold()


class Pillar(models.Model):
    """The five training pillars: fixed data, created by a migration."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    code = models.SlugField(_("code"), unique=True)
    name_pl = models.CharField(_("name (Polish)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        ordering = ["number"]
        verbose_name = _("pillar")
        verbose_name_plural = _("pillars")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_en if get_language() == "en" else self.name_pl


class ClubQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None) -> "ClubQuerySet":
        """Clubs in the user's scope; see kos_portal.access."""
        return access.scope_clubs(self, user, roles)


class Club(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=200)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="clubs", verbose_name=_("gmina")
    )
    locality = models.CharField(_("locality"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    description = models.TextField(_("public description"), blank=True)
    # Where the club meets, for the maps (WGS84). The venue partner's point is used when
    # these are empty (clubs.selectors.club_points).
    latitude = models.DecimalField(
        _("latitude (WGS84)"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal(POLAND_BOUNDS[0]), _("This point is not in Poland.")),
            MaxValueValidator(Decimal(POLAND_BOUNDS[1]), _("This point is not in Poland.")),
        ],
        help_text=_("For example 52.076. Leave empty to use the venue partner's location."),
    )
    longitude = models.DecimalField(
        _("longitude (WGS84)"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal(POLAND_BOUNDS[2]), _("This point is not in Poland.")),
            MaxValueValidator(Decimal(POLAND_BOUNDS[3]), _("This point is not in Poland.")),
        ],
        help_text=_("For example 20.962."),
    )
    pillars = models.ManyToManyField(
        Pillar, blank=True, related_name="clubs", verbose_name=_("pillars offered")
    )
    # Who proposed the club through the public "start a club" form (no account needed).
    proposer_name = models.CharField(_("proposed by"), max_length=200, blank=True)
    proposer_email = models.EmailField(_("proposer's email"), blank=True)
    proposer_phone = models.CharField(_("proposer's phone"), max_length=32, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    search_text = models.CharField(max_length=500, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClubQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("club")
        verbose_name_plural = _("clubs")
        indexes = [
            models.Index(fields=["municipality", "status"]),
            models.Index(fields=["status", "name"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The gmina's name too: "Piaseczno" finds the clubs of gmina Piaseczno.
        gmina = self.municipality.name if self.municipality_id else ""
        self.search_text = fold(self.name, self.locality, gmina)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("clubs:club-detail", kwargs={"club_pk": self.pk})

    def get_public_url(self) -> str:
        return reverse("clubs:public-club", kwargs={"club_pk": self.pk})

    def clean(self):
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(
                {"longitude": _("Give both the latitude and the longitude, or neither.")}
            )

    @property
    def takes_new_members(self) -> bool:
        """A closed or suspended club keeps its history but takes no one new."""
        return self.status == self.Status.ACTIVE

    @property
    def club_id(self) -> int:
        """Every club-owned object exposes `club_id`; a club is its own club."""
        return self.pk


class ClubStatusChange(models.Model):
    """Every change of a club's status: who, when and why. Never edited."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(
        _("from"), max_length=16, choices=Club.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=Club.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("club status change")
        verbose_name_plural = _("club status changes")

    def __str__(self) -> str:
        return f"{self.club}: {self.from_status or '-'} → {self.to_status}"


class PartnerQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None) -> "PartnerQuerySet":
        """Partners in the user's gminas (shared by the gmina's clubs)."""
        return access.scope_gmina_objects(self, user, roles)


class Partner(models.Model):
    """A local institution the club works with: an OSP unit, a school, the police..."""

    class Kind(models.TextChoices):
        OSP = "osp", _("volunteer fire brigade (OSP)")
        SCHOOL = "school", _("school")
        NGO = "ngo", _("NGO")
        BUSINESS = "business", _("business")
        POLICE = "police", _("police unit")
        GOVERNMENT = "government", _("local government")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=250)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="partners", verbose_name=_("gmina")
    )
    address = models.CharField(_("address"), max_length=250, blank=True)
    is_ksrg = models.BooleanField(_("member of KSRG"), default=False)
    # The number in a public register (OSP register "Numer", RSPO "Numer RSPO"): the
    # partner's identity when present, so two units of one name in one gmina stay two.
    registry_ref = models.CharField(_("register number"), max_length=32, blank=True, default="")
    detail = models.CharField(_("type in the register"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude (WGS84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude (WGS84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    offers_venue = models.BooleanField(_("offers a venue"), default=False)
    offers_equipment = models.BooleanField(_("offers equipment"), default=False)
    offers_instructors = models.BooleanField(_("offers instructors"), default=False)
    offers_funding = models.BooleanField(_("offers funding"), default=False)
    offers_other = models.CharField(_("offers something else"), max_length=250, blank=True)
    clubs = models.ManyToManyField(
        Club, through="PartnerLink", related_name="partners", verbose_name=_("clubs")
    )
    # Case-folded, whitespace-normalised name: a re-import finds the same partner.
    name_key = models.CharField(max_length=250, default="", editable=False)
    search_text = models.CharField(max_length=500, blank=True, editable=False, db_index=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            # Without a register number a partner is known by gmina, kind and name.
            models.UniqueConstraint(
                fields=["municipality", "kind", "name_key"],
                condition=Q(registry_ref=""),
                name="partner_unique_per_gmina",
            ),
            models.UniqueConstraint(
                fields=["kind", "registry_ref"],
                condition=~Q(registry_ref=""),
                name="partner_unique_registry_ref",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "name"]),
            models.Index(fields=["name", "id"], name="partner_name_idx"),  # the list's order
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = search_key(self.name)
        self.search_text = fold(self.name, self.address, self.contact_person)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("clubs:partner-detail", kwargs={"partner_pk": self.pk})

    @property
    def offers(self) -> list[str]:
        """What the partner offers, as labels for display."""
        labels = [
            str(self._meta.get_field(name).verbose_name)
            for name in ("offers_venue", "offers_equipment", "offers_instructors", "offers_funding")
            if getattr(self, name)
        ]
        if self.offers_other:
            labels.append(self.offers_other)
        return labels


class PartnerLinkQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None) -> "PartnerLinkQuerySet":
        return access.scope_club_objects(self, user, roles)

    def expiring(self, within_days: int = 90) -> "PartnerLinkQuerySet":
        """Agreements that end within `within_days` (or have ended and not been renewed)."""
        today = timezone.localdate()
        return self.filter(agreement_expires_on__lte=today + timedelta(days=within_days))


class PartnerLink(models.Model):
    """A partner's link to a club: its role there and the agreement behind it."""

    class AgreementType(models.TextChoices):
        COOPERATION = "cooperation", _("cooperation agreement")
        LETTER_OF_INTENT = "intent", _("letter of intent")
        VENUE = "venue", _("venue lending agreement")
        SPONSORSHIP = "sponsorship", _("sponsorship agreement")
        OTHER = "other", _("other")

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="partner_links")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="links")
    role = models.CharField(_("role in the club"), max_length=200, blank=True)
    agreement_type = models.CharField(
        _("agreement type"), max_length=16, choices=AgreementType.choices, blank=True
    )
    agreement_signed_on = models.DateField(_("signed on"), null=True, blank=True)
    agreement_expires_on = models.DateField(_("expires on"), null=True, blank=True)
    agreement_document = models.FileField(
        _("agreement document"), upload_to="agreements/%Y/", blank=True
    )

    objects = PartnerLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner link")
        verbose_name_plural = _("partner links")
        constraints = [
            models.UniqueConstraint(fields=["club", "partner"], name="partner_link_unique"),
            models.CheckConstraint(
                condition=Q(agreement_expires_on__isnull=True)
                | Q(agreement_signed_on__isnull=True)
                | Q(agreement_expires_on__gte=models.F("agreement_signed_on")),
                name="partner_link_expires_after_signing",
            ),
        ]
        indexes = [models.Index(fields=["agreement_expires_on"])]

    def __str__(self) -> str:
        return f"{self.partner} – {self.club}"


class AssignmentQuerySet(models.QuerySet):
    def active(self) -> "AssignmentQuerySet":
        return self.filter(ended_at__isnull=True)


class Assignment(models.Model):
    """Who holds which role, and where. Read only by kos_portal.access."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("gmina"),
    )
    club = models.ForeignKey(
        Club,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("club"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # The scope must fit the role: the whole country, one gmina or one club.
            models.CheckConstraint(
                condition=(
                    Q(role=Role.NATIONAL, municipality__isnull=True, club__isnull=True)
                    | Q(role=Role.COORDINATOR, municipality__isnull=False, club__isnull=True)
                    | Q(
                        role__in=[Role.LEADER, Role.INSTRUCTOR],
                        municipality__isnull=True,
                        club__isnull=False,
                    )
                ),
                name="assignment_scope_fits_role",
            ),
            # One active assignment per role and scope. Split in three because SQLite
            # has no NULLS NOT DISTINCT.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(ended_at__isnull=True, role=Role.NATIONAL),
                name="assignment_unique_national",
            ),
            models.UniqueConstraint(
                fields=["user", "municipality"],
                condition=Q(ended_at__isnull=True, role=Role.COORDINATOR),
                name="assignment_unique_coordinator",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "club"],
                condition=Q(ended_at__isnull=True, club__isnull=False),
                name="assignment_unique_club_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.club_id:
            return str(self.club)
        if self.municipality_id:
            return str(self.municipality)
        return str(_("whole country"))


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class InvitationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InvitationQuerySet":
        """Invitations the user sent, or into a scope they may invite to."""
        return access.scope_invitations(self, user)

    def usable(self) -> "InvitationQuerySet":
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An emailed offer of a role in a scope. Expires, and can be used once."""

    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("gmina")
    )
    club = models.ForeignKey(
        Club, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("club")
    )
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), default=_invitation_expiry)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # When the email last went out; set by clubs.tasks.invitation_send_task.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role=Role.NATIONAL, municipality__isnull=True, club__isnull=True)
                    | Q(role=Role.COORDINATOR, municipality__isnull=False, club__isnull=True)
                    | Q(
                        role__in=[Role.LEADER, Role.INSTRUCTOR],
                        municipality__isnull=True,
                        club__isnull=False,
                    )
                ),
                name="invitation_scope_fits_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} – {self.get_role_display()}"

    @property
    def scope_label(self) -> str:
        if self.club_id:
            return str(self.club)
        if self.municipality_id:
            return str(self.municipality)
        return str(_("whole country"))

    @property
    def target(self) -> "Club | Municipality | None":
        """The scope offered, in the form access.invitable_roles() takes."""
        return self.club or self.municipality

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    def clean(self) -> None:
        if self.role == Role.COORDINATOR and not self.municipality_id:
            raise ValidationError(_("A coordinator is invited to a gmina."))
        if self.role in (Role.LEADER, Role.INSTRUCTOR) and not self.club_id:
            raise ValidationError(_("Leaders and instructors are invited to a club."))


class ClubContactMessage(models.Model):
    """A message sent through a club's public page. The club's addresses stay hidden."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="contact_messages")
    sender_name = models.CharField(_("your name"), max_length=200)
    sender_email = models.EmailField(_("your email"))
    message = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")

    def __str__(self) -> str:
        return f"{self.club}: {self.sender_name}"


# The starter pack's documents live in their own module (this one passed 700 lines); they
# are models of this app all the same.
from clubs.models_starter_pack import StarterDocument, StarterDocumentVersion  # noqa: E402, F401
