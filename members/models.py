"""People who take part in clubs, their memberships, consents and the personal-data log.

A person (Member) can belong to several clubs (Membership). Personal data is read only
through `Member.objects.visible_to(user)`, and each view or export is logged
(PersonalDataAccess).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clubs.models import Club, Municipality
from kos_portal import access
from kos_portal.text import fold


class Skill(models.Model):
    """What a person brings: paramedic, IT specialist, drone pilot, OSP member..."""

    code = models.SlugField(_("code"), unique=True)
    name_pl = models.CharField(_("name (Polish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        ordering = ["name_pl"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_pl


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> "MemberQuerySet":
        """People whose personal data the user may see; see kos_portal.access."""
        return access.scope_members(self, user)


class Member(models.Model):
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    # Kept after erasure, so statistics by age band do not change.
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("gmina of residence"),
    )
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=20, blank=True
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="members")
    notes = models.TextField(_("notes"), blank=True)
    # Members with a login see their own data; under-16s never get one.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )
    clubs = models.ManyToManyField(Club, through="Membership", related_name="members")
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # Case-folded name and email: searching "ŻÓŁ" finds "Żółkiewska" on SQLite too.
    search_text = models.CharField(max_length=400, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["last_name", "first_name", "birth_date"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        if self.birth_date:
            self.birth_year = self.birth_date.year
        self.search_text = fold(self.first_name, self.last_name, self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("members:member-detail", kwargs={"member_pk": self.pk})

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def display_name(self) -> str:
        """The name to show; erased people have none, so they get a label instead."""
        if self.is_anonymised:
            return str(_("(anonymised)"))
        return f"{self.first_name} {self.last_name}"


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user) -> "MembershipQuerySet":
        """Memberships in the user's clubs (personal-data roles), and the user's own."""
        return access.scope_club_objects(self, user, access.PERSONAL_DATA_ROLES, members_own=True)


class Membership(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", _("applicant")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        LEFT = "left", _("left")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # What a citizen wrote when applying through the club's public page.
    application_message = models.TextField(_("application message"), blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["member", "club"], name="membership_unique")]
        indexes = [
            models.Index(fields=["club", "status"]),
            # Applications across clubs, oldest first (members:application-list).
            models.Index(
                fields=["status", "applied_on", "id"], name="membership_status_applied_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.club}"


class MembershipStatusChange(models.Model):
    """Every change of a membership's status: when, by whom and why. Never edited."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="status_changes"
    )
    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=16, choices=Membership.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Membership.Status.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("membership status change")
        verbose_name_plural = _("membership status changes")

    def __str__(self) -> str:
        return f"{self.membership}: {self.from_status or '-'} → {self.to_status}"


class ConsentPurpose(models.TextChoices):
    MEMBERSHIP_DATA = "membership_data", _("processing of membership data")
    IMAGES = "images", _("publishing images")
    EMAIL_NEWS = "email_news", _("email news")


class ConsentMethod(models.TextChoices):
    PAPER = "paper", _("signed paper form")
    ONLINE = "online", _("online form")
    IMPORT = "import", _("roster import")
    SELF_SERVICE = "self", _("member's own account")


class ConsentGiver(models.TextChoices):
    """Who gave a consent: the person, a named guardian, or the person on a signed paper
    form that a staff member (Consent.recorded_by) transcribed. UNKNOWN: old rows whose
    "by the guardian" flag could not be verified (migration 0006)."""

    SELF = "self", _("the person")
    GUARDIAN = "guardian", _("a parent or legal guardian")
    STAFF_PAPER = "staff_paper", _("the person, on a paper form recorded by staff")
    UNKNOWN = "unknown", _("unknown")


class Consent(models.Model):
    """One consent event: given or withdrawn. Rows are appended, never edited or deleted;
    the newest row per purpose is the current state."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    given = models.BooleanField(_("given"))  # False: withdrawn
    text_version = models.CharField(_("consent text version"), max_length=32)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    method = models.CharField(_("how"), max_length=16, choices=ConsentMethod.choices)
    # Who gave it (#13). Under 16 only a guardian's consent counts; from 16 the person's
    # own. The guardian's name, relation and email say which guardian.
    given_by = models.CharField(
        _("given by"), max_length=16, choices=ConsentGiver.choices, default=ConsentGiver.UNKNOWN
    )
    guardian_name = models.CharField(_("guardian's name"), max_length=200, blank=True)
    guardian_relation = models.CharField(_("guardian's relation"), max_length=50, blank=True)
    guardian_email = models.EmailField(_("guardian's email"), blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["member", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.member}: {self.purpose} {'+' if self.given else '-'}"

    @property
    def by_guardian(self) -> bool:
        return self.given_by == ConsentGiver.GUARDIAN


class GuardianConsent(models.Model):
    """A guardian's consent to a minor's membership. Withdrawal is recorded, not deleted."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="guardian_consents")
    guardian_name = models.CharField(_("guardian's name"), max_length=200)
    guardian_contact = models.CharField(_("guardian's contact"), max_length=200)
    guardian_relation = models.CharField(_("guardian's relation"), max_length=50, blank=True)
    consent_date = models.DateField(_("date of consent"))
    text_version = models.CharField(_("consent text version"), max_length=32)
    method = models.CharField(_("how"), max_length=16, choices=ConsentMethod.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-consent_date", "-pk"]
        verbose_name = _("guardian's consent")
        verbose_name_plural = _("guardians' consents")

    def __str__(self) -> str:
        return f"{self.member}: {self.guardian_name} ({self.consent_date})"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class PersonalDataAccessQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PersonalDataAccessQuerySet":
        """The log is for national staff only."""
        return self if access.is_national(user) else self.none()


class PersonalDataAccess(models.Model):
    """Append-only log of every view and export of members' personal data."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        LIST = "list", _("listed")
        EXPORT = "export", _("exported")
        CHANGE = "change", _("changed")
        ERASE = "erase", _("erased")
        SELF_EXPORT = "self_export", _("own data exported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("who"),
    )
    user_email = models.EmailField(_("who (email)"))  # kept if the account is deleted
    action = models.CharField(_("what"), max_length=16, choices=Action.choices)
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
    )
    club = models.ForeignKey(
        Club, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    member_count = models.PositiveIntegerField(_("people"), default=1)
    detail = models.CharField(_("detail"), max_length=500, blank=True)  # e.g. path, filter
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = PersonalDataAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        # The log's order: deep pages are read from this index alone.
        indexes = [models.Index(fields=["-at", "-id"], name="access_log_newest_idx")]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_email} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:  # append-only: a logged access is never rewritten
            raise ValueError("The personal data access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The personal data access log is append-only.")


# --- Logins for members and guardians ------------------------------------------------


class GuardianshipQuerySet(models.QuerySet):
    def visible_to(self, user) -> "GuardianshipQuerySet":
        """A guardian's own links, and the links of people the user sees as staff."""
        if user is None or not user.is_authenticated:
            return self.none()
        visible = Member.objects.visible_to(user).values("pk")
        return self.filter(Q(user=user) | Q(member_id__in=visible))


class Guardianship(models.Model):
    """A login that acts for a person under 16 (or any minor): the guardian sees and exports
    the person's data and may withdraw their consents (kos_portal.access: "own rows")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guardianships"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="guardianships")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = GuardianshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [
            models.UniqueConstraint(fields=["user", "member"], name="guardianship_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.member}"


def _login_token() -> str:
    return secrets.token_urlsafe(32)


def _login_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class LoginInvitationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "LoginInvitationQuerySet":
        """Invitations for people of the user's clubs (personal-data roles)."""
        return access.scope_club_objects(self, user, access.PERSONAL_DATA_ROLES)

    def usable(self) -> "LoginInvitationQuerySet":
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class LoginInvitation(models.Model):
    """An emailed link to set a password: the new login is bound to the member (their own
    login) or made their guardian. Expires, and can be used once."""

    class Kind(models.TextChoices):
        OWN = "own", _("own login")
        GUARDIAN = "guardian", _("guardian's login")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="login_invitations")
    # The club the inviter acted for: scopes the row (access.scope_club_objects).
    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OWN)
    email = models.EmailField(_("email address"))
    token = models.CharField(max_length=64, unique=True, default=_login_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), default=_login_expiry)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = LoginInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("login invitation")
        verbose_name_plural = _("login invitations")

    def __str__(self) -> str:
        return f"{self.email} – {self.member}"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
